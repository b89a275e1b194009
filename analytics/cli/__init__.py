"""``python -m analytics``: the command line (DESIGN.md section 7).

``main`` holds the parser and dispatches each subcommand to its own module (``sample``, ``load``, ``info``,
``ratios``, ``quality``, ``searches``, ``report``), imported only when that command runs: ``--help`` and a usage error
load the standard library and the code lists, never pandas, scipy, duckdb or plotly. ``options`` holds what the
subcommands share. Exit status 0 on success, 2 on bad input with a one-line reason on stderr.
"""
