"""Who sees disclosure-controlled counts, and how a suppressed count is shown (GSS/ONS guidance).

Analysts and officers see exact counts; the scrutiny audience (a PCC's public panel) sees
disclosure-controlled counts, with each suppressed count published as ``[c]``.
"""

from __future__ import annotations

#: How a suppressed count is published (the GSS/ONS convention).
SUPPRESSED = "[c]"

AUDIENCES: tuple[str, ...] = ("analyst", "officer", "scrutiny")
#: Audiences that see disclosure-controlled counts (anything public or for publication).
SUPPRESSING_AUDIENCES: frozenset[str] = frozenset({"scrutiny"})


def check_audience(audience: str) -> None:
    """Raise ``ValueError`` unless ``audience`` is one of :data:`AUDIENCES`."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}; expected one of {AUDIENCES}")


def audience_applies_suppression(audience: str) -> bool:
    """True if ``audience`` sees disclosure-controlled counts (``"scrutiny"``); analysts and officers do not."""
    check_audience(audience)
    return audience in SUPPRESSING_AUDIENCES
