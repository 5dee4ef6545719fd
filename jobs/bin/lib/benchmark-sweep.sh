# jobs/bin/benchmark --sweep (sourced by jobs/bin/benchmark after its argument checks; see its --help). Bash.
#
# Reads: ROOT RUNS TRIALS STEPS TINY TRACKING TRACKING_URI LAUNCHER JAVA_OPTS STANDALONE.

bench_log() { echo "[benchmark] $*" >&2; }

# A sweep spec of equal trials: seeds FIRST..LAST, NAME, T, hidden, steps; a solve threshold no trial reaches.
write_spec() {
  local file=$1 name=$2 first=$3 last=$4 seq_len=$5 hidden=$6 steps=$7 seeds
  seeds=$(seq -s ', ' "$first" "$last")
  cat > "$file" <<SPEC
# written by jobs/bin/benchmark --sweep
name: $name
experiment: gradsweep-benchmark
task:
  name: adding
training:
  batch_size: 32
  max_steps: $steps
  solve_threshold: 0.000000001   # no trial stops early: every trial runs all its steps
search:
  max_trials: 1000000
grid:
  cell: [lstm]
  seq_len: [$seq_len]
  hidden: [$hidden]
  optimizer: [adam]
  lr: [0.001]
  seeds: [$seeds]
SPEC
}

# One sweep: sweep_run TAG SPEC PARALLELISM [MASTER] (with MASTER: gradsweep submit to it); its timings go to $OUT/TAG.json, its output to $OUT/TAG.out/.err,
# the process's start and end (epoch seconds) to $OUT/TAG.proc.
sweep_run() {
  local tag=$1 spec=$2 par=$3 master=${4:-} start status cmd
  cmd=(run)
  [ -z "$master" ] || cmd=(submit --master "$master")
  start=$(date +%s.%N)
  status=0
  GRADSWEEP_NO_BUILD=1 GRADSWEEP_JAVA_OPTS="$JAVA_OPTS" \
    "$LAUNCHER" "${cmd[@]}" "$spec" "${TRACK[@]}" --parallelism "$par" --conf "spark.gradsweep.timings.file=$OUT/$tag.json" \
    --conf spark.gradsweep.progress.seconds=0 > "$OUT/$tag.out" 2> "$OUT/$tag.err" || status=$?
  echo "$start $(date +%s.%N) $status" > "$OUT/$tag.proc"
  if [ "$status" != 0 ]; then
    tail -n 20 "$OUT/$tag.err" >&2
    bench_log "the sweep $tag exited with status $status (log: $OUT/$tag.err)"
    exit 1
  fi
}

sweep_benchmark() {
  OUT="$ROOT/.gradsweep/benchmark/sweep-$(date +%Y%m%d-%H%M%S)"
  mkdir -p "$OUT"
  local half=$((TRIALS / 2))
  write_spec "$OUT/equal.yaml" benchmark-equal 1 "$TRIALS" 40 32 "$STEPS"
  write_spec "$OUT/half-a.yaml" benchmark-half-a 1 "$half" 40 32 "$STEPS"
  write_spec "$OUT/half-b.yaml" benchmark-half-b $((half + 1)) "$TRIALS" 40 32 "$STEPS"
  [ "$TINY" = 0 ] || write_spec "$OUT/tiny.yaml" benchmark-tiny 1 "$TINY" 10 8 20
  {
    echo "nproc: $(nproc)"
    grep -m1 'model name' /proc/cpuinfo || true
    java -version 2>&1 | head -1
    echo "launcher: $LAUNCHER"
    echo "trials: $TRIALS, steps: $STEPS, tiny: $TINY, runs: $RUNS, java opts: ${JAVA_OPTS:-none}"
  } > "$OUT/machine.txt"

  TRACK=(--tracking-backend none)
  if [ -n "$TRACKING_URI" ]; then
    TRACK=(--tracking-uri "$TRACKING_URI")
  elif [ "$TRACKING" = 1 ]; then
    local url
    url=$("$ROOT/jobs/bin/mlflow-local" start | tail -n 1)
    [ -n "$url" ] || { bench_log "jobs/bin/mlflow-local start printed no URL"; exit 1; }
    TRACK=(--tracking-uri "$url")
  fi
  echo "tracking: ${TRACK[*]}" >> "$OUT/machine.txt"

  bench_log "checking the specs (and building the uber jar if the sources changed): $LAUNCHER plan"
  "$LAUNCHER" plan "$OUT/equal.yaml" > /dev/null
  [ "$TINY" = 0 ] || "$LAUNCHER" plan "$OUT/tiny.yaml" > /dev/null

  local r ways way n master=""
  ways=(p1 p2 2x1)
  if [ "$STANDALONE" = 1 ]; then
    ways+=(sa)
    export GRADSWEEP_CLUSTER_DIR="$OUT/cluster"
    bench_log "starting a standalone cluster of 2 workers x 1 core (jobs/bin/spark-cluster, $GRADSWEEP_CLUSTER_DIR)"
    master=$("$ROOT/jobs/bin/spark-cluster" start --workers 2 --cores 1 --memory 2g | tail -n 1)
    trap '"$ROOT/jobs/bin/spark-cluster" stop >/dev/null 2>&1 || true' EXIT
    echo "standalone: $master (2 workers x 1 core)" >> "$OUT/machine.txt"
  fi
  n=${#ways[@]}
  for r in $(seq 1 "$RUNS"); do
    # rotate the order of the ways, so that a drift of the machine's load does not always hit the same one
    ways=(p1 p2 2x1)
    [ "$STANDALONE" = 0 ] || ways+=(sa)
    ways=("${ways[@]:$(((r - 1) % n))}" "${ways[@]:0:$(((r - 1) % n))}")
    for way in "${ways[@]}"; do
      bench_log "run $r/$RUNS: $way ($TRIALS trials x $STEPS steps)"
      case "$way" in
        p1) sweep_run "run$r-p1" "$OUT/equal.yaml" 1 ;;
        p2) sweep_run "run$r-p2" "$OUT/equal.yaml" 2 ;;
        sa) sweep_run "run$r-sa" "$OUT/equal.yaml" 2 "$master" ;;
        2x1)
          local pa pb sa=0 sb=0
          sweep_run "run$r-2x1-a" "$OUT/half-a.yaml" 1 &
          pa=$!
          sweep_run "run$r-2x1-b" "$OUT/half-b.yaml" 1 &
          pb=$!
          wait "$pa" || sa=$?
          wait "$pb" || sb=$?
          [ "$sa" = 0 ] && [ "$sb" = 0 ] || exit 1 ;;
      esac
      echo "load after run $r $way: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"
    done
    if [ "$TINY" != 0 ]; then
      bench_log "run $r/$RUNS: tiny ($TINY trials x 20 steps, --parallelism 2)"
      sweep_run "run$r-tiny" "$OUT/tiny.yaml" 2
      echo "load after run $r tiny: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"
    fi
  done

  cat "$OUT/machine.txt"
  python3 "$ROOT/jobs/bin/lib/benchmark-sweep-table.py" "$OUT" "$RUNS" | tee "$OUT/table.md"
  bench_log "raw outputs in $OUT"
}
