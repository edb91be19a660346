"""Ledger HTTP API: the public checkpoint, entries, and inclusion and consistency proofs.

Hashes are standard base64, as in C2SP checkpoints; entry bodies are given both parsed and as the
exact base64 bytes that were hashed.
"""

from __future__ import annotations

import base64

from flask import Blueprint, Flask, Response, send_file
from pydantic import Field

from registry.auth.permissions import Permission, public, requires
from registry.contract import Answer, FreeObject, Page, Query, decode_cursor, encode_cursor, operation
from registry.errors import InvalidParameterError, NotFoundError, OutOfRangeError
from registry.ledger.runtime import reader

bp = Blueprint("ledger_api", __name__)


Hash = str  # 32 bytes, standard base64


class Checkpoint(Answer):
    size: int
    root: Hash = Field(description="32 bytes, standard base64")
    note: str = Field(description="the C2SP signed note")
    signed_at: str = Field(json_schema_extra={"format": "date-time"})


class LedgerSummary(Answer):
    size: int
    checkpoint: Checkpoint | None


class Entry(Answer):
    index: int
    leaf_hash: Hash
    body_base64: str = Field(description="the exact RFC 8785 bytes that were hashed")
    event: FreeObject


class EntryPage(Answer):
    entries: list[Entry]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null at the end")


class InclusionProof(Answer):
    index: int
    size: int
    leaf_hash: Hash
    proof: list[Hash]
    root: Hash
    checkpoint: str | None


class ConsistencyProof(Answer):
    from_: int = Field(alias="from")
    to: int
    proof: list[Hash]
    root_from: Hash
    root_to: Hash


class InclusionQuery(Query):
    index: int = Field(ge=0, le=2**62, description="entry index")
    size: int | None = Field(None, ge=1, le=2**62, description="tree size (default: current)")


class ConsistencyQuery(Query):
    from_: int = Field(alias="from", ge=1, le=2**62, description="earlier size (consistency proofs start at 1)")
    to: int | None = Field(None, ge=1, le=2**62, description="later size (default: current)")


class EntriesQuery(Page):
    """Entries from a ledger index on: the cursor names the next entry, so pages stay stable while
    the ledger grows."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def checked_size(name: str, value: int, tree_size: int) -> int:
    if value > tree_size:
        raise OutOfRangeError(f"{name!r} is {value} but the ledger holds {tree_size} entries", field=name)
    return value


def entry_json(entry) -> dict:
    return {
        "index": entry.index,
        "leaf_hash": b64(entry.leaf_hash),
        "body_base64": b64(entry.body),
        "event": entry.event,
    }


@bp.get("/checkpoint")
@public
@operation(
    "The latest signed checkpoint (C2SP signed note) with every witness cosignature gathered for it, public",
    response=None,
    media_type="text/plain",
    errors=(404,),
)
def checkpoint():
    from registry.ledger.witnesses import cosigned_note

    service = reader()
    signed = service.latest_checkpoint()
    if signed is None:
        raise NotFoundError("the ledger is empty: no checkpoint has been signed")
    return Response(
        cosigned_note(service.session, signed), mimetype="text/plain", headers={"Cache-Control": "no-cache"}
    )


IMMUTABLE = "max-age=31536000, immutable"


def _tile(level: int, index: str) -> Response:
    from audit import tiles as tlog_tiles
    from registry.ledger import tiles

    try:
        number, width = tlog_tiles.parse_index(index)
    except tlog_tiles.TilePathError as error:
        raise NotFoundError(f"not a tile: {error}") from None
    if level > tlog_tiles.MAX_LEVEL:
        raise NotFoundError(f"not a tile: the levels are 0 to {tlog_tiles.MAX_LEVEL}")
    tile = tlog_tiles.Tile(level, number, width)
    session = reader().session
    if not tiles.exists(tile, tiles.signed_size(session)):
        raise NotFoundError(f"{tile.path} is beyond the latest signed checkpoint")
    visibility = "private" if tile.is_entries else "public"
    return Response(
        tiles.read(session, tile),
        mimetype="application/octet-stream",
        headers={"Cache-Control": f"{visibility}, {IMMUTABLE}"},
    )


TILE_PATHS = {
    "level": ("the tile level L, 0 to 63", {"type": "integer", "minimum": 0, "maximum": 63}),
    "index": "the tile index N in groups of three digits, all but the last prefixed by x, then `.p/W` for a "
    "partial tile of W hashes (C2SP tlog-tiles), e.g. `x001/x234/067` or `001.p/44`",
}


@bp.get("/tile/<int:level>/<path:index>")
@public
@operation(
    "A C2SP tlog-tiles hash tile of the tree, public: up to 256 hashes of tree level 8*level",
    response=None,
    media_type="application/octet-stream",
    paths=TILE_PATHS,
    errors=(404,),
)
def hash_tile(level: int, index: str):
    return _tile(level, index)


@bp.get("/tile/entries/<path:index>")
@requires(Permission.LEDGER_READ)
@operation(
    "A C2SP tlog-tiles entry bundle: up to 256 entries, each a big-endian uint16 length and its RFC 8785 body",
    response=None,
    media_type="application/octet-stream",
    paths={"index": TILE_PATHS["index"]},
    errors=(404,),
)
def entry_bundle(index: str):
    return _tile(-1, index)


@bp.get("/api/v1/ledger")
@requires(Permission.LEDGER_READ)
@operation("Ledger size and latest checkpoint", response=LedgerSummary)
def summary():
    service = reader()
    signed = service.latest_checkpoint()
    return {
        "size": service.size(),
        "checkpoint": None
        if signed is None
        else {
            "size": signed.tree_size,
            "root": b64(signed.root_hash),
            "note": signed.note,
            "signed_at": signed.signed_at.isoformat(),
        },
    }


@bp.get("/api/v1/ledger/entries/<raw_index>")
@requires(Permission.LEDGER_READ)
@operation(
    "One entry: the parsed event and the exact hashed bytes",
    response=Entry,
    paths={"raw_index": ("entry index, from 0", {"type": "integer", "minimum": 0, "maximum": 2**53 - 1})},
    errors=(400, 404),
)
def entry(raw_index: str):
    if not (raw_index.isascii() and raw_index.isdigit()) or len(raw_index) > 18:
        raise InvalidParameterError(f"entry index must be a non-negative integer, got {raw_index!r}", field="index")
    found = reader().entry(int(raw_index))
    if found is None:
        raise NotFoundError(f"there is no entry {int(raw_index)}")
    return entry_json(found)


@bp.get("/api/v1/ledger/proofs/inclusion")
@requires(Permission.LEDGER_READ)
@operation("Inclusion proof of an entry at a tree size", response=InclusionProof, query=InclusionQuery)
def inclusion(params: InclusionQuery):
    service = reader()
    tree_size = service.size()
    index = params.index
    size = checked_size("size", tree_size if params.size is None else params.size, tree_size)
    if index >= size:
        raise OutOfRangeError(f"'index' {index} is not below 'size' {size}", field="index")
    signed = service.checkpoint_at(size)
    return {
        "index": index,
        "size": size,
        "leaf_hash": b64(service.entry(index).leaf_hash),
        "root": b64(service.root_at(size)),
        "proof": [b64(h) for h in service.inclusion_proof(index, size)],
        "checkpoint": signed.note if signed else None,
    }


@bp.get("/api/v1/ledger/proofs/consistency")
@requires(Permission.LEDGER_READ)
@operation("Consistency proof between two tree sizes", response=ConsistencyProof, query=ConsistencyQuery)
def consistency(params: ConsistencyQuery):
    service = reader()
    tree_size = service.size()
    size1 = checked_size("from", params.from_, tree_size)
    size2 = checked_size("to", tree_size if params.to is None else params.to, tree_size)
    if size1 > size2:
        raise OutOfRangeError(f"'from' {size1} is larger than 'to' {size2}", field="from")
    return {
        "from": size1,
        "to": size2,
        "root_from": b64(service.root_at(size1)),
        "root_to": b64(service.root_at(size2)),
        "proof": [b64(h) for h in service.consistency_proof(size1, size2)],
    }


@bp.get("/api/v1/ledger/export")
@requires(Permission.LEDGER_EXPORT)
@operation("The ledger export (zip) for `python -m audit verify`", response=None, media_type="application/zip")
def export():
    from registry.ledger.runtime import export_archive

    archive = export_archive()
    return send_file(
        archive, mimetype="application/zip", as_attachment=True, download_name=f"ledger-export-{reader().size()}.zip"
    )


@bp.get("/api/v1/ledger/entries")
@requires(Permission.LEDGER_READ)
@operation("Entries in ledger order, a page at a time", response=EntryPage, query=EntriesQuery)
def entries(params: EntriesQuery):
    service = reader()
    start = decode_cursor(params.cursor, "e")
    page = service.entries(start, min(start + params.limit, service.size()))
    stop = start + len(page)
    return {
        "entries": [entry_json(e) for e in page],
        "next_cursor": encode_cursor(stop, "e") if stop < service.size() else None,
    }


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
