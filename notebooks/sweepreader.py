"""Reads a gradsweep sweep back from an MLflow tracking server, for the notebooks next to this file.

A sweep is one parent run (tag ``gradsweep.sweep`` = the sweep name, no ``mlflow.parentRunId``) with one child run
per trial. Typical use::

    import sweepreader as sr
    sr.connect()                              # $MLFLOW_TRACKING_URI, else the server jobs/bin/mlflow-local runs
    parent = sr.find_sweep("quickstart")      # the latest sweep of that name ("" = the latest sweep of any name)
    trials = sr.load_trials(parent)           # one row per trial: params, status, final/* metrics
    curves = sr.histories(trials, [sr.EVAL_LOSS])

Everything returns pandas objects and copes with what a sweep may lack: trials that diverged (no eval loss),
trials still running (no final metrics), cells without an activation (``-``), a sweep with no trial yet.

Large sweeps: the trials table comes from one paged search (:func:`load_trials`, up to :data:`MAX_RUNS` runs).
Metric histories and gradient profiles need one request per trial and key (MLflow's Python client has no bulk
history call), so :func:`histories` and :func:`gradient_profiles` send them from :data:`WORKERS` threads and, for
more than :data:`MAX_FETCH` trials, fetch a :func:`representative` sample and print a note saying so
(``max_trials=None`` fetches all).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

# No progress bars (nor tqdm's warning that it cannot draw them) in notebook output.
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
warnings.filterwarnings("ignore", message="IProgress not found")

import mlflow  # noqa: E402  (after the environment above)
from mlflow.tracking import MlflowClient  # noqa: E402

#: The checkout's local server: ``jobs/bin/mlflow-local url`` prints its URL while it runs (it starts on a free port).
MLFLOW_LOCAL = Path(__file__).resolve().parent.parent / "jobs" / "bin" / "mlflow-local"
#: Most child runs :func:`load_trials` reads (mlflow.search_runs pages through them, 10,000 a request); a sweep
#: with more gets a warning.
MAX_RUNS = 100_000
#: Most trials whose histories or profiles are fetched unless asked for more: beyond, a representative sample.
MAX_FETCH = 200
#: Requests to the server in flight at once when fetching histories and profiles.
WORKERS = 4
#: Figures that draw a marker per trial draw the median and 10-90% range per group instead above this many trials.
MAX_MARKERS = 200

#: The metric keys, prefixes, tag keys and artifact names gradsweep writes, as the Java code spells them
#: (io.gradsweep.tracking.Names): gradsweep_names.json next to this file is generated from those constants, and a
#: unit test (NamesJsonTest) fails when it is out of date.
NAMES_FILE = Path(__file__).resolve().with_name("gradsweep_names.json")
_NAMES = json.loads(NAMES_FILE.read_text(encoding="utf-8"))
METRICS: dict = _NAMES["metrics"]
PREFIXES: dict = _NAMES["prefixes"]
TAGS: dict = _NAMES["tags"]
ARTIFACTS: dict = _NAMES["artifacts"]

SWEEP_TAG = TAGS["SWEEP"]
STATUS_TAG = TAGS["STATUS"]
SUPERSEDED_TAG = TAGS["SUPERSEDED"]
PARENT_TAG = TAGS["PARENT_RUN_ID"]
RUN_NAME_TAG = TAGS["RUN_NAME"]
TRIAL_ID_TAG = TAGS["TRIAL_ID"]
SOLVE_METRIC_TAG = TAGS["SOLVE_METRIC"]
TRIALS_TAG = TAGS["TRIALS"]

FINAL_PREFIX = PREFIXES["FINAL"]
PROFILE_PREFIX = PREFIXES["PROFILE"]
TRAIN_LOSS = METRICS["TRAIN_LOSS"]
EVAL_LOSS = METRICS["EVAL_LOSS"]
EVAL_BASELINE_LOSS = METRICS["EVAL_BASELINE_LOSS"]
GRAD_GLOBAL_NORM = METRICS["GRAD_GLOBAL_NORM"]
#: the window maximum of the global gradient norm (step series are logged per window: mean, and max for norms)
GRAD_GLOBAL_NORM_MAX = METRICS["GRAD_GLOBAL_NORM_MAX"]
GRADIENT_PROFILE_CSV = ARTIFACTS["GRADIENT_PROFILE_CSV"]


def _final(name: str) -> str:
    """A final/* metric's name without its prefix, e.g. ``eval_loss`` for FINAL_EVAL_LOSS."""
    return METRICS["FINAL_" + name].removeprefix(FINAL_PREFIX)


#: Trial params converted to numbers (the rest stay strings: cell, activation, clip, tbptt, optimizer, init, task).
NUMERIC_PARAMS = ("seq_len", "lr", "hidden", "layers", "seed", "batch_size", "max_steps", "eval_every",
                  "eval_size", "eval_seed", "solve_threshold", "profile_every")
#: final/* metrics where -1 means "did not happen" (not solved, not diverged, not stopped early, no horizon).
MINUS_ONE_IS_NONE = tuple(_final(n) for n in ("STEPS_TO_SOLVE", "DIVERGED_AT_STEP", "STOPPED_AT_STEP", "HORIZON"))

#: Column order of the trials table: params first (those present), then the final/* metrics.
PARAM_ORDER = ("task", "seq_len", "cell", "activation", "layers", "hidden", "init", "clip", "tbptt", "optimizer", "lr",
               "batch_size", "seed", "max_steps", "eval_every", "profile_every", "solve_threshold", "eval_size",
               "eval_seed", "stop")
FINAL_ORDER = tuple(_final(n) for n in ("EVAL_LOSS", "BASELINE_LOSS", "EVAL_LOSS_OVER_BASELINE", "SOLVE_METRIC",
                                         "BASELINE_SOLVE_METRIC", "STEPS_TO_SOLVE",
                                         "DIVERGED_AT_STEP", "STOPPED_AT_STEP", "STEPS", "MAX_GRAD_NORM", "CLIP_RATE", "DECAY_RATE",
                                         "HORIZON", "WALL_SECONDS"))

#: Status colours shared by the notebooks.
STATUS_COLORS = {"SOLVED": "tab:green", "NOT_SOLVED": "tab:orange", "DIVERGED": "tab:red", "VANISHED": "tab:purple",
                 "PLATEAU": "tab:brown", "FAILED": "tab:gray", "RUNNING": "tab:blue", "STOPPED_BY_SCHEDULER": "tab:pink"}
#: The statuses of trials an early-stopping rule ended (training.stop): a result, stopped before max_steps.
EARLY_STOPPED = ("VANISHED", "PLATEAU")

_client: MlflowClient | None = None


def local_server_uri() -> str | None:
    """The URL of the server ``jobs/bin/mlflow-local`` runs for this checkout (``mlflow-local url``, which honours
    ``$GRADSWEEP_MLFLOW_STATE_DIR``); None when none runs."""
    if not MLFLOW_LOCAL.is_file():
        return None
    try:
        r = subprocess.run([str(MLFLOW_LOCAL), "url"], capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    url = r.stdout.strip()
    return url if r.returncode == 0 and url else None


def resolve_tracking_uri(tracking_uri: str | None = None) -> tuple[str, str]:
    """The MLflow server to read and where that came from, in this order: ``tracking_uri`` when given (a notebook's
    parameter, e.g. papermill ``-p tracking_uri URL``), ``$MLFLOW_TRACKING_URI``, the server ``jobs/bin/mlflow-local``
    runs. Raises ConnectionError saying how to name one when there is none."""
    if tracking_uri and tracking_uri.strip():
        return tracking_uri.strip(), "tracking_uri"
    env = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    if env:
        return env, "$MLFLOW_TRACKING_URI"
    local = local_server_uri()
    if local:
        return local, "jobs/bin/mlflow-local url"
    raise ConnectionError("no MLflow server to read: none given as tracking_uri (papermill: -p tracking_uri URL), "
                          "MLFLOW_TRACKING_URI is not set, and jobs/bin/mlflow-local runs no server for this "
                          "checkout (start it with `jobs/bin/mlflow-local start`, the server your sweeps logged to)")


def default_tracking_uri() -> str:
    """:func:`resolve_tracking_uri` without a given URI: ``$MLFLOW_TRACKING_URI``, else the local server's URL."""
    return resolve_tracking_uri(None)[0]


def connect(tracking_uri: str | None = None) -> MlflowClient:
    """Points the mlflow client at the server (:func:`resolve_tracking_uri`: ``tracking_uri``, else
    ``$MLFLOW_TRACKING_URI``, else the server ``jobs/bin/mlflow-local`` runs), says which, and checks it answers."""
    global _client
    uri, source = resolve_tracking_uri(tracking_uri)
    print(f"MLflow server: {uri} (from {source})")
    mlflow.set_tracking_uri(uri)
    _client = MlflowClient(uri)
    try:
        _client.search_experiments(max_results=1)
    except Exception as e:  # the mlflow client retries for a while before it gives up
        raise ConnectionError(f"no MLflow server answers at {uri} ({type(e).__name__}: {e}); start one with "
                              f"`jobs/bin/mlflow-local start` and pass the URL it prints as tracking_uri") from None
    return _client


def client() -> MlflowClient:
    if _client is None:
        connect()
    return _client


def _experiment_ids(experiment: str | None) -> list[str] | None:
    if not experiment:
        return None
    exp = client().get_experiment_by_name(experiment)
    if exp is None:
        names = sorted(e.name for e in client().search_experiments())
        raise ValueError(f"experiment={experiment!r}: no such experiment on {mlflow.get_tracking_uri()}; "
                         f"experiments there: {', '.join(names) or '(none)'}")
    return [exp.experiment_id]


def _search(filter_string: str, experiment_ids: list[str] | None) -> pd.DataFrame:
    kw = {"experiment_ids": experiment_ids} if experiment_ids else {"search_all_experiments": True}
    return mlflow.search_runs(filter_string=filter_string, order_by=["attributes.start_time DESC"], **kw)


def list_sweeps(experiment: str | None = None) -> pd.DataFrame:
    """Every sweep (parent run) on the server, newest first: sweep, experiment, started, status, trials, run_id."""
    runs = _search(f"tags.`{SWEEP_TAG}` != ''", _experiment_ids(experiment))
    if runs.empty:
        return pd.DataFrame(columns=["sweep", "experiment", "started", "status", "trials", "run_id"])
    if PARENT_TAG in [c.removeprefix("tags.") for c in runs.columns]:
        runs = runs[runs[f"tags.{PARENT_TAG}"].isna()]
    names = {e.experiment_id: e.name for e in client().search_experiments()}
    return pd.DataFrame({
        "sweep": runs[f"tags.{SWEEP_TAG}"],
        "experiment": runs["experiment_id"].map(names),
        "started": runs["start_time"],
        "status": runs["status"],
        "trials": pd.to_numeric(runs.get(f"tags.{TRIALS_TAG}"), errors="coerce"),
        "run_id": runs["run_id"],
    }).reset_index(drop=True)


@dataclass(frozen=True)
class Sweep:
    """A sweep's parent run."""
    name: str
    run_id: str
    experiment_id: str
    experiment: str
    status: str
    started: pd.Timestamp
    params: dict
    tags: dict

    def ui_url(self) -> str:
        """The parent run in the MLflow UI."""
        return (f"{mlflow.get_tracking_uri().rstrip('/')}/#/experiments/{self.experiment_id}/runs/{self.run_id}"
                "?workflowType=machine_learning")

    def describe(self) -> str:
        spec = {k: v for k, v in self.params.items() if k not in ("name",)}
        lines = [f"sweep {self.name!r}: parent run {self.run_id} in experiment {self.experiment!r}, "
                 f"started {self.started:%Y-%m-%d %H:%M:%S %Z}, {self.status}",
                 f"  {self.ui_url()}"]
        lines += [f"  {k} = {v}" for k, v in sorted(spec.items())]
        return "\n".join(lines)


def find_sweep(sweep: str | None = None, experiment: str | None = None) -> Sweep:
    """The parent run of the sweep called ``sweep`` (the latest if it ran several times); with no name, the latest
    sweep of any name. Raises ValueError naming the sweeps that exist when there is no such sweep."""
    sweeps = list_sweeps(experiment)
    where = f" in experiment {experiment!r}" if experiment else ""
    if sweep:
        hits = sweeps[sweeps["sweep"] == sweep]
        if hits.empty:
            known = ", ".join(sorted(set(sweeps["sweep"]))) or "(none)"
            raise ValueError(f"sweep={sweep!r}: no sweep of that name on {mlflow.get_tracking_uri()}{where}; "
                             f"sweeps there: {known}")
        if len(hits) > 1:
            print(f"sweep {sweep!r} ran {len(hits)} times; using the latest (run {hits['run_id'].iloc[0]}, "
                  f"started {hits['started'].iloc[0]:%Y-%m-%d %H:%M:%S})")
    else:
        hits = sweeps
        if hits.empty:
            raise ValueError(f"no gradsweep sweep on {mlflow.get_tracking_uri()}{where} yet; run one with "
                             f"`jobs/bin/gradsweep run conf/quickstart.yaml`")
        print(f"sweep not given: using the latest sweep, {hits['sweep'].iloc[0]!r}")
    run = client().get_run(hits["run_id"].iloc[0])
    return Sweep(name=run.data.tags[SWEEP_TAG], run_id=run.info.run_id, experiment_id=run.info.experiment_id,
                 experiment=client().get_experiment(run.info.experiment_id).name, status=run.info.status,
                 started=pd.to_datetime(run.info.start_time, unit="ms", utc=True),
                 params=dict(run.data.params), tags=dict(run.data.tags))


def load_trials(sweep: Sweep, include_superseded: bool = False) -> pd.DataFrame:
    """One row per trial (child run) of the sweep, in trial order.

    Columns: ``trial`` (run name, e.g. ``lstm T60 h32 adam 0.003 s1``), ``network`` (``rnn-tanh``, ``lstm``, ...),
    ``status`` (tag gradsweep.status: SOLVED, NOT_SOLVED, DIVERGED, VANISHED, PLATEAU (stopped early by a
    ``training.stop`` rule), STOPPED_BY_SCHEDULER (ASHA), FAILED; RUNNING while a trial runs), every
    trial param (numbers as numbers; ``activation`` is ``-`` for cells without one), every ``final/*`` metric
    without its prefix (``eval_loss``, ``eval_loss_over_baseline``, ``solve_metric`` and ``baseline_solve_metric``
    (the task's solve metric and its trivial baseline), ``steps_to_solve``, ...; NaN when absent, and NaN instead
    of -1 for steps_to_solve, diverged_at_step, stopped_at_step and horizon), ``steps_saved`` (max_steps minus
    the step an early-stopping rule stopped the trial at; 0 for the other outcomes, NaN for FAILED and RUNNING),
    ``solve_by`` (tag gradsweep.solve_metric: which
    metric decides solved, e.g. ``eval/accuracy``; ``eval/loss`` for runs without the tag), ``run_status``,
    ``run_id``, ``trial_id``.
    Runs of attempts that were cut off (tag gradsweep.superseded) are left out unless ``include_superseded``.
    """
    runs = mlflow.search_runs(experiment_ids=[sweep.experiment_id],
                              filter_string=f"tags.`{PARENT_TAG}` = '{sweep.run_id}'",
                              order_by=["attributes.start_time ASC"], max_results=MAX_RUNS)
    if len(runs) >= MAX_RUNS:
        warnings.warn(f"sweep {sweep.name!r} has at least {MAX_RUNS} runs: only the first {MAX_RUNS} are read "
                      f"(raise sweepreader.MAX_RUNS)", stacklevel=2)
    if runs.empty:
        return pd.DataFrame(columns=["trial", "network", "status", *PARAM_ORDER, *FINAL_ORDER, "steps_saved",
                                     "run_status", "run_id", "trial_id"])
    if not include_superseded and f"tags.{SUPERSEDED_TAG}" in runs.columns:
        runs = runs[runs[f"tags.{SUPERSEDED_TAG}"] != "true"]
    status = runs[f"tags.{STATUS_TAG}"] if f"tags.{STATUS_TAG}" in runs.columns else pd.Series(np.nan, runs.index)
    cols = {"trial": runs[f"tags.{RUN_NAME_TAG}"], "network": None, "status": status.fillna(runs["status"])}
    params = {c.removeprefix("params."): runs[c] for c in runs.columns if c.startswith("params.")}
    params.setdefault("activation", pd.Series("-", runs.index))
    params["activation"] = params["activation"].fillna("-")
    for name in [p for p in PARAM_ORDER if p in params] + sorted(set(params) - set(PARAM_ORDER)):
        v = params[name]
        if name in NUMERIC_PARAMS:
            v = pd.to_numeric(v, errors="coerce")
            v = v.astype(float) if name in ("lr", "solve_threshold") else v
        cols[name] = v
    cell = cols.get("cell", pd.Series("?", runs.index))
    cols["network"] = pd.Series([c if a in ("-", "") else f"{c}-{a}" for c, a in zip(cell, cols["activation"])],
                                index=runs.index)
    finals = {c.removeprefix(f"metrics.{FINAL_PREFIX}"): pd.to_numeric(runs[c], errors="coerce")
              for c in runs.columns if c.startswith(f"metrics.{FINAL_PREFIX}")}
    for name in list(FINAL_ORDER) + sorted(set(finals) - set(FINAL_ORDER)):
        v = finals.get(name, pd.Series(np.nan, runs.index, dtype=float))
        cols[name] = v.where(v >= 0) if name in MINUS_ONE_IS_NONE else v
    cols["steps_saved"] = steps_saved(cols["status"], cols.get("max_steps"), cols.get(_final("STEPS")))
    # the metric that decides "solved" (tag gradsweep.solve_metric); runs without the tag judged by the eval loss
    solve = runs.get(f"tags.{SOLVE_METRIC_TAG}")
    cols["solve_by"] = (solve if solve is not None else pd.Series(np.nan, runs.index)).fillna(EVAL_LOSS)
    cols["run_status"] = runs["status"]
    cols["run_id"] = runs["run_id"]
    cols["trial_id"] = runs.get(f"tags.{TRIAL_ID_TAG}")
    out = pd.DataFrame(cols)
    order = [c for c in ("seq_len", "cell", "activation") if c in out.columns]
    return out.sort_values(order + ["trial"], kind="stable").reset_index(drop=True)


def steps_saved(status: pd.Series, max_steps: pd.Series | None, steps: pd.Series | None) -> pd.Series:
    """Training steps an early-stopping rule saved per trial: max_steps - steps for VANISHED and PLATEAU, 0 for
    the other outcomes (SOLVED, NOT_SOLVED, DIVERGED), NaN for FAILED and RUNNING (or when a value is missing)."""
    nan = pd.Series(np.nan, status.index, dtype=float)
    max_steps = nan if max_steps is None else pd.to_numeric(max_steps, errors="coerce")
    steps = nan if steps is None else pd.to_numeric(steps, errors="coerce")
    stopped = status.isin(EARLY_STOPPED)
    outcome = status.isin(("SOLVED", "NOT_SOLVED", "DIVERGED"))
    return (max_steps - steps).clip(lower=0).where(stopped, np.where(outcome, 0.0, np.nan)).astype(float)


#: What each task's solve metric is called, whether higher is better, and its trivial baseline, for labels.
TASK_METRICS = {
    "adding": ("eval MSE", False, "always predict 1"),
    "copy": ("recall accuracy", True, "memoryless: blanks, then a uniform guess"),
    "temporal_order": ("accuracy", True, "a uniform guess among the orders"),
}


def task_metric(trials: pd.DataFrame) -> tuple[str, str, bool, str]:
    """The sweep's solve metric: (metric key, label, higher is better, baseline in words).

    From the trials' tag gradsweep.solve_metric and their ``task`` param; for a sweep of several tasks (or none
    known) the eval loss. The closed-form baselines: adding 1/6 (MSE); copy 10 ln 8 / (T + 20) (cross-entropy) and
    recall accuracy 1/8; temporal order ln 4 or ln 8 and accuracy 1/4 or 1/8.
    """
    tasks = trials["task"].dropna().unique() if "task" in trials.columns else []
    keys = trials["solve_by"].dropna().unique() if "solve_by" in trials.columns else []
    if len(tasks) == 1 and len(keys) == 1 and tasks[0] in TASK_METRICS:
        label, higher, baseline = TASK_METRICS[tasks[0]]
        return keys[0], label, higher, baseline
    return EVAL_LOSS, "eval loss", False, "trivial baseline"


def network_colors(trials: pd.DataFrame) -> dict:
    """A fixed colour per network (``rnn-tanh``, ``lstm``, ...), the same in every figure of a notebook."""
    palette = ["tab:blue", "tab:orange", "tab:purple", "tab:brown", "tab:pink", "tab:olive", "tab:cyan",
               "tab:green", "tab:red", "tab:gray"]
    return {n: palette[i % len(palette)] for i, n in enumerate(sorted(trials["network"].dropna().unique()))}


def trial_styles(trials: pd.DataFrame) -> dict:
    """Line style per trial (run_id -> dict(color=, ls=)): the colour of its network, and a different dash
    pattern for each trial of the same network and sequence length, so that two lstm trials stay apart in the
    panel of their length."""
    colors = network_colors(trials)
    dashes = ["-", "--", "-.", ":"]
    seen: dict = {}
    out = {}
    for _, t in trials.iterrows():
        key = (t["network"], t.get("seq_len"))
        k = seen.get(key, 0)
        seen[key] = k + 1
        out[t["run_id"]] = {"color": colors.get(t["network"], "tab:gray"), "ls": dashes[k % len(dashes)]}
    return out


def varying_params(trials: pd.DataFrame) -> list[str]:
    """The trial params that take more than one value in this sweep (the axes of the grid, in a fixed order)."""
    axes = ["seq_len", "cell", "activation", "clip", "tbptt", "optimizer", "lr", "hidden", "layers", "init", "seed",
            "batch_size", "max_steps"]
    return [a for a in axes if a in trials.columns and trials[a].astype(str).nunique() > 1]


def select(trials: pd.DataFrame, where: str | None) -> pd.DataFrame:
    """The trials matching a pandas query over the trials table (e.g. ``cell == 'lstm' and seq_len >= 50``);
    all of them when ``where`` is empty. Raises ValueError naming the query and the columns on a bad query."""
    if not where:
        return trials
    try:
        return trials.query(where).reset_index(drop=True)
    except Exception as e:
        raise ValueError(f"where={where!r} is not a valid query over the trials table ({type(e).__name__}: {e}); "
                         f"columns: {', '.join(trials.columns)}") from None


def history(run_id: str, key: str) -> pd.DataFrame:
    """The full history of one metric of one run (columns step, value; empty when the run never logged it)."""
    points = client().get_metric_history(run_id, key)
    return pd.DataFrame({"step": [p.step for p in points], "value": [p.value for p in points]},
                        dtype=float).sort_values("step", kind="stable")


#: Outcomes in the order :func:`representative` takes them from a group; FAILED trials (nothing to plot) come last.
_STATUS_ORDER = ("SOLVED", "NOT_SOLVED", "DIVERGED", "VANISHED", "PLATEAU", "RUNNING")


def representative(trials: pd.DataFrame, n: int, by: tuple = ("network", "seq_len")) -> pd.DataFrame:
    """At most ``n`` trials that cover the sweep, in table order: the table itself when it has at most ``n`` rows.

    Otherwise the trials are grouped by ``by`` (the columns of it the table has); with at least as many picks as
    groups, every group gets one trial, then a second, and so on; with fewer, ``n`` groups evenly spread over the
    sorted groups get one each. Within a group the picks take turns over the outcomes (solved, not solved,
    diverged, stopped early), so a group with a diverged trial shows it early; FAILED trials, which have nothing to plot, only
    when a group has nothing else. Deterministic."""
    if n < 1:
        raise ValueError(f"n={n}: need at least 1 trial")
    if len(trials) <= n:
        return trials
    keys = [c for c in by if c in trials.columns]
    pos = pd.Series(np.arange(len(trials)), index=trials.index)
    groups = [g for _, g in trials.groupby(keys, sort=True, dropna=False)] if keys else [trials]
    if n < len(groups):
        groups = [groups[i] for i in sorted({round(i * (len(groups) - 1) / (n - 1)) for i in range(n)})] \
            if n > 1 else [groups[0]]
    queues = []
    for k, g in enumerate(groups):
        status = g["status"] if "status" in g.columns else pd.Series("", g.index)
        order = [s for s in _STATUS_ORDER if (status == s).any()]
        order += sorted(set(status.dropna()) - set(_STATUS_ORDER) - {"FAILED"})
        lists = [list(pos[g.index[(status == s).to_numpy()]]) for s in order]
        if lists:
            lists = lists[k % len(lists):] + lists[:k % len(lists)]  # groups start at different outcomes
        queue = []
        while any(lists):
            for lst in lists:
                if lst:
                    queue.append(lst.pop(0))
        queue += list(pos[g.index[(status == "FAILED").to_numpy() | status.isna().to_numpy()]])
        queues.append(queue)
    picked: list[int] = []
    while len(picked) < n and any(queues):
        for q in queues:
            if q and len(picked) < n:
                picked.append(q.pop(0))
    return trials.iloc[sorted(picked)]


def group_quantiles(df: pd.DataFrame, by, value: str, low: float = 0.1, high: float = 0.9) -> pd.DataFrame:
    """Per group of ``by``: ``n`` (rows with a finite ``value``), ``low`` (the ``low`` quantile), ``median`` and
    ``high``; groups without a finite value are left out. For figures that would draw one marker per trial."""
    d = df[np.isfinite(pd.to_numeric(df[value], errors="coerce"))]
    g = d.groupby(by, sort=True)[value]
    out = pd.DataFrame({"n": g.size(), "low": g.quantile(low), "median": g.median(), "high": g.quantile(high)})
    return out.reset_index()


def _bounded(trials: pd.DataFrame, max_trials: int | None, what: str) -> pd.DataFrame:
    """The trials to fetch ``what`` of: all, or a representative sample of ``max_trials`` with a printed note."""
    if max_trials is None or len(trials) <= max_trials:
        return trials
    print(f"{what}: {max_trials} representative trials of {len(trials)} (spread over network and seq_len, "
          f"outcomes in turn); pass max_trials=None for all")
    return representative(trials, max_trials)


def _fetch_all(fn, items: list, workers: int) -> list:
    """fn over items from ``workers`` threads, results in item order."""
    if len(items) <= 1 or workers <= 1:
        return [fn(i) for i in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))


def histories(trials: pd.DataFrame, keys: list[str], max_trials: int | None = MAX_FETCH,
              workers: int = WORKERS) -> pd.DataFrame:
    """Long table of metric histories: one row per (trial, key, step) with the trial's columns attached.

    One request per trial and key, ``workers`` at a time; of more than ``max_trials`` trials, a
    :func:`representative` sample (a note says so; ``max_trials=None``: all)."""
    trials = _bounded(trials, max_trials, "histories")
    jobs = [(rid, key) for rid in trials["run_id"] for key in keys]
    frames = []
    for (rid, key), h in zip(jobs, _fetch_all(lambda j: history(*j), jobs, workers)):
        if not h.empty:
            h.insert(0, "key", key)
            h.insert(0, "run_id", rid)
            frames.append(h)
    if not frames:
        return pd.DataFrame(columns=["run_id", "key", "step", "value"] + [c for c in trials.columns if c != "run_id"])
    return pd.concat(frames, ignore_index=True).merge(trials, on="run_id", how="left")


def metric_keys(run_id: str) -> list[str]:
    """Names of every metric the run logged."""
    return sorted(client().get_run(run_id).data.metrics)


def gradient_profile(run_id: str, cache_dir: str | None = None) -> pd.DataFrame | None:
    """The trial's gradient_profile.csv artifact in long form (columns train_step, series, t, norm), or None when
    the run has no such artifact (e.g. it failed before its first profile). ``t`` is the time step; t = T-1 is
    where the loss is."""
    dst = cache_dir or tempfile.mkdtemp(prefix="gradsweep-profile-")
    try:
        path = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=GRADIENT_PROFILE_CSV,
                                                   dst_path=os.path.join(dst, run_id))
    except Exception:
        return None
    wide = pd.read_csv(path)
    long = wide.melt(id_vars=["train_step", "series"], var_name="t", value_name="norm")
    long["t"] = long["t"].str.removeprefix("t").astype(int)
    long["norm"] = pd.to_numeric(long["norm"], errors="coerce")
    return long.sort_values(["series", "train_step", "t"]).reset_index(drop=True)


def gradient_profiles(trials: pd.DataFrame, max_trials: int | None = MAX_FETCH, workers: int = WORKERS,
                      cache_dir: str | None = None) -> dict:
    """run_id -> :func:`gradient_profile` of each trial that has one, ``workers`` downloads at a time; of more than
    ``max_trials`` trials, a :func:`representative` sample (a note says so; ``max_trials=None``: all)."""
    trials = _bounded(trials, max_trials, "gradient profiles")
    dst = cache_dir or tempfile.mkdtemp(prefix="gradsweep-profiles-")
    ids = list(trials["run_id"])
    got = _fetch_all(lambda rid: gradient_profile(rid, dst), ids, workers)
    return {rid: p for rid, p in zip(ids, got) if p is not None}


def top_series(trial: pd.Series, kind: str = "dh") -> str:
    """The top recurrent layer's profile series of a trial (``layer<layers-1>/dh``), the one final/decay_rate and
    final/horizon describe."""
    layers = trial.get("layers")
    top = int(layers) - 1 if layers is not None and np.isfinite(layers) else 0
    return f"layer{top}/{kind}"


def plain_log_ticks(ax, axis: str = "y") -> None:
    """Log-scale tick labels as plain numbers (0.05, 0.1, 0.2) instead of powers of ten with mantissas."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    a = ax.yaxis if axis == "y" else ax.xaxis
    lo, hi = (ax.get_ylim() if axis == "y" else ax.get_xlim())
    decades = np.log10(hi / lo) if lo > 0 and hi > 0 else 99
    if decades > 4:  # wide ranges: powers of ten only
        a.set_major_locator(LogLocator(base=10))
    else:
        a.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    a.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    a.set_minor_formatter(NullFormatter())
