"""`flask ledger ...`: verify, export, proof receipts and the latest checkpoint."""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from registry import clock
from registry.extensions import db
from registry.ledger import checks
from registry.ledger.events import cli_actor
from registry.ledger.runtime import ReceiptError, reader, receipt
from registry.ledger.signing import LogKeyError
from registry.overview import record_verification

ledger_cli = AppGroup("ledger", help="Verify, export and prove the ledger.")


def _bar(total: int, label: str):
    return click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True, show_percent=True)


class _Progress:
    """Adapts the verifier's 'entries done' callback to a click progress bar."""

    def __init__(self, bar):
        self.bar, self.done = bar, 0

    def __call__(self, done: int) -> None:
        self.bar.update(done - self.done)
        self.done = done


def _verifier_key() -> str:
    return _verifier_keys()[0]


def _verifier_keys() -> list[str]:
    """The log's verifier keys: Ed25519, and ML-DSA-44 when the log has one."""
    from registry.ledger.runtime import verifier_keys

    try:
        return verifier_keys()
    except LogKeyError as error:
        raise click.ClickException(str(error)) from None


@ledger_cli.command("verify")
@click.option(
    "--checkpoint",
    "held",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A signed checkpoint kept from earlier; the ledger must still extend it.",
)
@click.option("--vkey", multiple=True, help="Trust this verifier key instead of the instance's own.")
@click.option(
    "--parallel/--serial",
    default=None,
    help="Check bodies and tree in two processes (default: from 200,000 entries on).",
)
def verify_command(held: tuple[str, ...], vkey: tuple[str, ...], parallel: bool | None) -> None:
    """Verify every entry, node and checkpoint; exit 1 naming the first bad entry."""
    vkeys = list(vkey) or _verifier_keys()
    held_notes = [Path(path).read_text(encoding="utf-8") for path in held]
    total = reader().size()
    started = time.perf_counter()
    with _bar(total, "verifying") as bar:
        verdict = checks.verify_stored_ledger(
            db.session(), vkeys, held_notes=held_notes, progress=_Progress(bar), parallel=parallel
        )
    seconds = time.perf_counter() - started
    click.echo(
        f"checked {verdict.entries:,} entries in {seconds:.2f} s "
        f"({verdict.entries / max(seconds, 1e-9):,.0f} entries/s)",
        err=True,
    )
    click.echo(verdict.summary())
    finished = clock.now()
    record_verification(
        db.session(),
        started_at=finished - timedelta(seconds=seconds),
        finished_at=finished,
        actor=cli_actor(),
        entries=verdict.entries,
        ok=verdict.ok,
        summary=verdict.summary(),
    )
    sys.exit(0 if verdict.ok else 1)


@ledger_cli.command("replay")
def replay_command() -> None:
    """Rebuild every projection from the events into a scratch database and compare with the live tables."""
    from registry.replay import replay

    total = reader().size()
    with _bar(total, "replaying") as bar:
        report = replay(db.session(), progress=_Progress(bar))
    for table, rows in report.tables.items():
        click.echo(f"{table}: {rows} rows")
    if report.identical:
        click.echo(f"IDENTICAL: {report.events} events rebuild every projection exactly")
        return
    for difference in report.differences:
        click.echo(f"DIFFERENT: {difference}")
    sys.exit(1)


@ledger_cli.command("export")
@click.argument("folder", type=click.Path(file_okay=False))
def export_command(folder: str) -> None:
    """Write the ledger to FOLDER for `python -m audit verify FOLDER`."""
    vkeys = _verifier_keys()
    with _bar(reader().size(), "exporting") as bar:
        manifest = checks.export_ledger(
            db.session(), Path(folder), origin=vkeys[0].split("+", 1)[0], vkeys=vkeys, progress=_Progress(bar)
        )
    click.echo(f"exported {manifest.size} entries and {manifest.checkpoints} checkpoints to {folder}")
    keys = " ".join(f"--vkey '{vkey}'" for vkey in vkeys)
    click.echo(f"verify with: python -m audit verify {folder} {keys}")


@ledger_cli.command("export-tiles")
@click.argument("folder", type=click.Path(file_okay=False))
def export_tiles_command(folder: str) -> None:
    """Write the ledger to FOLDER as a static C2SP tlog-tiles log (tiles, entry bundles, checkpoint).

    Run it again later into the same FOLDER: the tiles already there never change, so only the new
    ones are written, then the checkpoint. Serve FOLDER from any static host or object store."""
    from audit import tiles as tlog_tiles
    from registry.ledger import tiles

    signed = reader().latest_checkpoint()
    if signed is None:
        raise click.ClickException("the ledger is empty: no checkpoint has been signed")
    size = signed.tree_size
    count = len(tlog_tiles.tiles_for_size(size)) + -(-size // tlog_tiles.WIDTH)
    with _bar(count, "writing tiles") as bar:
        written = tiles.export(db.session(), Path(folder), signed.note, size, progress=bar.update)
    click.echo(f"wrote {written} files for the checkpoint of size {size} to {folder} (tiles already there kept)")
    click.echo(f"verifier key: {_verifier_key()}")


@ledger_cli.command("add-pq-key")
def add_pq_key_command() -> None:
    """Give a ledger made before post-quantum keys an ML-DSA-44 key (`ledger-pq.key`, 0600).

    Records `ledger.key_added` with the new verifier key; every checkpoint from then on is signed with
    Ed25519 and ML-DSA-44, and verifiers require both on every checkpoint after the first it signed."""
    from flask import current_app

    from registry.ledger.events import NewEvent
    from registry.ledger.locking import write_transaction
    from registry.ledger.runtime import ledger, log_key
    from registry.ledger.signing import create_pq_key

    key = log_key()
    if key.pq is not None:
        raise click.ClickException(f"the ledger already has an ML-DSA-44 key: {key.pq_vkey}")
    cosigner = create_pq_key(Path(current_app.config["LEDGER_KEY_FILE"]), key.origin)
    current_app.extensions.pop("ledger_key", None)  # signs with both from the next append on
    event = NewEvent("ledger.key_added", {"algorithm": "ML-DSA-44", "vkey": cosigner.key.vkey})
    with write_transaction(db.session()):
        entry = ledger().append([event], actor=cli_actor(), now=clock.now()).entries[0]
    click.echo(f"ledger.key_added at entry {entry.index}; checkpoints are signed with both keys from now on")
    click.echo(f"ML-DSA-44 verifier key: {cosigner.key.vkey}")


@ledger_cli.command("witness")
@click.option("--once", is_flag=True, help="One round, then exit (exit 1 if a witness did not cosign).")
@click.option(
    "--every", type=click.FloatRange(min=0.5), default=10.0, show_default=True, help="Seconds between rounds."
)
def witness_command(once: bool, every: float) -> None:
    """Send the newest checkpoint to the witnesses of LEDGER_POLICY and keep their cosignatures.

    Run it beside the web processes (a worker, like the report worker): every round sends the newest
    checkpoint, so the checkpoints signed in between are covered by it. Appends never wait for it."""
    from audit.policy import PolicyError
    from registry.ledger.runtime import witness_policy
    from registry.ledger.witnesses import one_round

    try:
        policy = witness_policy()
    except PolicyError as error:
        raise click.ClickException(str(error)) from None
    if policy is None or not any(witness.url for witness in policy.witnesses.values()):
        raise click.ClickException(
            "no witness to ask: write a C2SP tlog-policy with `witness NAME VKEY URL` lines to LEDGER_POLICY "
            "(default witness.policy in the instance folder)"
        )
    while True:
        outcomes = one_round(db.session(), policy)
        db.session.remove()
        for outcome in outcomes:
            click.echo(f"{'ok  ' if outcome.ok else 'FAIL'} {outcome.witness}: {outcome.detail}")
        if once:
            sys.exit(0 if all(outcome.ok for outcome in outcomes) else 1)
        time.sleep(every)


@ledger_cli.command("proof")
@click.argument("index", type=click.IntRange(min=0))
@click.option("--size", type=click.IntRange(min=1), help="Prove against the checkpoint of this size (default: latest).")
def proof_command(index: int, size: int | None) -> None:
    """Print a C2SP tlog-proof receipt for entry INDEX, carrying the entry's body."""
    try:
        click.echo(receipt(index, size), nl=False)
    except ReceiptError as error:
        raise click.ClickException(str(error)) from None


@ledger_cli.command("checkpoint")
def checkpoint_command() -> None:
    """Print the latest signed checkpoint."""
    signed = reader().latest_checkpoint()
    if signed is None:
        raise click.ClickException("the ledger is empty: no checkpoint has been signed")
    click.echo(signed.note, nl=False)


def init_app(app: Flask) -> None:
    app.cli.add_command(ledger_cli)
