"""Partner data loaders (issue 17, parts 1 and 3): every rejection reason, file-level refusals with one line and
exit 2 and nothing changed, suppressed cells kept as suppressed, atomic publication, the DfE converter checked
against the raw download with pandas, and flags keyed by the crime loader's keyed hash."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from analytics.load import LoadError, load_extract, versions_dir
from analytics.load.pseudonymise import pseudonymise
from analytics.partners import INDICATOR_COLUMNS, convert_dfe, link_flags, load_indicators
from analytics.store import DatabaseError, PartnerBuilder, PartnerStore, Store
from sample_data.partners import DFE_FILE, FTE_FILE, PARTNERS_DIR
from tests import cli_batch
from tests.extracts import many_rows, write_extract, write_population
from tests.guards import HANG_GUARD_S
from tests.sql_support import query

TODAY = date(2026, 11, 30)
PROJECT = Path(__file__).resolve().parents[1]
DFE = PARTNERS_DIR / DFE_FILE
FTE = PARTNERS_DIR / FTE_FILE


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analytics", *args], capture_output=True, text=True, cwd=PROJECT,
                          env={**os.environ, **(env or {})}, timeout=HANG_GUARD_S)  # a hang guard


@pytest.fixture()
def published(tmp_path: Path) -> Path:
    """A database with crime records for the seven Norfolk districts."""
    database = tmp_path / "monitor.duckdb"
    load_extract(write_extract(tmp_path / "good.csv", many_rows(20)), database,
                 population=write_population(tmp_path / "population.csv"), today=TODAY)
    return database


def good(**changes: str) -> dict[str, str]:
    values = {"source": "Test source", "measure": "permanent_exclusion", "area_code": "E10000020",
              "period_start": "2022-09-01", "period_end": "2023-08-31", "age_band": "all", "ethnic_group": "Black",
              "numerator": "12", "denominator": "1500", "suppressed": "false", "licence": "OGL v3.0"}
    return values | changes


def write_rows(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = INDICATOR_COLUMNS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _state(database: Path) -> bytes:
    return database.resolve().name.encode() + database.read_bytes()


# ---------------------------------------------------------------------------------------------
# Row-level rejections: one test row per reason, with its exact message
# ---------------------------------------------------------------------------------------------
INDICATOR_REJECTIONS = [
    (good(source=""), "source missing"),
    (good(measure="arrests"), "unknown measure (expected one of permanent_exclusion, suspension, "
                              "one_plus_suspension, first_time_entrant)"),
    (good(area_code=""), "area_code missing"),
    (good(area_code="E07000999"),
     "unknown area_code (not a district of the population table or the upper-tier authority)"),
    (good(period_start=""), "period_start or period_end missing"),
    (good(period_end="31/08/2023"), "period_start or period_end is not a valid YYYY-MM-DD date"),
    (good(period_end="2023-02-30"), "period_start or period_end is not a valid YYYY-MM-DD date"),
    (good(period_end="2022-08-31"), "period_end is before period_start"),
    (good(age_band="11-16"), "unknown age_band (expected one of all, 10-17, 10-13, 14-15, 16-17)"),
    (good(ethnic_group="Gypsy"), "unknown ethnic_group (expected one of Asian, Black, Mixed, White, Other, "
                                 "Not stated, Total)"),
    (good(numerator="x"), "numerator is x (not available), not a count"),
    (good(numerator="z"), "numerator is z (not applicable), not a count"),
    (good(numerator=""), "numerator missing"),
    (good(numerator="1.5"), "numerator is not a whole number"),
    (good(numerator="-3"), "numerator is not a whole number"),
    (good(denominator=""), "denominator missing"),
    (good(denominator="many"), "denominator is not a whole number"),
    (good(suppressed="maybe"), "suppressed is not true or false"),
    (good(suppressed="true"), "suppressed is true but both counts are given (a suppressed cell carries c)"),
    (good(denominator="0"), "denominator is zero"),
    (good(numerator="1501"), "numerator exceeds denominator"),
    (good(licence=""), "licence missing"),
]


def test_every_indicator_rejection_reason_with_its_line(published, tmp_path):
    rows = [good(ethnic_group="White", numerator="100", denominator="90000")]
    rows += [bad for bad, _ in INDICATOR_REJECTIONS]
    rows.append(good(ethnic_group="White", numerator="99", denominator="90000"))  # same key as line 2
    path = write_rows(tmp_path / "indicators.csv", rows)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("Test source,suspension,E10000020\n")  # too few fields
    result = load_indicators(path, published)
    assert result.loaded == 1 and result.reconciles() and result.rows_read == len(rows) + 1
    rejected = query(published, "SELECT source_line, reason FROM partner_rejected_rows ORDER BY source_line")
    expected = [(i + 3, reason) for i, (_, reason) in enumerate(INDICATOR_REJECTIONS)]
    expected.append((len(rows) + 1, "duplicate of line 2 (same source, measure, area, period, age band and group)"))
    expected.append((len(rows) + 2, "wrong number of fields"))
    assert list(rejected.itertuples(index=False, name=None)) == expected


def test_suppressed_cells_are_kept_as_suppressed_never_zero(published, tmp_path):
    rows = [good(ethnic_group="White", numerator="100", denominator="90000"),
            good(ethnic_group="Asian", numerator="c", denominator="3000", suppressed="true"),
            good(ethnic_group="Other", numerator="C", denominator="1200", suppressed="false"),
            good(ethnic_group="Mixed", numerator="", denominator="4000", suppressed="true"),
            good(ethnic_group="Not stated", numerator="7", denominator="c", suppressed="false")]
    load_indicators(write_rows(tmp_path / "c.csv", rows), published)
    held = PartnerStore(Store(published)).indicators().set_index("ethnic_group")
    assert held.loc["White", "numerator"] == 100 and not held.loc["White", "suppressed"]
    for group in ("Asian", "Other", "Mixed", "Not stated"):
        assert held.loc[group, "suppressed"] and held["numerator"].isna()[group], group
    assert (held["numerator"] == 0).sum() == 0


def test_a_district_code_is_accepted_and_replacement_holds_a_period_once(published, tmp_path):
    path = write_rows(tmp_path / "d.csv", [good(area_code="e07000148"), good(area_code="E10000020")])
    first = load_indicators(path, published)
    second = load_indicators(path, published)
    assert first.held == 2 and second.held == 2 and second.replaced == 2
    assert sorted(PartnerStore(Store(published)).indicators()["area_code"]) == ["E07000148", "E10000020"]


# ---------------------------------------------------------------------------------------------
# File-level refusals: one line, exit 2, nothing changed
# ---------------------------------------------------------------------------------------------
def _header() -> str:
    return ",".join(INDICATOR_COLUMNS)


FILE_PROBLEMS = {
    "empty": (lambda p: p.write_bytes(b""), "bad.csv: the file is empty"),
    "header only": (lambda p: p.write_text(_header() + "\n"), "bad.csv: has a header but no data rows"),
    "latin-1": (lambda p: p.write_bytes((_header() + "\nTest caf\xe9\n").encode("latin-1")),
                "bad.csv: is not UTF-8 encoded"),
    "NUL byte": (lambda p: p.write_bytes(b"source\x00,x\n1,2\n"), "bad.csv: contains a NUL byte at position 6"),
    "missing column": (lambda p: write_rows(p, [good()], tuple(c for c in INDICATOR_COLUMNS if c != "licence")),
                       "bad.csv: missing required column(s): licence"),
    "duplicate column": (lambda p: p.write_text(_header() + ",Source\n" + ",".join(good().values()) + ",x\n"),
                         "bad.csv: the column 'source' appears more than once"),
    "direct identifiers": (lambda p: p.write_text(_header() + ",postcode\n" + ",".join(good().values()) + ",NR1\n"),
                           "bad.csv: contains direct identifiers (postcode)"),
    "quotes": (lambda p: p.write_text(_header() + '\n"Test,' + ",".join(list(good().values())[1:]) + "\n"),
               "bad.csv: cannot be read as CSV"),
    "no valid row": (lambda p: write_rows(p, [good(measure="arrests")]),
                     "bad.csv: no row passed validation (1 rejected); nothing was published"),
}


@pytest.fixture(scope="module")
def refusals(tmp_path_factory) -> dict[str, tuple[subprocess.CompletedProcess, Path, bytes]]:
    """Each problem's ``bad.csv`` loaded with ``python -m analytics partners load`` into its own freshly published
    database, the runs in one process (tests/cli_batch.py); each database's state taken before the runs."""
    prepared = {}
    for problem, (write, _) in FILE_PROBLEMS.items():
        folder = tmp_path_factory.mktemp("refusal")
        database = folder / "monitor.duckdb"
        load_extract(write_extract(folder / "good.csv", many_rows(20)), database,
                     population=write_population(folder / "population.csv"), today=TODAY)
        write(folder / "bad.csv")
        prepared[problem] = (database, _state(database))
    results = cli_batch.run([["partners", "load", str(db.parent / "bad.csv"), "--db", str(db)]
                             for db, _ in prepared.values()])
    return {problem: (result, database, before)
            for (problem, (database, before)), result in zip(prepared.items(), results, strict=True)}


@pytest.mark.parametrize("problem", sorted(FILE_PROBLEMS))
def test_file_level_refusal_one_line_exit_2_nothing_changed(refusals, problem):
    message = FILE_PROBLEMS[problem][1]
    process, published, before = refusals[problem]
    assert process.returncode == 2, process.stderr
    assert process.stderr.count("\n") == 1 and message in process.stderr and "Traceback" not in process.stderr
    assert process.stdout == ""
    assert _state(published) == before


def test_missing_file_and_no_database_are_refused(tmp_path):
    database = str(tmp_path / "m.duckdb")
    missing, process = cli_batch.run([["partners", "load", str(tmp_path / "none.csv"), "--db", database],
                                      ["partners", "load", str(FTE), "--db", database]])
    assert missing.returncode == 2 and "file not found" in missing.stderr
    assert process.returncode == 2 and process.stderr.count("\n") == 1
    assert "no database is published" in process.stderr and "load the crime extract first" in process.stderr


def test_a_failure_while_building_leaves_the_publication_untouched(published, tmp_path, monkeypatch):
    before = _state(published)

    def broken(self, version):
        raise DatabaseError("disk full")

    monkeypatch.setattr(PartnerBuilder, "set_version", broken)
    with pytest.raises(LoadError, match=r"could not be loaded \(disk full\)"):
        load_indicators(FTE, published)
    assert _state(published) == before
    assert not list(versions_dir(published).glob("building-*"))


def test_scrutiny_may_not_load_partner_data(published):
    process = run_cli("partners", "load", str(FTE), "--db", str(published), env={"MONITOR_ROLE": "scrutiny"})
    assert process.returncode == 2 and "not allowed" in process.stderr


# ---------------------------------------------------------------------------------------------
# The shipped sample, the DfE converter and the crime loader's carry-over
# ---------------------------------------------------------------------------------------------
def test_dfe_layout_loads_and_matches_the_raw_download(published):
    process = run_cli("partners", "load", str(DFE), "--layout", "dfe", "--db", str(published))
    assert process.returncode == 0, process.stderr
    raw = pd.read_csv(DFE, dtype=str, keep_default_na=False)
    wanted = raw[(raw["geographic_level"] == "Local authority") & (raw["school_type"] == "Total")
                 & raw["characteristic"].str.startswith(("Ethnicity Major", "Total"))]
    held = PartnerStore(Store(published)).indicators()
    assert len(held) == 3 * len(wanted)  # three measures per DfE row
    suppressed_raw = sum((wanted[c] == "c").sum() for c in ("perm_excl", "susp", "one_plus_susp"))
    assert int(held["suppressed"].sum()) == suppressed_raw and suppressed_raw > 0
    black = wanted[(wanted["time_period"] == "202223") & (wanted["characteristic"] == "Ethnicity Major Black Total")]
    row = held[(held["measure"] == "suspension") & (held["ethnic_group"] == "Black")
               & (held["period_start"] == pd.Timestamp("2022-09-01"))].iloc[0]
    assert row["numerator"] == int(black["susp"].iloc[0]) and row["denominator"] == int(black["headcount"].iloc[0])
    assert row["period_end"] == pd.Timestamp("2023-08-31") and row["area_code"] == "E10000020"
    assert "skipped: not a local-authority row (national or regional): 6" in process.stdout


def test_dfe_chinese_is_added_to_asian_and_a_c_part_makes_the_sum_c(tmp_path):
    frame = pd.read_csv(DFE, dtype=str, keep_default_na=False).head(6)
    frame = frame[frame["characteristic"] == "Ethnicity Major Asian Total"].copy()
    chinese = frame.assign(characteristic="Ethnicity Major Chinese", headcount="100", perm_excl="c", susp="7")
    frame = frame.assign(perm_excl="3", susp="10")
    pd.concat([frame, chinese]).to_csv(tmp_path / "dfe.csv", index=False)
    convert_dfe(tmp_path / "dfe.csv", tmp_path / "out.csv")
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False).set_index("measure")
    assert out.loc["suspension", "numerator"] == "17"
    assert out.loc["permanent_exclusion", "numerator"] == "c" and out.loc["permanent_exclusion", "suppressed"] == "true"
    assert out.loc["suspension", "denominator"] == str(int(frame["headcount"].iloc[0]) + 100)


def test_not_a_dfe_file_is_refused(tmp_path):
    process = run_cli("partners", "convert-dfe", str(FTE), "--out", str(tmp_path / "x.csv"))
    assert process.returncode == 2 and "missing required column(s): time_period" in process.stderr


def test_a_new_crime_extract_keeps_the_partner_tables(published, tmp_path):
    load_indicators(FTE, published)
    held = len(PartnerStore(Store(published)).indicators())
    load_extract(write_extract(tmp_path / "again.csv", many_rows(30)), published, today=TODAY)
    assert len(PartnerStore(Store(published)).indicators()) == held == 21


# ---------------------------------------------------------------------------------------------
# Person-level flags
# ---------------------------------------------------------------------------------------------
FLAG_HEADER = ("person_ref", "flag", "flag_start", "flag_end", "ethnic_group", "source")


def flag(**changes: str) -> dict[str, str]:
    return {"person_ref": "REF-1", "flag": "known_to_yjs", "flag_start": "2024-01-01", "flag_end": "",
            "ethnic_group": "Black", "source": "YJS"} | changes


FLAG_REJECTIONS = [
    (flag(person_ref=""), "person_id missing"),
    (flag(flag="gang_member"), "unknown flag (expected one of known_to_yjs, excluded, child_in_need, looked_after)"),
    (flag(flag_start=""), "flag_start missing"),
    (flag(flag_start="2024-13-01"), "flag_start or flag_end is not a valid YYYY-MM-DD date"),
    (flag(flag_end="soon"), "flag_start or flag_end is not a valid YYYY-MM-DD date"),
    (flag(flag_start="2027-01-01"), "flag_start is in the future"),
    (flag(flag_end="2023-12-31"), "flag_end is before flag_start"),
    (flag(ethnic_group="Purple"), "unknown ethnic_group"),
    (flag(), "duplicate of line 2 (same person, flag and start date)"),
]


def test_flags_every_rejection_and_person_ref_hashed_as_the_crime_loader(published, tmp_path):
    key_file = tmp_path / "key"
    key_file.write_bytes(b"a-test-key-of-some-length-0123456789")
    env = {"MONITOR_PSEUDONYMISATION_KEY_FILE": str(key_file), "MONITOR_PSEUDONYMISATION_KEY": ""}
    path = write_rows(tmp_path / "flags.csv", [flag(), *[bad for bad, _ in FLAG_REJECTIONS]], FLAG_HEADER)
    process = run_cli("partners", "link", str(path), "--db", str(published), env=env)
    assert process.returncode == 0, process.stderr
    pstore = PartnerStore(Store(published))
    held = pstore.flags()
    assert held["person_id"].tolist() == pseudonymise(["REF-1"], key_file.read_bytes())
    rejected = query(published, "SELECT source_line, reason, raw_line FROM partner_rejected_rows ORDER BY source_line")
    assert list(zip(rejected["source_line"], rejected["reason"], strict=True)) == [
        (i + 3, reason) for i, (_, reason) in enumerate(FLAG_REJECTIONS)]
    assert not rejected["raw_line"].str.contains("REF-1").any()  # the raw reference is never stored


def test_the_linking_process_never_holds_a_raw_person_ref(published, tmp_path):
    """As for the crime loader (tests/test_load.py): with a key configured, a flags extract's person_ref is
    read and hashed in a child process, so the linking process's memory holds no raw reference after
    linking 5,000 flags."""
    rows = [flag(person_ref=f"FLAG{'REF'}-{i:07d}", flag_start=f"2024-{1 + i % 12:02d}-01") for i in range(5_000)]
    path = write_rows(tmp_path / "flags.csv", rows, FLAG_HEADER)
    probe = PROJECT / "tests" / "raw_memory_probe.py"
    result = subprocess.run([sys.executable, str(probe), "flags", str(path), str(published)], capture_output=True,
                            text=True, cwd=PROJECT, timeout=HANG_GUARD_S,
                            env={**os.environ, "MONITOR_PSEUDONYMISATION_KEY": "a-test-key-of-some-length-0123456789"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"hits": 0, "sample": []}
    assert len(PartnerStore(Store(published)).flags()) == 5_000


def test_flags_with_person_ref_and_no_key_are_refused(published, tmp_path):
    path = write_rows(tmp_path / "flags.csv", [flag()], FLAG_HEADER)
    before = _state(published)
    process = run_cli("partners", "link", str(path), "--db", str(published),
                      env={"MONITOR_PSEUDONYMISATION_KEY_FILE": "", "MONITOR_PSEUDONYMISATION_KEY": ""})
    assert process.returncode == 2 and "no pseudonymisation key is configured" in process.stderr
    assert _state(published) == before


def test_flags_with_both_person_id_and_person_ref_are_refused(published, tmp_path):
    path = write_rows(tmp_path / "flags.csv", [flag() | {"person_id": "P1"}], ("person_id", *FLAG_HEADER))
    with pytest.raises(LoadError, match="has both person_ref and person_id"):
        link_flags(path, published, today=TODAY)


def test_the_shipped_partner_files_are_what_the_generator_writes(tmp_path):
    from sample_data.partners import write_partner_sample

    for path in write_partner_sample(tmp_path):
        assert path.read_bytes() == (PARTNERS_DIR / path.name).read_bytes(), path.name
