"""Ledger pages: the entry list, one entry with its proof, and the latest checkpoint."""
from __future__ import annotations

import json

from flask import Blueprint, Flask, current_app, render_template, request

from registry.errors import NotFoundError
from registry.ledger.runtime import reader, verifier_key

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
    proven = service.proven_entry(index, verifier_key())
    if proven is None:
        raise NotFoundError(f"there is no entry {index}")
    event = proven.entry.event
    history = service.item_history(event["item"]) if event.get("item") else []
    return render_template("ledger/entry.html", entry=proven.entry, event=event,
                           body_pretty=json.dumps(event, indent=2, ensure_ascii=False),
                           checkpoint=proven.checkpoint, proof=proven.proof, proof_ok=proven.verified,
                           history=history)


@bp.get("/checkpoint")
def checkpoint():
    return render_template("ledger/checkpoint.html", checkpoint=reader().latest_checkpoint(), vkey=verifier_key())


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
