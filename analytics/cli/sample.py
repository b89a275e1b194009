"""``python -m analytics sample``: write the synthetic extract and population table, optionally load them."""

from __future__ import annotations

import argparse

from analytics.cli.options import UsageError, database_path
from analytics.load import load_extract
from sample_data import PLANTED_SEED, write_sample

MIN_RECORDS = 100


def run(args: argparse.Namespace) -> int:
    if args.records < MIN_RECORDS:
        raise UsageError(f"--records must be at least {MIN_RECORDS}")
    seed = PLANTED_SEED if args.seed is None else args.seed
    extract, population = write_sample(args.out, seed=seed, n_records=args.records, ic_gap=args.ic_recording_gap)
    print(f"Wrote {extract} and {population} (seed {seed})")
    if args.load:
        print(load_extract(extract, database_path(args), population=population).report())
    return 0
