"""The home page and the health check."""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify, render_template
from sqlalchemy import text

from registry.extensions import db
from registry.ledger.runtime import reader

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    service = reader()
    return render_template("home.html", size=service.size(), checkpoint=service.latest_checkpoint(),
                           recent=list(reversed(service.entries(max(service.size() - 10, 0), service.size()))))


@bp.get("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
