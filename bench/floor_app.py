"""The app `python -m bench floor` serves: Flask with one route shaped like the registry's transfer
(`POST /api/v1/items/<id>/transfers`, a JSON body, a bearer token), and nothing of the registry but the key of
its write lock.

`FLOOR_MODE=answer` parses the body and answers 201 at once. `FLOOR_MODE=commit` also commits, per
request, one durable PostgreSQL transaction (`FLOOR_DATABASE`) that takes the transaction-scoped
advisory lock every ledger write takes and inserts one row: the least a registry write can do.
"""

from __future__ import annotations

import json
import os
import threading

import psycopg
from flask import Flask, request

from registry.ledger.locking import PG_ADVISORY_LOCK_KEY

app = Flask(__name__)
MODE = os.environ.get("FLOOR_MODE", "answer")
_local = threading.local()


def _connection() -> psycopg.Connection:
    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = _local.connection = psycopg.connect(os.environ["FLOOR_DATABASE"])
    return connection


@app.get("/healthz")
def healthz():
    return "ok"


@app.post("/api/v1/items/<item_id>/transfers")
def transfer(item_id: str):
    body = request.get_json()
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        return {"title": "no token"}, 401
    if MODE == "commit":
        connection = _connection()
        with connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (PG_ADVISORY_LOCK_KEY,))
            connection.execute("INSERT INTO floor_write (item_id, body) VALUES (%s, %s)", (item_id, json.dumps(body)))
    return {"item_id": item_id, "to_party_id": body.get("to_party_id")}, 201
