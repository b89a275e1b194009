"""``python -m analytics``: the command line (``analytics.cli``; DESIGN.md section 7).

Subcommands: ``sample``, ``load``, ``info``, ``ratios``, ``quality``, ``searches``, ``report``. Exit status 0 on
success, 2 on bad input with a one-line reason on stderr.
"""

from __future__ import annotations

import sys

from analytics.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
