"""Times how long the MLflow UI takes to show a sweep, in headless Chromium (Playwright), for jobs/bin/scale-test.

Two timings, each from navigation to the moment the content a user waits for is on screen, measured --repeat times
in a fresh browser page (the first load includes fetching the UI's scripts; the later ones come from the cache):
  parent_page  the parent run's page, until its "Child runs" section shows a link to a child run;
  runs_table   the experiment's runs table, until the parent run's row is listed.
Prints one JSON object on stdout and saves a screenshot of each view to --out. Exit status 0 when every load
finished within --timeout seconds, 1 otherwise.
"""

import argparse
import json
import os
import sys
import tempfile
import time

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--experiment-id", required=True)
    ap.add_argument("--parent-run-id", required=True)
    ap.add_argument("--parent-name", required=True, help="the parent run's name (the sweep name)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    a = ap.parse_args()
    if not os.access(a.chromium, os.X_OK):
        ap.error(f"--chromium {a.chromium}: not an executable file (on Debian: apt-get install -y chromium)")
    return a


def url(a, path):
    return f"{a.url.rstrip('/')}/#/experiments/{a.experiment_id}{path}?workflowType=machine_learning"


def parent_page(page, a):
    page.goto(url(a, f"/runs/{a.parent_run_id}"))
    page.get_by_text("Child runs", exact=True).first.wait_for()
    page.locator(f"a[href*='/runs/']:not([href*='{a.parent_run_id}'])").first.wait_for()


def runs_table(page, a):
    page.goto(url(a, "/runs"))
    page.locator('[role="gridcell"]').get_by_text(a.parent_name, exact=True).first.wait_for()


def main():
    a = parse_args()
    os.makedirs(a.out, exist_ok=True)
    result, failed = {}, False
    with sync_playwright() as p, tempfile.TemporaryDirectory(prefix="gradsweep-chromium-") as profile:
        ctx = p.chromium.launch_persistent_context(profile, executable_path=a.chromium, headless=True,
                                                   args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 860})
        try:
            for name, view in (("parent_page", parent_page), ("runs_table", runs_table)):
                times = []
                for i in range(a.repeat):
                    page = ctx.new_page()
                    page.set_default_timeout(a.timeout * 1000)
                    t0 = time.monotonic()
                    try:
                        view(page, a)
                        times.append(round(time.monotonic() - t0, 2))
                    except PlaywrightError as e:
                        failed = True
                        print(f"{name}: {str(e).splitlines()[0]}", file=sys.stderr)
                    if i == a.repeat - 1:
                        page.screenshot(path=os.path.join(a.out, f"{name}.png"))
                    page.close()
                result[name] = times
        finally:
            ctx.close()
    print(json.dumps(result))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
