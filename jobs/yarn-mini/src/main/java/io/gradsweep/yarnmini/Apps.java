package io.gradsweep.yarnmini;

import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;

/**
 * The applications the ResourceManager knows, one line each: {@code ID<TAB>STATE<TAB>FINAL_STATUS<TAB>NAME}, oldest
 * first (the ResourceManager's REST API is not reachable in a MiniYARNCluster: its NodeManager's web app takes over
 * the shared servlet filter). Reads the ResourceManager's address from {@code yarn-site.xml} on the class path
 * ({@code HADOOP_CONF_DIR}, which jobs/bin/yarn-mini puts first).
 */
public final class Apps {
  private Apps() {}

  public static void main(String[] args) throws Exception {
    YarnClient client = YarnClient.createYarnClient();
    client.init(new YarnConfiguration());
    client.start();
    try {
      List<ApplicationReport> apps = client.getApplications().stream()
          .sorted(Comparator.comparing(ApplicationReport::getApplicationId)).toList();
      for (ApplicationReport a : apps) {
        System.out.println(a.getApplicationId() + "\t" + a.getYarnApplicationState() + "\t"
            + a.getFinalApplicationStatus() + "\t" + a.getName());
      }
    } finally {
      client.stop();
    }
  }
}
