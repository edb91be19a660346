"""Reports as background jobs: on RQ over Redis when `REDIS_URL` is set (run `flask reports worker`),
else on a thread of the web process. Either way a `report_job` row tells the page how far it is.

Progress is written on a connection of its own and committed at once, so the page sees it while the
job's own session still holds the report's read transaction.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import update

from registry import clock
from registry.errors import RegistryError
from registry.extensions import db
from registry.jobs import QUEUE, QueueUnavailableError, start, update_row  # noqa: F401 (QUEUE, the error: re-exported)
from registry.ledger.locking import side_transaction
from registry.reports.models import ReportJob

# A running job reports progress at least once per rendered part (seconds apart); one silent for this
# long lost its worker (a killed process, a restarted web server) and will never finish.
STALLED_AFTER = timedelta(minutes=15)
log = logging.getLogger(__name__)


def submit(report_type: str, params: dict, *, actor: str, personal: bool) -> ReportJob:
    """Record the job and start it; the parameters were checked by the caller (ReportService.check)."""
    now = clock.now()
    job = ReportJob(
        id=str(uuid.uuid4()),
        report_type=report_type,
        params=params,
        requested_by=actor,
        personal=personal,
        status="queued",
        progress=0,
        message="waiting for a worker",
        created_at=now,
        updated_at=now,
    )
    with side_transaction(db.session):
        db.session.add(job)
    start(
        job.id,
        kind="report",
        run=run,
        entry_point="registry.reports.jobs.run_queued",
        unqueued=lambda: _set(
            job.id, status="failed", message="not queued", error="the job queue (Redis) was unreachable"
        ),
    )
    return job


def settle(job: ReportJob) -> ReportJob:
    """A job that can no longer finish, shown as failed: one running without progress for
    STALLED_AFTER, or (without a queue, where the job starts on one of the web process's JOB_THREADS
    threads as soon as one is free) one still queued that long: a backlog of that much work on one
    process is marked failed too, to be requested again. A queued job on RQ waits for a worker however
    long that takes."""
    now = clock.now()
    waiting = job.status == "queued" and not current_app.config.get("REDIS_URL")
    if (job.status == "running" or waiting) and now - job.updated_at > STALLED_AFTER:
        since = job.updated_at.strftime("%Y-%m-%d %H:%M UTC")
        with side_transaction(db.session):
            db.session.execute(
                update(ReportJob)
                .where(  # unless the worker spoke meanwhile
                    ReportJob.id == job.id, ReportJob.status == job.status, ReportJob.updated_at < now - STALLED_AFTER
                )
                .values(
                    status="failed",
                    message="stalled",
                    updated_at=now,
                    error=f"the worker stopped without finishing (no progress since {since}); request the report again",
                )
            )
        db.session.refresh(job)
    return job


def run_queued(job_id: str) -> None:
    """RQ's entry point: inside `flask reports worker` the app context is already there."""
    run(job_id)


def _set(job_id: str, **values) -> None:
    update_row(ReportJob, job_id, **values)


def run(job_id: str) -> None:
    from registry.reports.runtime import reports

    job = db.session.get(ReportJob, job_id)
    if job is None or job.status not in ("queued",):
        return
    report_type, params, actor, personal = job.report_type, dict(job.params), job.requested_by, job.personal
    db.session.rollback()
    _set(job_id, status="running", message="starting")
    try:
        issued = reports().issue(
            report_type,
            params,
            actor=actor,
            personal=personal,
            now=clock.now(),
            progress=lambda percent, message: _set(job_id, progress=percent, message=message[:400]),
        )
        report_id = issued.id
    except RegistryError as error:  # refused, or signing unavailable
        db.session.rollback()
        _set(job_id, status="failed", message="refused", error=str(getattr(error, "detail", error))[:1000])
        return
    except Exception:
        db.session.rollback()
        log.exception("report job %s failed", job_id)
        _set(job_id, status="failed", message="failed", error="the report could not be made; the server log says why")
        return
    finally:
        db.session.remove()
    _set(job_id, status="done", progress=100, message="done", report_id=report_id)
