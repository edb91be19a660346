"""A separate process that imports a CSV file and stops for good once the first batch is written,
for the killed-import test.

Usage: python import_worker.py FILE.csv RECIPIENT_PARTY_ID   (instance and database from the environment)
Prints "writing" once a batch is in the ledger's open transaction, then waits to be killed.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from registry import create_app  # noqa: E402
from registry.custody import bulk  # noqa: E402
from registry.custody.runtime import custody  # noqa: E402


def main(path: str, recipient: str) -> None:
    app = create_app()
    with app.app_context():
        rows = bulk.read_csv(Path(path).read_text())

        def progress(done: int) -> None:
            if done > len(rows) // 2:  # past the checks: a batch has been appended
                print("writing", flush=True)
                time.sleep(600)

        bulk.import_rows(
            custody(),
            rows,
            recipient_party_id=recipient,
            actor="test:import",
            now=datetime.now(timezone.utc),
            progress=progress,
        )
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
