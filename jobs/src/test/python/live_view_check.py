"""Opens gradsweep's live view (run --live) in headless Chromium (Playwright) and checks it while a sweep runs
(LiveViewIT).

1. A running trial's heatmap gets at least 3 rows, and a running trial's heatmap grows (more rows, as new profiles arrive).
2. A finished trial appears in the strip of finished trials, drawn.
3. The page raised no script error and the browser fetched nothing from another host (no CDN).

The page marks each trial's element (.panel while it runs, .strip-item when finished) with data-run-id and
data-rows, the number of heatmap rows drawn. A screenshot of the whole page goes to --out. Prints one JSON line with
what it saw. Exit status 0 when every check passed, 1 otherwise (the reasons on stderr), 2 on bad arguments. Uses
the system's Chromium (--chromium), never a browser of Playwright's own.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

ROWS_OF = """id => { const e = document.querySelector('[data-run-id="' + id + '"]');
                     return e ? parseInt(e.dataset.rows || '0', 10) : -1; }"""
BIGGEST_PANEL = """min => { let best = null;
  for (const e of document.querySelectorAll('.panel')) { const n = parseInt(e.dataset.rows || '0', 10);
    if (n >= min && (!best || n > best[1])) best = [e.dataset.runId, n]; }
  return best; }"""
# Growth of any running trial's heatmap: panels with at least 3 rows are noted (window.__seenRows) the first time
# they are seen; the first noted trial whose element (its panel, or its strip item once it finished) has more rows
# than when noted is returned as [run id, rows then, rows now]. A trial noted with all its rows (about to finish)
# cannot grow, but the next trial can: the check does not depend on which trial runs when the page loads.
GROWTH = """() => { const seen = window.__seenRows || (window.__seenRows = {});
  for (const e of document.querySelectorAll('.panel, .strip-item')) {
    const id = e.dataset.runId, n = parseInt(e.dataset.rows || '0', 10);
    if (!(id in seen)) { if (e.classList.contains('panel') && n >= 3) seen[id] = n; }
    else if (n > seen[id]) return [id, seen[id], n]; }
  return null; }"""
DRAWN_STRIP = """() => [...document.querySelectorAll('.strip-item')].filter(e => parseInt(e.dataset.rows || '0', 10) > 0
  && e.querySelector('canvas')).map(e => e.dataset.runId)"""


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="the live view, e.g. http://127.0.0.1:4545/")
    ap.add_argument("--out", required=True, help="the screenshot (PNG)")
    ap.add_argument("--timeout", type=float, default=90, help="seconds for each wait")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--load", type=int, default=0, metavar="N",
                    help="instead of the checks above: with N trials running, measure how long the page takes to "
                         "show them and how late its event loop runs while updates arrive (--seconds)")
    ap.add_argument("--seconds", type=float, default=10)
    a = ap.parse_args()
    if not os.access(a.chromium, os.X_OK):
        ap.error(f"--chromium {a.chromium}: not an executable file (on Debian: apt-get install -y chromium)")
    return a


def wait_for(page, fn, arg, timeout_s, what):
    """Polls fn(arg) in the page until it is truthy; returns it, or None after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        v = page.evaluate(fn, arg) if arg is not None else page.evaluate(fn)
        if v:
            return v
        time.sleep(0.25)
    print(f"FAILED: {what} within {timeout_s:.0f} s", file=sys.stderr)
    return None


LAG_PROBE = """() => { window.__lag = { max: 0, n: 0 }; let last = performance.now();
  setInterval(() => { const now = performance.now(); window.__lag.max = Math.max(window.__lag.max, now - last - 50);
    window.__lag.n++; last = now; }, 50); }"""


def load(a):
    """The page with a.load running trials: time to show them all, then the event loop's worst delay."""
    with sync_playwright() as p, tempfile.TemporaryDirectory(prefix="gradsweep-chromium-") as profile:
        ctx = p.chromium.launch_persistent_context(profile, executable_path=a.chromium, headless=True,
                                                   args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
        page = ctx.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        t0 = time.monotonic()
        page.goto(a.url, wait_until="load")
        ok = wait_for(page, f"() => document.querySelectorAll('.panel').length >= {a.load} && "
                            "document.querySelector('.panel canvas') != null", None, a.timeout,
                      f"{a.load} running trials on the page")
        shown_s = time.monotonic() - t0
        page.evaluate(LAG_PROBE)
        v0 = page.evaluate("() => window.gradsweepLive.version()")
        page.wait_for_timeout(a.seconds * 1000)
        lag = page.evaluate("() => window.__lag")
        v1 = page.evaluate("() => window.gradsweepLive.version()")
        drawn = page.evaluate("() => [...document.querySelectorAll('.panel')].filter(e => e.querySelector('canvas')).length")
        page.screenshot(path=a.out)
        ctx.close()
    seen = {"trials": a.load, "shown_s": round(shown_s, 2), "max_lag_ms": round(lag["max"], 1),
            "ticks": lag["n"], "updated": v1 > v0, "panels_drawn": drawn, "errors": errors[:3]}
    print(json.dumps(seen))
    return 0 if ok and not errors and v1 > v0 else 1


def main():
    a = parse_args()
    if a.load:
        return load(a)
    failures = []
    seen = {}
    host = urlparse(a.url).netloc
    foreign = []
    errors = []
    with sync_playwright() as p, tempfile.TemporaryDirectory(prefix="gradsweep-chromium-") as profile:
        ctx = p.chromium.launch_persistent_context(profile, executable_path=a.chromium, headless=True,
                                                   args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
        page = ctx.new_page()
        page.on("request", lambda r: foreign.append(r.url) if urlparse(r.url).netloc not in (host, "") else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(a.url, wait_until="load")
        t0 = time.monotonic()
        first = wait_for(page, BIGGEST_PANEL, 3, a.timeout, "a running trial's heatmap with 3 rows")
        if first:
            run_id, rows = first
            seen["heatmap"] = {"run": run_id, "rows": rows, "after_s": round(time.monotonic() - t0, 1)}
            print(f"ok: trial {run_id} has a heatmap of {rows} rows", file=sys.stderr)
            grown = wait_for(page, GROWTH, None, a.timeout, "a running trial's heatmap growing")
            if grown:
                grown_id, before, now = grown
                seen["grown"] = {"run": grown_id, "from": before, "to": now}
                print(f"ok: trial {grown_id}'s heatmap grew from {before} to {now} rows", file=sys.stderr)
            else:
                failures.append("the heatmap did not grow")
        else:
            failures.append("no heatmap with 3 rows")
        strip = wait_for(page, DRAWN_STRIP, None, a.timeout * 2, "a finished trial in the strip")
        if strip:
            seen["strip"] = strip
            print(f"ok: finished trial(s) in the strip: {strip}", file=sys.stderr)
            # a nicer picture: a trial running next to the strip (not a check)
            wait_for(page, BIGGEST_PANEL, 3, 20, "(picture only) a running trial next to the strip")
        else:
            failures.append("no finished trial in the strip")
        page.wait_for_timeout(500)
        page.screenshot(path=a.out, full_page=True)
        ctx.close()
    if foreign:
        failures.append(f"requests to other hosts: {foreign[:5]}")
    if errors:
        failures.append(f"script errors: {errors[:5]}")
    seen["failures"] = failures
    print(json.dumps(seen))
    for f in failures:
        print("FAILED: " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
