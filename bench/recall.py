"""Recall benchmark: the figures the supply and recalls issue asks for, on SQLite and PostgreSQL.

1. Forward trace from one supplier lot at --items finished items (3 component links each): the
   query `genealogy.where_used` runs for the trace pages and for a campaign's population.
2. Opening a recall campaign on that lot through the recall service (items / lots units).
3. The as-built tree of one finished item, as an extra figure.

The parties, parts, suppliers and lots are registered through the services. The big graph is not:
pushing 6+ million events through the ledger would take most of an hour, and the trace and the
campaign read only the projections, so the graph is bulk-loaded straight into `item`, `item_part`,
`component_link` and `lot_consumption` with synthetic entry numbers (from 10**12, far above the
ledger's). Per finished product: a product, a pump module, a housing moulded from one resin lot
(round robin over the lots) and a board. About 1% of the housing links are removed: the housings of
two neighbouring products, always of different lots, are swapped in service, so the trace's time
filter decides which product a swapped housing is in.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from bench.scratch import scratch_registry, verify_ledger

CHUNK_PRODUCTS = 12_500  # 50,000 item rows per chunk
SWAP_SHARE = 0.01  # of the housing links
SYNTHETIC = 10**12  # first synthetic entry number
MADE_OVER = timedelta(days=180)
SWAPPED_AFTER = timedelta(days=30)
ITEM_COLUMNS = (
    "id",
    "kind",
    "scheme",
    "serial",
    "serial_normalized",
    "uniqueness_key",
    "description",
    "attributes",
    "status",
    "holder_party_id",
    "acquired",
    "registered_entry",
    "last_event_date",
)
LINK_COLUMNS = (
    "installed_entry",
    "parent_item_id",
    "child_item_id",
    "position",
    "installed_at",
    "removed_at",
    "removed_entry",
    "removal_reason",
)
PARTS = {
    "product": ("FP-WF-200", "Water filtration unit WF-200", "WF200"),
    "module": ("SA-PMP-01", "Pump module", "PM"),
    "housing": ("CMP-HSG-01", "Pump housing, moulded", "HSG"),
    "board": ("SA-CTL-01", "Controller board", "CB"),
}


def setup(app, start: datetime, lots: int, now: datetime) -> dict:
    """Instance, parties, parts, suppliers and lots, all through the services."""
    from registry.custody.runtime import custody
    from registry.instance import initialise
    from registry.supply.runtime import supply

    initialise(app, demo=False, now=now)
    a = dict(actor="bench", now=now)
    people, goods = custody(), supply()
    people.register_organisation(name="Clearflow Manufacturing", address="40 Mill Lane, Dayton, OH", **a)
    holders = [
        people.register_organisation(name=f"Holder {n}", address=f"{n} Pier St, Portland, ME", **a).id for n in range(4)
    ]
    resin = goods.register_part(
        number="RM-PA66-GF30", description="Polyamide 66 resin, 30% glass fibre", tracking="lot", unit="kg", **a
    )
    parts = {
        role: goods.register_part(number=number, description=description, tracking="serial", **a)
        for role, (number, description, _) in PARTS.items()
    }
    suppliers = [
        goods.register_supplier(name=f"Resin Supplier {n}", address=f"{n + 1} Industrial Park, Akron, OH", **a).id
        for n in range(8)
    ]
    lot_ids = [
        goods.receive_lot(
            part_id=resin.id,
            supplier_id=suppliers[n % 8],
            quantity_="5000",
            supplier_lot_code=f"RS{n:06d}",
            on=start.date(),
            location="RAW-A1",
            **a,
        ).id
        for n in range(lots)
    ]
    return {
        "holders": holders,
        "parts": {role: part.id for role, part in parts.items()},
        "descriptions": {role: part.description for role, part in parts.items()},
        "lots": lot_ids,
    }


class Graph:
    """Rows of the bulk-loaded graph, chunk by chunk, and the products the traced lot ends up in."""

    def __init__(self, world: dict, items: int, start: datetime, traced_lot: int, json_text: bool):
        self.world, self.items, self.start, self.traced_lot = world, items, start, traced_lot
        self.attributes = "{}" if json_text else {}  # COPY takes the JSON text; SQLAlchemy encodes a dict
        self.ids, self.swaps, self.entry = random.Random(7), random.Random(11), SYNTHETIC
        self.expected: list[str] = []

    def _entry(self) -> int:
        self.entry += 1
        return self.entry

    def _item(self, rows: dict, role: str, n: int, made: datetime) -> str:
        item_id = str(uuid.UUID(int=self.ids.getrandbits(128), version=4))
        serial = f"{PARTS[role][2]}-{n:07d}"
        holder = self.world["holders"][n % len(self.world["holders"])]
        rows["item"].append(
            (
                item_id,
                "goods",
                "plain",
                serial,
                serial,
                f"plain|{serial}",
                self.world["descriptions"][role],
                self.attributes,
                "in_custody",
                holder,
                True,
                0,
                made.date(),
            )
        )
        rows["item_part"].append((item_id, self.world["parts"][role], made, self._entry()))
        return item_id

    def _link(self, rows: dict, parent: str, child: str, position: str, at: datetime, removed: datetime | None = None):
        rows["component_link"].append(
            (
                self._entry(),
                parent,
                child,
                position,
                at,
                removed,
                self._entry() if removed else None,
                "swapped in service" if removed else None,
            )
        )

    def chunk(self, first: int, count: int) -> dict[str, list[tuple]]:
        """Rows for products first..first+count-1 (requires `first` and `count` even, so pairs stay whole)."""
        rows = {"item": [], "item_part": [], "component_link": [], "lot_consumption": []}
        lots, step = self.world["lots"], MADE_OVER / self.items
        for pair in range(first, min(first + count, self.items), 2):
            built = []
            for n in range(pair, min(pair + 2, self.items)):
                made = self.start + step * n
                product, module, housing, board = (self._item(rows, role, n, made) for role in PARTS)
                rows["lot_consumption"].append((self._entry(), lots[n % len(lots)], housing, 400, "RAW-A1", made))
                self._link(rows, product, module, "pump", made)
                self._link(rows, product, board, "board", made)
                built.append((n, product, module, housing, made))
            if len(built) == 2 and self.swaps.random() < SWAP_SHARE:
                (n0, product0, module0, housing0, made0), (n1, product1, module1, housing1, made1) = built
                swapped = made1 + SWAPPED_AFTER
                self._link(rows, module0, housing0, "housing", made0, removed=swapped)
                self._link(rows, module1, housing1, "housing", made1, removed=swapped)
                self._link(rows, module0, housing1, "housing", swapped)
                self._link(rows, module1, housing0, "housing", swapped)
                built = [(n0, product1, None, None, None), (n1, product0, None, None, None)]
            else:
                for n, product, module, housing, made in built:
                    self._link(rows, module, housing, "housing", made)
            self.expected += [product for n, product, *_ in built if n % len(lots) == self.traced_lot]
        return rows


def fill(graph: Graph, engine: str) -> float:
    """Bulk-load the graph in chunks; returns the seconds it took."""
    from registry.bulk import insert_rows
    from registry.extensions import db

    tables = db.metadata.tables
    columns = {
        "item": ITEM_COLUMNS,
        "item_part": ("item_id", "part_id", "made_at", "entry_index"),
        "component_link": LINK_COLUMNS,
        "lot_consumption": ("entry_index", "lot_id", "item_id", "quantity", "location", "consumed_at"),
    }
    began, loaded = time.perf_counter(), 0
    for first in range(0, graph.items, CHUNK_PRODUCTS):
        rows = graph.chunk(first, CHUNK_PRODUCTS)
        for name, table_rows in rows.items():  # in foreign-key order
            insert_rows(db.session(), tables[name], columns[name], table_rows)
        db.session.commit()
        loaded += sum(len(table_rows) for table_rows in rows.values())
        print(
            f"  [{engine}] loaded {min(first + CHUNK_PRODUCTS, graph.items):,} of {graph.items:,} finished items "
            f"({loaded:,} rows, {time.perf_counter() - began:.0f} s)",
            flush=True,
        )
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return time.perf_counter() - began


def counts() -> dict[str, int]:
    from registry.extensions import db

    return {
        name: db.session.scalar(text(f"SELECT count(*) FROM {name}"))
        for name in ("item", "component_link", "lot_consumption")
    }


def timed(runs: int, action) -> tuple[list[float], object]:
    timings, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = action()
        timings.append(time.perf_counter() - began)
    return timings, result


def measure(world: dict, graph: Graph, runs: int, at: datetime, now: datetime) -> dict:
    from registry.extensions import db
    from registry.recalls import population
    from registry.recalls.runtime import recalls
    from registry.supply import genealogy

    lot_id, expected = world["lots"][graph.traced_lot], sorted(graph.expected)
    trace, found = timed(runs, lambda: genealogy.where_used(db.session(), genealogy.items_with_lots([lot_id], at), at))
    assert found == expected, f"the trace found {len(found):,} items, the graph puts the lot in {len(expected):,}"
    tree_times, tree = timed(runs, lambda: genealogy.as_built(db.session(), expected[0], at))
    assert len(list(tree.walk())) == 4 and sum(len(node.lots) for node in tree.walk()) == 1
    db.session.remove()
    began = time.perf_counter()
    campaign = recalls().open(
        number="BENCH-001",
        title="WF-200 pump housing may crack",
        defect="Housings moulded from one resin lot may crack under pressure.",
        basis={"type": "lots", "lot_ids": [lot_id]},
        on=now.date(),
        as_of=at,
        actor="bench",
        now=now,
    )
    opened = time.perf_counter() - began
    assert campaign.population_size == len(expected), campaign.population_size
    assert campaign.population_sha256 == population.digest(expected)
    return {
        "trace": trace,
        "found": len(found),
        "tree": tree_times,
        "open": opened,
        "population": campaign.population_size,
    }


def run(engine: str, args, now: datetime) -> dict:
    from registry import create_app

    start = datetime.combine((now - timedelta(days=365)).date(), datetime.min.time(), timezone.utc)
    with scratch_registry(engine, args.pg_url, "bench_recall") as (url, instance):
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "REGISTRY_INSTANCE": instance,
                "LEDGER_ORIGIN": "bench.serial-ledger.localhost/recall",
            }
        )
        with app.app_context():
            world = setup(app, start, args.lots, now)
            graph = Graph(world, args.items, start, traced_lot=args.lots // 2, json_text=engine == "postgresql")
            loaded = fill(graph, engine)
            sizes = counts()
            print(
                f"  [{engine}] graph: {sizes['item']:,} items, {sizes['component_link']:,} component links, "
                f"{sizes['lot_consumption']:,} lot consumptions; loaded in {loaded:.0f} s",
                flush=True,
            )
            figures = measure(world, graph, args.runs, now, now)
            from registry.extensions import db

            db.session.remove()
            db.engine.dispose()
        verify = verify_ledger(url, instance)
    verdict = verify.stdout.strip().splitlines()[-1] if verify.stdout.strip() else verify.stderr[-300:]
    return {**figures, **sizes, "loaded": loaded, "verify": verdict, "verified": verify.returncode == 0}


def table(results: dict, args) -> list[str]:
    lines = ["| engine | figure | measured | target |", "|---|---|---|---|"]
    for engine, r in results.items():
        scale = f"{args.items:,} finished items, {r['component_link']:,} component links"
        lines += [
            f"| {engine} | forward trace from one supplier lot ({scale}), {args.runs} runs | median "
            f"{statistics.median(r['trace']):.2f} s, max {max(r['trace']):.2f} s; {r['found']:,} items | <= 2 s |",
            f"| {engine} | opening a campaign of {r['population']:,} units through the recall service | "
            f"{r['open']:.2f} s | <= 10 s |",
            f"| {engine} | as-built tree of one finished item, {args.runs} runs | median "
            f"{statistics.median(r['tree']) * 1e3:.1f} ms | - |",
            f"| {engine} | bulk load of the graph into the projection tables ({r['item']:,} items) | "
            f"{r['loaded']:.0f} s | - |",
            f"| {engine} | ledger verify after the run | {r['verify']} | OK |",
        ]
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench recall", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1_000_000, help="finished products")
    parser.add_argument("--lots", type=int, default=100, help="resin lots, used round robin (at least 2)")
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    if args.lots < 2 or args.items < 2 * args.lots or args.runs < 1:
        parser.error("need --lots >= 2, --items >= 2 * --lots and --runs >= 1")
    now = datetime.now(timezone.utc).replace(microsecond=0)  # events carry whole seconds
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    print(
        f"machine: {platform.machine()}, python {platform.python_version()}, {os.cpu_count()} cores; "
        f"engines {', '.join(engines)}"
    )
    print(
        "The graph is bulk-loaded into the projection tables (not through the ledger); the parties, parts, "
        "suppliers and lots are registered, and the campaign is opened, through the services.",
        flush=True,
    )
    began, results = time.perf_counter(), {}
    for engine in engines:
        results[engine] = run(engine, args, now)
    print()
    print("\n".join(table(results, args)))
    print(f"\ntotal run time {time.perf_counter() - began:.0f} s")
    return 0 if all(r["verified"] for r in results.values()) else 1
