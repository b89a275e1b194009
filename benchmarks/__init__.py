"""Speed and memory benchmarks (DESIGN.md section 2): scripts run by ``python -m benchmarks`` (``make bench``),
never by the test suite. Each module here with a ``main(argv) -> int`` is one benchmark; results go to
``benchmarks/output/`` (git-ignored)."""
