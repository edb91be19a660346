"""Ledger pages: the entry list, one entry with its proof, and the latest checkpoint."""
from __future__ import annotations

import json

from flask import Blueprint, Flask, current_app, render_template, request

from audit import merkle
from audit.errors import VerificationError
from registry.errors import NotFoundError
from registry.ledger.runtime import log_key, reader

bp = Blueprint("ledger", __name__, url_prefix="/ledger")


@bp.get("/")
def index():
    service = reader()
    size = service.size()
    page_size = current_app.config["LEDGER_PAGE_SIZE"]
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    stop = max(size - (page - 1) * page_size, 0)
    start = max(stop - page_size, 0)
    entries = list(reversed(service.entries(start, stop)))
    return render_template("ledger/index.html", entries=entries, size=size, page=page,
                           has_next=start > 0, checkpoint=service.latest_checkpoint())


@bp.get("/entries/<int:index>")
def entry(index: int):
    service = reader()
    found = service.entry(index)
    if found is None:
        raise NotFoundError(f"there is no entry {index}")
    signed = service.latest_checkpoint()
    proof, proof_ok = service.inclusion_proof(index, signed.tree_size), True
    try:
        merkle.verify_inclusion(found.leaf_hash, index, signed.tree_size, proof, signed.root_hash)
    except VerificationError:
        proof_ok = False
    event = found.event
    history = service.item_history(event["item"]) if event.get("item") else []
    return render_template("ledger/entry.html", entry=found, event=event,
                           body_pretty=json.dumps(event, indent=2, ensure_ascii=False),
                           checkpoint=signed, proof=proof, proof_ok=proof_ok, history=history)


@bp.get("/checkpoint")
def checkpoint():
    return render_template("ledger/checkpoint.html", checkpoint=reader().latest_checkpoint(), vkey=log_key().vkey)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
