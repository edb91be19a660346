"""List pages at scale: every list page and picker of the officer's workbench, in process, signed in as
an officer, on a registry of --items firearms (imported as the custody benchmark does, then 200 of
them stolen and --moves of them sold and bought back) with --parties organisations beside them.

Each page is asked for once to warm up, then --samples times; the figures are the median and the
worst answer in milliseconds, with the page's size. The target is 200 ms for every page.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from datetime import datetime, timezone

from bench.custody import batched_events, grow, setup, steal
from bench.scratch import scratch_registry

TARGET_MS = 200
PASSWORD = "bench password 123"  # never used to sign in: the session is made directly


def more_parties(count: int, now) -> None:
    """`count` organisations, registered through the custody service in batches of 1,000 events."""
    from registry.custody.runtime import custody
    from registry.extensions import db

    service = custody()
    for start in range(0, count, 1000):
        with service.ledger.batch(now=now):
            for n in range(start, min(count, start + 1000)):
                service.register_organisation(name=f"Fleet {n:06d}", address="5 Depot Rd", actor="bench", now=now)
        db.session.remove()


def signed_in_client(app, now):
    """A client holding an officer's browser session, as a sign-in leaves it."""
    from registry.accounts.runtime import accounts
    from registry.extensions import db

    officer = accounts().create(
        email="bench-lists@example.test", role="officer", password=PASSWORD, actor="bench", now=now
    )
    session_id = accounts(writing=False).start_session(officer.id, now=datetime.now(timezone.utc))
    user = f"{officer.id}:{officer.session_epoch}:{session_id}"
    db.session.remove()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = user, True
    return client


def pages(total: int, dealer: str) -> dict[str, str]:
    """The pages to time, by what they show."""
    from registry.custody import queries
    from registry.custody.models import Item
    from registry.extensions import db
    from registry.ledger.runtime import reader

    middle = db.session.scalars(
        queries.select(Item).order_by(Item.serial_normalized, Item.id).offset(total // 2).limit(1)
    ).one()
    token = queries._keyset("serial", middle)
    size = reader().size()
    today = datetime.now(timezone.utc).date().isoformat()
    serial = f"BN-{total // 2:08d}"
    db.session.remove()
    return {
        "dashboard": "/",
        "items, newest event first": "/items/",
        "items by serial, a page from the middle": f"/items/?sort=serial&after={token}",
        "items: firearms in custody (count of all)": "/items/?kind=firearm&status=in_custody",
        "items held by the dealer": f"/items/?holder={dealer}",
        "items: one serial": f"/items/?serial={serial}",
        "item picker (serial prefix)": f"/lookup/items?q={serial[:-3].lower()}",
        "parties": "/parties/",
        "party picker (name prefix)": "/lookup/parties?q=fleet%200123",
        "the dealer's party page": f"/parties/{dealer}",
        "ledger, newest": "/ledger/",
        "ledger, a page from the middle": f"/ledger/?before={size // 2}",
        "ledger: acquisitions": "/ledger/?type=item.acquired",
        "ledger: by the importer": "/ledger/?actor=bench:import",
        "ledger: recorded today": f"/ledger/?from={today}&to={today}",
        "ledger: one item's entries": f"/ledger/?item={serial}",
        "issued reports": "/reports/",
        "signals": "/signals",
        "signals: open acquisitions, newest, page 100": "/signals?kind=firearm&order=newest&open=100",
        "inventory audits": "/inventory/",
    }


def time_pages(client, targets: dict[str, str], samples: int) -> list[tuple[str, float, float, int]]:
    from registry.extensions import db

    results = []
    for name, path in targets.items():
        timings, length = [], 0
        for attempt in range(samples + 1):
            began = time.perf_counter()
            answer = client.get(path)
            elapsed = time.perf_counter() - began
            assert answer.status_code == 200, (path, answer.status_code, answer.get_data(as_text=True)[:300])
            length = len(answer.get_data())
            db.session.remove()
            if attempt:  # the first answer warms caches and is not counted
                timings.append(elapsed)
        results.append((name, statistics.median(timings) * 1e3, max(timings) * 1e3, length))
        print(f"  {name}: {results[-1][1]:.1f} ms", flush=True)
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench lists", description=__doc__)
    parser.add_argument("--engine", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--parties", type=int, default=20_000)
    parser.add_argument("--moves", type=int, default=20_000, help="sales and re-acquisitions through the service")
    parser.add_argument("--samples", type=int, default=15)
    args = parser.parse_args(argv)
    print(f"machine: {platform.machine()}, python {platform.python_version()}, {os.cpu_count()} cores, {args.engine}")
    from registry import create_app
    from registry.extensions import db

    with scratch_registry(args.engine, args.pg_url, "bench_lists") as (url, instance):
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": url, "REGISTRY_INSTANCE": instance, "SESSION_COOKIE_SECURE": False}
        )
        now = datetime.now(timezone.utc)
        with app.app_context():
            began = time.perf_counter()
            dealer, buyers = setup(app, now)
            grow(dealer, args.items, now)
            more_parties(args.parties, now)
            steal(200, now)
            if args.moves:
                batched_events(dealer, buyers, args.moves, 1000, now)
            db.session.remove()
            print(f"registry built in {time.perf_counter() - began:.0f} s", flush=True)
            client = signed_in_client(app, now)
            results = time_pages(client, pages(args.items, dealer), args.samples)
            db.session.remove()
            db.engine.dispose()
    print(f"\n{args.items:,} items, {args.parties:,} more parties, {args.engine}, {args.samples} answers each\n")
    print("| page | median ms | worst ms | KiB | under 200 ms |")
    print("|---|---|---|---|---|")
    for name, median, worst, length in results:
        print(
            f"| {name} | {median:.1f} | {worst:.1f} | {length / 1024:.0f} | {'yes' if median <= TARGET_MS else 'NO'} |"
        )
    slow = [name for name, median, _, _ in results if median > TARGET_MS]
    if slow:
        print(f"\nover {TARGET_MS} ms: {', '.join(slow)}")
    return 0
