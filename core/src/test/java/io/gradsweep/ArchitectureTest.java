package io.gradsweep;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The walls of core: its packages form no cycle, core knows nothing of Spark, the engine knows nothing of what it
 * is used for (spec, train, tracking, report), and training knows nothing of the report. Main classes only.
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
}
