"""The table of jobs/bin/benchmark --sweep: reads the timings files (--conf spark.gradsweep.timings.file) of every run in OUT.

Usage: benchmark-sweep-table.py OUT RUNS
"""
import json
import os
import statistics
import sys

out, runs = sys.argv[1], int(sys.argv[2])


def load(tag):
    path = os.path.join(out, tag + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def proc_seconds(*tags):
    """Wall time of the processes (first start to last end), JVM and Spark start included."""
    spans = []
    for tag in tags:
        with open(os.path.join(out, tag + ".proc")) as f:
            start, end, _ = f.read().split()
            spans.append((float(start), float(end)))
    return max(e for _, e in spans) - min(s for s, _ in spans)


def way(r, name):
    """The figures of one way in run r: sweep wall time (first trial handed out to last result), trials, process
    wall time, mean training-loop seconds per trial, mean attempt seconds per trial."""
    tags = [f"run{r}-2x1-a", f"run{r}-2x1-b"] if name == "2x1" else [f"run{r}-{name}"]
    docs = [load(t) for t in tags]
    if any(d is None for d in docs):
        return None
    start = min(d["start_epoch_ms"] for d in docs)
    end = max(d["end_epoch_ms"] for d in docs)
    wall = docs[0]["wall_seconds"] if len(docs) == 1 else (end - start) / 1000.0
    trials = sum(d["trials"] for d in docs)
    per = [t for d in docs for t in d["per_trial"] if t]
    def mean(key):
        v = [t[key] for t in per if t.get(key) is not None]
        return statistics.mean(v) if v else float("nan")
    # submit: the trials run in the executors, so the driver's CPU time says nothing about them
    cpu = [None] if name == "sa" else [d.get("process_cpu_seconds") for d in docs]
    return {"wall": wall, "trials": trials, "proc": proc_seconds(*tags), "training": mean("training"),
            "training_cpu": mean("training_cpu"), "attempt": mean("attempt"),
            "cpu_per_trial": sum(cpu) / trials if None not in cpu else float("nan"), "docs": docs}


def med(v, digits=1):
    v = [x for x in v if x == x]
    if not v:
        return "n/a"
    f = f"{{:.{digits}f}}"
    return f"{f.format(statistics.median(v))} ({f.format(min(v))}-{f.format(max(v))})"


names = {"p1": "1 process, --parallelism 1", "p2": "1 process, --parallelism 2 (local[2])",
         "2x1": "2 processes side by side, --parallelism 1 each"}
if any(os.path.exists(os.path.join(out, f"run{r}-sa.json")) for r in range(1, runs + 1)):
    names["sa"] = "standalone cluster, 2 workers x 1 core (submit)"
data = {n: [way(r, n) for r in range(1, runs + 1)] for n in names}
complete = [r for r in range(runs) if all(data[n][r] for n in names)]

print(f"\nEqual trials; {len(complete)} runs; median (min-max over runs)\n")
print("| way | sweep wall s | trials/min | process wall s | training loop s per trial | its CPU s | "
      "JVM CPU s per trial |")
print("|---|---|---|---|---|---|---|")
for n, label in names.items():
    ws = [data[n][r] for r in complete]
    print(f"| {label} | {med([w['wall'] for w in ws])} | "
          f"{med([w['trials'] * 60 / w['wall'] for w in ws], 2)} | {med([w['proc'] for w in ws])} | "
          f"{med([w['training'] for w in ws], 2)} | {med([w['training_cpu'] for w in ws], 2)} | "
          f"{med([w['cpu_per_trial'] for w in ws], 2)} |")
print("\n(training loop: wall time of a trial's loop, measured in its task; its CPU: the CPU time of the task's "
      "thread meanwhile; JVM CPU: all threads of the driver JVM(s) while the trials ran, GC and JIT included, "
      "over the trials)")

print("\nRatios within each run, then median (min-max) over runs\n")
print("| ratio | value |")
print("|---|---|")
p1 = [data["p1"][r]["wall"] for r in complete]
p2 = [data["p2"][r]["wall"] for r in complete]
two = [data["2x1"][r]["wall"] for r in complete]
print(f"| speed-up of local[2] over one at a time (p1 / p2) | {med([a / b for a, b in zip(p1, p2)], 2)} |")
print(f"| speed-up of two processes over one at a time (p1 / 2x1) | {med([a / b for a, b in zip(p1, two)], 2)} |")
print(f"| local[2] against two processes (2x1 / p2; 1.00 = as fast) | {med([a / b for a, b in zip(two, p2)], 2)} |")
if "sa" in names:
    sa = [data["sa"][r]["wall"] for r in complete]
    print(f"| standalone cluster against two processes (2x1 / sa; 1.00 = as fast) | "
          f"{med([a / b for a, b in zip(two, sa)], 2)} |")
tl = {n: [data[n][r]["training"] for r in complete] for n in names}
print(f"| training loop per trial, p2 / p1 (slowdown of a trial sharing the JVM) | "
      f"{med([a / b for a, b in zip(tl['p2'], tl['p1'])], 2)} |")
print(f"| training loop per trial, 2x1 / p1 (slowdown of a trial sharing the machine) | "
      f"{med([a / b for a, b in zip(tl['2x1'], tl['p1'])], 2)} |")

tiny = [load(f"run{r}-tiny") for r in range(1, runs + 1)]
tiny = [t for t in tiny if t]
if tiny:
    n = tiny[0]["trials"]
    print(f"\nTiny trials ({n} trials, T 10, hidden 8, 20 steps, --parallelism 2); {len(tiny)} runs; "
          "median (min-max over runs)\n")
    print("| figure | value |")
    print("|---|---|")
    print(f"| sweep wall s | {med([t['wall_seconds'] for t in tiny])} |")
    print(f"| trials/min | {med([t['trials_per_minute'] for t in tiny], 0)} |")
    ms = lambda v: [x * 1000 for x in v if x is not None]  # noqa: E731
    print(f"| slot time per trial, ms (wall x 2 / trials) | {med(ms([t['slot_seconds_per_trial'] for t in tiny]))} |")
    print(f"| outside the task, ms (dispatch, idle slots) | {med(ms([t['outside_seconds_per_trial'] for t in tiny]))} |")
    print(f"| in the task, ms | {med(ms([t['mean']['attempt'] for t in tiny]))} |")
    print(f"| JVM CPU per trial, ms (all threads) | "
          f"{med(ms([t['process_cpu_seconds'] / t['trials'] for t in tiny if t.get('process_cpu_seconds')]))} |")
    for key, label in (("run_start", "run start"), ("setup", "setup"), ("training", "training loop"),
                       ("stats", "of which stats"), ("logging", "of which logging"), ("profile", "of which profile"),
                       ("artifacts", "artifacts (final metrics, CSV, pictures)"), ("run_end", "run end")):
        print(f"| - {label}, ms | {med(ms([t['mean'][key] for t in tiny]))} |")
