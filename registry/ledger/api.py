"""Ledger HTTP API: the public checkpoint, entries, and inclusion and consistency proofs.

Hashes are standard base64, as in C2SP checkpoints; entry bodies are given both parsed and as the
exact base64 bytes that were hashed.
"""
from __future__ import annotations

import base64

from flask import Blueprint, Flask, Response, jsonify, request, send_file

from registry.auth.permissions import Permission, public, requires
from registry.errors import InvalidParameterError, NotFoundError
from registry.ledger.runtime import reader
from registry.openapi import operation, path, query

bp = Blueprint("ledger_api", __name__)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def int_arg(name: str, *, default: int | None = None, minimum: int = 0) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        if default is None:
            raise InvalidParameterError(f"query parameter {name!r} is required", field=name)
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise InvalidParameterError(f"{name!r} must be a non-negative integer, got {raw!r}", field=name)
    value = int(raw)
    if value < minimum:
        raise InvalidParameterError(f"{name!r} must be at least {minimum}", field=name)
    return value


def checked_size(name: str, value: int, tree_size: int) -> int:
    if value > tree_size:
        raise InvalidParameterError(f"{name!r} is {value} but the ledger holds {tree_size} entries", field=name)
    return value


def entry_json(entry) -> dict:
    return {"index": entry.index, "leaf_hash": b64(entry.leaf_hash), "body_base64": b64(entry.body),
            "event": entry.event}


@bp.get("/checkpoint")
@public
@operation("The latest signed checkpoint (C2SP signed note), public", response=None, media_type="text/plain", errors=(404,))
def checkpoint():
    signed = reader().latest_checkpoint()
    if signed is None:
        raise NotFoundError("the ledger is empty: no checkpoint has been signed")
    return Response(signed.note, mimetype="text/plain", headers={"Cache-Control": "no-cache"})


@bp.get("/api/v1/ledger")
@requires(Permission.LEDGER_READ)
@operation("Ledger size and latest checkpoint", response="LedgerSummary")
def summary():
    service = reader()
    signed = service.latest_checkpoint()
    return jsonify({
        "size": service.size(),
        "checkpoint": None if signed is None else {
            "size": signed.tree_size, "root": b64(signed.root_hash), "note": signed.note,
            "signed_at": signed.signed_at.isoformat()},
    })


@bp.get("/api/v1/ledger/entries/<raw_index>")
@requires(Permission.LEDGER_READ)
@operation("One entry: the parsed event and the exact hashed bytes", response="Entry",
           parameters=(path("raw_index", "entry index, from 0"),), errors=(400, 404))
def entry(raw_index: str):
    if not (raw_index.isascii() and raw_index.isdigit()) or len(raw_index) > 18:
        raise InvalidParameterError(f"entry index must be a non-negative integer, got {raw_index!r}", field="index")
    found = reader().entry(int(raw_index))
    if found is None:
        raise NotFoundError(f"there is no entry {int(raw_index)}")
    return jsonify(entry_json(found))


@bp.get("/api/v1/ledger/proofs/inclusion")
@requires(Permission.LEDGER_READ)
@operation("Inclusion proof of an entry at a tree size", response="InclusionProof",
           parameters=(query("index", "entry index", required=True), query("size", "tree size (default: current)")),
           errors=(400,))
def inclusion():
    service = reader()
    tree_size = service.size()
    index = int_arg("index")
    size = checked_size("size", int_arg("size", default=tree_size, minimum=1), tree_size)
    if index >= size:
        raise InvalidParameterError(f"'index' {index} is not below 'size' {size}", field="index")
    signed = service.checkpoint_at(size)
    return jsonify({
        "index": index, "size": size,
        "leaf_hash": b64(service.entry(index).leaf_hash),
        "root": b64(service.root_at(size)),
        "proof": [b64(h) for h in service.inclusion_proof(index, size)],
        "checkpoint": signed.note if signed else None,
    })


@bp.get("/api/v1/ledger/proofs/consistency")
@requires(Permission.LEDGER_READ)
@operation("Consistency proof between two tree sizes", response="ConsistencyProof",
           parameters=(query("from", "earlier size", required=True), query("to", "later size (default: current)")),
           errors=(400,))
def consistency():
    service = reader()
    tree_size = service.size()
    size1 = checked_size("from", int_arg("from"), tree_size)
    size2 = checked_size("to", int_arg("to", default=tree_size), tree_size)
    if size1 > size2:
        raise InvalidParameterError(f"'from' {size1} is larger than 'to' {size2}", field="from")
    return jsonify({
        "from": size1, "to": size2,
        "root_from": b64(service.root_at(size1)), "root_to": b64(service.root_at(size2)),
        "proof": [b64(h) for h in service.consistency_proof(size1, size2)],
    })


MAX_PAGE = 500


@bp.get("/api/v1/ledger/export")
@requires(Permission.LEDGER_EXPORT)
@operation("The ledger export (zip) for `python -m audit verify`", response=None, media_type="application/zip")
def export():
    from registry.extensions import db
    from registry.ledger import checks
    from registry.ledger.runtime import verifier_key
    vkey = verifier_key()
    archive = checks.export_archive(db.session(), origin=vkey.split("+", 1)[0], vkeys=[vkey])
    return send_file(archive, mimetype="application/zip", as_attachment=True,
                     download_name=f"ledger-export-{reader().size()}.zip")


@bp.get("/api/v1/ledger/entries")
@requires(Permission.LEDGER_READ)
@operation("Entries in ledger order, a page at a time", response="EntryPage",
           parameters=(query("cursor", "from a previous page's next_cursor; omit for the first page", kind="string"),
                       query("limit", f"entries per page, 1-{MAX_PAGE} (default 100)")), errors=(400,))
def entries():
    service = reader()
    start = decode_cursor(request.args.get("cursor"))
    limit = int_arg("limit", default=100, minimum=1)
    if limit > MAX_PAGE:
        raise InvalidParameterError(f"'limit' is at most {MAX_PAGE}", field="limit")
    page = service.entries(start, min(start + limit, service.size()))
    stop = start + len(page)
    return jsonify({"entries": [entry_json(e) for e in page],
                    "next_cursor": encode_cursor(stop) if stop < service.size() else None})


def encode_cursor(index: int) -> str:
    """Opaque to clients: it names the next entry, so pages stay stable while the ledger grows."""
    return base64.urlsafe_b64encode(f"e{index}".encode()).decode().rstrip("=")


def decode_cursor(raw: str | None) -> int:
    if not raw:
        return 0
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        if text[0] == "e" and text[1:].isdigit() and len(text) < 20:
            return int(text[1:])
    except (ValueError, UnicodeDecodeError, IndexError):
        pass
    raise InvalidParameterError("'cursor' is not a cursor this API gave out", field="cursor")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
