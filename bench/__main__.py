"""`python -m bench NAME [options]`: run one benchmark and print its figures."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "ledger": "bench.ledger",
    "serials": "bench.serials",
    "custody": "bench.custody",
    "web": "bench.web",
    "recall": "bench.recall",
    "reports": "bench.reports",
    "lists": "bench.lists",
    "floor": "bench.floor",
}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in BENCHMARKS:
        print(f"usage: python -m bench {{{','.join(BENCHMARKS)}}} [options]", file=sys.stderr)
        return 2
    module = importlib.import_module(BENCHMARKS[sys.argv[1]])
    return module.main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
