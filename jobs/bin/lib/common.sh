# Shared by bin/gradsweep and bin/spark-cluster (sourced, not run). Bash.
#
# GS_ROOT       the repository root
# GS_STATE      <repo>/.gradsweep: caches, the project-local Spark home, cluster pids and logs (git-ignored)
# GS_UBER_JAR   the uber jar built by jobs/pom.xml (maven-shade-plugin)

GS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
GS_STATE="$GS_ROOT/.gradsweep"
GS_UBER_JAR="$GS_ROOT/jobs/target/gradsweep-spark3.jar"
GS_SPARK_CLASSPATH_FILE="$GS_STATE/spark-classpath.txt"
GS_SPARK_HOME="$GS_STATE/spark-home"
GS_SPARK_SCALA_VERSION=2.12
# SPARK_HOME, when set, is the Spark distribution the scripts run (its jars/; the Spark 4 ITs set it). A Spark 4 /
# Scala 2.13 one takes the spark4 profile's jar. (Interim: the distribution-based launcher replaces this.)
GS_SPARK_FROM_ENV=0
if [ -n "${SPARK_HOME:-}" ]; then
  GS_SPARK_FROM_ENV=1
  GS_SPARK_HOME=$SPARK_HOME
  for _gs_jar in "$SPARK_HOME"/jars/spark-core_2.13-*.jar; do
    [ -f "$_gs_jar" ] && GS_SPARK_SCALA_VERSION=2.13 && GS_UBER_JAR="$GS_ROOT/jobs/target-spark4/gradsweep-spark4.jar"
  done
  unset _gs_jar
fi
GS_MAIN_CLASS=io.gradsweep.jobs.SweepJob

# The JVM flags Spark's launcher adds on Java 17 (org.apache.spark.launcher.JavaModuleOptions), as Spark 3.5 and
# Spark 4 list them. The JVMs the scripts start get both lists in one (GS_JAVA_MODULE_OPTS: Spark 3.5's, then what
# Spark 4 adds; -XX:+IgnoreUnrecognizedVMOptions makes Java 17 skip the options of newer JDKs). JavaModuleOptionsTest
# fails when the list of the Spark line it is built against differs from Spark's (the default build checks Spark
# 3.5's, the spark4 profile Spark 4's).
GS_JAVA_MODULE_OPTS_SPARK3=(
  -XX:+IgnoreUnrecognizedVMOptions
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED
  --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED
  -Djdk.reflect.useDirectMethodHandle=false
)
GS_JAVA_MODULE_OPTS_SPARK4=(
  -XX:+IgnoreUnrecognizedVMOptions
  --add-modules=jdk.incubator.vector
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED
  --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED
  -Dio.netty.tryReflectionSetAccessible=true
  -Dio.netty.allocator.type=pooled
  -Dio.netty.handler.ssl.defaultEndpointVerificationAlgorithm=NONE
  --sun-misc-unsafe-memory-access=allow
  --enable-native-access=ALL-UNNAMED
)
GS_JAVA_MODULE_OPTS=("${GS_JAVA_MODULE_OPTS_SPARK3[@]}")
for _gs_opt in "${GS_JAVA_MODULE_OPTS_SPARK4[@]}"; do
  [[ " ${GS_JAVA_MODULE_OPTS[*]} " == *" $_gs_opt "* ]] || GS_JAVA_MODULE_OPTS+=("$_gs_opt")
done
unset _gs_opt

# The JDK's Vector API, for the engine's SIMD kernels (io.gradsweep.engine.FloatKernels; without it the engine
# uses plain loops). The job adds the same to spark.executor.extraJavaOptions. The JVM prints one
# "Using incubator modules" warning at start.
GS_VECTOR_OPTS=(--add-modules=jdk.incubator.vector)

gs_die() {
  echo "$(basename "$0"): $*" >&2
  exit "${GS_DIE_STATUS:-1}"
}

gs_log() {
  echo "[$(basename "$0")] $*" >&2
}

# The java to run: $JAVA_HOME/bin/java, else java on the PATH; must be 17 or newer.
gs_java() {
  local java=java
  [ -n "${JAVA_HOME:-}" ] && java="$JAVA_HOME/bin/java"
  command -v "$java" >/dev/null 2>&1 || gs_die "java not found (set JAVA_HOME or put Java 17 on the PATH)"
  local v
  v=$("$java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
  [ -n "$v" ] && [ "$v" -ge 17 ] || gs_die "$java is Java ${v:-?}; gradsweep needs Java 17 or newer"
  echo "$java"
}

# Builds the uber jar when it is missing or older than a source file or pom. GRADSWEEP_NO_BUILD=1 never builds.
gs_ensure_uber_jar() {
  if [ -f "$GS_UBER_JAR" ]; then
    local newer
    newer=$(find "$GS_ROOT/pom.xml" "$GS_ROOT/core/pom.xml" "$GS_ROOT/jobs/pom.xml" \
      "$GS_ROOT/core/src/main" "$GS_ROOT/jobs/src/main" -newer "$GS_UBER_JAR" -type f -print -quit 2>/dev/null)
    [ -z "$newer" ] && return 0
    [ "${GRADSWEEP_NO_BUILD:-}" = 1 ] && { gs_log "warning: $newer is newer than the uber jar (GRADSWEEP_NO_BUILD=1: not rebuilding)"; return 0; }
    gs_log "sources changed ($newer): rebuilding the uber jar"
  else
    [ "${GRADSWEEP_NO_BUILD:-}" = 1 ] && gs_die "$GS_UBER_JAR is missing (GRADSWEEP_NO_BUILD=1); build it with: mvn -B -q -DskipTests package"
    gs_log "building the uber jar (mvn -B -q -DskipTests package; the first build takes a minute)"
  fi
  # (Debian's Maven 3.8 prints colour resets even in batch mode: filtered out)
  local profile=()
  [ "$GS_SPARK_SCALA_VERSION" = 2.13 ] && profile=(-Pspark4)
  (cd "$GS_ROOT" && set -o pipefail && mvn -B -q -Dstyle.color=never ${profile[@]+"${profile[@]}"} -DskipTests package 2>&1 | sed 's/\x1b\[0m//g' >&2) \
    || gs_die "the build failed (see the Maven output above)"
  [ -f "$GS_UBER_JAR" ] || gs_die "the build did not produce $GS_UBER_JAR"
}

# Prints Spark's runtime class path (jars from the local Maven repository), computed once from
# jobs/spark-runtime/pom.xml and cached in .gradsweep/spark-classpath.txt until a pom changes or a jar is gone.
gs_spark_classpath() {
  [ "$GS_SPARK_FROM_ENV" = 1 ] && { echo "$GS_SPARK_HOME/jars/*"; return 0; }
  local f="$GS_SPARK_CLASSPATH_FILE" pom="$GS_ROOT/jobs/spark-runtime/pom.xml" stale=0
  if [ ! -s "$f" ] || [ "$pom" -nt "$f" ] || [ "$GS_ROOT/pom.xml" -nt "$f" ]; then
    stale=1
  else
    local first
    first=$(cut -d: -f1 "$f")
    [ -f "$first" ] || stale=1
  fi
  if [ "$stale" = 1 ]; then
    mkdir -p "$GS_STATE"
    local tmp="$f.tmp.$$"
    gs_log "resolving Spark's class path (mvn dependency:build-classpath on jobs/spark-runtime/pom.xml)"
    if ! mvn -B -q -Dstyle.color=never -o -f "$pom" dependency:build-classpath -Dmdep.outputFile="$tmp" >/dev/null 2>&1; then
      mvn -B -q -Dstyle.color=never -f "$pom" dependency:build-classpath -Dmdep.outputFile="$tmp" >&2 \
        || { rm -f "$tmp"; gs_die "could not resolve Spark's jars with Maven"; }
    fi
    mv "$tmp" "$f"
  fi
  cat "$f"
}

# Makes <repo>/.gradsweep/spark-home: jars/ links to Spark's jars in the local Maven repository, conf/ holds the
# cluster daemons' log4j2.properties. Rebuilt when the Spark class path changes.
gs_spark_home() {
  [ "$GS_SPARK_FROM_ENV" = 1 ] && return 0
  local cp
  cp=$(gs_spark_classpath) || exit 1
  mkdir -p "$GS_SPARK_HOME/conf"
  cp "$GS_ROOT/jobs/bin/lib/log4j2-daemons.properties" "$GS_SPARK_HOME/conf/log4j2.properties"
  local stamp="$GS_SPARK_HOME/.classpath"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$cp" ] && [ -d "$GS_SPARK_HOME/jars" ]; then
    return 0
  fi
  rm -rf "$GS_SPARK_HOME/jars"
  mkdir -p "$GS_SPARK_HOME/jars"
  local jar
  local IFS=:
  for jar in $cp; do
    ln -s "$jar" "$GS_SPARK_HOME/jars/$(basename "$jar")"
  done
  printf '%s' "$cp" > "$stamp"
}
