"""The home page and the health check."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from flask import Blueprint, Flask, render_template

from registry import clock, labels, overview
from registry.auth.permissions import Permission, public, requires
from registry.contract import Answer, operation
from registry.ledger.runtime import reader
from registry.reads import Reads

STALE_DAYS = 7  # a full verification older than this is flagged on the dashboard
bp = Blueprint("main", __name__)
reads = Reads(overview)


class Health(Answer):
    status: Literal["ok"]


@bp.get("/")
@requires(Permission.DASHBOARD)
def home():
    service = reader()
    size = service.size()
    verification = reads.last_verification()
    from registry.ledger.runtime import witness_policy_or_problem
    from registry.ledger.witnesses import quorum_size, states

    policy, policy_error = witness_policy_or_problem()
    return render_template(
        "home.html",
        size=size,
        checkpoint=service.latest_checkpoint(),
        recent=list(reversed(service.entries(max(size - 10, 0), size))),
        items=reads.item_counts(),
        verification=verification,
        stale_days=STALE_DAYS,
        stale=bool(verification and clock.now() - verification.finished_at > timedelta(days=STALE_DAYS)),
        policy=policy,
        policy_error=policy_error,
        witnesses=states(service.session, policy),
        witnessed=quorum_size(service.session, policy) if policy else 0,
    )


@bp.get("/healthz")
@public
@operation("Liveness and database reachability, for load balancers", response=Health, errors=(503,))
def healthz():
    reads.reachable()
    return {"status": "ok"}


# The daily work, in the bar; the occasional tools under "More"; the account's own links in the
# user menu. It fits on one line from 1,200 px; below that it folds into the toggler.
NAV_LINKS = [
    ("main.home", "Dashboard", Permission.DASHBOARD),
    ("custody.search", "Items", Permission.ITEMS_READ),
    ("custody.parties", "Parties", Permission.ITEMS_READ),
    ("custody.bound_book", "Bound book", Permission.ITEMS_READ),
    ("custody.signals", "Signals", Permission.ITEMS_READ),
    ("supply.index", "Supply", Permission.ITEMS_READ),
    ("recalls.index", "Recalls", Permission.ITEMS_READ),
    ("reports.index", "Reports", Permission.REPORTS_READ),
    ("ledger.index", "Ledger", Permission.LEDGER_READ),
]
MORE_LINKS = [
    ("inventory.index", "Inventory audit", Permission.ITEMS_READ),
    ("custody.trace", "Trace request", Permission.ITEMS_READ),
    ("serials.check", "Check a serial", Permission.SERIALS_CHECK),
    ("ledger.export_page", "Export for auditors", Permission.LEDGER_EXPORT),
    ("accounts.index", "Accounts", Permission.ACCOUNTS_MANAGE),
    ("accounts.security_log", "Security log", Permission.SECURITY_LOG_READ),
]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.context_processor(lambda: {"nav_links": NAV_LINKS, "more_links": MORE_LINKS, "Permission": Permission})
    app.jinja_env.globals["ref_names"] = lambda entries: reads.ref_names([e.event.get("item") for e in entries])
    app.jinja_env.filters.update(
        status_label=labels.status,
        kind_label=labels.kind,
        party_kind_label=labels.party_kind,
        event_label=labels.event,
        record_label=labels.record,
        detail_label=labels.detail,
        shown_details=labels.shown_details,
        job_line=labels.job_line,
    )
