"""Runs one sweep command under watch for jobs/bin/scale-test and checks what landed in MLflow.

While the sweep runs: reads its progress lines ("trials X/N done") from stderr, samples every --sample-seconds the
resident memory of the sweep's process tree and the latency of one MLflow search request, and at given fractions of
the trials done runs the chaos commands (--kill-at: SIGKILL of one executor JVM found by --executor-pattern;
--restart-at: the MLflow restart command). After it: counts the parent's child runs by trial id and status (paging
through the search API), and writes everything to --out as JSON. Exit status 0 when the sweep exited 0 and every
planned trial has exactly one FINISHED run, 1 otherwise (reasons on stderr), 2 on bad arguments.

Hand-written because it is glue between this project's own commands: the MLflow reading uses MlflowClient.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

PROGRESS = re.compile(r"trials (\d+)/(\d+) done")
PARENT = re.compile(r"^parent run:\s+\S*/runs/([0-9a-f]+)")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tracking-uri", required=True)
    ap.add_argument("--experiment", required=True)
    ap.add_argument("--trials", type=int, required=True, help="planned trials")
    ap.add_argument("--out", required=True, help="JSON file to write")
    ap.add_argument("--log", required=True, help="file receiving the sweep's stdout and stderr")
    ap.add_argument("--kill-at", type=float, default=None, help="fraction of trials done at which to kill an executor")
    ap.add_argument("--executor-pattern", default="CoarseGrainedExecutorBackend",
                    help="pgrep -f pattern of the executor JVMs")
    ap.add_argument("--executor-cwd-under", default=None,
                    help="only executors whose working directory is under this directory (the cluster's)")
    ap.add_argument("--restart-at", type=float, default=None, help="fraction of trials done at which to restart MLflow")
    ap.add_argument("--restart-cmd", default=None, help="shell command that restarts the MLflow server")
    ap.add_argument("--sample-seconds", type=float, default=10.0)
    ap.add_argument("command", nargs=argparse.REMAINDER, help="-- the sweep command")
    a = ap.parse_args()
    if a.command and a.command[0] == "--":
        a.command = a.command[1:]
    if not a.command:
        ap.error("give the sweep command after --")
    for name in ("kill_at", "restart_at"):
        v = getattr(a, name)
        if v is not None and not 0 < v < 1:
            ap.error(f"--{name.replace('_', '-')} {v}: expected a fraction 0 < x < 1")
    if a.restart_at is not None and not a.restart_cmd:
        ap.error("--restart-at needs --restart-cmd")
    return a


def tree_rss_mb(pid):
    """Resident memory (MB) of a process and all its descendants, from /proc."""
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(d))
            except OSError:
                pass
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def search_latency(uri, experiment_id):
    """Seconds one runs/search request of a page of 100 runs takes, or None when it fails."""
    if experiment_id is None:
        return None
    body = json.dumps({"experiment_ids": [experiment_id], "max_results": 100}).encode()
    req = urllib.request.Request(uri.rstrip("/") + "/api/2.0/mlflow/runs/search", data=body,
                                 headers={"Content-Type": "application/json"})
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            r.read()
    except OSError:
        return None
    return time.monotonic() - t0


def experiment_id(uri, name):
    url = uri.rstrip("/") + "/api/2.0/mlflow/experiments/get-by-name?experiment_name=" + urllib.parse.quote(name)
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.load(r)["experiment"]["experiment_id"]
    except (OSError, KeyError, ValueError):
        return None


class Watch:
    def __init__(self, a):
        self.a = a
        self.t0 = time.monotonic()
        self.done = 0
        self.progress = []        # [seconds, trials done]
        self.samples = []         # {t, rss_mb, search_s, done}
        self.events = []          # {t, done, what}
        self.parent = None
        self.lock = threading.Lock()

    def now(self):
        return round(time.monotonic() - self.t0, 2)

    def event(self, what):
        with self.lock:
            self.events.append({"t": self.now(), "done": self.done, "what": what})
        print(f"[scale-test] {what} at {self.done}/{self.a.trials} trials", file=sys.stderr, flush=True)

    def read(self, stream, log):
        for raw in stream:
            line = raw.decode("utf-8", "replace")
            log.write(line)
            log.flush()
            m = PROGRESS.search(line)
            if m:
                with self.lock:
                    self.done = int(m.group(1))
                    self.progress.append([self.now(), self.done])
            p = PARENT.search(line)
            if p:
                self.parent = p.group(1)


def kill_one_executor(pattern, cwd_under):
    r = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True)
    pids = [int(p) for p in r.stdout.split()]
    if cwd_under:
        root = os.path.realpath(cwd_under)
        def under(pid):
            try:
                return os.path.realpath(f"/proc/{pid}/cwd").startswith(root + os.sep)
            except OSError:
                return False
        pids = [p for p in pids if under(p)]
    if not pids:
        return None
    victim = max(pids)
    os.kill(victim, signal.SIGKILL)
    return victim


def count_children(uri, experiment, parent):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name(experiment)
    runs, token = [], None
    while True:
        page = client.search_runs([exp.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent}'",
                                  max_results=5000, page_token=token)
        runs.extend(page)
        token = page.token
        if not token:
            break
    by_trial = {}
    for r in runs:
        by_trial.setdefault(r.data.tags.get("gradsweep.trial_id"), []).append(r.info.status)
    finished = {t: s.count("FINISHED") for t, s in by_trial.items()}
    statuses = {}
    for r in runs:
        statuses[r.info.status] = statuses.get(r.info.status, 0) + 1
    return {
        "child_runs": len(runs),
        "trials_with_runs": len(by_trial),
        "trials_with_one_finished": sum(1 for n in finished.values() if n == 1),
        "trials_with_duplicate_finished": sum(1 for n in finished.values() if n > 1),
        "superseded": sum(1 for r in runs if r.data.tags.get("gradsweep.superseded") == "true"),
        "run_status": statuses,
        "experiment_id": exp.experiment_id,
    }


def main():
    a = parse_args()
    w = Watch(a)
    with open(a.log, "w") as log:
        proc = subprocess.Popen(a.command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        reader = threading.Thread(target=w.read, args=(proc.stdout, log), daemon=True)
        reader.start()
        killed = restarted = False
        next_sample = 0.0
        exp_id = None
        while proc.poll() is None:
            time.sleep(0.5)
            frac = w.done / a.trials
            if a.kill_at is not None and not killed and frac >= a.kill_at:
                victim = kill_one_executor(a.executor_pattern, a.executor_cwd_under)
                if victim is not None:
                    killed = True
                    w.event(f"SIGKILL executor pid {victim}")
            if a.restart_at is not None and not restarted and frac >= a.restart_at:
                restarted = True
                t = time.monotonic()
                r = subprocess.run(a.restart_cmd, shell=True, capture_output=True, text=True)
                w.event(f"MLflow restarted (exit {r.returncode}, {time.monotonic() - t:.1f} s)")
            if w.now() >= next_sample:
                next_sample = w.now() + a.sample_seconds
                exp_id = exp_id or experiment_id(a.tracking_uri, a.experiment)
                w.samples.append({"t": w.now(), "done": w.done, "rss_mb": round(tree_rss_mb(proc.pid), 1),
                                  "search_s": search_latency(a.tracking_uri, exp_id)})
        reader.join(timeout=30)
    wall = w.now()
    result = {"exit_status": proc.returncode, "wall_seconds": wall, "trials": a.trials, "parent_run_id": w.parent,
              "progress": w.progress, "samples": w.samples, "events": w.events,
              "kill_requested": a.kill_at is not None, "restart_requested": a.restart_at is not None}
    problems = []
    if proc.returncode != 0:
        problems.append(f"the sweep exited {proc.returncode}; log: {a.log}")
    if a.kill_at is not None and not killed:
        problems.append("no executor was killed (none found, or the sweep ended first)")
    if a.restart_at is not None and not restarted:
        problems.append("MLflow was not restarted (the sweep ended first)")
    if w.parent is None:
        problems.append(f"no 'parent run:' line in the sweep's output; log: {a.log}")
    else:
        c = count_children(a.tracking_uri, a.experiment, w.parent)
        result.update(c)
        if c["trials_with_one_finished"] != a.trials:
            problems.append(f"{c['trials_with_one_finished']} of {a.trials} trials have exactly one FINISHED run")
        if c["trials_with_duplicate_finished"]:
            problems.append(f"{c['trials_with_duplicate_finished']} trials have more than one FINISHED run")
        if c["run_status"].get("RUNNING"):
            problems.append(f"{c['run_status']['RUNNING']} runs were left RUNNING")
    result["problems"] = problems
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
    for p in problems:
        print("scale-test: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
