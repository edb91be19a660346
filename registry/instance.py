"""`flask init`: create the instance folder, its secrets, the schema and the ledger's first entry.

Idempotent: a second run changes nothing that exists. It never overwrites a key or a database, and
refuses to make a new signing key for a ledger that already has entries (its checkpoints would no
longer verify).
"""

from __future__ import annotations

import fcntl
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask_migrate import upgrade

from certificates.devpki import ensure_dev_pki
from registry import clock, projections
from registry.extensions import db
from registry.ledger.events import NewEvent
from registry.ledger.locking import write_transaction
from registry.ledger.service import LedgerService
from registry.ledger.signing import create_log_key, default_origin, load_log_key

SYSTEM_ACTOR = "system:init"
KEYS_LOCK = ".ledger-keys.lock"
MIGRATE_LOCK = ".migrate.lock"


class InstanceError(click.ClickException):
    """The instance cannot be initialised as asked."""


@dataclass
class InitReport:
    created: list[str]
    origin: str
    vkey: str
    size: int


def write_secret(path: Path, content: str) -> bool:
    """Create `path` with mode 0600 holding `content`; return False if it already exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as handle:
        handle.write(content + "\n")
    return True


DEMO_WITNESS = "demo-witness"
DEMO_WITNESS_URL = "http://127.0.0.1:7380"


def demo_data_witness(instance: Path, policy: Path, log_vkey: str) -> bool:
    """A witness for the demo (`make run` starts it and the witness worker): its state folder and a
    policy naming it, unless the instance has a policy already. It runs on the same machine, so it
    shows the mechanism and proves nothing; a real policy names witnesses others run."""
    from audit import witness

    if policy.exists() or (instance / DEMO_WITNESS).exists():
        return False
    vkey = witness.init(instance / DEMO_WITNESS, "demo-witness.localhost/w1")
    witness.add_log(instance / DEMO_WITNESS, log_vkey)
    policy.write_text(
        "# The demo's witness, on this machine: `make run` starts it (python -m audit witness serve) and the\n"
        "# worker that asks it (flask ledger witness). It shows the mechanism and proves nothing: a real\n"
        "# policy names witnesses that others run (a regulator, an auditor), and a quorum of them.\n"
        f"log {log_vkey}\n"
        f"witness demo {vkey} {DEMO_WITNESS_URL}\n"
        "quorum demo\n"
    )
    return True


def initialise(app: Flask, *, demo: bool, now: datetime | None = None) -> InitReport:
    now = now or clock.now()
    created = []
    instance = Path(app.instance_path)
    try:
        instance.mkdir(parents=True, mode=0o700)
        created.append(f"instance folder {instance}")
    except FileExistsError:  # there already, or another init made it a moment ago
        pass
    if write_secret(Path(app.config["SECRET_KEY_FILE"]), secrets.token_hex(32)):
        created.append("session secret (0600)")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = Path(app.config["SECRET_KEY_FILE"]).read_text().strip()
    if write_secret(Path(app.config["PERSON_MATCH_KEY_FILE"]), secrets.token_hex(32)):
        created.append("person-matching key (0600)")

    p12 = Path(app.config["REPORT_SIGNING_P12"])
    if p12.parent == instance:  # an operator's certificate elsewhere is theirs to provide
        pki = ensure_dev_pki(
            instance, organisation=app.config["REPORT_ORGANISATION"], now=now, crl_base_url=app.config["PUBLIC_URL"]
        )
        if pki.created:
            created.append(
                f"development report-signing CA {pki.ca_path.name} and certificate {pki.p12_path.name} (0600)"
            )

    # Two inits started together on one machine: one migrates, the other waits and finds it done
    # (on SQLite the second's deferred transaction would otherwise read the old schema and fail).
    with open(instance / MIGRATE_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        upgrade(directory=app.extensions["migrate"].directory)
    service = LedgerService(db.session(), None)
    size = service.size()
    from registry.replay import bring_up_to_date

    if bring_up_to_date(db.session(), size):
        created.append(f"projections rebuilt from the {size} ledger entries under the current rules")
    from registry.custody.identity import key_persons
    from registry.custody.runtime import person_key

    if keyed := key_persons(db.session(), person_key()):
        created.append(f"private persons' matching keys brought to the current rules: {keyed}")

    key_path = Path(app.config["LEDGER_KEY_FILE"])
    # Two inits started together: one writes the keys (Ed25519 and ML-DSA-44), the other waits and reads them.
    with open(key_path.parent / KEYS_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if key_path.exists():
            key = load_log_key(key_path)
        elif size:
            raise InstanceError(
                f"the ledger holds {size} entries but its signing key {key_path.name} is missing; restore the key "
                "from backup (a new key could not sign for the existing checkpoints)"
            )
        else:
            key = create_log_key(key_path, app.config["LEDGER_ORIGIN"] or default_origin())
            created.append(
                f"ledger signing keys {key_path.name} (Ed25519), ledger-pq.key (ML-DSA-44), 0600, origin {key.origin}"
            )
    app.extensions["ledger_key"] = key

    # The emptiness and demo checks run under the ledger's write lock, so two inits started together
    # write one genesis entry and one demo history.
    service = LedgerService(db.session(), key, projections.apply)
    with write_transaction(db.session()):
        if service.size() == 0:
            created_with = {"origin": key.origin, "vkey": key.vkey} | ({"pq_vkey": key.pq_vkey} if key.pq else {})
            service.append([NewEvent("ledger.created", created_with)], actor=SYSTEM_ACTOR, now=now)
            created.append("ledger genesis entry")
        if demo:
            from registry import demo as demo_data
            from registry.accounts.runtime import accounts
            from registry.custody.runtime import person_key
            from registry.custody.service import CustodyService
            from registry.recalls import demo as recall_demo
            from registry.recalls.service import RecallService
            from registry.supply.service import SupplyService

            custody = CustodyService(db.session(), service, person_key())
            if demo_data.load(custody, now=now):
                created.append("demo data")
            supply = SupplyService(db.session(), service, custody)
            if recall_demo.load(
                custody, supply, RecallService(db.session(), service, supply), actor=demo_data.DEMO_ACTOR, now=now
            ):
                created.append("demo supply chain and recall")
            from registry.inventory import demo as inventory_demo
            from registry.inventory.service import InventoryService

            if inventory_demo.load(InventoryService(db.session(), service), actor=demo_data.DEMO_ACTOR, now=now):
                created.append("demo inventory audit")
            if demo_data.load_accounts(accounts(), instance / demo_data.DEMO_LOGINS_FILE, now=now):
                created.append(f"demo accounts (logins in {demo_data.DEMO_LOGINS_FILE}, 0600)")
    if demo and demo_data_witness(instance, Path(app.config["LEDGER_POLICY"]), key.vkey):
        created.append(f"demo witness in {DEMO_WITNESS}/ and {Path(app.config['LEDGER_POLICY']).name} naming it")
    if demo and app.config.get("DEMO_REPORTS", True):
        # After the history's write transaction: a report reads a committed, signed ledger, and the
        # verification report reads its own snapshot.
        from registry.demo import DEMO_ACTOR
        from registry.reports import demo as report_demo
        from registry.reports.runtime import reports

        if report_demo.load(reports(), actor=DEMO_ACTOR, now=now, lock_folder=instance):
            created.append("demo signed reports")
    return InitReport(created=created, origin=key.origin, vkey=key.vkey, size=service.size())


@click.command("init")
@click.option("--demo", is_flag=True, help="Also load the demo data (once).")
def init_command(demo: bool) -> None:
    """Create the instance: folder, secrets, schema, ledger key and genesis entry (idempotent)."""
    report = initialise(current_app._get_current_object(), demo=demo)
    for line in report.created:
        click.echo(f"created {line}")
    if not report.created:
        click.echo("instance already initialised; nothing changed")
    click.echo(f"instance: {current_app.instance_path}")
    click.echo(f"database: {db.engine.url.render_as_string(hide_password=True)}")
    click.echo(f"ledger: {report.size} entries, origin {report.origin}")
    click.echo(f"verifier key: {report.vkey}")
    from registry.demo import DEMO_LOGINS_FILE

    logins = Path(current_app.instance_path) / DEMO_LOGINS_FILE
    if demo and logins.exists():
        click.echo("demo logins (role, e-mail, password; generated for this instance):")
        click.echo(logins.read_text().rstrip())


def init_app(app: Flask) -> None:
    app.cli.add_command(init_command)
