"""Scale: from one force (10^5 records) to national volumes (10^6 a year, 10^7 over a decade) (issue 7).

For each size the sample generator writes a seeded extract with the districts scaled up
(``areas_multiplier``: 1 at 10^5, 40 at 10^6, 400 at 10^7, so a national volume has hundreds of
districts at realistic per-child rates), then this benchmark measures:

* **load**: ``python -m analytics load`` in a child process: wall clock, CPU, and the peak RSS of that child
  alone (its ``VmHWM``, see ``benchmarks/_measure.py``: ``wait4``'s figure includes this process's own peak);
* **pages**: for every page the time to compute all of its analytics, calling the same ``ui.cached``
  functions with the same arguments as the page does (``PAGES`` below mirrors ``dashboard.py`` and
  ``pages/*.py`` at their default widget values), through Streamlit's cache (bare mode, in memory):
  (a) no filters, cold cache; (b) a typical analyst filter (one district, the last full calendar
  year, knife crime only), cold cache; (c) one slicer changed from a warm cache (the district: (b) is
  computed for one district, then timed for another, so only uncached work is done);
* **pack**: ``analytics.report.build_pack`` for the last month (no filters), then printed to PDF;
* **sessions** (at 10^6 by default; ``--sessions-at``, ``--no-sessions``): ``streamlit run`` on the database,
  10 browser sessions (Playwright + headless Chromium) each on a page, and the server's resident memory
  (``VmRSS``/``VmHWM``).

The same page computations done the obvious way in plain pandas are in ``benchmarks.pandas_baseline``;
this benchmark runs them on the same extract (``--no-pandas`` leaves them out) and prints both with
the ratio. Generated data and databases are kept in ``benchmarks/output/cache/scale/`` (re-used when
present; ``--fresh`` rebuilds). Results: ``benchmarks/output/scale.{json,md}``.

    python -m benchmarks scale [--records 100000 1000000 10000000] [--repeats 3] [--no-sessions] [--no-pandas]

Targets: at 10^6 each page under 0.5 s and at least 10x faster than pandas; at 10^7 load under 5 min,
each page under 3 s, load peak memory under 4 GB.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._measure import run_measured  # noqa: E402 - after the path set-up above

OUTPUT = ROOT / "benchmarks" / "output"
CACHE = OUTPUT / "cache" / "scale"
SEED = 20261130
TODAY = date(2026, 11, 30)
#: records -> areas_multiplier (districts = 7 x multiplier)
SIZES = {100_000: 1, 1_000_000: 40, 10_000_000: 400}
DEFAULT_SIZES = (100_000, 1_000_000, 10_000_000)
#: (records, seconds per page, load seconds, load peak MB, speed-up over pandas)
TARGETS = {1_000_000: {"page_s": 0.5, "speedup": 10.0}, 10_000_000: {"page_s": 3.0, "load_s": 300.0, "peak_mb": 4096}}
TYPICAL_YEAR = 2025
SESSIONS = 10


# --------------------------------------------------------------------------------------------
# Data: generated in a child process (the 10^7 frame takes ~6 GB), kept between runs
# --------------------------------------------------------------------------------------------
def folder_for(records: int, multiplier: int) -> Path:
    return CACHE / f"{records}-x{multiplier}-{SEED}"


def _generate(records: int, multiplier: int, folder: Path) -> None:
    """Child-process entry: write extract.csv, extract.parquet and population.csv to ``folder``."""
    from sample_data.generator import generate_extract
    from sample_data.population import model_population

    folder.mkdir(parents=True, exist_ok=True)
    extract = generate_extract(seed=SEED, n_records=records, areas_multiplier=multiplier)
    partial = folder / "extract.csv.partial"
    extract.to_csv(partial, index=False, chunksize=250_000)  # chunked: bounded text buffers
    extract.to_parquet(folder / "extract.parquet", index=False)
    partial.rename(folder / "extract.csv")
    model_population(multiplier).to_csv(folder / "population.csv", index=False)


LAST_CHILD_CPU: list[float] = [0.0]


def run_child(command: list[str], log: Path) -> tuple[float, float, int]:
    """Run ``command``; wall seconds, the child's own peak RSS (MB, ``benchmarks._measure``), exit status.
    The child's CPU seconds (user + system, all threads) are left in ``LAST_CHILD_CPU[0]``."""
    with log.open("wb") as out:
        measured = run_measured(command, ROOT, stdout=out, stderr=subprocess.STDOUT)
    LAST_CHILD_CPU[0] = measured.cpu_s
    return measured.wall_s, measured.peak_rss_mb, measured.returncode


def prepare(records: int, fresh: bool) -> dict:
    """Generate (if needed) and load (if needed) ``records``; returns the data facts and load figures."""
    multiplier = SIZES.get(records, max(1, round(records / 25_000)))
    folder = folder_for(records, multiplier)
    info_path = folder / "info.json"
    if fresh and folder.exists():
        shutil.rmtree(folder)
    if info_path.exists():
        return json.loads(info_path.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    print(f"  generating {records:,} records x{multiplier} districts…", flush=True)
    gen_s, gen_mb, status = run_child([sys.executable, "-m", "benchmarks.scale", "--_generate", str(records),
                                       str(multiplier), str(folder)], folder / "generate.log")
    if status:
        raise SystemExit(f"generation failed: {(folder / 'generate.log').read_text()[-2000:]}")
    database = folder / "monitor.duckdb"
    print(f"  generated in {gen_s:.0f} s (peak {gen_mb:,.0f} MB); loading…", flush=True)
    load_s, load_mb, status = run_child(
        [sys.executable, "-m", "analytics", "load", str(folder / "extract.csv"), "--population",
         str(folder / "population.csv"), "--db", str(database)], folder / "load.log")
    log = (folder / "load.log").read_text()
    if status:
        raise SystemExit(f"load failed: {log[-2000:]}")
    info = {
        "records": records, "areas_multiplier": multiplier, "districts": 7 * multiplier, "folder": str(folder),
        "csv_mb": round((folder / "extract.csv").stat().st_size / 1e6, 1),
        "generate_s": round(gen_s, 1), "generate_peak_mb": round(gen_mb),
        "load_s": round(load_s, 1), "load_cpu_s": round(LAST_CHILD_CPU[0], 1), "load_peak_mb": round(load_mb),
        "database_mb": round(database.resolve().stat().st_size / 1e6, 1),
        "load_summary": log.strip().splitlines()[:3],
        "load_average_at_load": os.getloadavg(),
    }
    info_path.write_text(json.dumps(info, indent=2))
    return info


def current_format(database: Path) -> bool:
    """Whether a kept database was written by this version of the loader (else it must be loaded again)."""
    from analytics.store import NoDataError, Store

    try:
        Store(database).data_version()
    except NoDataError:
        return False
    return True


def reload(info: dict) -> dict:
    """Load the kept extract again (for a new load-time figure after a change to the loader)."""
    folder = Path(info["folder"])
    load_s, load_mb, status = run_child(
        [sys.executable, "-m", "analytics", "load", str(folder / "extract.csv"), "--population",
         str(folder / "population.csv"), "--db", str(folder / "monitor.duckdb")], folder / "load.log")
    if status:
        raise SystemExit(f"load failed: {(folder / 'load.log').read_text()[-2000:]}")
    info = {**info, "load_s": round(load_s, 1), "load_cpu_s": round(LAST_CHILD_CPU[0], 1),
            "load_peak_mb": round(load_mb),
            "database_mb": round((folder / "monitor.duckdb").resolve().stat().st_size / 1e6, 1),
            "load_average_at_load": os.getloadavg()}
    (folder / "info.json").write_text(json.dumps(info, indent=2))
    return info


# --------------------------------------------------------------------------------------------
# Each page's analytics: the ui.cached calls the page makes, with its default widget values
# --------------------------------------------------------------------------------------------
def _last_month(filters, last: date) -> date:
    import pandas as pd

    return pd.Timestamp(filters.date_to or last).to_period("M").to_timestamp().date()


def _setup(cached, version: str) -> None:
    """``ui.page.setup``: the data version is read on every run; period and areas are cached."""
    cached.store().data_version()
    cached.period(version)
    cached.areas(version)


def page_overview(cached, f, v, last):
    _setup(cached, v)
    cached.rates_by_role(f, v)
    cached.decision_ratios(f, v)
    cached.completeness(f.replace(roles=()), v, ("role",))
    cached.completeness(f.replace(roles=()), v, ())
    month = _last_month(f, last)
    cached.month_on_month(f, v, month)
    cached.compare_years(f.replace(roles=("suspect",)), v, month).joined()


def page_disproportionality(cached, f, v, last):
    from analytics import disparity

    _setup(cached, v)
    overall = cached.population_rates(f, v)
    cached.adjusted_ratios(f, v, "rate", ("area", "age_band", "sex"))
    disparity.missing_ethnicity_bounds(overall)


def page_geography(cached, f, v, last):
    from analytics import geography

    _setup(cached, v)
    cached.district_values(f, v, "Black", "ratio")
    cached.rate_funnel(f, v, "Black")
    geography.load_boundaries()


def page_crime_types(cached, f, v, last):
    _setup(cached, v)
    cached.population_rates(f, v, "offence_group")
    cached.marker_rates(f, v)


def page_outcomes(cached, f, v, last):
    from analytics import schema

    _setup(cached, v)
    d = f if f.roles else f.replace(roles=("suspect",))
    chosen = (schema.OUTCOME_22,)
    cached.outcome_mix(d, v)
    cached.decision_ratios(d, v, chosen)
    cached.adjusted_ratios(d, v, "outcome", ("offence_group", "age_band"), chosen)
    cached.rolling_outcome_shares(d, v, chosen)


def page_trends(cached, f, v, last):
    _setup(cached, v)
    cached.monthly_trends(f, v)
    month = _last_month(f, last)
    cached.month_on_month(f, v, month)
    cached.compare_years(f, v, month).joined()


def page_data_quality(cached, f, v, last):
    _setup(cached, v)
    cached.completeness(f, v, ("role",))
    cached.completeness(f, v, ("area",))
    cached.completeness(f, v, ("month", "role"))
    cached.agreement(f, v)
    cached.load_report(v)


def page_records(cached, f, v, last):
    _setup(cached, v)
    cached.record_count(f, v) if hasattr(cached, "record_count") else None
    cached.records(f, v, 5_000)  # pages/records.py SHOWN (the download is made only on a click)


PAGES: dict[str, Callable] = {
    "Overview": page_overview,
    "Disproportionality": page_disproportionality,
    "Geography": page_geography,
    "Crime types": page_crime_types,
    "Outcomes": page_outcomes,
    "Trends": page_trends,
    "Data quality": page_data_quality,
    "Records": page_records,
}


def scenarios(store) -> dict:
    """(a) no filters; (b) one district, the last full year, knife crime only; (c) (b) for another district."""
    from analytics.filters import Filters

    areas = sorted(store.areas()["area_code"])
    records_by_area = store.counts(Filters(counting_unit="records"), ("area",))
    busiest = records_by_area.sort_values(["events", "area"], ascending=[False, True])["area"].head(2).tolist()
    first, second = (busiest + areas)[:2]
    typical = Filters(date_from=date(TYPICAL_YEAR, 1, 1), date_to=date(TYPICAL_YEAR, 12, 31), areas=(first,),
                      knife_crime="only")
    return {"none": Filters(), "typical": typical, "warm": (typical, typical.replace(areas=(second,)))}


def time_pages(database: Path, repeats: int) -> dict:
    """Median seconds per page for (a), (b), (c), through ``ui.cached`` with Streamlit's in-memory cache."""
    os.environ["MONITOR_DB"] = str(database)
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    import streamlit as st

    from ui import cached

    st.cache_data.clear()
    st.cache_resource.clear()
    store = cached.store()
    version = store.data_version()
    last = store.period()[1]
    chosen = scenarios(store)
    results: dict[str, Any] = {}
    for label, page in PAGES.items():
        times: dict[str, list[float]] = {"none": [], "typical": [], "warm": []}
        cpu: dict[str, list[float]] = {"none": [], "typical": [], "warm": []}
        for _ in range(repeats):
            for key in ("none", "typical"):
                st.cache_data.clear()
                started, started_cpu = time.perf_counter(), time.process_time()
                page(cached, chosen[key], version, last)
                times[key].append(time.perf_counter() - started)
                cpu[key].append(time.process_time() - started_cpu)
            st.cache_data.clear()
            warm_from, warm_to = chosen["warm"]
            page(cached, warm_from, version, last)
            started, started_cpu = time.perf_counter(), time.process_time()
            page(cached, warm_to, version, last)
            times["warm"].append(time.perf_counter() - started)
            cpu["warm"].append(time.process_time() - started_cpu)
        results[label] = {k: statistics.median(t) for k, t in times.items()}
        results[label] |= {f"{k}_cpu": statistics.median(t) for k, t in cpu.items()}
        print(f"    {label:<20} (a) {results[label]['none']:7.3f} s  (b) {results[label]['typical']:7.3f} s  "
              f"(c) {results[label]['warm']:7.3f} s   CPU (a) {results[label]['none_cpu']:6.3f} s "
              f"(b) {results[label]['typical_cpu']:6.3f} s (c) {results[label]['warm_cpu']:6.3f} s", flush=True)
    st.cache_data.clear()
    return {"pages": results, "area": chosen["typical"].areas[0], "other_area": chosen["warm"][1].areas[0],
            "filters": {k: (v.describe() if not isinstance(v, tuple) else
                                                f"{v[0].describe()} -> district {v[1].areas[0]}")
                                            for k, v in chosen.items()}}


def time_pack(database: Path) -> dict:
    from analytics import report
    from analytics.filters import Filters
    from analytics.store import Store

    store = Store(database)
    month = store.month_range()[1]
    if month is None:
        raise SystemExit(f"{database} holds no crime records")
    started = time.perf_counter()
    pack = report.build_pack(store, month, report.DEFAULT_AUDIENCE, Filters())
    built = time.perf_counter() - started
    started = time.perf_counter()
    pdf = report.pdf_bytes(pack) if report.find_chromium() else None
    printed = time.perf_counter() - started
    store.close()
    return {"month": str(month), "html_s": built, "pdf_s": printed if pdf else None,
            "pdf_total_s": built + printed if pdf else None, "pdf_kb": round(len(pdf) / 1024) if pdf else None}


# --------------------------------------------------------------------------------------------
# Dashboard memory with 10 sessions
# --------------------------------------------------------------------------------------------
def _rss_mb(pid: int) -> dict:
    """Resident memory (MB) of ``pid`` and its children now, and the peak of ``pid``."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return {"rss_mb": round(fields["VmRSS"]), "peak_mb": round(fields["VmHWM"])}


def time_sessions(database: Path, sessions: int = SESSIONS) -> dict:
    """Server RSS with ``sessions`` browser sessions open, each on a page (cycling through ``ui.page.PAGES``)."""
    from playwright.sync_api import sync_playwright

    from tests import browser_support as bs
    from ui.page import PAGES as UI_PAGES

    reason = bs.browser_unavailable()
    if reason:
        return {"skipped": reason}
    paths = [p for p, _, _ in UI_PAGES if (ROOT / p).is_file() and p not in ("pages/stop_search.py",)]
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder, bs.Server(database, Path(folder) / "server.log") as server, \
            sync_playwright() as playwright:
        figures["idle"] = _rss_mb(server.pid)
        browser = bs.launch_chromium(playwright)
        contexts = []
        started = time.perf_counter()
        for index in range(sessions):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            tab = context.new_page()
            tab.goto(f"{server.url}/{bs.url_path(paths[index % len(paths)])}")
            bs.wait_loaded(tab, timeout=300_000)
            contexts.append(context)
            if index == 0:
                figures["one_session"] = _rss_mb(server.pid)
        figures["open_s"] = round(time.perf_counter() - started, 1)
        time.sleep(2)
        figures["sessions"] = _rss_mb(server.pid)
        figures["pages"] = [paths[i % len(paths)] for i in range(sessions)]
        for context in contexts:
            context.close()
        browser.close()
    return figures


# --------------------------------------------------------------------------------------------
def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"platform": platform.platform(), "cpu": cpu, "cpus": os.cpu_count(), "memory_gb": round(memory_gb, 1),
            "python": platform.python_version()}


def _times(ratio: float) -> str:
    """A speed-up as 13x, 2.4x or 0.5x (one decimal below 10, so a slower page never reads as 0x)."""
    return f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.1f}x"


def table(results: dict) -> str:
    lines = ["| records | districts | page | (a) no filters | (b) typical filter | (c) slicer change, warm | "
             "CPU s (a / b / c) | pandas (a) | pandas (b) | speed-up (a) | speed-up (b) | target |",
             "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|:-:|"]
    for records, run in results["sizes"].items():
        records = int(records)
        target = TARGETS.get(records, {})
        baseline = (run.get("pandas") or {}).get("pages", {})
        for label, t in run["pages"]["pages"].items():
            p = baseline.get(label, {})
            speed = {k: (p[k] / t[k] if p.get(k) and t[k] else None) for k in ("none", "typical")}
            ok = ""
            if "page_s" in target:
                ok = "✓" if max(t[k] for k in ("none", "typical", "warm")) < target["page_s"] else "✗"
                ratios = [v for v in speed.values() if v]
                if "speedup" in target and len(ratios) == len(speed):
                    ok += "" if min(ratios) >= target["speedup"] else " (speed-up ✗)"
            lines.append(
                f"| {records:,} | {run['data']['districts']:,} | {label} | {t['none']:.3f} s | {t['typical']:.3f} s | "
                f"{t['warm']:.3f} s | "
                + (" / ".join(f"{t[k + '_cpu']:.2f}" for k in ("none", "typical", "warm")) if "none_cpu" in t else "")
                + " | " + " | ".join(f"{p[k]:.2f} s" if p.get(k) else "" for k in ("none", "typical"))
                + " | " + " | ".join(_times(v) if (v := speed[k]) else "" for k in ("none", "typical"))
                + f" | {ok} |")
    lines += ["", "| records | CSV | load (wall) | load (CPU) | load peak RSS | database | pandas read + derive | "
              "pandas peak RSS | pack (HTML) | pack (+PDF) |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for records, run in results["sizes"].items():
        d, pack = run["data"], run.get("pack") or {}
        prep = (run.get("pandas") or {}).get("prepare_s")
        lines.append(
            f"| {int(records):,} | {d['csv_mb']:,} MB | {d['load_s']:.1f} s | "
            + (f"{d['load_cpu_s']:.0f} s" if d.get("load_cpu_s") else "")
            + f" | {d['load_peak_mb']:,} MB | {d['database_mb']:,} MB | {f'{prep:.1f} s' if prep else ''} | "
            + (f"{run['pandas']['peak_mb']:,} MB" if (run.get("pandas") or {}).get("peak_mb") else "") + " | "
            + (f"{pack['html_s']:.1f} s | " if pack.get("html_s") is not None else " | ")
            + (f"{pack['pdf_total_s']:.1f} s |" if pack.get("pdf_total_s") else " |"))
    sessions = {r: run["sessions"] for r, run in results["sizes"].items() if run.get("sessions")}
    if sessions:
        lines += ["", f"| records | server RSS idle | after 1 session | {SESSIONS} sessions open | peak "
                      "| time to open all |",
                  "|---:|---:|---:|---:|---:|---:|"]
        for records, s in sessions.items():
            if "skipped" in s:
                lines.append(f"| {int(records):,} | skipped: {s['skipped']} | | | | |")
                continue
            lines.append(f"| {int(records):,} | {s['idle']['rss_mb']:,} MB | {s['one_session']['rss_mb']:,} MB | "
                         f"{s['sessions']['rss_mb']:,} MB | {s['sessions']['peak_mb']:,} MB | {s['open_s']} s |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--_generate"]:
        _generate(int(argv[1]), int(argv[2]), Path(argv[3]))
        return 0
    parser = argparse.ArgumentParser(prog="python -m benchmarks scale", description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--repeats", type=int, default=3, help="median of this many timings per page and scenario")
    parser.add_argument("--no-sessions", dest="sessions", action="store_false",
                        help=f"leave out the server's memory with {SESSIONS} browser sessions")
    parser.add_argument("--sessions", action="store_true", default=True, help=argparse.SUPPRESS)
    parser.add_argument("--sessions-at", type=int, nargs="*", default=[1_000_000],
                        help="sizes to measure the sessions at (default 1000000)")
    parser.add_argument("--no-pandas", action="store_true", help="leave out the plain-pandas comparison")
    parser.add_argument("--no-pack", action="store_true", help="leave out the monthly pack")
    parser.add_argument("--reload", action="store_true", help="load the kept extracts again (new load figures)")
    parser.add_argument("--fresh", action="store_true", help="generate and load again even if kept")
    parser.add_argument("--pages", nargs="*", help="only these pages (labels)")
    parser.add_argument("--prepare-only", action="store_true", help="only generate and load the data")
    args = parser.parse_args(argv)
    if args.prepare_only:
        for records in args.records:
            print(json.dumps(prepare(records, args.fresh)), flush=True)
        return 0
    if args.pages:
        for name in list(PAGES):
            if name not in args.pages:
                del PAGES[name]

    results: dict[str, Any] = {"started": datetime.now().isoformat(timespec="seconds"), "machine": machine(),
               "load_average_start": os.getloadavg(), "targets": TARGETS, "sizes": {}}
    OUTPUT.mkdir(parents=True, exist_ok=True)
    out_json = OUTPUT / "scale.json"
    previous = json.loads(out_json.read_text()) if out_json.exists() else {}
    for records in args.records:
        print(f"{records:,} records", flush=True)
        info = prepare(records, args.fresh)
        if args.reload or not current_format(Path(info["folder"]) / "monitor.duckdb"):
            info = reload(info)
        print(f"  load {info['load_s']} s, peak {info['load_peak_mb']:,} MB, database {info['database_mb']} MB, "
              f"{info['districts']} districts", flush=True)
        database = Path(info["folder"]) / "monitor.duckdb"
        run: dict[str, Any] = {"data": info, "load_average": os.getloadavg()}
        print(f"  pages (median of {args.repeats}):", flush=True)
        run["pages"] = time_pages(database, args.repeats)
        if not args.no_pack:
            run["pack"] = time_pack(database)
            pdf = f", with PDF {run['pack']['pdf_total_s']:.1f} s" if run["pack"]["pdf_total_s"] else ""
            print(f"  monthly pack: HTML {run['pack']['html_s']:.1f} s{pdf}", flush=True)
        if not args.no_pandas:
            from benchmarks import pandas_baseline

            print("  plain pandas:", flush=True)
            run["pandas"] = pandas_baseline.run_in_child(Path(info["folder"]), run["pages"]["pages"],
                                                         1 if records >= 5_000_000 else args.repeats,
                                                         run["pages"]["area"])
        if args.sessions and (not args.sessions_at or records in args.sessions_at):
            print(f"  {SESSIONS} browser sessions…", flush=True)
            run["sessions"] = time_sessions(database)
            if "skipped" not in run["sessions"]:
                print(f"  server RSS: idle {run['sessions']['idle']['rss_mb']} MB, {SESSIONS} sessions "
                      f"{run['sessions']['sessions']['rss_mb']} MB", flush=True)
        elif (previous.get("sizes", {}).get(str(records)) or {}).get("sessions"):
            run["sessions"] = previous["sizes"][str(records)]["sessions"]  # kept from an earlier run
        run["load_average_end"] = os.getloadavg()
        results["sizes"][str(records)] = run
    previous = json.loads(out_json.read_text()) if out_json.exists() else {}  # again: another run may have written
    sizes = dict(previous.get("sizes", {}))
    for records, run in results["sizes"].items():  # parts left out of this run (--no-pandas …) are kept
        sizes[records] = {**sizes.get(records, {}), **run}
    merged = {**previous, **results, "sizes": sizes}
    text = table(merged)
    print()
    print(text)
    out_json.write_text(json.dumps(merged, indent=2, default=str) + "\n")
    (OUTPUT / "scale.md").write_text(
        f"Scale benchmark, {results['started']}; {results['machine']['cpu']}, {results['machine']['cpus']} CPUs, "
        f"{results['machine']['memory_gb']} GB; load average at start {results['load_average_start']}\n\n{text}\n")
    print(f"\nwritten: {out_json}, {OUTPUT / 'scale.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
