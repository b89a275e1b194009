"""Text for one-line messages, shared by the command line and the store (no heavy imports)."""

from __future__ import annotations


def printable(text: str) -> str:
    r"""``text`` with control and other non-printable characters escaped (as ``\x1b``), so a hostile file name
    cannot move the cursor, clear the screen or hide part of a message on a terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
