"""``python -m benchmarks``: run every benchmark; ``python -m benchmarks NAME [ARGS…]`` runs one with its options.

A benchmark is any module in this folder (not starting with ``_``) that defines ``main(argv) -> int``;
add a file and it is picked up. ``python -m benchmarks --list`` names them.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def benchmarks() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])
                  if not m.name.startswith("_") and not m.ispkg)


def run(name: str, argv: list[str]) -> int:
    module = importlib.import_module(f"benchmarks.{name}")
    if not hasattr(module, "main"):
        print(f"benchmarks.{name} has no main(argv); skipped", file=sys.stderr)
        return 0
    print(f"== {name} ==", flush=True)
    started = time.perf_counter()
    status = module.main(argv) or 0
    print(f"== {name}: {'ok' if status == 0 else f'exit {status}'} in {time.perf_counter() - started:.0f} s ==\n",
          flush=True)
    return status


def main(argv: list[str]) -> int:
    names = benchmarks()
    if argv[:1] in (["--list"], ["-l"]):
        print("\n".join(names))
        return 0
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__)
        print("benchmarks:", ", ".join(names))
        return 0
    if argv and not argv[0].startswith("-"):
        if argv[0] not in names:
            print(f"unknown benchmark {argv[0]!r}; known: {', '.join(names)}", file=sys.stderr)
            return 2
        return run(argv[0], argv[1:])
    statuses = [run(name, argv) for name in names]
    return max(statuses, default=0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
