package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Properties;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** The settings of the JVMs that train trials: the executors' (Spark conf) and the driver's on local Spark. */
class SparkSessionsTest {
  private static final String MAX_PHYSICAL = "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0";

  @Test
  void executorsGetTheVectorModuleAndJavaCppsMemoryCheckOff() {
    SparkConf conf = SparkSessions.configure("s", List.of());
    assertEquals("--add-modules=jdk.incubator.vector " + MAX_PHYSICAL, conf.get("spark.executor.extraJavaOptions"));
    assertEquals("1", conf.get("spark.executorEnv.OMP_NUM_THREADS"));
  }

  @Test
  void multiCoreTasksKeepOneOpenBlasThreadPerCallUnlessTheUserSetsOne() {
    SparkConf twoCpus = SparkSessions.configure("s", List.of(new SparkSetting("spark.task.cpus", "2")));
    assertEquals("1", twoCpus.get("spark.executorEnv.OMP_NUM_THREADS"), "the engine's threads use the task's CPUs");
    SparkConf mine = SparkSessions.configure("s", List.of(new SparkSetting("spark.task.cpus", "2"),
        new SparkSetting("spark.executorEnv.OMP_NUM_THREADS", "4")));
    assertEquals("4", mine.get("spark.executorEnv.OMP_NUM_THREADS"));
  }

  @Test
  void trialsAtOnceAreTheCoresOverTheCpusOfATask() {
    assertEquals(4, SparkTrialExecutor.slots(4, 1));
    assertEquals(2, SparkTrialExecutor.slots(4, 2));
    assertEquals(1, SparkTrialExecutor.slots(3, 2));
    assertEquals(1, SparkTrialExecutor.slots(1, 4), "at least one");
  }

  @Test
  void theUsersExecutorOptionsStayAndTheirOwnJavaCppBoundWins() {
    SparkConf mine = SparkSessions.configure("s", List.of(new SparkSetting("spark.executor.extraJavaOptions",
        "-Xss4m -Dorg.bytedeco.javacpp.maxphysicalbytes=16g")));
    assertEquals("-Xss4m -Dorg.bytedeco.javacpp.maxphysicalbytes=16g --add-modules=jdk.incubator.vector",
        mine.get("spark.executor.extraJavaOptions"), "a bound the user chose (any spelling) is kept");
    SparkConf other = SparkSessions.configure("s", List.of(new SparkSetting("spark.executor.extraJavaOptions",
        "--add-modules=jdk.incubator.vector -XX:+UseParallelGC")));
    assertEquals("--add-modules=jdk.incubator.vector -XX:+UseParallelGC " + MAX_PHYSICAL,
        other.get("spark.executor.extraJavaOptions"));
    assertEquals(other.get("spark.executor.extraJavaOptions"),
        SparkSessions.withTrialJvmProperties(other.get("spark.executor.extraJavaOptions")), "added once");
  }

  @Test
  void theDriverJvmGetsThePropertiesItDoesNotSetYet() {
    Properties fresh = new Properties();
    SparkSessions.defaultTrialJvmProperties(fresh);
    assertEquals("0", fresh.getProperty(SparkSessions.JAVACPP_MAX_PHYSICAL_BYTES));

    Properties set = new Properties();
    set.setProperty(SparkSessions.JAVACPP_MAX_PHYSICAL_BYTES, "8g");
    SparkSessions.defaultTrialJvmProperties(set);
    assertEquals("8g", set.getProperty(SparkSessions.JAVACPP_MAX_PHYSICAL_BYTES));

    Properties lower = new Properties();
    lower.setProperty("org.bytedeco.javacpp.maxphysicalbytes", "8g");
    SparkSessions.defaultTrialJvmProperties(lower);
    assertNull(lower.getProperty(SparkSessions.JAVACPP_MAX_PHYSICAL_BYTES), "JavaCPP reads either spelling");
  }

  @Test
  void theApplicationIsNamedAfterTheSweepUnlessTheUserNamedIt() {
    assertEquals("gradsweep s", SparkSessions.configure("s", List.of()).get("spark.app.name"));
    // spark-submit names an application without --name after the jar when its manifest names the main class
    assertEquals("gradsweep s", SparkSessions.configure("s",
        List.of(new SparkSetting("spark.app.name", "gradsweep-spark3.jar"))).get("spark.app.name"));
    assertEquals("gradsweep s", SparkSessions.configure("s",
        List.of(new SparkSetting("spark.app.name", SweepJob.class.getName()))).get("spark.app.name"));
    assertEquals("nightly", SparkSessions.configure("s",
        List.of(new SparkSetting("spark.app.name", "nightly"))).get("spark.app.name"));
  }

  @Test
  void onlyTheDriverOfAYarnClusterModeApplicationReturnsInsteadOfExiting() {
    Properties am = new Properties();
    am.setProperty("spark.master", "yarn");
    am.setProperty("spark.submit.deployMode", "cluster");
    assertEquals(true, SweepJob.inYarnApplicationMaster(am));
    Properties client = new Properties();
    client.setProperty("spark.master", "yarn");
    client.setProperty("spark.submit.deployMode", "client");
    assertEquals(false, SweepJob.inYarnApplicationMaster(client));
    Properties standaloneCluster = new Properties();
    standaloneCluster.setProperty("spark.master", "spark://h:7077");
    standaloneCluster.setProperty("spark.submit.deployMode", "cluster");
    assertEquals(false, SweepJob.inYarnApplicationMaster(standaloneCluster), "its DriverWrapper wants an exit");
    assertEquals(false, SweepJob.inYarnApplicationMaster(new Properties()));
  }
}
