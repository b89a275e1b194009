"""``python -m analytics audit verify``: check the audit log's keyed chain and anchor (issue 14, part 7).

Exit 0 with "audit log intact: N entries ..." on stdout; 1 with one line on stderr when tampering is detected
(an entry edited, removed or re-chained, the log or its anchor deleted or altered); 2 when the log cannot be
read or checked (not SQLite, a folder, another schema, no key)."""

from __future__ import annotations

import argparse
import sys

from analytics import access
from analytics.cli.options import database_path, one_line


def run(args: argparse.Namespace) -> int:
    from analytics.store.audit import AuditLog

    check = AuditLog(access.audit_path(database_path(args))).verify()
    if check.intact:
        print(one_line(check.summary))
    else:
        label = "audit log tampered" if check.exit_status == 1 else "audit log unusable"
        print(f"{label}: {one_line(check.summary)}", file=sys.stderr)
    return check.exit_status
