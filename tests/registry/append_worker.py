"""A separate process that appends to the ledger, for the concurrency and crash tests.

Usage: python append_worker.py WORKER_ID COUNT BATCH   (instance and database from the environment)
Prints "ready" once the app is up and "done" at the end; each batch is one ledger append.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from registry import create_app  # noqa: E402
from registry.ledger.events import NewEvent  # noqa: E402
from registry.ledger.runtime import ledger  # noqa: E402


def main(worker: str, count: int, batch: int) -> None:
    app = create_app()
    with app.app_context():
        service = ledger()
        print("ready", flush=True)
        for start in range(0, count, batch):
            events = [
                NewEvent("item.noted", {"worker": worker, "n": str(n)}, item=f"w{worker}-{n % 5}")
                for n in range(start, min(start + batch, count))
            ]
            service.append(events, actor=f"worker:{worker}", now=datetime.now(timezone.utc))
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
