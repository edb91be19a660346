"""Second process of a parallel verification: `python -m registry.ledger.range_worker`.

Reads one JSON request on stdin ({url, start, stop, sizes}: the database URL travels here rather
than on the command line, where other users could read it) and prints the pass over entries
[start, stop) (see `registry.ledger.checks.later_range`) as JSON on stdout.
"""

from __future__ import annotations

import json
import sys

from registry.ledger.checks import later_range


def main() -> int:
    request = json.loads(sys.stdin.read())
    print(json.dumps(later_range(request["url"], request["start"], request["stop"], request["sizes"]).to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
