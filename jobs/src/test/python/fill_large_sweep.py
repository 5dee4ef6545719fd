"""Fills an MLflow server with a synthetic gradsweep sweep of any size, for scale checks of the notebooks.

The sweep looks like one the driver writes (names from notebooks/gradsweep_names.json): a parent run tagged
gradsweep.sweep and one child run per trial with the trial's params, gradsweep.status and gradsweep.trial_id tags,
the final/* metrics, short histories of eval/loss, eval/baseline_loss, train/loss, grad/global_norm (and _max) and the top
layer's decay rate, and a gradient_profile.csv artifact. Axes: network (rnn/tanh, rnn/relu, lstm, gru) x seq_len
(10..200) x clip (none, global_norm:1) x lr (5 levels) x seeds; outcomes depend on them (vanilla RNNs fail at long
T, high learning rates without clipping diverge, about 1% FAILED). Deterministic for a given --trials.

    python fill_large_sweep.py --url http://127.0.0.1:5000 --trials 2000 [--sweep large] [--experiment exp]

Prints the parent run id and the seconds it took.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import random
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

NAMES = json.loads((Path(__file__).resolve().parents[4] / "notebooks" / "gradsweep_names.json").read_text())
M, T, A = NAMES["metrics"], NAMES["tags"], NAMES["artifacts"]
NETWORKS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "-"), ("gru", "-")]
SEQ_LENS = [10, 25, 50, 100, 200]
CLIPS = ["none", "global_norm:1"]
LRS = [0.1, 0.03, 0.01, 0.003, 0.001]
PER_SEED = len(NETWORKS) * len(SEQ_LENS) * len(CLIPS) * len(LRS)
MAX_STEPS, EVAL_EVERY, LOG_EVERY = 2000, 50, 20


def plan(n: int) -> list[dict]:
    trials = []
    for i in range(n):
        k, seed = i % PER_SEED, i // PER_SEED + 1
        cell, act = NETWORKS[k % 4]
        k //= 4
        t = SEQ_LENS[k % 5]
        k //= 5
        clip = CLIPS[k % 2]
        lr = LRS[(k // 2) % 5]
        trials.append({"task": "adding", "seq_len": t, "cell": cell, "activation": act, "clip": clip,
                       "tbptt": "none", "optimizer": "adam", "lr": lr, "hidden": 32, "layers": 1,
                       "init": "default", "seed": seed, "batch_size": 32, "max_steps": MAX_STEPS,
                       "eval_every": EVAL_EVERY, "eval_size": 500, "eval_seed": 7, "solve_threshold": 0.01,
                       "profile_every": EVAL_EVERY})
    return trials


def rate(p: dict) -> float:
    return {"lstm": 0.985, "gru": 0.975}.get(p["cell"], 0.96 if p["activation"] == "relu" else 0.9)


def outcome(p: dict, rnd: random.Random) -> dict:
    if rnd.random() < 0.01:
        return {"status": "FAILED"}
    r = rate(p)
    p_div = (0.25 if p["clip"] == "none" else 0.02) * (1 if p["lr"] >= 0.03 else 0.1) * (
        2 if p["activation"] == "relu" else 1)
    p_solve = r ** (p["seq_len"] / 4) * (1 if p["lr"] <= 0.01 else 0.6)
    u = rnd.random()
    if u < p_div:
        return {"status": "DIVERGED", "at": 1 + rnd.randrange(300), "rate": r}
    solved = u < p_solve
    return {"status": "SOLVED" if solved else "NOT_SOLVED", "rate": r * (0.97 + 0.06 * rnd.random()),
            "to_solve": 50 * (1 + rnd.randrange(max(1, p["seq_len"] // 5))) if solved else None,
            "loss": 0.002 + 0.007 * rnd.random() if solved else 0.05 + 0.12 * rnd.random()}


def profile_csv(p: dict, o: dict, steps: list[int], rnd: random.Random) -> str:
    t_len = p["seq_len"]
    out = io.StringIO()
    out.write("train_step,series," + ",".join(f"t{t}" for t in range(t_len)) + "\n")
    for j, s in enumerate(steps):
        r = (o["rate"] - 0.05) + 0.05 * j / max(1, len(steps) - 1)
        vals = [0.05 * r ** (t_len - 1 - t) * (0.8 + 0.4 * rnd.random()) for t in range(t_len)]
        if o["status"] == "DIVERGED" and j == len(steps) - 1:
            vals = [math.inf if t % 3 == 0 else v for t, v in enumerate(vals)]
        out.write(f"{s},layer0/dh," + ",".join(repr(v) for v in vals) + "\n")
    return out.getvalue()


def log_trial(client: MlflowClient, exp_id: str, parent_id: str, i: int, p: dict) -> None:
    rnd = random.Random(31 * i + 17)
    o = outcome(p, rnd)
    trial_id = hashlib.sha256(json.dumps(p, sort_keys=True).encode()).hexdigest()[:16]
    act = "" if p["activation"] == "-" else "-" + p["activation"]
    clip = "" if p["clip"] == "none" else f" clip={p['clip']}"
    name = f"{p['cell']}{act} T{p['seq_len']} h32 adam {p['lr']:g}{clip} s{p['seed']}"
    run = client.create_run(exp_id, run_name=name, tags={T["PARENT_RUN_ID"]: parent_id, T["TRIAL_ID"]: trial_id})
    rid = run.info.run_id
    now = int(time.time() * 1000)
    metrics: list[Metric] = []
    params = [Param(k, str(v)) for k, v in p.items()]
    tags = [RunTag(T["STATUS"], o["status"])]
    if o["status"] != "FAILED":
        end = o["at"] if o["status"] == "DIVERGED" else (o["to_solve"] or MAX_STEPS)
        steps = [1] + list(range(EVAL_EVERY, end + 1, EVAL_EVERY))
        base = 1 / 6 * (0.95 + 0.1 * rnd.random())
        for s in steps:
            f = s / max(1, end)
            final = o.get("loss", base)
            metrics.append(Metric(M["EVAL_LOSS"], base * (final / base) ** f, now, s))
            metrics.append(Metric(M["EVAL_BASELINE_LOSS"], base, now, s))
            metrics.append(Metric("profile/layer0/dh_decay_rate", o["rate"] - 0.05 * (1 - f), now, s))
        for s in range(1, end + 1, LOG_EVERY):
            f = s / max(1, end)
            metrics.append(Metric(M["TRAIN_LOSS"], base * (o.get("loss", base) / base) ** f
                                  * (0.8 + 0.4 * rnd.random()), now, s))
            norm = 1e6 * f ** 8 if o["status"] == "DIVERGED" else 0.5 + 5 * rnd.random()
            metrics.append(Metric(M["GRAD_GLOBAL_NORM"], norm, now, s))
            metrics.append(Metric(M["GRAD_GLOBAL_NORM_MAX"], 1.5 * norm, now, s))
        finals = {"STEPS": end, "BASELINE_LOSS": base, "MAX_GRAD_NORM": 1e6 if o["status"] == "DIVERGED" else 6.0,
                  "CLIP_RATE": 0.0 if p["clip"] == "none" else 0.2, "WALL_SECONDS": 5 + p["seq_len"] * 0.2,
                  "STEPS_TO_SOLVE": o.get("to_solve") or -1, "DIVERGED_AT_STEP": o.get("at", -1)}
        if o["status"] != "DIVERGED":
            finals |= {"EVAL_LOSS": o["loss"], "EVAL_LOSS_OVER_BASELINE": o["loss"] / base,
                       "DECAY_RATE": o["rate"], "HORIZON": p["seq_len"]}
        metrics += [Metric(M["FINAL_" + k], float(v), now, 0) for k, v in finals.items()]
        client.log_text(rid, profile_csv(p, o, steps, rnd), A["GRADIENT_PROFILE_CSV"])
    else:
        tags.append(RunTag(T["ERROR"], "synthetic failure"))
    for k in range(0, len(metrics), 1000):  # log_batch takes at most 1000 metrics
        client.log_batch(rid, metrics=metrics[k:k + 1000], params=params if k == 0 else [],
                         tags=tags if k == 0 else [])
    if not metrics:
        client.log_batch(rid, params=params, tags=tags)
    client.set_terminated(rid, "FAILED" if o["status"] == "FAILED" else "FINISHED")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--trials", type=int, default=2000)
    ap.add_argument("--sweep", default="large")
    ap.add_argument("--experiment", default="gradsweep-scale")
    ap.add_argument("--workers", type=int, default=8)
    a = ap.parse_args()
    t0 = time.time()
    client = MlflowClient(a.url)
    exp = client.get_experiment_by_name(a.experiment)
    exp_id = exp.experiment_id if exp else client.create_experiment(a.experiment)
    parent = client.create_run(exp_id, run_name=a.sweep, tags={T["SWEEP"]: a.sweep, T["TRIALS"]: str(a.trials)})
    trials = plan(a.trials)
    with ThreadPoolExecutor(a.workers) as pool:
        list(pool.map(lambda ip: log_trial(client, exp_id, parent.info.run_id, *ip), enumerate(trials)))
    client.set_terminated(parent.info.run_id)
    print(json.dumps({"parent_run_id": parent.info.run_id, "trials": a.trials, "seconds": round(time.time() - t0, 1)}))


if __name__ == "__main__":
    main()
