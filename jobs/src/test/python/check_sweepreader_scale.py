"""Checks notebooks/sweepreader.py on a large sweep (filled by fill_large_sweep.py); prints one JSON line of facts.

    python check_sweepreader_scale.py --url URL --sweep NAME

- load_trials reads every child run, also when mlflow.search_runs has to page (the page size is lowered here to
  force several pages);
- representative(trials, 12) covers every network and every sequence length, and returns a table of at most 12
  rows unchanged;
- histories and gradient_profiles fetch at most MAX_FETCH trials by default and say so;
- the seconds each step took.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "notebooks"))

import mlflow.tracking.fluent as fluent  # noqa: E402

import sweepreader as sr  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--sweep", required=True)
    a = ap.parse_args()
    facts: dict = {}
    sr.connect(a.url)
    parent = sr.find_sweep(a.sweep)
    t0 = time.time()
    trials = sr.load_trials(parent)
    facts["load_trials_seconds"] = round(time.time() - t0, 2)
    facts["trials"] = len(trials)
    page = max(2, len(trials) // 3)
    saved = fluent.NUM_RUNS_PER_PAGE_PANDAS
    fluent.NUM_RUNS_PER_PAGE_PANDAS = page  # several pages of search_runs for the same sweep
    try:
        facts["trials_paged"] = len(sr.load_trials(parent))
    finally:
        fluent.NUM_RUNS_PER_PAGE_PANDAS = saved
    facts["page_size"] = page
    facts["distinct_run_ids"] = int(trials["run_id"].nunique())

    shown = sr.representative(trials, 12)
    facts["representative_rows"] = len(shown)
    facts["representative_networks"] = sorted(shown["network"].unique())
    facts["all_networks"] = sorted(trials["network"].unique())
    facts["representative_seq_lens"] = sorted(int(v) for v in shown["seq_len"].unique())
    facts["all_seq_lens"] = sorted(int(v) for v in trials["seq_len"].unique())
    facts["representative_statuses"] = sorted(shown["status"].unique())
    facts["representative_in_table_order"] = list(shown.index) == sorted(shown.index)
    small = trials.head(10)
    facts["small_table_unchanged"] = bool(sr.representative(small, 12).equals(small))

    out = io.StringIO()
    t0 = time.time()
    with contextlib.redirect_stdout(out):
        h = sr.histories(trials, [sr.EVAL_LOSS])
    facts["histories_seconds"] = round(time.time() - t0, 2)
    facts["histories_trials"] = int(h["run_id"].nunique())
    facts["histories_note"] = out.getvalue().strip()
    out = io.StringIO()
    t0 = time.time()
    with contextlib.redirect_stdout(out):
        p = sr.gradient_profiles(trials)
    facts["profiles_seconds"] = round(time.time() - t0, 2)
    facts["profiles"] = len(p)
    facts["profiles_note"] = out.getvalue().strip()
    facts["max_fetch"] = sr.MAX_FETCH
    print(json.dumps(facts))


if __name__ == "__main__":
    main()
