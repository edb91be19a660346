"""Ledger benchmark: append, verify and proof figures on SQLite and PostgreSQL.

For each engine: batch append rate (batches of 1000) while the ledger grows to --entries; single-event
durable append rate; full verification rate at that size (median of three runs of `flask ledger verify`,
each in a fresh process); median and 95th-percentile latency of inclusion and consistency proofs.
PostgreSQL uses a throwaway database created on --pg-url's server and dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, text

from registry import create_app
from registry.config import PROJECT_ROOT
from registry.extensions import db
from registry.instance import initialise
from registry.ledger.events import NewEvent
from registry.ledger.runtime import ledger

VERIFY_RUNS = 3  # the machines are noisy: the figure is the median of these runs


def sample_event(number: int) -> NewEvent:
    # An event type no projection handles: the benchmark measures the ledger, not the custody rules.
    return NewEvent(
        "item.noted",
        {
            "serial": f"1M8GDM9AXKP{number % 1_000_000:06d}",
            "from": f"party-{number % 977}",
            "to": f"party-{(number + 1) % 977}",
            "reason": "sale",
            "document": f"INV-{number:09d}",
        },
        item=f"item-{number % 50_000}",
    )


def run_engine(name: str, url: str, entries: int, seed: int) -> dict:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "REGISTRY_INSTANCE": str(Path(folder) / "instance"),
                "LEDGER_ORIGIN": "bench.serial-ledger.localhost/log",
            }
        )
        with app.app_context():
            initialise(app, demo=False)
            service = ledger()
            now = datetime.now(timezone.utc)
            batch_rates, number = [], 1
            started = time.perf_counter()
            while number < entries:
                batch = [sample_event(n) for n in range(number, min(number + 1000, entries))]
                begin = time.perf_counter()
                service.append(batch, actor="bench:loader", now=now)
                batch_rates.append(len(batch) / (time.perf_counter() - begin))
                number += len(batch)
                if len(batch_rates) % 100 == 0:
                    print(f"  [{name}] {number:,} entries, {time.perf_counter() - started:.0f} s", flush=True)
            single = []
            for n in range(300):
                begin = time.perf_counter()
                service.append([sample_event(entries + n)], actor="bench:single", now=now)
                single.append(time.perf_counter() - begin)
            size = service.size()
            db.session.remove()
            db.engine.dispose()  # the loader closes its connections, as a stopped registry would

            verify_runs = [timed_cli_verify(app, url, size) for _ in range(VERIFY_RUNS)]
            verify_seconds = statistics.median(verify_runs)
            hash_seconds = raw_hash_seconds(url)

            inclusion, consistency = [], []
            for _ in range(300):
                index = rng.randrange(size)
                begin = time.perf_counter()
                service.inclusion_proof(index, size)
                inclusion.append(time.perf_counter() - begin)
                size1 = rng.randrange(1, size)
                begin = time.perf_counter()
                service.consistency_proof(size1, size)
                consistency.append(time.perf_counter() - begin)
            db.session.remove()
            db.engine.dispose()
    return {
        "engine": name,
        "size": size,
        "batch_append_median": statistics.median(batch_rates),
        "single_append_median": 1 / statistics.median(single),
        "verify_rate": size / verify_seconds,
        "verify_seconds": verify_seconds,
        "verify_rates": [size / seconds for seconds in verify_runs],
        "raw_hash_rate": size / hash_seconds,
        "inclusion_ms": (statistics.median(inclusion) * 1e3, percentile(inclusion, 95) * 1e3),
        "consistency_ms": (statistics.median(consistency) * 1e3, percentile(consistency, 95) * 1e3),
    }


def raw_hash_seconds(url: str) -> float:
    """Seconds this machine takes, in the same run and on the same bodies, for the least any verifier
    must do: every leaf hash and every node hash of the tree, in the tightest Python loop (reading
    the bodies is not counted). The verify rate is quoted beside it as a share of this limit."""
    from hashlib import sha256

    from registry.config import normalise_database_url

    engine = create_engine(normalise_database_url(url))
    spent, stack = 0.0, []
    try:
        with engine.connect() as connection:
            rows = connection.execution_options(stream_results=True, yield_per=50_000).execute(
                text("SELECT body FROM ledger_entry ORDER BY entry_index")
            )
            for chunk in rows.partitions():
                bodies = [bytes(row[0]) for row in chunk]
                begin = time.perf_counter()
                for body in bodies:
                    level, node = 0, sha256(b"\x00" + body).digest()
                    while stack and stack[-1][0] == level:
                        node = sha256(b"\x01" + stack.pop()[1] + node).digest()
                        level += 1
                    stack.append((level, node))
                spent += time.perf_counter() - begin
    finally:
        engine.dispose()
    return spent


def timed_cli_verify(app, url: str, size: int) -> float:
    """Seconds `flask ledger verify`, run in a fresh process as an operator runs it, reports for the
    verification itself (the process's start-up, about 2 s of imports here, is not counted)."""
    env = {**os.environ, "DATABASE_URL": url, "REGISTRY_INSTANCE": app.instance_path, "FLASK_APP": "wsgi"}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "ledger", "verify"], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    timing = re.search(r"checked [\d,]+ entries in ([\d.]+) s", result.stderr)
    if result.returncode != 0 or f"OK: {size} entries" not in result.stdout or timing is None:
        raise RuntimeError(f"verification failed: {result.stdout}{result.stderr}")
    return float(timing.group(1))


def percentile(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def postgres_database(server_url: str):
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    return admin, name, server_url.rsplit("/", 1)[0] + "/" + name


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench ledger", description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, python {platform.python_version()}, "
        f"{__import__('os').cpu_count()} cores"
    )
    results = []
    for engine in args.engines.split(","):
        if engine == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                results.append(run_engine("sqlite", f"sqlite:///{folder}/bench.sqlite3", args.entries, args.seed))
        elif engine == "postgresql":
            admin, name, url = postgres_database(args.pg_url)
            try:
                results.append(run_engine("postgresql", url, args.entries, args.seed))
            finally:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                admin.dispose()
        else:
            parser.error(f"unknown engine {engine!r}")
    print()
    print(
        "| engine | entries | batch append (events/s, median of 1000-event batches) "
        "| single durable append (events/s, median) | full verify (entries/s, median of 3 runs; the runs) "
        "| raw leaf+node hashing of the same bodies (entries/s; verify as a share of it) "
        "| inclusion proof ms (median / p95) | consistency proof ms (median / p95) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        runs = ", ".join(f"{x:,.0f}" for x in r["verify_rates"])
        print(
            f"| {r['engine']} | {r['size']:,} | {r['batch_append_median']:,.0f} | {r['single_append_median']:,.0f} "
            f"| {r['verify_rate']:,.0f} ({r['verify_seconds']:.1f} s; {runs}) "
            f"| {r['raw_hash_rate']:,.0f} ({r['verify_rate'] / r['raw_hash_rate']:.0%}) "
            f"| {r['inclusion_ms'][0]:.2f} / {r['inclusion_ms'][1]:.2f} "
            f"| {r['consistency_ms'][0]:.2f} / {r['consistency_ms'][1]:.2f} |"
        )
    return 0
