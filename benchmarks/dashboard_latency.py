"""Dashboard latency: the time from a slicer change to all of a page's analytics being computed.

For each page in ``ui.page.PAGES`` the page itself is run headless (``streamlit.testing.v1.AppTest``,
entry point then the page, as a real session does), first with no filters to warm the caches, then
after each of a few district-slicer changes whose results are not yet cached. Two times per change:

* **analytics**: the time spent inside ``ui.cached``'s functions (cache misses compute, hits return at
  once), i.e. the page's analytics for the new filter; this is the figure the targets apply to;
* **script**: the whole page run after the change (analytics, chart building, Streamlit overhead),
  which is what the server spends before the browser can redraw.

Because the page's own code is run, the benchmark cannot drift from what the pages compute.
Run on the sample data (25,000 records) and on 1,000,000 generated records (seeded; the database is
kept in ``benchmarks/output/cache/`` and rebuilt only when missing). Targets: analytics under 0.5 s
on the sample and under 2 s on 1M records (the worst change per page). It also times a slicer change in headless
Chromium (pick to charts redrawn) against ``streamlit run`` on the sample, when Chromium is installed
(``--no-browser`` skips it).

    python -m benchmarks dashboard_latency [--records 25000 1000000] [--changes 3] [--no-browser]

Results: a table on stdout and ``benchmarks/output/dashboard_latency.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

OUTPUT = ROOT / "benchmarks" / "output"
CACHE = OUTPUT / "cache"
SEED = 20261130
TODAY = date(2026, 11, 30)
TARGETS = {25_000: 0.5, 1_000_000: 2.0}  # seconds, analytics after a slicer change (worst change per page)
#: Successive district choices: each is a slicer change to a filter not seen before in the run.
CHANGES = (["E07000148"], ["E07000148", "E07000143"], ["E07000143"], ["E07000145"], ["E07000149", "E07000144"])
SCRIPT_TIMEOUT = 600
#: Pages whose charts do not follow the sidebar's district slicer (their own filters), left out of the browser timing.
OWN_FILTER_PAGES = {"pages/stop_search.py"}


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------
def database_for(records: int, workdir: Path) -> Path:
    """A published database of ``records`` generated records (the sample's seed), built once and kept."""
    from analytics.load import load_extract
    from sample_data.generator import DEFAULT_N_RECORDS, PLANTED_SEED, generate_extract
    from sample_data.population import model_population

    seed = PLANTED_SEED if records == DEFAULT_N_RECORDS else SEED
    target = (CACHE if records > DEFAULT_N_RECORDS else workdir) / f"monitor-{records}-{seed}-searches.duckdb"
    if target.exists():
        from benchmarks.scale import current_format

        if current_format(target):
            return target
        print(f"  {target.name} was written by an earlier version: building it again", flush=True)
        target.unlink()  # a symlink to its publication: the next load publishes a new one beside it
    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print(f"  generating {records:,} records (seed {seed})…", flush=True)
    extract = generate_extract(seed=seed, n_records=records)
    with tempfile.TemporaryDirectory(dir=workdir) as folder:
        extract_path, population_path = Path(folder) / "extract.csv", Path(folder) / "population.csv"
        extract.to_csv(extract_path, index=False)
        del extract
        model_population().to_csv(population_path, index=False)
        print(f"  loading into {target}…", flush=True)
        result = load_extract(extract_path, target, population=population_path, today=TODAY)
    searches_loaded = load_sample_searches(target)
    print(f"  {result.loaded:,} records{searches_loaded} loaded in {time.perf_counter() - started:.0f} s", flush=True)
    return target


def load_sample_searches(database: Path) -> str:
    """The shipped data.police.uk stop-and-search sample on top, so the Stop and search page has data."""
    folder = ROOT / "sample_data" / "police_uk_stop_search"
    try:
        from analytics.searches import load_searches
    except ImportError:
        return ""
    if not folder.is_dir():
        return ""
    result = load_searches([folder], database, today=TODAY)
    return f" and {result.searches_in_publication:,} searches"


# --------------------------------------------------------------------------------------------
# Timing the pages
# --------------------------------------------------------------------------------------------
class AnalyticsClock:
    """Adds up the time a page spends in its analytics: every cached function of the ``ui`` modules
    (``ui.cached``, ``ui.searches``) and the monthly pack's builder. Nested calls count once."""

    TARGETS = (("ui.cached", None), ("ui.searches", None), ("analytics.report", ("build_pack",)))

    def __init__(self) -> None:
        import importlib

        self.seconds, self.calls, self._depth = 0.0, 0, 0
        self.originals = []
        for module_name, names in self.TARGETS:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            for name, fn in vars(module).items():
                cached = callable(fn) and hasattr(fn, "clear") and not name.startswith("_")
                wanted = name in names if names else cached
                if wanted and callable(fn):
                    self.originals.append((module, name, fn))

    def __enter__(self) -> AnalyticsClock:
        for module, name, fn in self.originals:
            setattr(module, name, self._timed(fn))
        return self

    def __exit__(self, *exc) -> None:
        for module, name, fn in self.originals:
            setattr(module, name, fn)

    def _timed(self, fn):
        def timed(*args, **kwargs):
            self._depth += 1
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self.seconds += time.perf_counter() - started
                    self.calls += 1

        if hasattr(fn, "clear"):
            timed.clear = fn.clear  # type: ignore[attr-defined]  # keep the cached function's clear()
        return timed

    def reset(self) -> None:
        self.seconds, self.calls = 0.0, 0


def time_pages(database: Path, changes: int, pages: list[tuple[str, str]]) -> list[dict]:
    """Per page: warm the page with no filters, then time ``changes`` district-slicer changes."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["MONITOR_DB"] = str(database)
    rows: list[dict[str, Any]] = []
    for path, label in pages:
        st.cache_data.clear()
        st.cache_resource.clear()
        if not (ROOT / path).is_file():
            rows.append({"page": label, "path": path, "error": "page file missing"})
            continue
        with AnalyticsClock() as clock:
            at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=SCRIPT_TIMEOUT)
            if path != "dashboard.py":
                at.switch_page(path)
            started = time.perf_counter()
            at.run()
            cold = time.perf_counter() - started
            if at.exception:
                rows.append({"page": label, "path": path, "error": at.exception[0].message[:200]})
                continue
            analytics, scripts = [], []
            for areas in CHANGES[:changes]:
                clock.reset()
                widget = at.multiselect(key="slicer_areas").set_value(areas)
                started = time.perf_counter()
                widget.run()
                scripts.append(time.perf_counter() - started)
                analytics.append(clock.seconds)
                if at.exception:
                    break
            error = at.exception[0].message[:200] if at.exception else ""
        rows.append({
            "page": label, "path": path, "first_load_s": cold,
            "analytics_median_s": statistics.median(analytics), "analytics_max_s": max(analytics),
            "script_median_s": statistics.median(scripts), "script_max_s": max(scripts),
            "changes": len(analytics), "error": error,
        })
        print(f"    {label:<30} analytics {max(analytics):6.3f} s (worst of {len(analytics)})  "
              f"script {max(scripts):6.3f} s  first load {cold:6.2f} s", flush=True)
    st.cache_data.clear()
    st.cache_resource.clear()
    return rows


def time_browser(database: Path) -> list[dict]:
    """Click to redrawn in headless Chromium, per page with charts: choose a district, then another."""
    from playwright.sync_api import sync_playwright

    from tests import browser_support as bs
    from ui.page import PAGES

    reason = bs.browser_unavailable()
    if reason:
        print(f"  browser timing skipped: {reason}")
        return []
    rows = []
    with tempfile.TemporaryDirectory() as folder, bs.Server(database, Path(folder) / "server.log") as server, \
            sync_playwright() as playwright:
        browser = bs.launch_chromium(playwright)
        for path, label, _ in PAGES:
            if not (ROOT / path).is_file():
                continue
            context = browser.new_context(viewport={"width": 1440, "height": 1000})
            tab = context.new_page()
            tab.goto(f"{server.url}/{bs.url_path(path)}")
            bs.wait_loaded(tab, bs.EXPECTED_CHARTS.get(path, 0))  # charts arrive after the first elements
            charts = tab.locator(bs.DRAWN_CHART).count()
            if charts and path not in OWN_FILTER_PAGES:
                times = []
                try:
                    for name in ("Norwich", "Breckland"):
                        times.append(bs.timed_choice(tab, "District", name, charts=charts))
                        tab.keyboard.press("Escape")
                except Exception as exc:  # noqa: BLE001 - one page's failure is reported, the rest still run
                    rows.append({"page": label, "path": path, "charts": charts, "error": str(exc).splitlines()[0]})
                    print(f"    {label:<30} failed: {str(exc).splitlines()[0]}", flush=True)
                else:
                    rows.append({"page": label, "path": path, "charts": charts, "redraw_s": max(times),
                                 "redraw_each_s": times})
                    print(f"    {label:<30} click to {charts} charts redrawn: "
                          + ", ".join(f"{t:.3f} s" for t in times), flush=True)
            context.close()
        browser.close()
    return rows


# --------------------------------------------------------------------------------------------
def table(results: dict) -> str:
    lines = ["| records | page | analytics after a change (worst) | median | whole script (worst) | first load "
             "| target | ok |",
             "|---:|---|---:|---:|---:|---:|---:|:-:|"]
    for records, rows in results["pages"].items():
        target = TARGETS.get(int(records))
        for row in rows:
            if row.get("error") and "analytics_max_s" not in row:
                lines.append(f"| {int(records):,} | {row['page']} | error: {row['error']} | | | | | ✗ |")
                continue
            ok = "" if target is None else ("✓" if row["analytics_max_s"] < target else "✗")
            lines.append(
                f"| {int(records):,} | {row['page']} | {row['analytics_max_s']:.3f} s "
                f"| {row['analytics_median_s']:.3f} s "
                f"| {row['script_max_s']:.3f} s | {row['first_load_s']:.2f} s | "
                f"{'' if target is None else f'{target} s'} | {ok}{' ' + row['error'] if row['error'] else ''} |")
    if results.get("browser"):
        lines += ["", "| browser (sample) | charts | click to redrawn (worst of 2) |", "|---|---:|---:|"]
        lines += [f"| {r['page']} | {r['charts']} | "
                  + (f"{r['redraw_s']:.3f} s |" if "redraw_s" in r else f"error: {r['error']} |")
                  for r in results["browser"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from ui.page import PAGES

    parser = argparse.ArgumentParser(prog="python -m benchmarks dashboard_latency", description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, nargs="+", default=[25_000, 1_000_000],
                        help="database sizes to time (25,000 is the sample)")
    parser.add_argument("--changes", type=int, default=3, choices=range(1, len(CHANGES) + 1),
                        help="district-slicer changes timed per page")
    parser.add_argument("--pages", nargs="*", help="only these page paths (default: every page in ui.page.PAGES)")
    parser.add_argument("--no-browser", dest="browser", action="store_false",
                        help="leave out the pick-to-redrawn timing in headless Chromium (skipped anyway without it)")
    parser.add_argument("--browser", action="store_true", default=True, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    pages = [(p, label) for p, label, _ in PAGES if not args.pages or p in args.pages]
    results: dict[str, Any] = {"started": datetime.now().isoformat(timespec="seconds"), "machine": platform.platform(),
               "cpus": os.cpu_count(), "load_average": os.getloadavg(), "targets_s": TARGETS, "pages": {}}
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=OUTPUT) as workdir:
        databases = {}
        for records in args.records:
            print(f"{records:,} records", flush=True)
            databases[records] = database_for(records, Path(workdir))
            results["pages"][str(records)] = time_pages(databases[records], args.changes, pages)
        if args.browser:
            print("browser, sample data", flush=True)
            sample = databases.get(25_000) or database_for(25_000, Path(workdir))
            results["browser"] = time_browser(sample)
    text = table(results)
    print()
    print(text)
    (OUTPUT / "dashboard_latency.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (OUTPUT / "dashboard_latency.md").write_text(f"Dashboard latency, {results['started']}, {results['machine']}, "
                                                 f"{results['cpus']} CPUs, load {results['load_average']}\n\n{text}\n")
    print(f"\nwritten: {OUTPUT / 'dashboard_latency.json'}, {OUTPUT / 'dashboard_latency.md'}")
    failed = [r for rows in results["pages"].values() for r in rows if r.get("error")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
