"""Command-line speed as a whole process (issue 12): start-up, and one ``ratios`` table against the obvious script.

Measured side by side in the same run, each command a fresh child process (wall clock, CPU, the child's own peak
memory from ``benchmarks/_measure.py``), the runs interleaved so that a change in the machine's load falls on all of
them alike:

* **help**: ``python -m analytics --help`` (target: under 0.3 s);
* **ratios**: ``python -m analytics ratios --role suspect --db …`` over the 10^6-record database of
  ``benchmarks.scale`` (generated and loaded on first use, then kept);
* **pandas**: the plain pandas + scipy script doing the same table from the CSV (``pandas_script``): read the
  columns it needs, derive a child's group as the loader does, keep suspects, count distinct children by group, join
  the population, exact Poisson and exact conditional rate-ratio intervals, Benjamini–Hochberg, print it as CSV
  (target: ``ratios`` at least 2x faster);
* **duckdb**: the bare DuckDB query behind the table (children by group for suspects, the population by group) as a
  whole process: the floor that imports and the query set.

    python -m benchmarks cli_speed [--records 1000000] [--runs 5] [--help-runs 10] [--before DIR]

Results: ``benchmarks/output/cli_speed.json``. A profile of one ``ratios`` run:
``python -X importtime -m analytics ratios …`` or ``python -m pyinstrument -m analytics ratios …``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from benchmarks._measure import run_measured

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "benchmarks" / "output"
HELP_TARGET_S = 0.3
SPEEDUP_TARGET = 2.0

#: The bare query behind ``ratios --role suspect`` (the SQL the store issues, without the monitor around it).
DUCKDB_SCRIPT = """
import sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
events = con.execute(
    "SELECT COALESCE(person_group_self, person_group_officer, 'Not stated') AS ethnic_group, "
    "COUNT(DISTINCT person_key) AS events FROM records WHERE list_contains($roles, role) GROUP BY ALL",
    {"roles": ["suspect"]}).fetchall()
population = con.execute(
    "SELECT ethnic_group, SUM(population)::BIGINT AS population FROM population GROUP BY ALL").fetchall()
for row in sorted(events):
    print(*row, sep=",")
for row in sorted(population):
    print(*row, sep=",")
"""


def pandas_script(folder: Path) -> int:
    """Child-process entry: the ``ratios --role suspect`` table the plain pandas + scipy way, from the CSV.

    Lean on purpose, so the comparison does not flatter the monitor: only the columns the table needs are read (with
    pandas' fastest CSV reader, pyarrow's: 0.5 s against the default engine's 1.7 s at 10^6 records), and
    only the derivations it needs are made (the same rules as ``benchmarks.pandas_baseline.read``: a valid date, under
    18, a known district, one row per record, a child's latest stated group); the statistics are
    ``pandas_baseline.rate_table``'s (scipy: exact Poisson, exact conditional rate ratio, Benjamini–Hochberg)."""
    import pandas as pd

    from analytics import schema
    from benchmarks import pandas_baseline

    columns = ["record_id", "person_id", "role", "recorded_date", "age", "area_code", "ethnicity_self",
               "ethnicity_officer"]
    df = pd.read_csv(folder / "extract.csv", usecols=columns, dtype=str, keep_default_na=False, engine="pyarrow")
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
    suspects = df[df["role"] == "suspect"]
    suspects = suspects.assign(ethnic_group=suspects["person_id"].map(person_group))
    table = pandas_baseline.rate_table(suspects, population, {})
    sys.stdout.write(table.to_csv(index=False, float_format="%.6g"))
    return 0


def commands(folder: Path, before: Path | None = None) -> dict[str, tuple[list[str], Path]]:
    """Name -> (command, working directory); with ``before`` (another checkout, e.g. ``git archive`` of an older
    commit) also that checkout's ``--help`` and ``ratios``, measured in the same rounds."""
    database = str(folder / "monitor.duckdb")
    python = sys.executable
    help_argv = [python, "-m", "analytics", "--help"]
    ratios_argv = [python, "-m", "analytics", "ratios", "--role", "suspect", "--db", database]
    argv = {
        "help": (help_argv, ROOT),
        "ratios": (ratios_argv, ROOT),
        "pandas": ([python, "-m", "benchmarks.cli_speed", "--_pandas", str(folder)], ROOT),
        "duckdb": ([python, "-c", DUCKDB_SCRIPT, database], ROOT),
    }
    if before is not None:
        argv |= {"help_before": (help_argv, before), "ratios_before": (ratios_argv, before)}
    return argv


def measure(argv: dict[str, tuple[list[str], Path]], runs: int, help_runs: int) -> dict:
    """Each command ``runs`` times (``--help`` ``help_runs`` times), interleaved; the wall/CPU/peak of each run."""
    samples: dict[str, list[dict]] = {name: [] for name in argv}
    rounds = max(runs, help_runs)
    for round_number in range(rounds):
        for name, (command, cwd) in argv.items():
            if round_number >= (help_runs if name.startswith("help") else runs):
                continue
            with tempfile.TemporaryFile() as out:
                measured = run_measured(command, cwd, stdout=out, stderr=subprocess.STDOUT)
                if measured.returncode:
                    out.seek(0)
                    raise SystemExit(f"{name} failed (exit {measured.returncode}): {out.read()[-2000:].decode()}")
            samples[name].append({"wall_s": measured.wall_s, "cpu_s": measured.cpu_s,
                                  "peak_mb": measured.peak_rss_mb})
        print(f"  round {round_number + 1}/{rounds}: "
              + ", ".join(f"{name} {s[-1]['wall_s']:.2f} s" for name, s in samples.items() if s), flush=True)
    return samples


def summary(samples: dict) -> dict:
    medians = {name: {key: statistics.median(run[key] for run in runs) for key in ("wall_s", "cpu_s", "peak_mb")}
               for name, runs in samples.items()}
    for name, runs in samples.items():
        medians[name]["min_wall_s"] = min(run["wall_s"] for run in runs)
        medians[name]["runs"] = len(runs)
    medians["speedup_ratios_over_pandas"] = medians["pandas"]["wall_s"] / medians["ratios"]["wall_s"]
    medians["ratios_over_duckdb"] = medians["ratios"]["wall_s"] / medians["duckdb"]["wall_s"]
    if "ratios_before" in samples:
        medians["speedup_before_over_pandas"] = medians["pandas"]["wall_s"] / medians["ratios_before"]["wall_s"]
    return medians


def report(result: dict) -> str:
    lines = [f"  {'command':<13} {'runs':>4} {'median wall':>12} {'min wall':>9} {'median CPU':>11} {'peak MB':>8}"]
    for name in ("help", "help_before", "ratios", "ratios_before", "pandas", "duckdb"):
        if name not in result:
            continue
        row = result[name]
        lines.append(f"  {name:<13} {row['runs']:>4} {row['wall_s']:>10.3f} s {row['min_wall_s']:>7.3f} s "
                     f"{row['cpu_s']:>9.3f} s {row['peak_mb']:>8.0f}")
    help_ok = "met" if result["help"]["wall_s"] < HELP_TARGET_S else "missed"
    speed_ok = "met" if result["speedup_ratios_over_pandas"] >= SPEEDUP_TARGET else "missed"
    lines += [f"  --help: {result['help']['wall_s']:.3f} s (target under {HELP_TARGET_S} s: {help_ok})",
              f"  ratios vs pandas + scipy: {result['speedup_ratios_over_pandas']:.2f}x faster "
              f"(target {SPEEDUP_TARGET:.0f}x: {speed_ok}); ratios / bare DuckDB: {result['ratios_over_duckdb']:.1f}x"]
    if "speedup_before_over_pandas" in result:
        lines.append(f"  before: --help {result['help_before']['wall_s']:.3f} s; ratios vs pandas + scipy "
                     f"{result['speedup_before_over_pandas']:.2f}x")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--_pandas"]:
        return pandas_script(Path(argv[1]))
    parser = argparse.ArgumentParser(prog="python -m benchmarks cli_speed", description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="runs of ratios, pandas and duckdb (default 5)")
    parser.add_argument("--help-runs", type=int, default=10, help="runs of --help (default 10)")
    parser.add_argument("--before", type=Path, default=None, metavar="DIR",
                        help="another checkout (e.g. `git archive COMMIT | tar -x -C DIR`) whose --help and ratios "
                             "are measured in the same rounds")
    args = parser.parse_args(argv)
    from benchmarks import scale

    info = scale.prepare(args.records, fresh=False)
    folder = Path(info["folder"])
    print(f"  {args.records:,} records in {folder}; load average {os.getloadavg()[0]:.1f}", flush=True)
    before = args.before.resolve() if args.before else None
    result = summary(measure(commands(folder, before), args.runs, args.help_runs))
    print(report(result), flush=True)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    document = {"started": datetime.now(UTC).isoformat(timespec="seconds"), "records": args.records,
                "before": str(before) if before else None,
                "load_average": os.getloadavg(), **result}
    (OUTPUT / "cli_speed.json").write_text(json.dumps(document, indent=2))
    return 0  # a missed target is reported, as the other benchmarks do, not an error


if __name__ == "__main__":
    sys.exit(main())
