package io.gradsweep;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The walls of core: its packages form no cycle, core knows nothing of Spark, the engine knows nothing of what it
 * is used for (spec, train, tracking, report), training knows nothing of the report, the parser knows nothing of
 * search, the plugin registry nothing but util, and the tracking API nothing of its backends. Main classes only;
 * docs/ARCHITECTURE.md draws the map these rules keep true.
 */
@AnalyzeClasses(packages = "io.gradsweep", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

  @ArchTest
  static final ArchRule packagesFormNoCycle = slices().matching("io.gradsweep.(*)..").namingSlices("$1")
      .should().beFreeOfCycles()
      .because("each package of core is one room: dependencies between them go one way");

  @ArchTest
  static final ArchRule coreHasNoSpark = noClasses().that().resideInAPackage("io.gradsweep..")
      .should().dependOnClassesThat().resideInAPackage("org.apache.spark..")
      .because("core runs without Spark: a trial is trained, tracked and reported by plain Java");

  @ArchTest
  static final ArchRule engineKnowsNothingOfItsUsers = noClasses().that().resideInAPackage("io.gradsweep.engine..")
      .should().dependOnClassesThat().resideInAnyPackage("io.gradsweep.spec..", "io.gradsweep.train..",
          "io.gradsweep.tracking..", "io.gradsweep.report..")
      .because("the BPTT engine is a library: sweeps, training loops, tracking and reports use it, not it them");

  @ArchTest
  static final ArchRule trainingKnowsNothingOfTheReport = noClasses().that().resideInAPackage("io.gradsweep.train..")
      .should().dependOnClassesThat().resideInAPackage("io.gradsweep.report..")
      .because("the report reads trial results; a trial does not draw or write the report");

  @ArchTest
  static final ArchRule theParserKnowsNothingOfSearch = noClasses().that().resideInAPackage("io.gradsweep.spec..")
      .should().dependOnClassesThat().resideInAPackage("io.gradsweep.search..")
      .because("the parser only parses; search expands a parsed spec into trials");

  @ArchTest
  static final ArchRule theRegistryUsesOnlyUtil = classes().that().resideInAPackage("io.gradsweep.plugin..")
      .should().onlyDependOnClassesThat().resideInAnyPackage("io.gradsweep.plugin..", "io.gradsweep.util..",
          "java..")
      .because("every role's registry is built on it, so it must sit below them all");

  @ArchTest
  static final ArchRule theSpoolKnowsNothingOfMlflow = noClasses().that()
      .resideInAPackage("io.gradsweep.tracking.spool..")
      .should().dependOnClassesThat().resideInAPackage("io.gradsweep.tracking.mlflow..")
      .because("the spool stores records for any backend; MLflow's sender reads it");

  @ArchTest
  static final ArchRule theTrackingApiNamesNoBackend = noClasses().that().resideInAPackage("io.gradsweep.tracking")
      .should().dependOnClassesThat().resideInAnyPackage("io.gradsweep.tracking.mlflow..",
          "io.gradsweep.tracking.spool..")
      .because("backends are found through the registry; the API does not know them");
}
