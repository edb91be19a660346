"""Second process of a parallel verification: `python -m registry.ledger.tree_worker`.

Reads one JSON request on stdin ({url, size, notes, vkeys, held_notes}: the database URL travels
here rather than on the command line, where other users could read it) and prints the tree half's
verdict as JSON on stdout.
"""
from __future__ import annotations

import json
import sys

from registry.ledger.checks import tree_verdict


def main() -> int:
    request = json.loads(sys.stdin.read())
    verdict = tree_verdict(request["url"], request["size"], request["notes"], request["vkeys"],
                           request["held_notes"])
    print(json.dumps(verdict.to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
