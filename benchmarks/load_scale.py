"""Load time and peak memory at scale: generate N records with the sample generator, then time
``python -m analytics load`` in a child process (wall clock; the child's own peak RSS, ``benchmarks/_measure.py``).

    python -m benchmarks load_scale [--records 1000000 ...] [--areas-multiplier K]

Target (issue 2): 1,000,000 records in under 30 s and under 2 GB peak memory on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks._measure import run_measured

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "benchmarks" / "output"


def measure(records: int, areas_multiplier: int, folder: Path) -> dict:
    from sample_data.generator import PLANTED_SEED, generate_extract
    from sample_data.population import model_population

    started = time.perf_counter()
    extract = generate_extract(seed=PLANTED_SEED, n_records=records, areas_multiplier=areas_multiplier)
    extract_path = folder / f"extract-{records}.csv"
    extract.to_csv(extract_path, index=False)
    population_path = folder / "population.csv"
    model_population(areas_multiplier).to_csv(population_path, index=False)
    generated = time.perf_counter() - started
    del extract

    database = folder / f"monitor-{records}.duckdb"
    log = folder / "load.log"
    with log.open("wb") as out:  # a file, not a pipe: nothing reads a pipe while the child is measured
        result = run_measured([sys.executable, "-m", "analytics", "load", str(extract_path), "--population",
                               str(population_path), "--db", str(database)], ROOT, stdout=out, stderr=subprocess.STDOUT)
    output = log.read_text()
    if result.returncode != 0:
        raise SystemExit(f"load failed: {output.strip()[-2000:]}")
    return {
        "records": records,
        "rows_read": output.splitlines()[1],
        "file_mb": round(extract_path.stat().st_size / 1e6, 1),
        "generate_s": round(generated, 1),
        "load_s": round(result.wall_s, 1),
        "peak_rss_mb": round(result.peak_rss_mb),
        "database_mb": round(database.resolve().stat().st_size / 1e6, 1),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks load_scale")
    parser.add_argument("--records", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--areas-multiplier", type=int, default=1)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="yvdm-load-") as tmp:
        for records in args.records:
            rows.append(measure(records, args.areas_multiplier, Path(tmp)))
            row = rows[-1]
            print(f"{row['records']:>11,} records ({row['file_mb']} MB CSV): load {row['load_s']} s, "
                  f"peak RSS {row['peak_rss_mb']} MB, database {row['database_mb']} MB; {row['rows_read']}", flush=True)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    document = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
                "cpus": os.cpu_count(), "results": rows}
    (OUTPUT / "load_scale.json").write_text(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
