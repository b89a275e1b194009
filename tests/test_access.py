"""Access by role and the audit log (issue 6, parts 4 and 5).

Unit tests for the role mapping and permissions (``analytics.access``) and the append-only audit log
(``analytics.store.AuditLog``); app tests (AppTest, local single-user mode with ``MONITOR_LOCAL_ROLE``)
that every page, download and pack edition is refused on the server to a role that may not have it;
and command-line tests of the same limits. The sign-in itself is tested end to end in test_oidc.py.
"""

from __future__ import annotations

import io
import json
import sqlite3
import threading
from pathlib import Path
from typing import cast

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import PageLink

from analytics import access, disparity, report
from analytics.cli import main as commands
from analytics.filters import Filters
from analytics.store import AuditLog, AuditUnusable
from tests.guards import STEP_GUARD_S
from ui.page import PAGES

ROOT = Path(__file__).resolve().parents[1]
ENTRY = ROOT / "dashboard.py"
TIMEOUT = STEP_GUARD_S  # a hang guard per script run (tests/guards.py)
#: A slice small enough that some groups have 1-4 children (so disclosure control has work to do).
SMALL = {"role": "offender", "area": "E07000148", "age": "10-13", "sex": "F"}
SMALL_ARGS = ["--role", "offender", "--area", "E07000148", "--age-band", "10-13", "--sex", "F"]


# --------------------------------------------------------------------------------------------
# Roles and permissions
# --------------------------------------------------------------------------------------------
def test_permissions_by_role():
    assert access.can("analyst", access.RECORDS) and access.can("analyst", access.AUDIT_LOG)
    assert not access.can("officer", access.RECORDS) and access.can("officer", access.EXACT_COUNTS)
    assert access.can("officer", access.PACK_OFFICERS) and not access.can("officer", access.AUDIT_LOG)
    for permission in (access.RECORDS, access.EXACT_COUNTS, access.PACK_OFFICERS, access.LOAD_DATA, access.AUDIT_LOG):
        assert not access.can("scrutiny", permission)
    assert access.can("scrutiny", access.PACK_SCRUTINY) and access.can("scrutiny", access.CONTROLLED_EXPORT)
    assert not access.can(None, access.CONTROLLED_EXPORT) and not access.can("admin", access.PACK_SCRUTINY)
    with pytest.raises(access.AccessDenied, match="scrutiny role may not use record-level data"):
        access.require("scrutiny", access.RECORDS)
    assert access.pack_audiences("scrutiny") == ("scrutiny",)
    assert access.pack_audiences("officer") == ("officers", "scrutiny")
    assert access.pack_audiences(None) == ()


def test_every_page_has_an_explicit_access_decision():
    """A new page must be given its roles in analytics.access.PAGE_ROLES (unlisted pages are analysts only)."""
    missing = [path for path, _, _ in PAGES if path not in access.PAGE_ROLES]
    assert not missing, f"pages without an access decision: {missing}"
    assert access.page_roles("pages/records.py") == {"analyst"}
    assert access.page_roles("pages/audit_log.py") == {"analyst"}
    assert access.page_roles("pages/not_yet_reviewed.py") == {"analyst"}  # deny by default
    assert access.can_open("scrutiny", "pages/monthly_pack.py") and access.can_open("scrutiny", "dashboard.py")
    assert not access.can_open("scrutiny", "pages/records.py") and not access.can_open("scrutiny", "pages/audit_log.py")


def test_role_from_a_claim():
    config = access.RoleConfig(role_claim="roles")
    assert access.role_from_claims({"roles": "officer"}, config) == "officer"
    assert access.role_from_claims({"roles": ["Analyst"]}, config) == "analyst"
    assert access.role_from_claims({"roles": ["analyst", "scrutiny"]}, config) == "scrutiny"  # least privileged
    assert access.role_from_claims({"roles": "analyst, officer"}, config) == "officer"
    assert access.role_from_claims({"roles": ["superuser"]}, config) is None
    assert access.role_from_claims({"roles": 3}, config) is None
    assert access.role_from_claims({"email": "a@x"}, config) is None  # no claim, no role
    assert access.role_from_claims({"groups": "analyst"}, config) is None  # another claim is not read
    mapped = access.RoleConfig.from_mapping({"role_claim": "groups", "claim_values": {"YVDM-Panel": "scrutiny"}})
    assert access.role_from_claims({"groups": ["Staff", "YVDM-Panel"]}, mapped) == "scrutiny"
    with pytest.raises(ValueError, match="unknown role"):
        access.RoleConfig.from_mapping({"claim_values": {"X": "admin"}})


def test_role_from_the_role_file(tmp_path):
    path = tmp_path / "roles.toml"
    path.write_text('[users]\n"Ana@Force.example" = "analyst"\n"panel@pcc.example" = "scrutiny"\n')
    users = access.read_role_file(path)
    config = access.RoleConfig.from_mapping({"role_file": str(path)})
    assert config.role_file == path
    assert access.role_from_claims({"email": "ana@force.example"}, config, users) == "analyst"
    # the role file is the administrator's explicit decision: it wins over the claim
    assert access.role_from_claims({"email": "panel@pcc.example", "roles": "analyst"}, config, users) == "scrutiny"
    assert access.role_from_claims({"sub": "panel@pcc.example"}, config, users) == "scrutiny"
    assert access.role_from_claims({"email": "stranger@x", "roles": "officer"}, config, users) == "officer"
    assert access.role_from_claims({"email": "stranger@x"}, config, users) is None
    path.write_text('[users]\n"a@x" = "root"\n')
    with pytest.raises(ValueError, match="unknown role 'root'"):
        access.read_role_file(path)
    path.write_text("[users\n")
    with pytest.raises(ValueError, match="cannot read the role file"):
        access.read_role_file(path)


def test_user_label_and_loopback():
    assert access.user_label({"sub": "123", "email": "a@x"}) == "a@x"
    assert access.user_label({"sub": "123"}) == "123"
    for address in ("127.0.0.1", "localhost", "::1", "[::1]", "LOCALHOST"):
        assert access.is_loopback(address), address
    for other in (None, "", "0.0.0.0", "::", "192.168.1.20", "127.0.0.1.example.org"):
        assert not access.is_loopback(other), other


def test_local_and_command_line_roles(monkeypatch, tmp_path):
    assert access.local_role({}) == "analyst"
    assert access.local_role({"MONITOR_LOCAL_ROLE": "Scrutiny"}) == "scrutiny"
    with pytest.raises(ValueError, match="unknown role"):
        access.local_role({"MONITOR_LOCAL_ROLE": "admin"})
    monkeypatch.chdir(tmp_path)  # no monitor.toml here
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)
    assert access.cli_role(None, {}) == "analyst"
    assert access.cli_role("scrutiny", {}) == "scrutiny"  # lowering is allowed
    assert access.cli_role(None, {"MONITOR_ROLE": "officer"}) == "officer"
    with pytest.raises(access.AccessDenied, match="asks for more"):
        access.cli_role("analyst", {"MONITOR_ROLE": "officer"})
    (tmp_path / "monitor.toml").write_text('role = "scrutiny"\n')
    assert access.cli_role(None, {}) == "scrutiny"
    with pytest.raises(access.AccessDenied):
        access.cli_role("officer", {})


def test_command_policy():
    for role in access.ROLES:
        access.check_command(role, "ratios")
        access.check_command(role, "report", audience="scrutiny")
    access.check_command("officer", "report", audience="officers")
    access.check_command("officer", "searches", subcommand="ratios")
    for command, options in [("info", {}), ("quality", {}), ("load", {}), ("sample", {}),
                             ("report", {"audience": "officers"}), ("searches", {"subcommand": "ratios"})]:
        with pytest.raises(access.AccessDenied):
            access.check_command("scrutiny", command, **options)
    with pytest.raises(access.AccessDenied):
        access.check_command("officer", "load")
    with pytest.raises(access.AccessDenied):
        access.check_command("officer", "searches", subcommand="load")


def test_scrutiny_tables_are_disclosure_controlled(sample_store):
    filters = Filters(roles=("offender",), areas=("E07000148",), age_bands=("10-13",), sexes=("F",))
    raw = disparity.population_rates(sample_store, filters)
    assert ((raw.table["events"] >= 1) & (raw.table["events"] <= 4)).any(), "the slice should have small counts"
    assert access.controlled_table(raw, "analyst") is raw and access.controlled_table(raw, "officer") is raw
    shown = access.controlled_table(raw, "scrutiny")
    events = shown.table["events"]
    assert (events == "[c]").any()
    numbers = pd.to_numeric(events[events != "[c]"])
    assert not ((numbers >= 1) & (numbers <= 4)).any()
    assert shown.table.loc[events == "[c]", "rate"].isna().all()
    assert access.controlled_table(shown, "scrutiny") is shown  # idempotent
    assert access.shown_groups(shown) < access.shown_groups(raw) | {"White"}


# --------------------------------------------------------------------------------------------
# Audit log
# --------------------------------------------------------------------------------------------
def test_audit_log_appends_and_refuses_changes(tmp_path):
    log = AuditLog(tmp_path / "audit.sqlite")
    assert log.entries().empty and log.verify().intact
    first = log.append(user="ana", role="analyst", source="dashboard", action="export", what="records.csv", kind="csv",
                       rows=12, filters="role: victim", query={"role": "victim"}, data_version="v1",
                       page="pages/records.py")
    log.append(user="sam", role="scrutiny", source="cli", action="pack", what="pack 2026-10")
    entries = log.entries()
    assert list(entries["user"]) == ["sam", "ana"]  # newest first
    row = entries.iloc[1]
    assert row["id"] == first and row["role"] == "analyst" and json.loads(row["query"]) == {"role": "victim"}
    assert row["at"].endswith("+00:00") and row["data_version"] == "v1" and row["rows"] == 12
    with pytest.raises(ValueError, match="needs role"):
        log.append(user="x", role="", source="cli", action="export", what="f")
    with pytest.raises(ValueError, match="unknown audit fields"):
        log.append(user="x", role="analyst", source="cli", action="export", what="f", id=1)

    con = sqlite3.connect(log.path)
    try:
        for statement in ("UPDATE audit_log SET user = 'someone else'", "DELETE FROM audit_log",
                          "DELETE FROM audit_log WHERE id = 1",
                          "INSERT OR REPLACE INTO audit_log SELECT * FROM audit_log"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                con.execute(statement)
                con.commit()
    finally:
        con.close()
    check = log.verify()
    assert len(log.entries()) == 2 and check.intact and check.entries == 2
    assert check.summary.startswith("audit log intact: 2 entries, keyed chain and anchor agree")

    # An edit made around the triggers (the file's owner dropping them) breaks the hash chain.
    con = sqlite3.connect(log.path)
    con.executescript("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET role = 'analyst' WHERE user = 'sam';")
    con.close()
    check = log.verify()
    assert check.exit_status == 1 and "entry 2 does not match the keyed chain" in check.summary


def test_audit_log_concurrent_appends_keep_the_chain(tmp_path):
    log = AuditLog(tmp_path / "audit.sqlite")
    errors = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                log.append(user=f"u{n}", role="analyst", source="dashboard", action="export", what=f"{n}-{i}.csv")
        except Exception as exc:  # noqa: BLE001 - any error is a failure, reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(log.entries(limit=None)) == 40 and log.verify().intact


def test_audit_log_lives_outside_the_published_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)
    database = tmp_path / "data" / "monitor.duckdb"
    assert access.audit_path(database, {}) == tmp_path / "data" / "audit.sqlite"
    assert access.audit_path(database, {"MONITOR_AUDIT_DB": "/var/log/yvdm.sqlite"}) == Path("/var/log/yvdm.sqlite")


# --------------------------------------------------------------------------------------------
# The dashboard: pages, navigation, downloads (local single-user mode)
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module", autouse=True)
def _app_data(app_data):
    """Every test here runs against the sample database (``conftest.app_data``)."""
    return app_data


@pytest.fixture
def audit_file(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "audit.sqlite"
    monkeypatch.setenv("MONITOR_AUDIT_DB", str(path))
    return path


def open_page(path: str, role: str, monkeypatch, query: dict | None = None) -> AppTest:
    monkeypatch.setenv("MONITOR_LOCAL_ROLE", role)
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT)
    if query:
        at.query_params.update(query)
    if path != "dashboard.py":
        at.switch_page(path)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def refused(at: AppTest) -> bool:
    """Refused with a plain sentence (an information box, never an error box; issue 15)."""
    return any("This page is not open to the" in i.value for i in at.info) and not at.error


@pytest.mark.parametrize("role", ["officer", "scrutiny"])
def test_pages_a_role_may_not_open_are_refused_on_the_server(role, monkeypatch):
    """A deep link to a page outside the role is refused before any data is read; the navigation lists
    only the role's own pages."""
    allowed = [path for path, _, _ in PAGES if access.can_open(role, path)]
    for path, _, _ in PAGES:
        if path in allowed:
            continue
        at = open_page(path, role, monkeypatch)
        assert refused(at), f"{path} was not refused to {role}"
        assert not at.dataframe and not at.metric and not at.get("plotly_chart"), f"{path} showed data to {role}"
        labels = [cast(PageLink, link).value for link in at.get("page_link")]  # value: the link's label
        # the refusal lists the allowed pages, and so does the sidebar: nothing else is linked
        assert set(labels) == {label for p, label, _ in PAGES if p in allowed}, labels
        assert "Records" not in labels
    captions = " ".join(c.value for c in at.caption)
    assert "Local user" in captions and access.ROLE_LABELS[role] in captions


def test_records_page_works_for_an_analyst(monkeypatch):
    at = open_page("pages/records.py", "analyst", monkeypatch, {"area": "E07000148"})
    assert not refused(at) and not at.error
    assert at.dataframe and "Person (pseudonym)" in at.dataframe[0].value.columns
    assert len(at.get("page_link")) == len(PAGES)  # every page for an analyst


def test_disproportionality_for_scrutiny_shows_c_and_no_small_counts(monkeypatch):
    at = open_page("pages/disproportionality.py", "scrutiny", monkeypatch, SMALL)
    assert not refused(at) and not at.error
    table = next(f.value for f in at.dataframe if {"Group", "Events"} <= set(f.value.columns))  # not a chart's
    events = table["Events"].astype(str)
    assert (events == "[c]").any()
    shown = pd.to_numeric(events.str.replace(",", ""), errors="coerce").dropna()
    assert not ((shown >= 1) & (shown <= 4)).any(), f"small counts shown to scrutiny: {list(events)}"
    assert any("Not shown to the scrutiny role" in i.value for i in at.info)  # the missing-ethnicity bounds
    exact = open_page("pages/disproportionality.py", "analyst", monkeypatch, SMALL)
    events = next(f.value for f in exact.dataframe if "Events" in f.value.columns)["Events"]
    assert "[c]" not in events.astype(str).tolist()


def test_monthly_pack_offers_scrutiny_only_the_scrutiny_edition(monkeypatch):
    at = open_page("pages/monthly_pack.py", "scrutiny", monkeypatch)
    assert not at.error
    audience = next(r for r in at.radio if r.key == "pack_audience")
    assert audience.options == [report.AUDIENCE_LABELS["scrutiny"]]
    officer = open_page("pages/monthly_pack.py", "officer", monkeypatch)
    choice = next(r for r in officer.radio if r.key == "pack_audience")
    assert len(choice.options) == 2
    assert choice.value == "scrutiny"  # issue 15: the publishable edition unless the officers' one is chosen


class Captured:
    """``st.download_button`` with the data callable kept, so a test can 'click' it."""

    def __init__(self, monkeypatch):
        self.calls: list[dict] = []
        original = st.download_button

        def capture(label, data, file_name=None, mime=None, **kwargs):
            self.calls.append({"label": label, "data": data, "file_name": file_name})
            return original(label, data, file_name=file_name, mime=mime, **kwargs)

        monkeypatch.setattr(st, "download_button", capture)


def test_a_download_is_audited_when_it_is_made(monkeypatch, audit_file):
    captured = Captured(monkeypatch)
    at = open_page("pages/records.py", "analyst", monkeypatch, {"area": "E07000148", "role": "victim"})
    assert not at.error
    (call,) = [c for c in captured.calls if c["file_name"] == "records.csv"]
    assert callable(call["data"]) and not audit_file.exists()  # nothing made or recorded until the click
    body = call["data"]()
    assert body.startswith("\ufeff# Filters:".encode())
    (entry,) = AuditLog(audit_file).entries().to_dict("records")
    assert entry["what"] == "records.csv" and entry["kind"] == "csv" and entry["action"] == "export"
    assert entry["role"] == "analyst" and entry["user"].endswith("(local)") and entry["source"] == "dashboard"
    assert entry["page"] == "pages/records.py" and entry["data_version"]
    assert "district: E07000148" in entry["filters"] and "role: victim" in entry["filters"]
    assert json.loads(entry["query"]) == {"area": "E07000148", "role": "victim"}
    assert 0 < entry["rows"] < body.count(b"\n")  # the CSV has the rows, a header and note lines


def test_a_download_fails_rather_than_go_unrecorded(monkeypatch, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("MONITOR_AUDIT_DB", str(blocker / "audit.sqlite"))
    captured = Captured(monkeypatch)
    open_page("pages/records.py", "analyst", monkeypatch, {"area": "E07000148"})
    (call,) = [c for c in captured.calls if c["file_name"] == "records.csv"]
    # the audit log's folder is a file: refused with one line (AuditUnusable, issue 14) rather than an OSError
    with pytest.raises(AuditUnusable, match=r"cannot be read \(Not a directory\)"):
        call["data"]()


def _download_script():
    import pandas as pd
    import streamlit as st

    from analytics import access
    from ui import auth, render

    auth.identify()
    render.download(pd.DataFrame({"a": [1]}), "exact.csv", [], key="exact")
    render.download(pd.DataFrame({"a": [1]}), "records.csv", [], key="records", permission=access.RECORDS)
    render.download_file("Pack", b"x", "pack.html", "text/html", "pack", kind="html",
                         permission=access.PACK_OFFICERS, action="pack")
    st.write("done")


@pytest.mark.parametrize("role, offered", [("analyst", {"exact.csv", "records.csv", "pack.html"}),
                                           ("officer", {"exact.csv", "pack.html"}),
                                           ("scrutiny", set())])
def test_downloads_are_refused_to_roles_without_the_permission(role, offered, monkeypatch):
    captured = Captured(monkeypatch)
    monkeypatch.setenv("MONITOR_LOCAL_ROLE", role)
    at = AppTest.from_function(_download_script, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert {c["file_name"] for c in captured.calls} == offered
    refusals = [c.value for c in at.caption if c.value.startswith("Download not available")]
    assert len(refusals) == 3 - len(offered)


def test_without_sign_in_the_dashboard_serves_loopback_only(monkeypatch):
    from streamlit import config

    before = config.get_option("server.address")
    try:
        for address in ("0.0.0.0", "192.168.1.20", None):
            config.set_option("server.address", address)
            for path in ("dashboard.py", "pages/about.py"):
                at = open_page(path, "analyst", monkeypatch)
                assert at.error and "only serves this computer" in at.error[0].value
                assert not at.get("page_link") and not at.dataframe and not at.metric
        config.set_option("server.address", "::1")
        assert not open_page("pages/about.py", "analyst", monkeypatch).error
    finally:
        config.set_option("server.address", before)


def test_an_unknown_local_role_is_an_error_not_a_default(monkeypatch):
    at = open_page("pages/about.py", "superuser", monkeypatch)
    assert at.error and "unknown role" in at.error[0].value and not at.get("page_link")


def test_audit_log_page_lists_exports_for_analysts(monkeypatch, audit_file):
    AuditLog(audit_file).append(user="ana", role="analyst", source="dashboard", action="export", what="x.csv")
    at = open_page("pages/audit_log.py", "analyst", monkeypatch)
    assert any("audit log intact: 1 entries" in s.value for s in at.success)
    assert at.dataframe and at.dataframe[0].value["what"].tolist() == ["x.csv"]
    assert refused(open_page("pages/audit_log.py", "officer", monkeypatch))


@pytest.mark.parametrize("damage", ["garbage", "deleted"])
def test_audit_log_page_says_in_one_line_that_the_log_is_broken(monkeypatch, audit_file, damage):
    """Issue 14, part 7: a garbage file or a deleted log (its anchor remains) is one plain line, never a traceback
    and never "nothing exported yet"."""
    if damage == "garbage":
        audit_file.write_bytes(b"\x00garbage" * 500)
    else:
        AuditLog(audit_file).append(user="ana", role="analyst", source="dashboard", action="export", what="x.csv")
        audit_file.unlink()
    at = open_page("pages/audit_log.py", "analyst", monkeypatch)
    assert not at.success and len(at.error) == 1 and not at.info and not at.dataframe
    expected = "not a readable audit log" if damage == "garbage" else "missing but its anchor records 1 entries"
    assert expected in at.error[0].value and "Traceback" not in at.error[0].value


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------
@pytest.fixture
def cli_env(monkeypatch, tmp_path, sample_db):
    monkeypatch.chdir(tmp_path)  # no monitor.toml
    for name in ("MONITOR_ROLE", "MONITOR_CONFIG", "MONITOR_AUDIT_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MONITOR_AUDIT_DB", str(tmp_path / "audit.sqlite"))
    return ["--db", str(sample_db)]


def test_cli_ratios_for_scrutiny_are_disclosure_controlled(cli_env, capsys):
    assert commands.main(["ratios", *SMALL_ARGS, *cli_env, "--as-role", "scrutiny"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"events": str})
    assert (table["events"] == "[c]").any()
    numbers = pd.to_numeric(table["events"], errors="coerce").dropna()
    assert not ((numbers >= 1) & (numbers <= 4)).any()
    assert commands.main(["ratios", *SMALL_ARGS, *cli_env, "--as-role", "scrutiny", "--format", "json",
                          "--adjust-for", "age_band"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert any("[c]" in rule for rule in document["metadata"]["disclosure_control"])
    shown = {row["group"] for row in document["rows"] if row["ratio"] is not None}
    assert {row["group"] for row in document["adjusted"]} <= shown
    assert commands.main(["ratios", *SMALL_ARGS, *cli_env]) == 0  # analyst (the local default): exact
    assert "[c]" not in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["info"], ["quality"], ["report", "--month", "2026-10", "--audience", "officers"],
                                  ["load", "x.csv"], ["sample"]])
def test_cli_refuses_scrutiny_what_prints_exact_counts(argv, cli_env, capsys, monkeypatch):
    monkeypatch.setenv("MONITOR_ROLE", "scrutiny")
    assert commands.main([*argv, *cli_env]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: not allowed: the scrutiny role may not") and err.count("\n") == 1
    assert commands.main(["--as-role", "scrutiny", "searches", "ratios", *cli_env]) == 2


def test_cli_role_cannot_be_raised_above_the_configured_one(cli_env, capsys, monkeypatch):
    monkeypatch.setenv("MONITOR_ROLE", "officer")
    assert commands.main(["ratios", "--role", "suspect", *cli_env, "--as-role", "analyst"]) == 2
    assert "asks for more than the configured officer role" in capsys.readouterr().err
    monkeypatch.setenv("MONITOR_ROLE", "nobody")
    assert commands.main(["ratios", "--role", "suspect", *cli_env]) == 2
    assert "unknown role" in capsys.readouterr().err


def test_cli_report_is_audited(cli_env, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MONITOR_ROLE", "scrutiny")
    out = tmp_path / "reports"
    assert commands.main(["report", "--month", "2026-10", "--no-pdf", "--out", str(out), "--area", "E07000148",
                          *cli_env]) == 0
    assert list(out.glob("*.html"))
    (entry,) = AuditLog(tmp_path / "audit.sqlite").entries().to_dict("records")
    assert entry["source"] == "cli" and entry["action"] == "pack" and entry["role"] == "scrutiny"
    assert entry["user"].endswith("(command line)") and "2026-10 (scrutiny)" in entry["what"]
    assert "district: E07000148" in entry["filters"] and json.loads(entry["query"])["area"] == ["E07000148"]
    assert entry["data_version"] and entry["kind"] == "html"
    # bad input is refused before anything is recorded
    assert commands.main(["report", "--month", "October", *cli_env]) == 2
    assert len(AuditLog(tmp_path / "audit.sqlite").entries()) == 1


@pytest.mark.parametrize("damage", ["garbage", "folder", "deleted"])
def test_cli_report_with_a_broken_audit_log_is_one_line(cli_env, tmp_path, capsys, damage):
    """Issue 14, part 7 and defect 9 (MONITOR_AUDIT_DB a garbage file or a folder): no pack is made, and the
    reason is one line (a deleted log is not started afresh)."""
    log = AuditLog(tmp_path / "audit.sqlite")
    if damage == "garbage":
        log.path.write_bytes(b"garbage" * 100)
    elif damage == "folder":
        log.path.mkdir()
    else:
        log.append(user="ana", role="analyst", source="dashboard", action="export", what="x.csv")
        log.path.unlink()
    out = tmp_path / "reports"
    assert commands.main(["report", "--month", "2026-10", "--no-pdf", "--out", str(out), *cli_env]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert {"garbage": "file is not a database", "folder": "is a folder, not a file",
            "deleted": "missing but its anchor records 1"}[damage] in err
    assert not out.exists() and (damage != "deleted" or not log.path.exists())


def test_cli_report_out_an_existing_file_is_refused_in_one_line(cli_env, tmp_path, capsys):
    """Issue 14, defect 9: ``--out`` names a folder; an existing file there is refused (never overwritten), before
    anything is recorded."""
    existing = tmp_path / "notes.txt"
    existing.write_text("keep me")
    assert commands.main(["report", "--month", "2026-10", "--no-pdf", "--out", str(existing), *cli_env]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and f"--out {existing} is a file, not a folder" in err, err
    assert existing.read_text() == "keep me" and not (tmp_path / "audit.sqlite").exists()


# --------------------------------------------------------------------------------------------
# Exports only through audited routes (issue 15, part 5)
# --------------------------------------------------------------------------------------------
def test_grid_and_chart_exports_are_off():
    """Streamlit's own exports (the dataframe toolbar's "Download as CSV", copying from tables) are switched off in
    the configuration every server reads, and the chart toolbar has no image download."""
    import tomllib

    from ui import render

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["disableDataExport"] is True
    assert "toImage" in cast(list, render.PLOTLY_CONFIG["modeBarButtonsToRemove"])


def test_error_details_are_never_shown_to_users(caplog):
    """Issue 14, defect 11: with the project's ``client.showErrorDetails`` an exception on a page shows Streamlit's
    redacted message to every role (no traceback, exception text or path), and the details go to the server log."""
    import logging
    import tomllib

    from streamlit import config

    value = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["client"]["showErrorDetails"]
    assert value == "none"
    before = config.get_option("client.showErrorDetails")
    config.set_option("client.showErrorDetails", value)
    try:
        with caplog.at_level(logging.ERROR):
            at = AppTest.from_string("raise ValueError('person P123 in /srv/monitor/data')").run()
    finally:
        config.set_option("client.showErrorDetails", before)
    (shown,) = at.exception
    assert "redacted" in shown.message and "P123" not in shown.message and not shown.stack_trace
    assert "P123" in caplog.text  # logged on the server


class CapturedEverywhere(Captured):
    """:class:`Captured`, and downloads drawn in a container (``column.download_button``) too."""

    def __init__(self, monkeypatch):
        super().__init__(monkeypatch)
        from streamlit.delta_generator import DeltaGenerator

        original = DeltaGenerator.download_button

        def capture(container, label, data, file_name=None, mime=None, **kwargs):
            self.calls.append({"label": label, "data": data, "file_name": file_name})
            return original(container, label, data, file_name=file_name, mime=mime, **kwargs)

        monkeypatch.setattr(DeltaGenerator, "download_button", capture)


def _click_every_download(at: AppTest, captured: Captured) -> list[str]:
    """'Click' every download the page offered (call its data function); the file names clicked."""
    names = []
    for call in captured.calls:
        assert callable(call["data"]), f"{call['file_name']}: made before the click, so not audited on delivery"
        assert call["data"](), call["file_name"]
        names.append(call["file_name"])
    return names


@pytest.mark.parametrize("role", [pytest.param(r, marks=() if r == "analyst" else pytest.mark.slow)
                                  for r in ("analyst", "officer", "scrutiny")])
def test_every_download_on_every_page_is_in_the_audit_log(role, monkeypatch, audit_file):
    """Each page the role may open, each download it offers clicked: one audit record per file, with the role and
    page; the monthly pack's PDF too (made with the button first, where Chromium is installed). The analyst, who
    opens every page, in ``make test``; the officer and scrutiny sweeps in the slow tier."""
    clicked: list[tuple[str, str]] = []
    for path in [p for p, _, _ in PAGES if access.can_open(role, p)]:
        captured = CapturedEverywhere(monkeypatch)
        at = open_page(path, role, monkeypatch, {"area": "E07000148"})
        if path == "pages/monthly_pack.py" and report.find_chromium():
            next(b for b in at.button if b.label == "Make the PDF").click().run()
            assert not at.exception
        clicked += [(path, name) for name in _click_every_download(at, captured)]
        monkeypatch.undo()
        monkeypatch.setenv("MONITOR_AUDIT_DB", str(audit_file))
    entries = AuditLog(audit_file).entries(limit=None).to_dict("records")
    logged = sorted((e["page"], e["what"]) for e in entries)
    assert logged == sorted(clicked)
    assert {e["role"] for e in entries} <= {role}
    assert clicked, f"{role}: no download offered anywhere"
    if role != "scrutiny":
        assert any(name.endswith(".pdf") for _, name in clicked) or not report.find_chromium(), clicked
