"""Custody benchmark: the figures the custody issue asks for, on one engine (PostgreSQL by default).

1. Events/s for acquisitions and dispositions through the custody service, in batches (one ledger
   transaction and one signed checkpoint per batch of --batch events).
2. Bulk import: the first 100,000-row file through the importer (validation, idempotency keys,
   projection), timed alone; further files grow the registry to --items items.
3. Exact-serial search latency (p50/p99, in-process, the query the pages and the API run) at --items,
   and the compliance signals (GET /api/v1/signals in process) with every item held and 200 stolen.
4. Transfers over HTTP: gunicorn with 2 workers, 8 concurrent clients each moving its own items
   between two parties with an API token, for --seconds; then `flask ledger verify` on the result.
   Before them, 500 transfers one after another in this process (Flask's test client): what one
   costs with nothing else on the cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from datetime import datetime, timezone

from bench.http_load import gunicorn, load
from bench.scratch import registry_env, scratch_registry, verify_ledger

MAKER_FFL, DEALER_FFL = "9-87-654-07-8A-00001", "8-23-091-01-7F-14245"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def rows(start: int, count: int) -> list[dict]:
    return [
        {
            "kind": "firearm",
            "scheme": "firearm",
            "serial": f"BN-{n:08d}",
            "manufacturer": "Demo Arms Co.",
            "model": "DA-9",
            "type": "pistol" if n % 3 else "rifle",
            "caliber": "9mm",
            "acquired_on": "2026-11-03",
            "source_ffl": MAKER_FFL,
        }
        for n in range(start, start + count)
    ]


def setup(app, now):
    from registry.custody.runtime import custody
    from registry.instance import initialise

    initialise(app, demo=False, now=now)
    service = custody()
    dealer = service.register_licensee(
        ffl=DEALER_FFL, name="Riverside Sporting Goods", address="1 Main St", actor="bench", now=now
    )
    service.register_licensee(ffl=MAKER_FFL, name="Demo Arms Co.", address="2 Foundry Way", actor="bench", now=now)
    buyers = [
        service.register_organisation(name=f"Fleet {n}", address="5 Depot Rd", actor="bench", now=now).id
        for n in range(2)
    ]
    return dealer.id, buyers


def grow(dealer: str, total: int, now) -> float:
    """Import `total` items in files of 100,000 rows; returns the seconds of the first file."""
    from registry.custody import bulk
    from registry.custody.runtime import custody
    from registry.extensions import db

    first = None
    for start in range(0, total, 100_000):
        began = time.perf_counter()
        report = bulk.import_rows(
            custody(),
            rows(start, min(100_000, total - start)),
            recipient_party_id=dealer,
            actor="bench:import",
            now=now,
        )
        assert report.committed and not report.problems, report.problems[:3]
        first = first if first is not None else time.perf_counter() - began
        db.session.remove()
        print(f"  imported {start + report.imported:,} items", flush=True)
    return first


def batched_events(dealer: str, buyers: list[str], count: int, batch: int, now) -> float:
    """Dispose of and re-acquire items in batches; events per second."""
    from sqlalchemy import select

    from registry.custody.models import Item
    from registry.custody.runtime import custody
    from registry.extensions import db

    items = list(db.session.scalars(select(Item.id).where(Item.status == "in_custody").limit(count // 2)))
    service = custody()
    began, done = time.perf_counter(), 0
    for start in range(0, len(items), batch // 2):
        with service.ledger.batch(now=now):
            service.preload(items[start : start + batch // 2])
            for item in items[start : start + batch // 2]:
                service.dispose(
                    item, on="2026-11-10", from_party_id=dealer, transferee_party_id=buyers[0], actor="bench", now=now
                )
                service.acquire(
                    item, on="2026-11-11", source_party_id=buyers[0], recipient_party_id=dealer, actor="bench", now=now
                )
                done += 2
    return done / (time.perf_counter() - began)


def search_latency(total: int, samples: int = 2000) -> tuple[float, float]:
    from registry.custody import queries
    from registry.extensions import db

    rng, timings = random.Random(7), []
    for _ in range(samples):
        serial = f"bn-{rng.randrange(total):08d}"
        began = time.perf_counter()
        found = queries.search(db.session(), serial=serial, limit=5)
        timings.append(time.perf_counter() - began)
        assert len(found) == 1
    return statistics.median(timings) * 1e3, percentile(timings, 99) * 1e3


def steal(count: int, now) -> None:
    """Report `count` items in custody stolen, through the custody service."""
    from sqlalchemy import select

    from registry.custody.models import Item
    from registry.custody.runtime import custody
    from registry.extensions import db

    service = custody()
    for item in list(db.session.scalars(select(Item.id).where(Item.status == "in_custody").limit(count))):
        service.change_status(
            item,
            status="stolen",
            on="2026-11-20",
            police_report="P-1",
            atf_incident="T-1",
            discovered_at="2026-11-20T08:00:00Z",
            actor="bench",
            now=now,
        )
    db.session.remove()


def signals_latency(app, dealer: str, thefts: int = 200, samples: int = 15) -> tuple[float, float, int]:
    """GET /api/v1/signals in process, as an officer, with every imported item held and `thefts` of
    them stolen: median and worst of `samples` answers (ms), and the open acquisitions it counted."""
    from registry.accounts.runtime import accounts
    from registry.extensions import db

    now = datetime.now(timezone.utc)
    steal(thefts, now)
    officer = accounts().create(
        email="bench-signals@example.test", role="officer", password="bench password 123", actor="bench", now=now
    )
    _, token = accounts().issue_token(officer.id, "bench", actor="bench", now=now)
    db.session.remove()
    client = app.test_client()
    timings, total = [], 0
    for _ in range(samples):
        began = time.perf_counter()
        answer = client.get("/api/v1/signals", headers={"Authorization": f"Bearer {token}"})
        timings.append(time.perf_counter() - began)
        assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
        total = answer.get_json()["totals"]["open_acquisitions"]
        db.session.remove()
    return statistics.median(timings) * 1e3, max(timings) * 1e3, total


def transfers_in_process(app, items: list[str], buyers: list[str], token: str, count: int = 500) -> dict:
    """`count` transfers, one after another, through Flask's test client in this process (the items
    passed back and forth between two parties), after 50 to warm up: the median time of one and the
    process's CPU time per transfer (the signer's thread included), with no HTTP server or client
    beside them on the cores."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    plan = [(item, to) for to in buyers for item in items]
    timings = []
    for turn in range(50 + count):
        item, to = plan[turn % len(plan)]
        if turn == 50:
            timings.clear()
            cpu = time.process_time()
        began = time.perf_counter()
        response = client.post(
            f"/api/v1/items/{item}/transfers", json={"date": "2026-11-20", "to_party_id": to}, headers=headers
        )
        timings.append(time.perf_counter() - began)
        assert response.status_code == 201, response.get_data()[:300]
    return {"median": statistics.median(timings) * 1e3, "cpu": (time.process_time() - cpu) / count * 1e3}


def http_transfers(app, env: dict, dealer: str, buyers: list[str], seconds: float) -> tuple[dict, dict]:
    """8 clients, each moving its own 50 items back and forth between two parties. The items are
    goods (a firearm changes hands only by a disposition and an acquisition, never by a transfer).
    Before them, the same transfers in this process (`transfers_in_process`) on 100 more items."""
    from sqlalchemy import select

    from registry.accounts.runtime import accounts
    from registry.custody import bulk
    from registry.custody.models import Item
    from registry.custody.runtime import custody
    from registry.extensions import db

    service, now = accounts(), datetime.now(timezone.utc)
    goods = [
        {
            "kind": "goods",
            "scheme": "plain",
            "serial": f"GD-{n:05d}",
            "description": "pallet",
            "acquired_on": "2026-11-03",
            "source_ffl": MAKER_FFL,
        }
        for n in range(8 * 50 + 100)
    ]
    imported = bulk.import_rows(custody(), goods, recipient_party_id=dealer, actor="bench:import", now=now)
    assert imported.committed and not imported.problems, imported.problems[:3]
    officer = service.create(
        email="bench-officer@example.test", role="officer", password="bench password 123", actor="bench", now=now
    )
    _, token = service.issue_token(officer.id, "bench", actor="bench", now=now)
    items = list(
        db.session.scalars(
            select(Item.id).where(Item.status == "in_custody", Item.kind == "goods").order_by(Item.serial)
        )
    )
    db.session.remove()
    in_process = transfers_in_process(app, items[8 * 50 :], buyers, token)
    items = items[: 8 * 50]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    plans = [
        [
            ("POST", f"/api/v1/items/{item}/transfers", json.dumps({"date": "2026-11-20", "to_party_id": to}), headers)
            for to in buyers
            for item in items[n::8]
        ]
        for n in range(8)
    ]
    with gunicorn(env) as port:
        return in_process, load(port, plans, requests=10**9, seconds=seconds, expected=201, warmup=0)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench custody", description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=20_000, help="events for the batched service figure")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--engine", choices=("postgresql", "sqlite"), default="postgresql")
    args = parser.parse_args(argv)
    from registry import create_app

    now = datetime.now(timezone.utc)
    print(
        f"machine: {platform.machine()}, python {platform.python_version()}, {os.cpu_count()} cores; "
        f"engine {args.engine}"
    )
    with scratch_registry(args.engine, args.pg_url, "bench_custody") as (url, instance):
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "REGISTRY_INSTANCE": instance,
                "LEDGER_ORIGIN": "bench.serial-ledger.localhost/custody",
            }
        )
        with app.app_context():
            dealer, buyers = setup(app, now)
            import_seconds = grow(dealer, args.items, now)
            events_rate = batched_events(dealer, buyers, args.events, args.batch, now)
            p50, p99 = search_latency(args.items)
            signals_p50, signals_max, held = signals_latency(app, dealer)
            in_process, web = http_transfers(app, registry_env(url, instance), dealer, buyers, args.seconds)
            from registry.extensions import db

            db.session.remove()
            db.engine.dispose()
        verify = verify_ledger(url, instance)
    print()
    print("| figure | value | target |")
    print("|---|---|---|")
    print(
        f"| acquisitions + dispositions through the service, batches of {args.batch} | {events_rate:,.0f} events/s "
        "| >= 5,000 |"
    )
    print(
        f"| transfers over HTTP (gunicorn 2 workers, 8 clients, {args.seconds:.0f} s) | {web['rate']:,.0f} requests/s, "
        f"p50 {web['p50']:.1f} ms, p99 {web['p99']:.1f} ms, {web['errors']} errors | >= 200 /s |"
    )
    print(
        f"| a transfer in the process (Flask's test client, 500 in a row) | median {in_process['median']:.2f} ms, "
        f"process CPU {in_process['cpu']:.2f} ms per transfer | |"
    )
    print(f"| exact-serial search at {args.items:,} items | p50 {p50:.2f} ms, p99 {p99:.2f} ms | p99 <= 10 ms |")
    print(f"| bulk import of {min(args.items, 100_000):,} rows | {import_seconds:.1f} s | <= 60 s for 100,000 |")
    print(
        f"| GET /api/v1/signals with {held:,} held items and 200 thefts (in process, 15 answers) | median "
        f"{signals_p50:.0f} ms, worst {signals_max:.0f} ms | well under 1 s |"
    )
    print(
        "| ledger verify after the run | "
        f"{verify.stdout.strip().splitlines()[-1] if verify.stdout else verify.stderr[-300:]} | OK |"
    )
    return 0
