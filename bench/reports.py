"""Reports benchmark: a signed bound book of --rows rows, end to end, against one naive render.

A scratch registry gets --rows firearms acquired by one licensee over a year (two in three later
disposed of to an organisation, so most rows fill every column). Then, each in a fresh process so
that its peak memory is its own:

  ours   `ReportService.issue("bound_book", ...)`: read the rows, prove every entry they show
         (evidence), lay the table out in parts of REPORT_PART_ROWS rows in REPORT_WORKERS processes,
         join, number the pages, sign (PAdES), store, append report.issued.
  naive  the same rows and template as ONE WeasyPrint document in one process (what a straight
         `HTML(...).write_pdf()` does), PDF only: no evidence, no signature.

Seconds are wall-clock. Peak memory is the largest sum of the resident sets of the process and all
its workers, sampled every 50 ms from /proc (pages two processes share count twice, so the figure
errs high), beside each process's own peak.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

from bench.scratch import registry_env, scratch_registry

MAKER_FFL, DEALER_FFL = "9-87-654-07-8A-00001", "8-23-091-01-7F-14245"
# The book is signed on 1 December for January to November: a signed book may not reach past today.
NOW = datetime(2026, 12, 1, 18, 0, tzinfo=timezone.utc)


def _app():
    from registry import create_app

    return create_app()


def load(rows: int) -> None:
    """The registry's year: `rows` acquisitions, two in three disposed of later."""
    from registry.custody import bulk
    from registry.custody.runtime import custody
    from registry.extensions import db
    from registry.instance import initialise

    app = _app()
    with app.app_context():
        initialise(app, demo=False, now=NOW)
        service = custody()
        dealer = service.register_licensee(
            ffl=DEALER_FFL,
            name="Riverside Sporting Goods",
            address="101 River Rd, Austin, TX 78701",
            actor="bench",
            now=NOW,
        )
        service.register_licensee(
            ffl=MAKER_FFL, name="Demo Arms Co.", address="2 Foundry Way, Waco, TX 76701", actor="bench", now=NOW
        )
        buyers = [
            service.register_organisation(
                name=f"Northline Fleet {n} Ltd.", address=f"{n} Depot Rd, Dallas, TX", actor="bench", now=NOW
            ).id
            for n in range(5)
        ]
        start = datetime(2026, 1, 2).date()
        kinds = (
            ("pistol", "9mm", "DA-9"),
            ("revolver", ".38 Special", "DA-38"),
            ("rifle", ".308 Win", "DA-R"),
            ("shotgun", "12 ga", "DA-12"),
        )
        plan = [
            {
                "kind": "firearm",
                "scheme": "firearm",
                "serial": f"BB-{n:07d}",
                "manufacturer": "Demo Arms Co.",
                "model": kinds[n % 4][2],
                "type": kinds[n % 4][0],
                "caliber": kinds[n % 4][1],
                "acquired_on": (start + timedelta(days=n * 300 // rows)).isoformat(),
                "source_ffl": MAKER_FFL,
            }
            for n in range(rows)
        ]
        bulk.import_rows(service, plan, recipient_party_id=dealer.id, actor="bench:import", now=NOW)
        db.session.commit()
        from sqlalchemy import select

        from registry.custody.models import Item

        items = db.session.execute(select(Item.id, Item.serial).order_by(Item.serial)).all()
        ledger = service.ledger
        for begin in range(0, len(items), 1000):
            with ledger.batch(now=NOW):
                chunk = [(item_id, serial) for item_id, serial in items[begin : begin + 1000]]
                service.preload([item_id for item_id, _ in chunk])
                ledger.prime([f"item:{item_id}" for item_id, _ in chunk])
                for item_id, serial in chunk:
                    n = int(serial[3:])
                    if n % 3:
                        day = start + timedelta(days=n * 300 // rows + 30)
                        service.dispose(
                            item_id,
                            on=day.isoformat(),
                            from_party_id=dealer.id,
                            transferee_party_id=buyers[n % 5],
                            actor="bench",
                            now=NOW,
                        )
            db.session.commit()


def run_ours(rows: int) -> dict:
    from sqlalchemy import select

    from registry.custody.models import Party
    from registry.extensions import db
    from registry.reports.runtime import reports

    app = _app()
    with app.app_context():
        dealer = db.session.scalar(select(Party.id).where(Party.name == "Riverside Sporting Goods"))
        began = time.perf_counter()
        marks = []
        issued = reports().issue(
            "bound_book",
            {"date_from": "2026-01-01", "date_to": "2026-11-30", "licensee": dealer, "view": "both"},
            actor="bench",
            personal=True,
            now=NOW,
            progress=lambda percent, message: marks.append((round(time.perf_counter() - began, 2), percent, message)),
        )
        seconds = time.perf_counter() - began
        phases = {message.split(" ")[0]: at for at, _, message in marks}
        return {
            "seconds": seconds,
            "pages": issued.pages,
            "bytes": issued.size,
            "entries": issued.evidence_entries,
            "sha256": issued.sha256,
            "phases": phases,
        }


def run_naive(rows: int) -> dict:
    """The bound book's rows in one document, as straight WeasyPrint renders it."""
    from flask import render_template
    from sqlalchemy import select

    from registry.custody.models import Party
    from registry.extensions import db
    from registry.reports import pdf
    from registry.reports.service import Renderer
    from registry.reports.types import bound_book

    app = _app()
    with app.app_context():
        dealer = db.session.scalar(select(Party.id).where(Party.name == "Riverside Sporting Goods"))
        params = {"date_from": "2026-01-01", "date_to": "2026-11-30", "licensee": dealer, "view": "both"}
        draft = bound_book.build_book(db.session(), params, personal=True, now=NOW, origin="bench")
        chosen = draft.rows[:rows]
        meta = {
            "id": "naive",
            "type": "bound_book",
            "generated_at": NOW.isoformat(),
            "issuer": "bench",
            "template": {"revision": "naive"},
        }
        html = render_template(
            "reports/pdf/bound_book_table.html",
            **draft.context,
            report=meta,
            title=draft.title,
            landscape=True,
            checkpoint_size=0,
            evidence_entries=0,
            organisation="bench",
            origin="bench",
            rows=chosen,
            part=0,
            parts=1,
            overlay_numbers=False,
        )
        began = time.perf_counter()
        rendered = pdf.render_html(html, Renderer(render_template=render_template).base_url)
        return {
            "seconds": time.perf_counter() - began,
            "pages": rendered.pages,
            "bytes": len(rendered.pdf),
            "rows": len(chosen),
        }


def child(mode: str, rows: int) -> None:
    result = {"load": lambda: load(rows) or {}, "ours": lambda: run_ours(rows), "naive": lambda: run_naive(rows)}[
        mode
    ]()
    result["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["max_child_rss_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print("RESULT " + json.dumps(result))


def _tree_rss(root: int) -> int:
    """Resident bytes of `root` and all its descendants now (read from /proc)."""
    parents, rss = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21]) * resource.getpagesize()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack += [child for child, parent in parents.items() if parent == pid]
    return total


def _spawn(mode: str, rows: int, env: dict) -> dict:
    """Run one phase in a fresh process; its figures, with the peak resident memory of the process
    and all its workers together, sampled every 50 ms."""
    began = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.reports", "--child", mode, "--rows", str(rows)],
            env=env,
            stdout=out,
            stderr=err,
            text=True,
        )
        peak = 0
        while process.poll() is None:
            peak = max(peak, _tree_rss(process.pid))
            time.sleep(0.05)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise RuntimeError(f"{mode} failed:\n{stderr[-3000:]}")

    line = next(line for line in stdout.splitlines() if line.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    result["process_seconds"] = time.perf_counter() - began
    result["tree_peak_mib"] = peak / 2**20
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench reports")
    parser.add_argument("--rows", type=int, default=10_000, help="acquisitions in the registry (default 10,000)")
    parser.add_argument(
        "--naive-rows",
        type=int,
        default=None,
        help="rows of the naive render (default: all; fewer are scaled up by rows)",
    )
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="runs of ours (the median is reported)")
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--child", choices=("load", "ours", "naive"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.rows if args.child != "naive" or args.naive_rows is None else args.naive_rows)
        return 0
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {args.engine}")
    with scratch_registry(args.engine, args.pg_url, "bench_reports") as (url, instance):
        env = {**registry_env(url, instance), "REPORT_WORKERS": os.environ.get("REPORT_WORKERS", "2")}
        began = time.perf_counter()
        _spawn("load", args.rows, env)
        print(f"loaded {args.rows:,} acquisitions in {time.perf_counter() - began:.1f} s")
        runs = [_spawn("ours", args.rows, env) for _ in range(args.repeat)]
        ours = sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]
        if len(runs) > 1:
            print(f"ours, {len(runs)} runs: " + ", ".join(f"{run['seconds']:.1f} s" for run in runs) + "; the median:")
        worker = max(run["max_child_rss_mib"] for run in runs)
        ours["max_rss_mib"] = max(run["max_rss_mib"] for run in runs)
        together = max(run["tree_peak_mib"] for run in runs)
        print(
            f"ours:  {ours['seconds']:.1f} s for {args.rows:,} rows, {ours['pages']} pages, "
            f"{ours['bytes'] / 2**20:.1f} MiB signed PDF, {ours['entries']:,} entries proved; peak resident "
            f"memory of all its processes together {together:.0f} MiB (the process {ours['max_rss_mib']:.0f} MiB, "
            f"its largest worker {worker:.0f} MiB); phases {ours['phases']}"
        )
        if args.skip_naive:
            return 0
        naive_rows = args.naive_rows or args.rows
        naive = _spawn("naive", naive_rows, {**env})
        scaled = naive["seconds"] * args.rows / naive["rows"]
        note = "" if naive["rows"] == args.rows else f" (measured on {naive['rows']:,} rows, scaled by rows)"
        print(
            f"naive: {naive['seconds']:.1f} s for {naive['rows']:,} rows, {naive['pages']} pages, peak RSS "
            f"{naive['max_rss_mib']:.0f} MiB; {scaled:.1f} s for {args.rows:,} rows{note}"
        )
        print(f"ours is {scaled / ours['seconds']:.1f}x faster than the naive render")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
