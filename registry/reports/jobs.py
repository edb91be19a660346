"""Reports as background jobs: on RQ over Redis when `REDIS_URL` is set (run `flask reports worker`),
else on a thread of the web process. Either way a `report_job` row tells the page how far it is.

Progress is written on a connection of its own and committed at once, so the page sees it while the
job's own session still holds the report's read transaction.
"""
from __future__ import annotations

import logging
import threading
import uuid
from datetime import datetime, timezone

from flask import Flask, current_app
from sqlalchemy import update
from sqlalchemy.orm import Session

from registry.errors import RegistryError
from registry.extensions import db
from registry.reports.models import ReportJob
from registry.reports.pades import SigningError

QUEUE = "reports"
JOB_TIMEOUT = 3 * 3600
log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def submit(report_type: str, params: dict, *, actor: str, personal: bool) -> ReportJob:
    """Record the job and start it; the parameters were checked by the caller (ReportService.check)."""
    now = _now()
    job = ReportJob(id=str(uuid.uuid4()), report_type=report_type, params=params, requested_by=actor,
                    personal=personal, status="queued", progress=0, message="waiting for a worker",
                    created_at=now, updated_at=now)
    db.session.add(job)
    db.session.commit()
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        from redis import Redis
        from rq import Queue
        Queue(QUEUE, connection=Redis.from_url(redis_url)).enqueue(
            "registry.reports.jobs.run_queued", job.id, job_id=f"report-{job.id}", job_timeout=JOB_TIMEOUT)
    else:
        app = current_app._get_current_object()
        threading.Thread(target=_run_in_app, args=(app, job.id), name=f"report-{job.id[:8]}", daemon=True).start()
    return job


def _run_in_app(app: Flask, job_id: str) -> None:
    with app.app_context():
        run(job_id)


def run_queued(job_id: str) -> None:
    """RQ's entry point: inside `flask reports worker` the app context is already there."""
    run(job_id)


def _set(job_id: str, **values) -> None:
    with Session(db.engine) as session:
        session.execute(update(ReportJob).where(ReportJob.id == job_id).values(updated_at=_now(), **values))
        session.commit()


def run(job_id: str) -> None:
    from registry.reports.runtime import reports

    job = db.session.get(ReportJob, job_id)
    if job is None or job.status not in ("queued",):
        return
    report_type, params, actor, personal = job.report_type, dict(job.params), job.requested_by, job.personal
    db.session.rollback()
    _set(job_id, status="running", message="starting")
    try:
        issued = reports().issue(report_type, params, actor=actor, personal=personal, now=_now(),
                                 progress=lambda percent, message: _set(job_id, progress=percent, message=message[:400]))
        report_id = issued.id
    except (RegistryError, SigningError) as error:
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
