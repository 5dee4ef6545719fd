# Shared by bin/gradsweep and bin/spark-cluster (sourced, not run). Bash.
#
# GS_ROOT           the repository root
# GS_STATE          <repo>/.gradsweep: the venv, the Spark distributions, cluster pids and logs (git-ignored)
# GS_SPARK_VERSION  the Spark distribution the scripts install when SPARK_HOME is not set (the one pin)
# GS_SPARK_DIST     <repo>/.gradsweep/spark: one directory per installed version, <version>/pyspark is SPARK_HOME

GS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
GS_STATE="$GS_ROOT/.gradsweep"
GS_SPARK_VERSION=3.5.8
GS_SPARK_DIST="$GS_STATE/spark"
GS_VENV="$GS_STATE/venv"
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

# ---------------------------------------------------------------------------------------------- the uber jar

# Prints the uber jar for a Spark major version: 3 -> jobs/target/gradsweep-spark3.jar (the default build),
# 4 -> jobs/target-spark4/gradsweep-spark4.jar (Maven profile spark4). Fails for any other.
gs_uber_jar() { # major
  case "$1" in
    3) echo "$GS_ROOT/jobs/target/gradsweep-spark3.jar" ;;
    4) echo "$GS_ROOT/jobs/target-spark4/gradsweep-spark4.jar" ;;
    *) gs_die "Spark $1.x is not supported: gradsweep builds jars for Spark 3 (3.5) and Spark 4" ;;
  esac
}

# Builds the uber jar of a Spark major version when it is missing or older than a source file or pom (in a source
# checkout; Maven is needed only then). GRADSWEEP_NO_BUILD=1 never builds.
gs_ensure_uber_jar() { # major
  local jar mvn_args=(-B -q -Dstyle.color=never -DskipTests package)
  jar=$(gs_uber_jar "$1") || exit 1
  [ "$1" = 4 ] && mvn_args=(-B -q -Dstyle.color=never -Pspark4 -DskipTests package)
  local sources=()
  local f
  # dl4j/: the Spark 3.5 jar bundles its layers (data-parallel trials)
  for f in "$GS_ROOT/pom.xml" "$GS_ROOT/core/pom.xml" "$GS_ROOT/jobs/pom.xml" "$GS_ROOT/core/src/main" \
    "$GS_ROOT/jobs/src/main" "$GS_ROOT/dl4j/pom.xml" "$GS_ROOT/dl4j/src/main"; do
    [ -e "$f" ] && sources+=("$f")
  done
  if [ -f "$jar" ]; then
    [ ${#sources[@]} -eq 0 ] && return 0
    local newer
    newer=$(find "${sources[@]}" -newer "$jar" -type f -print -quit 2>/dev/null)
    [ -z "$newer" ] && return 0
    [ "${GRADSWEEP_NO_BUILD:-}" = 1 ] && { gs_log "warning: $newer is newer than the uber jar (GRADSWEEP_NO_BUILD=1: not rebuilding)"; return 0; }
    command -v mvn >/dev/null 2>&1 || { gs_log "warning: $newer is newer than $jar, and there is no mvn on the PATH to rebuild it: using the jar as it is"; return 0; }
    gs_log "sources changed ($newer): rebuilding the uber jar (mvn ${mvn_args[*]})"
  else
    [ "${GRADSWEEP_NO_BUILD:-}" = 1 ] && gs_die "$jar is missing (GRADSWEEP_NO_BUILD=1); build it with: mvn ${mvn_args[*]}"
    [ -f "$GS_ROOT/pom.xml" ] || gs_die "$jar is missing and this is no source checkout (no pom.xml) to build it in"
    command -v mvn >/dev/null 2>&1 || gs_die "$jar is missing; building it needs Maven (mvn) on the PATH: mvn ${mvn_args[*]}"
    gs_log "building the uber jar (mvn ${mvn_args[*]}; the first build takes a minute)"
  fi
  # (Debian's Maven 3.8 prints colour resets even in batch mode: filtered out)
  (cd "$GS_ROOT" && set -o pipefail && mvn "${mvn_args[@]}" 2>&1 | sed 's/\x1b\[0m//g' >&2) \
    || gs_die "the build failed (see the Maven output above)"
  [ -f "$jar" ] || gs_die "the build did not produce $jar"
}

# ---------------------------------------------------------------------------------------------- the Spark distribution

# The Spark version of a Spark home, from its jars/spark-core_<scala>-<version>.jar ("3.5.8"); fails when none.
gs_spark_version_of() { # spark_home
  local jar
  for jar in "$1"/jars/spark-core_*.jar; do
    [ -f "$jar" ] || continue
    jar=$(basename "$jar" .jar)
    echo "${jar#spark-core_*-}"
    return 0
  done
  return 1
}

# The Scala binary version of a Spark home ("2.12"), from the same jar.
gs_spark_scala_of() { # spark_home
  local jar
  for jar in "$1"/jars/spark-core_*.jar; do
    [ -f "$jar" ] || continue
    jar=$(basename "$jar" .jar)
    jar=${jar#spark-core_}
    echo "${jar%%-*}"
    return 0
  done
  return 1
}

# Succeeds when the directory is a Spark distribution: bin/spark-submit and jars/spark-core_*.jar.
gs_is_spark_home() { # dir
  [ -x "$1/bin/spark-submit" ] && gs_spark_version_of "$1" >/dev/null
}

# The project venv's python, creating the venv (as jobs/bin/mlflow-local does) when it is missing.
gs_venv_python() {
  if [ ! -x "$GS_VENV/bin/python" ]; then
    local python="${GRADSWEEP_PYTHON:-python3}"
    command -v "$python" >/dev/null 2>&1 || gs_die "$python not found; install Python >= 3.10 or set GRADSWEEP_PYTHON"
    "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
      || gs_die "$python is $("$python" --version 2>&1); the project venv needs Python >= 3.10 (set GRADSWEEP_PYTHON)"
    gs_log "creating virtualenv $GS_VENV"
    "$python" -m venv "$GS_VENV" >&2 || gs_die "could not create the venv $GS_VENV (on Debian/Ubuntu: apt-get install python3-venv)"
  fi
  echo "$GS_VENV/bin/python"
}

# Installs pyspark==<version> (a whole Spark distribution, about 320 MB for 3.5) into .gradsweep/spark/<version>
# unless it is there. The caller holds the install lock. pip installs into a temporary directory that is renamed
# when complete, so a killed install never leaves half a distribution behind.
gs_spark_install_locked() { # version
  local version=$1 target="$GS_SPARK_DIST/$1"
  gs_is_spark_home "$target/pyspark" && return 0
  local python tmp="$GS_SPARK_DIST/.install-$1.$$"
  python=$(gs_venv_python) || exit 1
  mkdir -p "$GS_SPARK_DIST"
  rm -rf "$GS_SPARK_DIST"/.install-"$version".* # what a killed install left (we hold the lock: none runs)
  gs_log "installing the Spark $version distribution (pip install pyspark==$version, about 320 MB) into $target"
  "$python" -m pip install --disable-pip-version-check --no-input -q --no-deps --target "$tmp" \
    "pyspark==$version" >&2 || { rm -rf "$tmp"; gs_die "pip install pyspark==$version failed (see above)"; }
  gs_is_spark_home "$tmp/pyspark" \
    || { rm -rf "$tmp"; gs_die "pyspark==$version was installed but holds no Spark distribution (bin/spark-submit, jars/spark-core_*.jar)"; }
  rm -rf "$target"
  mv "$tmp" "$target"
  gs_log "installed Spark $version: SPARK_HOME=$target/pyspark"
}

# Runs "$@" holding <repo>/.gradsweep/install.lock (shared with jobs/bin/mlflow-local: one installer at a time). The
# lock lives on descriptor 9 of a subshell only, which ends with the install: nothing started later inherits it.
gs_with_install_lock() {
  mkdir -p "$GS_STATE"
  (
    flock 9
    "$@" 9>&-
  ) 9>"$GS_STATE/install.lock"
}

# Prints the Spark home to use: $SPARK_HOME when set (it must be a Spark distribution), else the project's
# .gradsweep/spark/<version>/pyspark (default version $GS_SPARK_VERSION), installed first when missing.
gs_spark_home() { # [version]
  if [ -n "${SPARK_HOME:-}" ] && [ $# -eq 0 ]; then
    [ -d "$SPARK_HOME" ] || gs_die "SPARK_HOME=$SPARK_HOME is not a directory (unset it to use the project's Spark $GS_SPARK_VERSION)"
    [ -x "$SPARK_HOME/bin/spark-submit" ] || gs_die "SPARK_HOME=$SPARK_HOME has no bin/spark-submit: not a Spark distribution (unset SPARK_HOME to use the project's Spark $GS_SPARK_VERSION)"
    gs_spark_version_of "$SPARK_HOME" >/dev/null || gs_die "SPARK_HOME=$SPARK_HOME has no jars/spark-core_*.jar: not a Spark distribution (unset SPARK_HOME to use the project's Spark $GS_SPARK_VERSION)"
    (cd "$SPARK_HOME" && pwd)
    return 0
  fi
  local version=${1:-$GS_SPARK_VERSION}
  [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || gs_die "Spark version '$version': expected MAJOR.MINOR.PATCH, e.g. $GS_SPARK_VERSION"
  local home="$GS_SPARK_DIST/$version/pyspark"
  if ! gs_is_spark_home "$home"; then
    gs_with_install_lock gs_spark_install_locked "$version" || exit 1
  fi
  echo "$home"
}

# The Spark major version of a Spark home ("3"), checked against what gradsweep builds.
gs_spark_major_of() { # spark_home
  local v
  v=$(gs_spark_version_of "$1") || gs_die "$1 has no jars/spark-core_*.jar"
  echo "${v%%.*}"
}
