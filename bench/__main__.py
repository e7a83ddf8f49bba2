"""Run every benchmark in turn: `python -m bench [name ...]`."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = (
    "embedded_dynamodb",
    "ledger",
    "passes",
    "languages",
    "push_apns",
    "push",
    "jobs",
    "coldstart",
    "units",
)


def main(names: list[str]) -> int:
    for name in names or BENCHMARKS:
        print(f"\n== bench/{name}.py ==", flush=True)
        importlib.import_module(f"bench.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
