"""The comparison for issue 7: each page's computations done the obvious way in plain pandas + scipy.

Read the extract (Parquet written beside the CSV by ``benchmarks.scale``), derive the analysis columns
the same way the loader does (5-group ethnicity, a child's latest stated group, age band, month,
outcome group, serious youth violence), then for each page: filter the frame, ``groupby``, count
distinct children with ``nunique``, join the population, and compute the intervals with scipy
(exact Poisson and exact conditional rate-ratio intervals, Wilson, Katz log for decision ratios,
Mantel–Haenszel with Greenland–Robins variance, Benjamini–Hochberg). No caching, no pre-aggregation:
what an analyst would write in a notebook. The intervals are the simplest of each kind, so the
comparison, if anything, flatters pandas.

Run by ``benchmarks.scale`` in a child process (so its memory is measured on its own and released), or
alone on a kept folder, printing its times beside the monitor's from ``benchmarks/output/scale.json``:

    python -m benchmarks pandas_baseline [--records 1000000] [--repeats 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import stats as sps  # noqa: E402

from analytics import schema  # noqa: E402  (code lists only: the same definitions as the monitor)
from benchmarks._measure import run_measured  # noqa: E402

CONF = 0.95
Z = sps.norm.ppf(0.5 + CONF / 2)
ALPHA = 1 - CONF
GROUPS = list(schema.ETHNIC_GROUPS)
REFERENCE = schema.DEFAULT_REFERENCE_GROUP
BANDS = [(band, low, high) for band, (low, high) in schema.AGE_BAND_BOUNDS.items()]


# --------------------------------------------------------------------------------------------
# Reading and deriving
# --------------------------------------------------------------------------------------------
def read(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The extract with the analysis columns derived, and the population."""
    parquet = folder / "extract.parquet"
    df = pd.read_parquet(parquet) if parquet.exists() else pd.read_csv(folder / "extract.csv", dtype=str,
                                                                        keep_default_na=False)
    population = pd.read_csv(folder / "population.csv")
    df["recorded_date"] = pd.to_datetime(df["recorded_date"], format="%Y-%m-%d", errors="coerce")
    df["age"] = pd.to_numeric(df["age"], errors="coerce")
    df = df[df["recorded_date"].notna() & (df["age"] < 18) & df["area_code"].isin(set(population["area_code"]))]
    df = df.drop_duplicates("record_id")
    self_map = {code: group for code, (_, group) in schema.SELF_DEFINED_ETHNICITY.items()}
    officer_map = {code: group for code, (_, group) in schema.OFFICER_DEFINED_ETHNICITY.items()}
    df["group_self"] = df["ethnicity_self"].map(self_map)
    df["group_officer"] = df["ethnicity_officer"].map(officer_map)
    latest = df.sort_values(["recorded_date", "record_id"]).groupby("person_id")[["group_self", "group_officer"]].last()
    person_group = latest["group_self"].fillna(latest["group_officer"]).fillna(schema.NOT_STATED)
    df["ethnic_group"] = df["person_id"].map(person_group)
    df["age_band"] = pd.cut(df["age"], [low - 0.5 for _, low, _ in BANDS] + [BANDS[-1][2] + 0.5],
                            labels=[b for b, _, _ in BANDS]).astype(str)
    df["month"] = df["recorded_date"].dt.to_period("M").dt.to_timestamp()
    df["outcome_group"] = df["outcome_code"].map(lambda c: schema.outcome_group(c) if c else schema.OPEN_OUTCOME_GROUP)
    for marker in schema.RISK_MARKERS:
        df[marker] = df[marker].astype(str).str.lower().isin(schema.TRUE_VALUES)
    df["serious_youth_violence"] = df["offence_group"].isin(schema.DEFAULT_SYV.offence_groups) | df["knife_crime"]
    return df.reset_index(drop=True), population


def filtered(df: pd.DataFrame, f: dict) -> pd.DataFrame:
    mask = pd.Series(True, index=df.index)
    if f.get("year"):
        mask &= df["recorded_date"].dt.year == f["year"]
    if f.get("date_from"):
        mask &= df["recorded_date"].between(pd.Timestamp(f["date_from"]), pd.Timestamp(f["date_to"]))
    if f.get("area"):
        mask &= df["area_code"] == f["area"]
    if f.get("knife"):
        mask &= df["knife_crime"]
    if f.get("role"):
        mask &= df["role"] == f["role"]
    if f.get("marker"):
        mask &= df[f["marker"]]
    return df[mask]


def population_of(population: pd.DataFrame, f: dict, by: list[str] | None = None) -> pd.DataFrame:
    pop = population[population["area_code"] == f["area"]] if f.get("area") else population
    return pop.groupby([*(by or []), "ethnic_group"])["population"].sum().reset_index()


# --------------------------------------------------------------------------------------------
# Statistics with scipy
# --------------------------------------------------------------------------------------------
def poisson_ci(x, t, k=1000.0):
    low = np.where(x > 0, sps.chi2.ppf(ALPHA / 2, 2 * x) / 2, 0.0)
    high = sps.chi2.ppf(1 - ALPHA / 2, 2 * x + 2) / 2
    return k * x / t, k * low / t, k * high / t


def wilson(x, n):
    x, n = np.asarray(x, float), np.asarray(n, float)
    p = np.divide(x, n, out=np.zeros_like(x), where=n > 0)
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * np.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    return p, centre - half, centre + half


def rate_ratio_exact(a, t1, b, t0):
    """Exact conditional interval (Clopper–Pearson on a/(a+b)) and the binomial test's p-value."""
    n = a + b
    if n == 0:
        return np.nan, np.nan, np.nan, np.nan
    low = sps.beta.ppf(ALPHA / 2, a, n - a + 1) if a > 0 else 0.0
    high = sps.beta.ppf(1 - ALPHA / 2, a + 1, n - a) if a < n else 1.0
    scale = t0 / t1
    ratio = (a / t1) / (b / t0) if b else np.inf
    p = sps.binomtest(int(a), int(n), t1 / (t1 + t0)).pvalue
    return ratio, scale * low / (1 - low), (scale * high / (1 - high) if high < 1 else np.inf), p


def katz(a, n1, b, n0):
    if not (a and b and n1 and n0):
        return np.nan, np.nan, np.nan, np.nan
    ratio = (a / n1) / (b / n0)
    se = np.sqrt(1 / a - 1 / n1 + 1 / b - 1 / n0)
    return ratio, ratio * np.exp(-Z * se), ratio * np.exp(Z * se), 2 * sps.norm.sf(abs(np.log(ratio) / se))


def bh(p):
    p = np.asarray(p, float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = sps.false_discovery_control(p[ok])
    return out


def rate_table(df: pd.DataFrame, population: pd.DataFrame, f: dict, split: str | None = None) -> pd.DataFrame:
    """Children per 1,000 by group (and split), the exact rate ratio to White, BH-adjusted p-values."""
    keys = [split] if split else []
    events = df.groupby([*keys, "ethnic_group"])["person_id"].nunique().rename("events").reset_index()
    pop_keys = keys if split in ("area_code", "age_band", "sex") else []
    pop = population_of(population, f, pop_keys)
    frame = events.merge(pop, on=[*pop_keys, "ethnic_group"], how="outer") if pop_keys else \
        events.merge(pop, on="ethnic_group", how="left")
    frame = frame.fillna({"events": 0})
    rows = []
    for split_value, part in (frame.groupby(split) if split else [("All", frame)]):
        part = part.set_index("ethnic_group")
        ref_a, ref_t = part["events"].get(REFERENCE, 0), part["population"].get(REFERENCE, 0)
        for group in GROUPS:
            a, t = part["events"].get(group, 0), part["population"].get(group, 0)
            if not t or pd.isna(t):
                continue
            rate, low, high = poisson_ci(np.array(a, float), t)
            ratio = rate_ratio_exact(a, t, ref_a, ref_t) if group != REFERENCE and ref_t else (np.nan,) * 4
            rows.append({"split": split_value, "group": group, "events": a, "population": t, "rate": float(rate),
                         "lower": float(low), "upper": float(high), "ratio": ratio[0], "ratio_lower": ratio[1],
                         "ratio_upper": ratio[2], "p": ratio[3]})
    table = pd.DataFrame(rows)
    if len(table):
        table["p_adjusted"] = bh(table["p"])
    return table


def decision_table(df: pd.DataFrame, split: str | None = None) -> pd.DataFrame:
    """Share of concluded suspect records ending in outcome 22 by group (Wilson), Katz ratio to White."""
    suspects = df[(df["role"] == "suspect") & (df["outcome_code"] != "")]
    keys = [split] if split else []
    hits = suspects.assign(hit=suspects["outcome_code"] == schema.OUTCOME_22)
    counts = hits.groupby([*keys, "ethnic_group"])["hit"].agg(events="sum", denominator="size").reset_index()
    rows = []
    for split_value, part in (counts.groupby(split) if split else [("All", counts)]):
        part = part.set_index("ethnic_group")
        share, low, high = wilson(part["events"], part["denominator"])
        b, n0 = part["events"].get(REFERENCE, 0), part["denominator"].get(REFERENCE, 0)
        for i, group in enumerate(part.index):
            a, n1 = part["events"].iloc[i], part["denominator"].iloc[i]
            ratio = katz(a, n1, b, n0) if group not in (REFERENCE, schema.NOT_STATED) else (np.nan,) * 4
            rows.append({"split": split_value, "group": group, "events": a, "denominator": n1, "share": share[i],
                         "lower": low[i], "upper": high[i], "ratio": ratio[0], "p": ratio[3]})
    table = pd.DataFrame(rows)
    if len(table):
        table["p_adjusted"] = bh(table["p"])
    return table


def mantel_haenszel(cells: pd.DataFrame, strata: list[str], measure: str) -> pd.DataFrame:
    """Per group against White: MH rate or risk ratio, Greenland–Robins interval, Woolf homogeneity test."""
    rows = []
    wide = cells.pivot_table(index=strata, columns="ethnic_group", values=["events", "denominator"], aggfunc="sum",
                             fill_value=0)
    for group in GROUPS:
        if group == REFERENCE or ("events", group) not in wide.columns or ("events", REFERENCE) not in wide.columns:
            continue
        a, t1 = wide[("events", group)].to_numpy(float), wide[("denominator", group)].to_numpy(float)
        b, t0 = wide[("events", REFERENCE)].to_numpy(float), wide[("denominator", REFERENCE)].to_numpy(float)
        total = t1 + t0
        ok = (t1 > 0) & (t0 > 0)
        a, b, t1, t0, total = a[ok], b[ok], t1[ok], t0[ok], total[ok]
        r, s = (a * t0 / total).sum(), (b * t1 / total).sum()
        if not r or not s:
            rows.append({"group": group, "adjusted_ratio": np.nan})
            continue
        ratio = r / s
        if measure == "rate":
            var = ((a + b) * t1 * t0 / total**2).sum() / (r * s)
        else:
            var = (((a + b) * t1 * t0 / total**2) - a * b / total).sum() / (r * s)
        se = np.sqrt(var)
        both = (a > 0) & (b > 0)
        log_rr = np.log((a[both] / t1[both]) / (b[both] / t0[both]))
        weights = 1 / (1 / a[both] + 1 / b[both])
        chi2 = float((weights * (log_rr - np.log(ratio)) ** 2).sum())
        rows.append({"group": group, "adjusted_ratio": ratio, "lower": ratio * np.exp(-Z * se),
                     "upper": ratio * np.exp(Z * se), "p": 2 * sps.norm.sf(abs(np.log(ratio) / se)),
                     "homogeneity_p": sps.chi2.sf(chi2, max(int(both.sum()) - 1, 1))})
    return pd.DataFrame(rows)


def completeness(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    grouped = (df.assign(self_stated=df["group_self"].notna(),
                         either=df["group_self"].notna() | df["group_officer"].notna())
               .groupby(by) if by else None)
    if grouped is None:
        frame = pd.DataFrame({"records": [len(df)], "self_stated": [int(df["group_self"].notna().sum())],
                              "either": [int((df["group_self"].notna() | df["group_officer"].notna()).sum())]})
    else:
        frame = grouped.agg(records=("record_id", "size"), self_stated=("self_stated", "sum"),
                            either=("either", "sum")).reset_index()
    frame["share"], frame["lower"], frame["upper"] = wilson(frame["self_stated"], frame["records"])
    return frame


def funnel(points: pd.DataFrame) -> dict:
    centre = 1000 * points["events"].sum() / points["population"].sum()
    low, high = max(1.0, 0.5 * points["population"].min()), 1.1 * points["population"].max()
    grid = np.unique(np.concatenate([np.linspace(low, high, 200), np.geomspace(low, high, 200)]))
    limits = {}
    for level in (0.95, 0.998):
        expected = centre * grid / 1000
        limits[level] = (sps.poisson.ppf((1 - level) / 2, expected) / grid * 1000,
                         sps.poisson.ppf(1 - (1 - level) / 2, expected) / grid * 1000)
    return limits


def last_month(df: pd.DataFrame, f: dict) -> pd.Timestamp:
    return pd.Timestamp(date(f["year"], 12, 1)) if f.get("year") else df["month"].max()


# --------------------------------------------------------------------------------------------
# The pages
# --------------------------------------------------------------------------------------------
def overview(df, population, f):
    sub = filtered(df, f)
    sub.groupby("role")["person_id"].nunique()
    for role in schema.ROLES:
        rate_table(sub[sub["role"] == role], population, f)
    decision_table(sub)
    completeness(sub, ["role"])
    completeness(sub, [])
    _month_on_month(df, f)
    _compare_years(df, population, {**f, "role": "suspect"})


def _month_on_month(df, f):
    month = last_month(df, f)
    scope = filtered(df, {**f, "year": None})
    for start in (month, month - pd.DateOffset(months=1)):
        scope[scope["month"] == start].groupby("role")["person_id"].nunique()


def _compare_years(df, population, f):
    month = last_month(df, f)
    scope = filtered(df, {**f, "year": None})
    for shift in (0, 12):
        end = month - pd.DateOffset(months=shift)
        start = end - pd.DateOffset(months=11)
        rate_table(scope[(scope["month"] >= start) & (scope["month"] <= end)], population, f)


def disproportionality(df, population, f):
    sub = filtered(df, f)
    rate_table(sub, population, f)
    strata = ["area_code", "age_band", "sex"]
    events = sub.groupby([*strata, "ethnic_group"])["person_id"].nunique().rename("events").reset_index()
    cells = population_of(population, f, strata).merge(events, on=[*strata, "ethnic_group"], how="left")
    mantel_haenszel(cells.fillna({"events": 0}).rename(columns={"population": "denominator"}), strata, "rate")


def geography(df, population, f):
    table = rate_table(filtered(df, f), population, f, "area_code")
    black = table[table["group"] == "Black"]
    funnel(black[black["population"] > 0])


def crime_types(df, population, f):
    sub = filtered(df, f)
    rate_table(sub, population, f, "offence_group")
    for marker in schema.RISK_MARKERS:
        rate_table(sub[sub[marker]], population, f)


def outcomes(df, population, f):
    sub = filtered(df, {**f, "role": "suspect"})
    concluded = sub[sub["outcome_code"] != ""]
    pd.crosstab(concluded["ethnic_group"], concluded["outcome_group"])
    decision_table(sub)
    strata = ["offence_group", "age_band"]
    cells = concluded.assign(hit=concluded["outcome_code"] == schema.OUTCOME_22) \
        .groupby([*strata, "ethnic_group"])["hit"].agg(events="sum", denominator="size").reset_index()
    mantel_haenszel(cells, strata, "risk")
    monthly = decision_table(sub, "month")
    for _, part in monthly.groupby("group"):
        part = part.set_index("split").sort_index()[["events", "denominator"]]
        months = pd.date_range(part.index.min(), part.index.max(), freq="MS")
        part = part.reindex(months, fill_value=0)
        wilson(part["events"].rolling(12).sum().dropna(), part["denominator"].rolling(12).sum().dropna())


def trends(df, population, f):
    sub = filtered(df, f)
    sub.groupby(["month", "ethnic_group"])["person_id"].nunique()
    scope = filtered(df, {**f, "year": None})
    first, last = df["month"].min(), df["month"].max()
    pop = population_of(population, f).set_index("ethnic_group")["population"]
    end = first + pd.DateOffset(months=11)
    while end <= last:
        if not f.get("year") or (end.year == f["year"]):
            window = scope[(scope["month"] > end - pd.DateOffset(months=12)) & (scope["month"] <= end)]
            events = window.groupby("ethnic_group")["person_id"].nunique()
            for group in GROUPS:
                if group != REFERENCE:
                    rate_ratio_exact(events.get(group, 0), pop[group], events.get(REFERENCE, 0), pop[REFERENCE])
        end = end + pd.DateOffset(months=1)
    _month_on_month(df, f)
    _compare_years(df, population, f)


def data_quality(df, population, f):
    sub = filtered(df, f)
    completeness(sub, ["role"])
    completeness(sub, ["area_code"])
    completeness(sub, ["month", "role"])
    table = pd.crosstab(sub["group_self"].fillna(schema.NOT_STATED), sub["group_officer"].fillna(schema.NOT_STATED))
    stated = table.reindex(index=GROUPS, columns=GROUPS, fill_value=0).to_numpy(float)
    total = stated.sum()
    if total:
        observed, expected = np.trace(stated) / total, (stated.sum(0) * stated.sum(1)).sum() / total**2
        (observed - expected) / (1 - expected)


def records(df, population, f):
    sub = filtered(df, f)
    len(sub)
    sub.sort_values(["recorded_date", "record_id"], ascending=[False, True]).head(5_000)


PAGES: dict[str, Callable] = {
    "Overview": overview, "Disproportionality": disproportionality, "Geography": geography,
    "Crime types": crime_types, "Outcomes": outcomes, "Trends": trends, "Data quality": data_quality,
    "Records": records,
}


def measure(folder: Path, area: str | None, repeats: int, pages: list[str] | None = None) -> dict:
    started = time.perf_counter()
    df, population = read(folder)
    prepare_s = time.perf_counter() - started
    if area is None:
        area = df["area_code"].value_counts().index[0]
    scenarios = {"none": {}, "typical": {"year": 2025, "area": area, "knife": True}}
    results: dict[str, Any] = {}
    for label, page in PAGES.items():
        if pages and label not in pages:
            continue
        results[label] = {}
        for key, f in scenarios.items():
            times, cpu = [], []
            for _ in range(repeats):
                t0, c0 = time.perf_counter(), time.process_time()
                page(df, population, f)
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
            results[label][key] = statistics.median(times)
            results[label][f"{key}_cpu"] = statistics.median(cpu)
        print(f"    pandas {label:<20} (a) {results[label]['none']:7.2f} s  (b) {results[label]['typical']:7.2f} s",
              flush=True)
    return {"prepare_s": prepare_s, "rows": len(df), "area": area, "pages": results}


def run_in_child(folder: Path, monitor: dict | None, repeats: int, area: str | None = None) -> dict:
    """``measure`` in a child process; adds its peak RSS and prints the ratio to the monitor's times."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pandas.json"
        command = [sys.executable, "-m", "benchmarks.pandas_baseline", "--_child", str(folder), str(out), str(repeats),
                   area or ""]
        measured = run_measured(command, ROOT)  # the child's own peak (wait4's would include this process's)
        if measured.returncode:
            return {"error": f"exit {measured.returncode}"}
        result = json.loads(out.read_text())
    result["peak_mb"] = round(measured.peak_rss_mb)
    print(f"    pandas: read + derive {result['prepare_s']:.1f} s, peak RSS {result['peak_mb']:,} MB", flush=True)
    if monitor:
        print(comparison(monitor, result["pages"]), flush=True)
    return result


def comparison(monitor: dict, baseline: dict) -> str:
    lines = [f"    {'page':<20} {'monitor (a)':>12} {'pandas (a)':>11} {'ratio':>6}   {'monitor (b)':>12} "
             f"{'pandas (b)':>11} {'ratio':>6}"]
    for label, t in monitor.items():
        p = baseline.get(label)
        if not p:
            continue
        lines.append(f"    {label:<20} {t['none']:>10.3f} s {p['none']:>9.2f} s {p['none'] / t['none']:>5.1f}x   "
                     f"{t['typical']:>10.3f} s {p['typical']:>9.2f} s {p['typical'] / t['typical']:>5.1f}x")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--_child"]:
        folder, out, repeats, area = Path(argv[1]), Path(argv[2]), int(argv[3]), argv[4] or None
        out.write_text(json.dumps(measure(folder, area, repeats), default=str))
        return 0
    from benchmarks import scale

    parser = argparse.ArgumentParser(prog="python -m benchmarks pandas_baseline", description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, nargs="*", default=[],
                        help="sizes to measure again (default: only print the kept comparison, since "
                             "`python -m benchmarks scale` runs this baseline itself)")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    kept = json.loads((scale.OUTPUT / "scale.json").read_text()) if (scale.OUTPUT / "scale.json").exists() else {}
    if not args.records:
        for records, run in (kept.get("sizes") or {}).items():
            if (run.get("pandas") or {}).get("pages"):
                print(f"{int(records):,} records (kept from {kept.get('started')}; "
                      f"--records {records} to measure again)")
                print(comparison(run["pages"]["pages"], run["pandas"]["pages"]))
        if not kept:
            print("no kept results: `python -m benchmarks scale` runs this baseline beside the monitor")
        return 0
    for records in args.records:
        multiplier = scale.SIZES.get(records, max(1, round(records / 25_000)))
        folder = scale.folder_for(records, multiplier)
        if not (folder / "info.json").exists():
            print(f"{records:,}: no kept data in {folder}; run `python -m benchmarks scale --records {records}` first")
            continue
        print(f"{records:,} records", flush=True)
        monitor = ((kept.get("sizes") or {}).get(str(records)) or {}).get("pages", {})
        run_in_child(folder, monitor.get("pages"), args.repeats, monitor.get("area"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
