package io.gradsweep.yarnmini;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * A YARN cluster on this machine: Hadoop's MiniYARNCluster (one ResourceManager, {@code --nodes} NodeManagers, all
 * in this JVM, on ephemeral ports of the local host name), with no HDFS: the default file system is the local one,
 * so Spark stages its files under {@code file:} paths every container can read. Once the ResourceManager answers
 * and every NodeManager registered, writes {@code yarn-site.xml} and {@code core-site.xml} (the cluster's generated
 * configuration, what {@code HADOOP_CONF_DIR} points at) into the conf directory, then a {@code ready} file and the
 * line {@code yarn-mini ready ...} on stdout. Runs until SIGTERM or SIGINT, then stops the cluster (its containers
 * included) and removes the {@code ready} file.
 *
 * <pre>
 * java -cp ... io.gradsweep.yarnmini.MiniYarn --conf-dir DIR [--nodes 1] [--node-memory-mb 6144] [--node-vcores 4]
 * </pre>
 *
 * The working directory gets {@code target/yarn-mini/}: the NodeManagers' local and log directories (container
 * logs: {@code target/yarn-mini/yarn-mini-logDir-nm-0_0/APPLICATION/CONTAINER/stderr}).
 */
public final class MiniYarn {
  /** How long the shutdown waits for the cluster's services to stop. */
  static final int STOP_WAIT_SECONDS = 5;

  /** The settings that differ from YARN's defaults, and why. */
  static Map<String, String> settings(int nodeMemoryMb, int nodeVcores) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put(YarnConfiguration.NM_PMEM_MB, Integer.toString(nodeMemoryMb));
    // MiniYARNCluster sets each NodeManager's memory from this key instead (default 4096)
    s.put(YarnConfiguration.YARN_MINICLUSTER_NM_PMEM_MB, Integer.toString(nodeMemoryMb));
    s.put(YarnConfiguration.NM_VCORES, Integer.toString(nodeVcores));
    s.put(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, "256");
    s.put(YarnConfiguration.RM_SCHEDULER_MAXIMUM_ALLOCATION_MB, Integer.toString(nodeMemoryMb));
    s.put(YarnConfiguration.RM_SCHEDULER_MAXIMUM_ALLOCATION_VCORES, Integer.toString(nodeVcores));
    // a JVM's virtual memory is far above its heap (ND4J maps native memory): no memory checks on one machine
    s.put(YarnConfiguration.NM_PMEM_CHECK_ENABLED, "false");
    s.put(YarnConfiguration.NM_VMEM_CHECK_ENABLED, "false");
    // a nearly full disk would mark the only node unhealthy and leave every application waiting
    s.put(YarnConfiguration.NM_MAX_PER_DISK_UTILIZATION_PERCENTAGE, "99.9");
    // application masters (Spark's driver in cluster mode) may take all of the queue
    s.put("yarn.scheduler.capacity.maximum-am-resource-percent", "1.0");
    // Spark and Hadoop address containers by node name: name each node by host:port (several on one host)
    s.put(YarnConfiguration.RM_SCHEDULER_INCLUDE_PORT_IN_NODE_NAME, "true");
    // no log aggregation (no HDFS): the containers' logs stay in the NodeManagers' log directories; a stop leaves
    // them on disk (the next start clears them)
    s.put("fs.defaultFS", "file:///");
    return s;
  }

  public static void main(String[] args) {
    try {
      run(args);
    } catch (IllegalArgumentException e) {
      System.err.println("yarn-mini: " + e.getMessage());
      System.exit(2);
    } catch (Throwable t) {
      // whatever part of the cluster started has non-daemon threads: exit, so that the shutdown hook stops it
      System.err.println("yarn-mini: could not start the cluster: " + t);
      t.printStackTrace();
      System.exit(1);
    }
  }

  private static void run(String[] args) throws Exception {
    Path confDir = null;
    int nodes = 1;
    int nodeMemoryMb = 6144;
    int nodeVcores = 4;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) {
        throw usage("option " + a + " needs a value");
      }
      String v = args[++i];
      switch (a) {
        case "--conf-dir" -> confDir = Path.of(v).toAbsolutePath();
        case "--nodes" -> nodes = positive(a, v);
        case "--node-memory-mb" -> nodeMemoryMb = positive(a, v);
        case "--node-vcores" -> nodeVcores = positive(a, v);
        default -> throw usage("unknown option " + a);
      }
    }
    if (confDir == null) {
      throw usage("--conf-dir DIR is required");
    }
    if (nodeMemoryMb < 1024) {
      throw usage("--node-memory-mb " + nodeMemoryMb + " is too small: a Spark container needs at least 1024");
    }
    Files.createDirectories(confDir);
    Path ready = confDir.resolve("ready");
    Files.deleteIfExists(ready);

    YarnConfiguration conf = new YarnConfiguration();
    settings(nodeMemoryMb, nodeVcores).forEach(conf::set);
    MiniYARNCluster cluster = new MiniYARNCluster("yarn-mini", nodes, 1, 1);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println(java.time.Instant.now() + " yarn-mini stopping");
      try {
        Files.deleteIfExists(ready);
      } catch (IOException e) {
        System.err.println("yarn-mini: could not remove " + ready + ": " + e);
      }
      // The NodeManagers end their containers first thing in their stop; their log and deletion services then
      // wait up to 10 s each for timers that no longer matter (the JVM ends): stop for at most STOP_WAIT_SECONDS.
      Thread stop = new Thread(cluster::stop, "yarn-mini-cluster-stop");
      stop.setDaemon(true);
      stop.start();
      try {
        stop.join(STOP_WAIT_SECONDS * 1000L);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      System.out.println(java.time.Instant.now() + (stop.isAlive()
          ? " yarn-mini stopped (services still stopping after " + STOP_WAIT_SECONDS + " s were cut short)"
          : " yarn-mini stopped"));
      System.out.flush();
      stopped.countDown();
    }, "yarn-mini-stop"));

    cluster.init(conf);
    cluster.start();
    if (!cluster.waitForNodeManagersToConnect(60_000)) {
      throw new IllegalStateException(nodes + " NodeManager(s) did not register with the ResourceManager in 60 s");
    }
    Configuration live = cluster.getConfig();
    // the ResourceManager's ports are known once it is up
    String rm = live.get(YarnConfiguration.RM_ADDRESS);
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (rm == null || rm.endsWith(":0")) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the ResourceManager did not report its address in 60 s: " + rm);
      }
      Thread.sleep(100);
      rm = live.get(YarnConfiguration.RM_ADDRESS);
    }
    writeAtomically(confDir.resolve("yarn-site.xml"), live);
    Configuration core = new Configuration(false);
    core.set("fs.defaultFS", "file:///");
    writeAtomically(confDir.resolve("core-site.xml"), core);
    String web = live.get(YarnConfiguration.RM_WEBAPP_ADDRESS);
    Files.writeString(ready, "resourcemanager=" + rm + "\nwebapp=http://" + web + "\nlogs="
        + cluster.getTestWorkDir().getAbsolutePath() + "\n");
    System.out.println("yarn-mini ready: ResourceManager " + rm + ", web UI http://" + web + ", "
        + nodes + " NodeManager(s) of " + nodeMemoryMb + " MB and " + nodeVcores + " vcores, HADOOP_CONF_DIR="
        + confDir);
    System.out.flush();
    stopped.await(); // until the shutdown hook has stopped the cluster
  }

  private static void writeAtomically(Path file, Configuration conf) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (OutputStream out = Files.newOutputStream(tmp)) {
      conf.writeXml(out);
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static int positive(String option, String value) {
    try {
      int n = Integer.parseInt(value);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw usage(option + " must be a positive integer, got '" + value + "'");
  }

  private static IllegalArgumentException usage(String message) {
    return new IllegalArgumentException(message + "\nusage: MiniYarn --conf-dir DIR [--nodes N] "
        + "[--node-memory-mb MB] [--node-vcores N]");
  }
}
