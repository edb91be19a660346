"""Second process of a parallel verification: `python -m registry.ledger.tree_worker`.

Reads one JSON request on stdin ({url, size, split, notes, vkeys, held_notes}: the database URL
travels here rather than on the command line, where other users could read it) and prints its
share of the verdict (see `registry.ledger.checks.second_half`) as JSON on stdout.
"""

from __future__ import annotations

import json
import sys

from registry.ledger.checks import second_half


def main() -> int:
    request = json.loads(sys.stdin.read())
    print(
        json.dumps(
            second_half(
                request["url"],
                request["size"],
                request["split"],
                request["notes"],
                request["vkeys"],
                request["held_notes"],
            )
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
