"""Floor benchmark: what this machine gives the transfer benchmark's load shape before the registry
does any work, as the limit its figure is read against.

The same harness as `python -m bench custody`'s transfers over HTTP (gunicorn, 2 workers of 4
threads, 8 client processes on loopback with keep-alive connections, each POSTing a transfer's JSON
body with a bearer token for --seconds) against `bench/floor_app.py`, a Flask app with only that
route, run two ways: answering at once, and committing one durable PostgreSQL transaction per
request under the ledger's advisory lock with one insert.
"""

from __future__ import annotations

import argparse
import json
import os
import platform

from sqlalchemy import create_engine, text

from bench.http_load import gunicorn, load
from bench.scratch import scratch_registry

CLIENTS = 8


def plans() -> list[list]:
    headers = {"Authorization": "Bearer floor", "Content-Type": "application/json"}
    body = json.dumps({"date": "2026-11-20", "to_party_id": "00000000-0000-4000-8000-000000000000"})
    return [
        [("POST", f"/api/v1/items/floor-{n}-{k}/transfers", body, headers) for k in range(50)] for n in range(CLIENTS)
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench floor", description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args(argv)
    print(f"machine: {platform.machine()}, python {platform.python_version()}, {os.cpu_count()} cores")
    results = {}
    with scratch_registry("postgresql", args.pg_url, "bench_floor") as (url, _instance):
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE floor_write (id bigserial PRIMARY KEY, item_id text, body text)"))
        engine.dispose()
        for mode in ("answer", "commit"):
            env = {**os.environ, "FLOOR_MODE": mode, "FLOOR_DATABASE": url}
            with gunicorn(env, app="bench.floor_app:app") as port:
                results[mode] = load(port, plans(), requests=10**9, seconds=args.seconds, expected=201, warmup=5)
    print()
    print("| the route (gunicorn 2 workers, 8 clients) | requests/s | p50 ms | p99 ms | errors |")
    print("|---|---|---|---|---|")
    for mode, label in (
        ("answer", "parses the body and answers 201"),
        ("commit", "also commits one durable PostgreSQL transaction: advisory lock, one insert"),
    ):
        r = results[mode]
        print(f"| {label} | {r['rate']:,.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['errors']} |")
    return 0
