"""The ledger service of the running app: the request's session and the instance's signing key."""

from __future__ import annotations

import threading
from pathlib import Path

from flask import current_app

from registry import projections
from registry.extensions import db
from registry.ledger import queries
from registry.ledger.sequencer import Sequencer
from registry.ledger.service import LedgerService
from registry.ledger.signing import LogKey, LogKeyError, load_log_key, pq_key_path, vkey_path
from registry.reads import Reads

reads = Reads(queries)


def log_key() -> LogKey:
    """The instance's key, read once per process (raises LogKeyError before `init`)."""
    key = current_app.extensions.get("ledger_key")
    path = Path(current_app.config["LEDGER_KEY_FILE"])
    # `flask ledger add-pq-key` may have given the log its ML-DSA-44 key since: read it, so no
    # process goes on signing with Ed25519 alone (verifiers refuse that after the key's first use).
    if key is None or (key.pq is None and pq_key_path(path).exists()):
        key = load_log_key(path)
        current_app.extensions["ledger_key"] = key
    return key


def verifier_key() -> str:
    """The instance's public verifier key, read from `ledger.vkey`: verifying needs no private key."""
    path = vkey_path(Path(current_app.config["LEDGER_KEY_FILE"]))
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        raise LogKeyError(f"no verifier key at {path.name}: run `flask --app wsgi init`") from None


def verifier_keys() -> list[str]:
    """Every verifier key of the log: Ed25519, and ML-DSA-44 once the log has that key."""
    keys = [verifier_key()]
    pq = vkey_path(pq_key_path(Path(current_app.config["LEDGER_KEY_FILE"])))
    if pq.exists():
        keys.append(pq.read_text().strip())
    return keys


def pq_introduced() -> int | None:
    """The entry that introduced the log's ML-DSA-44 key (checkpoints larger than it carry its
    signature): the genesis entry of a ledger made with it, else `ledger.key_added`; None without it."""
    import json

    from sqlalchemy import select

    from registry.ledger.models import LedgerEntry

    genesis = db.session.get(LedgerEntry, 0)
    if genesis is not None and "pq_vkey" in json.loads(genesis.body).get("payload", {}):
        return 0
    return db.session.scalar(
        select(LedgerEntry.entry_index)
        .where(LedgerEntry.event_type == "ledger.key_added")
        .order_by(LedgerEntry.entry_index)
        .limit(1)
    )


def ledger() -> LedgerService:
    return LedgerService(db.session(), log_key(), projections.apply)


def sequencer() -> Sequencer:
    """The running app's group commit (one per process and app): see `registry.ledger.sequencer`."""
    found = current_app.extensions.get("ledger_sequencer")
    if found is None:
        with _SEQUENCER_MADE:
            found = current_app.extensions.setdefault("ledger_sequencer", Sequencer(ledger))
    return found


_SEQUENCER_MADE = threading.Lock()


def reader() -> LedgerService:
    """A service for reads only: works even where the signing key is not readable."""
    return LedgerService(db.session(), None)


def witness_policy():
    """The instance's witness policy (audit.policy.Policy), or None when LEDGER_POLICY names no file."""
    from registry.ledger.witnesses import load_policy

    return load_policy(Path(current_app.config["LEDGER_POLICY"]))


def witness_policy_or_problem():
    """(policy or None, None), or (None, why) when the policy file cannot be read: for the readers
    that go on without witnesses (the dashboard shows the problem, receipts and reports use the
    latest checkpoint), where `flask ledger witness` refuses to start."""
    from audit.policy import PolicyError

    try:
        return witness_policy(), None
    except PolicyError as error:
        return None, str(error)


def verify_now(actor: str):
    """A full verification of the ledger with the instance's verifier key, recorded (the dashboard shows it)."""
    from registry.ledger import checks

    return checks.verify_and_record(db.session(), verifier_keys(), actor=actor)


def export_archive():
    """The ledger export (a zip for `python -m audit verify`), signed checkpoints and verifier key included."""
    from registry.ledger import checks

    vkeys = verifier_keys()
    return checks.export_archive(db.session(), origin=vkeys[0].split("+", 1)[0], vkeys=vkeys)


class ReceiptError(LookupError):
    """No receipt can be made: no checkpoint of that size, or the entry lies beyond it."""


def receipt(index: int, size: int | None = None) -> str:
    """A C2SP tlog-proof receipt for entry `index` against the checkpoint of `size` (default: the
    latest), carrying the entry's body: `python -m audit verify-proof` checks it offline."""
    from audit import tlogproof
    from registry.ledger.witnesses import cosigned_note, witnessed_checkpoint

    policy, _ = witness_policy_or_problem()

    service = reader()
    # By default the largest cosigned checkpoint that holds the entry, so the receipt carries the
    # witnesses' word; the latest checkpoint while no witness has cosigned one that far.
    signed = (
        service.checkpoint_at(size)
        if size
        else witnessed_checkpoint(service.session, index + 1, policy) or service.latest_checkpoint()
    )
    if signed is None:
        raise ReceiptError(f"no signed checkpoint of size {size}" if size else "the ledger is empty")
    if index >= signed.tree_size:
        raise ReceiptError(f"entry {index} is not in the checkpoint of size {signed.tree_size}")
    entry = service.entry(index)
    if entry is None:
        raise ReceiptError(f"entry {index} is missing from the database: run `flask ledger verify`")
    proof = tlogproof.TlogProof(
        index=index,
        hashes=service.inclusion_proof(index, signed.tree_size),
        checkpoint_note=cosigned_note(service.session, signed),
        extra=entry.body,
    )
    return tlogproof.format_tlog_proof(proof)
