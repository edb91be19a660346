"""The home page and the health check."""

from __future__ import annotations

from typing import Literal

from flask import Blueprint, Flask, render_template

from registry import overview
from registry.auth.permissions import Permission, public, requires
from registry.contract import Answer, operation
from registry.ledger.runtime import reader
from registry.reads import Reads

bp = Blueprint("main", __name__)
reads = Reads(overview)


class Health(Answer):
    status: Literal["ok"]


@bp.get("/")
@requires(Permission.DASHBOARD)
def home():
    service = reader()
    size = service.size()
    return render_template(
        "home.html",
        size=size,
        checkpoint=service.latest_checkpoint(),
        recent=list(reversed(service.entries(max(size - 10, 0), size))),
        items=reads.item_counts(),
        verification=reads.last_verification(),
    )


@bp.get("/healthz")
@public
@operation("Liveness and database reachability, for load balancers", response=Health, errors=(503,))
def healthz():
    reads.reachable()
    return {"status": "ok"}


NAV_LINKS = [
    ("main.home", "Dashboard", Permission.DASHBOARD),
    ("custody.search", "Items", Permission.ITEMS_READ),
    ("custody.parties", "Parties", Permission.ITEMS_READ),
    ("custody.bound_book", "Bound book", Permission.ITEMS_READ),
    ("custody.signals", "Signals", Permission.ITEMS_READ),
    ("custody.trace", "Trace", Permission.ITEMS_READ),
    ("supply.index", "Supply", Permission.ITEMS_READ),
    ("recalls.index", "Recalls", Permission.ITEMS_READ),
    ("reports.index", "Reports", Permission.REPORTS_READ),
    ("ledger.index", "Ledger", Permission.LEDGER_READ),
    ("serials.check", "Check a serial", Permission.SERIALS_CHECK),
    ("ledger.export_page", "Export", Permission.LEDGER_EXPORT),
    ("accounts.index", "Accounts", Permission.ACCOUNTS_MANAGE),
    ("accounts.security_log", "Security log", Permission.SECURITY_LOG_READ),
]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.context_processor(lambda: {"nav_links": NAV_LINKS, "Permission": Permission})
