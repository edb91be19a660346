"""Web benchmark: requests/s and p50/p99 latency under gunicorn (2 workers) with 8 concurrent clients
on loopback, for an authenticated `GET /api/v1/ledger/entries/<i>` (random entries, an API token)
and the public `GET /checkpoint`. Each target runs --requests requests or --seconds, whichever ends
first, after a short warm-up. Clients and server share the machine's two cores.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import random
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from bench.http_load import gunicorn, load
from registry.config import PROJECT_ROOT, SQLITE_FILE

CLIENTS = 8


def prepare(instance: str, entries: int) -> tuple[int, str]:
    """An instance with demo data grown to about `entries` entries; its size and an auditor's token."""
    from registry import create_app
    from registry.accounts.runtime import accounts
    from registry.extensions import db
    from registry.instance import initialise
    from registry.ledger.events import NewEvent
    from registry.ledger.runtime import ledger

    # The database named explicitly: create_app would otherwise follow a DATABASE_URL in the caller's
    # environment and grow that database, while gunicorn (without it) serves the instance's SQLite.
    app = create_app(
        {"REGISTRY_INSTANCE": instance, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(instance) / SQLITE_FILE}"}
    )
    now = datetime.now(timezone.utc)
    with app.app_context():
        initialise(app, demo=True, now=now)
        service = ledger()
        while service.size() < entries:
            batch = [
                NewEvent("item.noted", {"note": f"bench {n}"}, item=f"bench-{n % 997}")
                for n in range(min(1000, entries - service.size()))
            ]
            service.append(batch, actor="bench:loader", now=now)
        auditor = accounts().by_email("auditor@demo.serial-ledger.localhost")
        _, token = accounts().issue_token(auditor.id, "bench", actor="bench", now=now)
        size = service.size()
        db.session.remove()
        db.engine.dispose()
    return size, token


def check(port: int, path: str, headers: dict) -> None:
    """One request before the load, so a refused token or a failing route stops the run with its answer
    instead of being counted as thousands of errors."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}: {body[:300]!r}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench web", description=__doc__)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20_000, help="per target")
    parser.add_argument("--seconds", type=float, default=30.0, help="per target, at most")
    args = parser.parse_args(argv)
    print(
        f"machine: {platform.machine()}, python {platform.python_version()}, {os.cpu_count()} cores "
        "(server and clients share them)"
    )
    with tempfile.TemporaryDirectory() as folder:
        instance = str(Path(folder) / "instance")
        env = {
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "FLASK_APP": "wsgi",
            "REGISTRY_INSTANCE": instance,
        }
        size, token = prepare(instance, args.entries)
        rng = random.Random(11)
        auth = {"Authorization": f"Bearer {token}"}
        entry_plans = [
            [("GET", f"/api/v1/ledger/entries/{rng.randrange(size)}", None, auth) for _ in range(500)]
            for _ in range(CLIENTS)
        ]
        checkpoint_plans = [[("GET", "/checkpoint", None, {})] for _ in range(CLIENTS)]
        with gunicorn(env) as port:
            check(port, entry_plans[0][0][1], auth)
            check(port, "/checkpoint", {})
            results = {
                "GET /api/v1/ledger/entries/<i> (token)": load(
                    port, entry_plans, requests=args.requests, seconds=args.seconds
                ),
                "GET /checkpoint (public)": load(port, checkpoint_plans, requests=args.requests, seconds=args.seconds),
            }
        subprocess.run(
            [sys.executable, "-m", "flask", "ledger", "verify"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            check=True,
        )
    print(f"\nledger of {size:,} entries (SQLite), gunicorn 2 workers, {CLIENTS} clients\n")
    print("| request | requests | errors | seconds | requests/s | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['requests']:,} | {r['errors']} | {r['seconds']:.1f} | {r['rate']:,.0f} "
            f"| {r['p50']:.1f} | {r['p99']:.1f} |"
        )
    return 0
