"""Opens a sweep in the MLflow 3 UI with headless Chromium (Playwright) and checks what a user sees (AnalysisIT).

1. The experiment's runs table (machine-learning view): the sweep's parent run is listed, its child runs are
   not listed until the parent is expanded, and after expanding it every child run name is there.
2. The parent run's page lists every child run under "Child runs".
3. A child run's "Model metrics" tab, filtered to one metric, draws a line chart of it: a chart card titled with
   the metric, whose plot has a line with at least the expected number of points.

Screenshots of each view go to --out. Exit status 0 when every check passed, 1 otherwise (the reasons on
stderr), 2 on bad arguments. Uses the system's Chromium (--chromium), never a browser of Playwright's own.
"""

import argparse
import os
import sys
import tempfile
import time

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
RUN_NAME_CELL = '[role="gridcell"][col-id="attributes.`Run Name`"]'
TIMEOUT_MS = 60_000


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="MLflow server, e.g. http://127.0.0.1:5000")
    ap.add_argument("--experiment-id", required=True)
    ap.add_argument("--parent-run-id", required=True)
    ap.add_argument("--child", action="append", default=[], metavar="RUN_ID=NAME", required=True,
                    help="a child run of the parent (repeat for each)")
    ap.add_argument("--metric", default="grad/global_norm")
    ap.add_argument("--metric-run-id", required=True, help="the child run whose metric chart is checked")
    ap.add_argument("--metric-points", type=int, required=True, help="how many steps the run logged the metric at")
    ap.add_argument("--out", required=True, help="directory for the screenshots")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    a = ap.parse_args()
    a.children = {}
    for c in a.child:
        run_id, sep, name = c.partition("=")
        if not sep or not run_id or not name:
            ap.error(f"--child {c!r}: expected RUN_ID=NAME")
        a.children[run_id] = name
    if not os.access(a.chromium, os.X_OK):
        ap.error(f"--chromium {a.chromium}: not an executable file (on Debian: apt-get install -y chromium)")
    return a


class Checks:
    def __init__(self):
        self.failures = []

    def check(self, ok, message):
        print(("ok: " if ok else "FAILED: ") + message, file=sys.stderr)
        if not ok:
            self.failures.append(message)


def ml_url(a, path):
    return f"{a.url.rstrip('/')}/#/experiments/{a.experiment_id}{path}?workflowType=machine_learning"


def close_assistant(page):
    """MLflow 3.x opens an assistant side panel on the first visit; close it so the page has its full width."""
    close = page.locator('button[data-component-id="mlflow.assistant.chat_panel.close"]')
    try:
        close.first.click(timeout=5_000)
    except PlaywrightError:
        pass  # not shown in this version or already closed


def run_names_in_table(page):
    return [t.strip() for t in page.locator(f"{RUN_NAME_CELL} a").all_inner_texts()]


def wait_until(predicate, timeout_s=30.0):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.25)


def dress_runs_table(page):
    """For a telling screenshot (not a check): the trial's status and a few final metrics as columns instead of the
    empty Dataset/Source/Models ones, and a run-name column wide enough for whole trial names."""
    try:
        page.locator("button", has_text="Columns").first.click(timeout=10_000)
        search = page.get_by_placeholder("Search columns")
        for title in ("Dataset", "Source", "Models", "gradsweep.status", "final/eval_loss",
                      "final/eval_loss_over_baseline", "final/steps_to_solve", "final/max_grad_norm"):
            search.fill(title)
            node = page.locator(".du-bois-light-tree-treenode").filter(has=page.get_by_text(title, exact=True))
            node.locator(".du-bois-light-tree-checkbox").first.click(timeout=5_000)
        search.fill("")
        page.keyboard.press("Escape")
        page.get_by_text("Runs", exact=True).last.click()  # closes the column menu if Escape did not
        page.wait_for_timeout(500)
        handle = page.locator('[role="columnheader"][col-id="attributes.`Run Name`"] .ag-header-cell-resize').first
        handle.hover(timeout=5_000)
        box = handle.bounding_box(timeout=5_000)
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] / 2, y)
        page.mouse.down()
        page.mouse.move(box["x"] + 40, y, steps=5)
        page.mouse.move(box["x"] + 130, y, steps=5)
        page.mouse.up()
    except PlaywrightError as e:
        print(f"note: could not arrange the runs table for the screenshot ({str(e).splitlines()[0]})",
              file=sys.stderr)


def check_runs_table(page, a, checks):
    page.goto(ml_url(a, "/runs"))
    close_assistant(page)
    parent_row = page.locator(f'[role="row"][row-id="{a.parent_run_id}"]')
    parent_row.first.wait_for(timeout=TIMEOUT_MS)
    before = set(run_names_in_table(page))
    names = set(a.children.values())
    checks.check(not (names & before), f"runs table before expanding the parent lists no child run "
                                       f"(listed: {sorted(before)})")
    dress_runs_table(page)
    parent_row.locator('button[data-component-id*="runnamecellrenderer"]').first.click(timeout=TIMEOUT_MS)
    wait_until(lambda: names <= set(run_names_in_table(page)))
    after = set(run_names_in_table(page))
    missing = sorted(names - after)
    checks.check(not missing, f"runs table with the parent expanded lists all {len(names)} child runs"
                              + (f"; missing: {missing}" if missing else ""))
    page.mouse.move(5, 5)
    page.screenshot(path=os.path.join(a.out, "runs-table-parent-expanded.png"))


def check_parent_page(page, a, checks):
    page.goto(ml_url(a, f"/runs/{a.parent_run_id}"))
    close_assistant(page)
    page.get_by_text("Child runs", exact=True).first.wait_for(timeout=TIMEOUT_MS)

    def linked():
        hrefs = page.locator("a[href*='/runs/']").evaluate_all("els => els.map(e => e.getAttribute('href'))")
        return {rid for rid in a.children if any(f"/runs/{rid}" in h for h in hrefs)}

    # the page lists 10 child runs, then a "Load more" button
    more = page.get_by_role("button", name="Load more")
    for _ in range(len(a.children)):
        if linked() == set(a.children) or not more.count():
            break
        more.first.click()
        page.wait_for_timeout(500)
    linked = linked()
    missing = sorted(a.children[r] for r in set(a.children) - linked)
    checks.check(not missing, f"parent run page links all {len(a.children)} child runs"
                              + (f"; missing: {missing}" if missing else ""))
    page.screenshot(path=os.path.join(a.out, "parent-run.png"))


def check_metric_chart(page, a, checks):
    page.goto(ml_url(a, f"/runs/{a.metric_run_id}/model-metrics"))
    close_assistant(page)
    search = page.get_by_placeholder("Search metric charts")
    search.wait_for(timeout=TIMEOUT_MS)
    search.fill(a.metric)
    card = page.locator('[data-testid="experiment-view-compare-runs-card"]').filter(
        has=page.locator(f'h4[title="{a.metric}"]'))
    card.first.wait_for(timeout=TIMEOUT_MS)
    line = card.first.locator("svg.main-svg path.js-line")
    line.first.wait_for(timeout=TIMEOUT_MS)
    d = line.first.get_attribute("d") or ""
    points = d.count("L") + (1 if d.startswith("M") else 0)
    wanted = min(a.metric_points, 100) // 2
    checks.check(points >= wanted, f"chart of {a.metric} draws a line of {points} points "
                                   f"(the run logged {a.metric_points}; want at least {wanted})")
    legend = card.first.inner_text()
    checks.check(f"({a.metric})" in legend, f"chart legend names the metric ({legend.splitlines()[-1:]})")
    page.mouse.move(5, 5)
    page.screenshot(path=os.path.join(a.out, "child-run-metric-chart.png"))


def main():
    a = parse_args()
    os.makedirs(a.out, exist_ok=True)
    checks = Checks()
    with sync_playwright() as p, tempfile.TemporaryDirectory(prefix="gradsweep-chromium-") as profile:
        ctx = p.chromium.launch_persistent_context(profile, executable_path=a.chromium, headless=True,
                                                   args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 860})
        try:
            page = ctx.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            for step in (check_runs_table, check_parent_page, check_metric_chart):
                try:
                    step(page, a, checks)
                except PlaywrightError as e:
                    shot = os.path.join(a.out, f"failed-{step.__name__}.png")
                    page.screenshot(path=shot)
                    checks.check(False, f"{step.__name__}: {str(e).splitlines()[0]} (screenshot {shot})")
        finally:
            ctx.close()
    if checks.failures:
        print(f"{len(checks.failures)} UI check(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
