"""``python -m analytics``: the command line (DESIGN.md section 7).

Subcommands: ``sample``, ``load``, ``info``, ``ratios``, ``quality``. Exit status 0 on success,
2 on bad input with a one-line reason on stderr.
"""

from __future__ import annotations

import sys

from analytics.commands import main

if __name__ == "__main__":
    sys.exit(main())
