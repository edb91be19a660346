"""Ledger pages: the entry list, one entry with its proof (and a button that checks it again), the
latest checkpoint, a full verification for auditors, and the export an auditor takes away."""

from __future__ import annotations

import json

from flask import Blueprint, Flask, Response, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from registry import labels, listing
from registry.accounts.runtime import accounts
from registry.auth.permissions import Permission, requires
from registry.contract import LARGEST_INT  # an entry index past it is no entry (PostgreSQL's bigint ends at 2**63)
from registry.errors import NotFoundError
from registry.ledger.runtime import (
    ReceiptError,
    export_archive,
    reader,
    reads,
    receipt,
    verifier_key,
    verifier_keys,
    verify_now,
)

bp = Blueprint("ledger", __name__, url_prefix="/ledger")


@bp.get("/")
@requires(Permission.LEDGER_READ)
def index():
    """The entries, newest first, filtered by event type, item (a serial in any form), author and day."""
    from registry.custody.runtime import reads as custody_reads

    args = request.args
    chosen = {name: (args.get(name) or "").strip() for name in ("type", "item", "actor", "from", "to")}
    days = listing.days(args)
    refs, items = None, []
    if chosen["item"]:
        items = custody_reads.search(serial=chosen["item"][:200], limit=20)
        refs = [f"item:{item.id}" for item in items]
    before = args.get("before", type=int)
    listed = reads.entry_page(
        event_type=chosen["type"] or None,
        refs=refs,
        actor=chosen["actor"] or None,
        day_from=days["from"],
        day_to=days["to"],
        # A bound past the largest index a ledger can reach is no bound (PostgreSQL refuses the number).
        before=before if before is not None and 0 < before <= LARGEST_INT else None,
        limit=current_app.config["LEDGER_PAGE_SIZE"],
    )
    return render_template(
        "ledger/index.html",
        entries=listed.entries,
        listed=listed,
        chosen=chosen,
        items=items,
        filtered=any(chosen.values()),
        size=reader().size(),
        event_types=sorted(set(labels.EVENTS) | ({chosen["type"]} - {""})),
        actors=sorted(
            {f"user:{account.email}" for account in accounts(writing=False).all()} | ({chosen["actor"]} - {""})
        ),
        checkpoint=reader().latest_checkpoint(),
    )


@bp.get(f"/entries/<int(max={LARGEST_INT}):index>")
@requires(Permission.LEDGER_READ)
def entry(index: int):
    service = reader()
    vkey = verifier_key()
    proven = service.proven_entry(index, vkey)
    if proven is None:
        raise NotFoundError(f"there is no entry {index}")
    event = proven.entry.event
    history = service.item_history(event["item"]) if event.get("item") else []
    return render_template(
        "ledger/entry.html",
        entry=proven.entry,
        event=event,
        body_pretty=json.dumps(event, indent=2, ensure_ascii=False),
        checkpoint=proven.checkpoint,
        proof=proven.proof,
        proof_ok=proven.verified,
        history=history,
        vkey=vkey,
    )


@bp.get(f"/entries/<int(max={LARGEST_INT}):index>/receipt")
@requires(Permission.LEDGER_READ)
def entry_receipt(index: int):
    """The entry's tlog-proof receipt as a file, for `python -m audit verify-proof`."""
    try:
        text = receipt(index)
    except ReceiptError as error:
        raise NotFoundError(str(error), field="index") from None
    return Response(
        text,
        mimetype="text/plain",
        headers={"Content-Disposition": f'attachment; filename="entry-{index}.tlog-proof"'},
    )


@bp.get("/checkpoint")
@requires(Permission.LEDGER_READ)
def checkpoint():
    from registry.ledger.witnesses import cosigned_note

    service = reader()
    signed = service.latest_checkpoint()
    note = cosigned_note(service.session, signed) if signed else ""
    return render_template("ledger/checkpoint.html", checkpoint=signed, note=note, vkeys=verifier_keys())


@bp.post(f"/entries/<int(max={LARGEST_INT}):index>/verify")
@requires(Permission.LEDGER_READ)
def verify_entry(index: int):
    """Check the entry's inclusion proof against the latest signed checkpoint again, now."""
    proven = reader().proven_entry(index, verifier_key())
    if proven is None:
        raise NotFoundError(f"there is no entry {index}")
    if proven.verified:
        flash(
            f"Entry {index} verified: its inclusion proof ({len(proven.proof)} hashes) leads to the root of the "
            f"checkpoint of size {proven.checkpoint.tree_size}, whose signature checks with the log's key.",
            "success",
        )
    else:
        flash(
            f"Entry {index} does NOT verify against the checkpoint of size {proven.checkpoint.tree_size}: "
            "run a full verification.",
            "danger",
        )
    return redirect(url_for("ledger.entry", index=index) + "#proof")


@bp.post("/verify")
@requires(Permission.LEDGER_VERIFY)
def verify_all():
    run = verify_now(current_user.actor)
    flash(f"Full verification: {run.summary}", "success" if run.ok else "danger")
    return redirect(url_for("main.home"))


@bp.get("/export")
@requires(Permission.LEDGER_EXPORT)
def export_page():
    service = reader()
    return render_template(
        "ledger/export.html", size=service.size(), checkpoint=service.latest_checkpoint(), vkey=verifier_key()
    )


@bp.get("/export.zip")
@requires(Permission.LEDGER_EXPORT)
def export_download():
    archive = export_archive()
    return send_file(
        archive, mimetype="application/zip", as_attachment=True, download_name=f"ledger-export-{reader().size()}.zip"
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
