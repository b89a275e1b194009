"""Disclosure control of the Children's journeys page for scrutiny: issue 14's Cell Key Method on issue 17's page.

Before, scrutiny saw the journeys' exact counts with only 1-4 shown as [c], and two date ranges a month apart gave
back a hidden child (the "Children in view with any partner flag" table on the sample: Asian children with a flag,
68 to the end of October 2026 and 67 to the end of September, while October alone showed [c]).

Independent checks: the person keys are recomputed here with ``hashlib`` from the pseudonyms (not with the store's
SQL); the perturbed counts are recomputed by the ONS Statistical Methods Library's implementation (PyPI
``cell-key-perturbation``); a journeys count of children equals the count of the same children on the main pages;
the scrutiny incidence is recomputed by hand as a product-limit estimate of perturbed counts; and differencing
attacks over date ranges a month apart, on the sample and (slow tier) on 100,000 records.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.filters import Filters
from analytics.load import load_extract
from analytics.partners import disclosure, journeys, link_flags, linkage, survival
from analytics.store import PartnerStore, Store
from analytics.suppression.perturbation import perturb, ptable
from sample_data.generator import PLANTED_SEED, write_sample
from tests.conftest import SAMPLE_TODAY

SUPPRESSED = "[c]"


def first_byte(text: str) -> int:
    return hashlib.sha256(text.encode("utf-8")).digest()[0]


def person_key(person_id: str) -> int:
    return first_byte(f"ckm-person:{person_id}")


def build(extract: Path, population: Path, folder: Path) -> Path:
    database = folder / "monitor.duckdb"
    load_extract(extract, database, population=population, today=SAMPLE_TODAY)
    link_flags(extract.parent / "partner_flags.csv", database, today=SAMPLE_TODAY)
    return database


@pytest.fixture(scope="module")
def pstore(sample_files, tmp_path_factory) -> PartnerStore:
    extract, population = sample_files
    return PartnerStore(Store(build(extract, population, tmp_path_factory.mktemp("journeys-disclosure"))))


def ons_counts(children: pd.DataFrame, by: list[str]) -> pd.Series:
    """The ONS package's perturbed count of ``children`` (one row per child) by ``by``, no threshold."""
    from cell_key_perturbation.create_perturbed_table import create_perturbed_table

    data = children.assign(person_key=[person_key(p) for p in children["person_id"]])
    with contextlib.redirect_stdout(io.StringIO()):  # it prints a line per validation
        table = create_perturbed_table(data=data, ptable=ptable().ons_format(), geog=[], tab_vars=by,
                                       record_key="person_key", use_existing_ons_id=False, threshold=0)
    return table[table["pre_sdc_count"] > 0].set_index(by)["count"]


def as_shown(count: int) -> int | str:
    return SUPPRESSED if 1 <= count <= 4 else count


def test_the_journeys_person_keys_are_the_pseudonyms_hashed(pstore):
    records = pstore.journey_records(Filters())
    keys = disclosure.person_keys(records)
    assert keys.to_dict() == {p: person_key(p) for p in keys.index}
    linked = pstore.linked_persons()  # the partner side, keyed in SQL from the flags table
    assert linked["person_ckey"].tolist() == [person_key(p) for p in linked["person_id"]]


def test_flag_rates_for_scrutiny_are_the_ons_perturbed_counts(pstore):
    children = pstore.children_with_flags(Filters())
    per_child = children.groupby(["ethnic_group", "person_id"])["flag"].agg(lambda f: f.notna().any()).reset_index()
    everyone = ons_counts(per_child, ["ethnic_group"])
    flagged = ons_counts(per_child[per_child["flag"]], ["ethnic_group"])
    shown = linkage.police_flag_rates(children, audience="scrutiny").set_index("ethnic_group")
    exact = linkage.police_flag_rates(children).set_index("ethnic_group")
    assert (shown["children"] != exact["children"]).any(), "some counts must move"
    for label, count in everyone.items():
        group = str(label)
        assert shown.loc[group, "children"] == as_shown(count), group
        assert shown.loc[group, "flagged"] == as_shown(min(flagged.get(group, 0), count)), group
        if shown.loc[group, "children"] != SUPPRESSED and shown.loc[group, "flagged"] != SUPPRESSED:
            assert shown.loc[group, "share"] == pytest.approx(100 * min(flagged.get(group, 0), count) / count)


def test_the_children_in_view_are_the_main_pages_count_of_the_same_children(pstore):
    """The same children, counted on the journeys page and on the main pages, show the same perturbed count."""
    filters = Filters(counting_unit="persons", date_from=date(2025, 11, 1), date_to=date(2026, 10, 31))
    main = pstore.store.perturbed().event_counts(filters).set_index("ethnic_group")["events"]
    journeys_side = linkage.police_flag_rates(pstore.children_with_flags(filters), audience="scrutiny")
    shown = journeys_side.set_index("ethnic_group")["children"]
    assert {g: as_shown(int(v)) for g, v in main.items() if v} == {g: v for g, v in shown.items() if v != 0}


def test_set_sizes_and_pathways_for_scrutiny_are_the_ons_perturbed_counts(pstore):
    records = pstore.journey_records(Filters())
    sets, keys = journeys.role_marker_sets(records), disclosure.person_keys(records)
    shown = journeys.set_sizes(sets, keys, "scrutiny").set_index("set")["children"]
    for name in sets.columns:
        members = pd.DataFrame({"person_id": sets.index[sets[name]], "all": "yes"})
        assert shown[name] == as_shown(int(ons_counts(members, ["all"]).iloc[0])), name
    paths = journeys.pathways(records)
    roles = records.assign(jrole=np.where(records["role"] == "victim", "victim", "suspect"))
    days = roles.groupby(["person_id", "recorded_date"])["jrole"].agg(lambda r: " and ".join(sorted(set(r))))
    order = days.groupby(level=0).cumcount()
    first, second = days[order == 0].droplevel(1), days[order == 1].droplevel(1)
    per_child = pd.DataFrame({"person_id": first.index, "first": first.to_numpy(),
                              "next": second.reindex(first.index).fillna(journeys.NO_NEXT).to_numpy()})
    expected = ons_counts(per_child, ["first", "next"])
    links = journeys.pathway_totals(paths, "scrutiny").set_index(["first", "next"])["children"]
    assert {k: as_shown(int(v)) for k, v in expected.items()} == links.to_dict()


def test_the_scrutiny_incidence_is_a_product_limit_of_perturbed_monthly_counts(pstore):
    """Recomputed by hand: each child's time rounded up to whole months; children by month and event, each count
    perturbed by its cell key (the sum of its children's keys modulo 256); then prod (1 - d_j / n_j)."""
    records = pstore.journey_records(Filters())
    end = journeys.end_of_data(records)
    data = survival.follow_up(records, end)
    shown = survival.cumulative_incidence(records, end, audience="scrutiny")
    exact = survival.cumulative_incidence(records, end)
    for group in ("White", "Black", "Asian"):
        part = data[data["ethnic_group"] == group]
        months = np.ceil(part["days"].to_numpy() / survival.DAYS_PER_MONTH).astype(int)
        keys = np.array([person_key(p) for p in part.index])
        event = part["event"].to_numpy(bool)
        cells = {}
        for month, hit in {(int(m), bool(e)) for m, e in zip(months, event, strict=True)}:
            members = (months == month) & (event == hit)
            cells[month, hit] = int(perturb([members.sum()], [keys[members].sum() % 256])[0])
        s = 1.0
        for month in range(1, 13):
            at_risk = sum(v for (m, _), v in cells.items() if m >= month)
            events = cells.get((month, True), 0)
            if at_risk:
                s *= 1 - events / at_risk
        row = shown.table[(shown.table["group"] == group) & (shown.table["months"] == 12)].iloc[0]
        assert row["incidence"] == pytest.approx(1 - s, abs=1e-12), group
        assert row["children"] == as_shown(int(perturb([len(part)], [keys.sum() % 256])[0]))
        truth = exact.table[(exact.table["group"] == group) & (exact.table["months"] == 12)].iloc[0]
        assert abs(row["incidence"] - truth["incidence"]) < 0.05, "close to the exact estimate on this sample"
    assert "perturbed" in shown.method and "perturbed" not in exact.method


# --- differencing attacks: cumulative date ranges a month apart ---------------------------------------------
def published(pstore: PartnerStore, filters: Filters, audience: str) -> dict[tuple, object]:
    """Every count of children the journeys page shows for ``filters`` (every cohort table), by a name."""
    records = pstore.journey_records(filters)
    end = journeys.end_of_data(records)
    out: dict[tuple, object] = {}
    rates = linkage.police_flag_rates(pstore.children_with_flags(filters), audience=audience)
    for row in rates.itertuples():
        out["children in view", row.ethnic_group] = row.children
        out["with a flag", row.ethnic_group] = row.flagged
    sets, keys = journeys.role_marker_sets(records), disclosure.person_keys(records)
    for row in journeys.set_sizes(sets, keys, audience).itertuples():
        out["set", row.set] = row.children
    for row in journeys.pathway_totals(journeys.pathways(records), audience).itertuples():
        out["pathway", row.first, row.next] = row.children
    for direction in journeys.DIRECTIONS:
        table = journeys.crossover(records, direction, end, audience=audience).table
        for row in table.itertuples():
            out[direction, row.split, row.group, "cohort"] = row.denominator
            out[direction, row.split, row.group, "events"] = row.events
    km = survival.cumulative_incidence(records, end, audience=audience).table
    for row in km[km["months"] == 12].itertuples():
        out["incidence", row.group, "children"] = row.children
        out["incidence", row.group, "events"] = row.events
    return out


def number(value: object) -> int | None:
    """What the reader sees as a number (None for [c])."""
    return None if value == SUPPRESSED else int(str(value))


def differencing(pstore: PartnerStore, months: int) -> dict[str, tuple[int, int]]:
    """For each pair of cumulative date ranges a month apart over the last ``months`` months, every count whose
    true difference is 1-4 (children the threshold is meant to protect) and both of whose values are shown:
    the attacker's difference against the truth. Returns (recovered exactly, attempted) for exact counts with
    1-4 as [c] (before) and for the scrutiny counts (after)."""
    last = pd.Timestamp(SAMPLE_TODAY).to_period("M") - 1
    ends = [(last - k).to_timestamp(how="end").date() for k in range(months, -1, -1)]
    exact, shown = ({end: published(pstore, Filters(date_to=end), audience) for end in ends}
                    for audience in ("analyst", "scrutiny"))
    before = {end: {cell: as_shown(int(str(v))) for cell, v in exact[end].items()} for end in ends}
    tally = {"before": [0, 0], "after": [0, 0]}
    for part_end, whole_end in itertools.pairwise(ends):
        for cell in set(exact[whole_end]) | set(exact[part_end]):
            difference = int(str(exact[whole_end].get(cell, 0))) - int(str(exact[part_end].get(cell, 0)))
            if not 1 <= difference <= 4:
                continue
            for name, source in (("before", before), ("after", shown)):
                seen = [number(source[e].get(cell, 0)) for e in (whole_end, part_end)]
                if None in seen:
                    continue
                tally[name][1] += 1
                tally[name][0] += int(seen[0] - seen[1] == difference)  # type: ignore[operator]
    return {name: (recovered, attempted) for name, (recovered, attempted) in tally.items()}


def test_the_sample_example_no_longer_gives_the_hidden_child_back(pstore):
    """The leak as found: Asian children with a flag, to the end of October minus to the end of September."""
    def flagged(audience: str, date_to: date, date_from: date | None = None) -> int | str:
        rates = linkage.police_flag_rates(pstore.children_with_flags(Filters(date_from=date_from, date_to=date_to)),
                                          audience=audience)
        value = str(rates.set_index("ethnic_group").loc["Asian", "flagged"])
        return value if value == SUPPRESSED else int(value)

    october, september = date(2026, 10, 31), date(2026, 9, 30)
    assert flagged("scrutiny", october, date_from=date(2026, 10, 1)) == SUPPRESSED
    assert int(flagged("analyst", october)) - int(flagged("analyst", september)) == 1  # the leak, exact
    assert int(flagged("scrutiny", october)) - int(flagged("scrutiny", september)) != 1


def test_differencing_the_sample_recovers_at_most_a_quarter(pstore, capsys):
    before, after = differencing(pstore, months=6).values()
    with capsys.disabled():
        print(f"\njourneys, sample, 6 months: before {before[0]} of {before[1]}, after {after[0]} of {after[1]}")
    assert before[1] >= 10 and before[0] == before[1]
    assert after[1] >= 10 and after[0] <= after[1] / 4


@pytest.mark.slow
def test_differencing_100000_records_recovers_at_most_a_quarter(tmp_path_factory, capsys):
    folder = tmp_path_factory.mktemp("journeys-100k")
    extract, population = write_sample(folder, seed=PLANTED_SEED, n_records=100_000)
    store = PartnerStore(Store(build(extract, population, folder)))
    before, after = differencing(store, months=24).values()
    with capsys.disabled():
        print(f"\njourneys, 100,000 records, 24 months: before {before[0]} of {before[1]}, "
              f"after {after[0]} of {after[1]}")
    assert before[1] >= 50 and before[0] == before[1]
    assert after[1] >= 50 and after[0] <= after[1] / 4
