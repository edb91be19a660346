"""Bulk imports in the background, for files too large to import within one HTTP request.

The file is kept in the job's row until the job ends. The job runs where report jobs run: on RQ over
Redis when `REDIS_URL` is set (`flask reports worker` takes both kinds), else on a thread of the web
process. It checks every row, then writes the good ones in one transaction (`bulk.import_rows`), so
a job that dies half-way commits nothing. Progress is committed on a connection of its own while the
rows are checked; on SQLite the write phase then holds the database's only write lock, so the page
says "writing" until the commit, while on PostgreSQL progress goes on moving.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlalchemy import select, update

from registry import clock
from registry.custody import bulk
from registry.custody.models import ImportJob
from registry.errors import NOT_FOUND, DomainError, RegistryError
from registry.extensions import db
from registry.jobs import start, update_row
from registry.ledger.locking import side_transaction

# Files with more data lines than this go to the background unless the caller asks otherwise.
FOREGROUND_ROWS = 2_000
STALLED_AFTER = timedelta(minutes=15)
log = logging.getLogger(__name__)


def line_count(text: str) -> int:
    """The data lines of a CSV file, roughly (a quoted field may hold a line break): enough to choose."""
    return max(text.count("\n") - 1, 0)


def submit(text: str, *, recipient_party_id: str, skip_invalid: bool, actor: str) -> ImportJob:
    """Queue the import of a CSV file. A file without the import's header is refused now (422
    invalid_header), not by the job a moment later."""
    from registry.custody import bulk

    bulk.check_header(text)
    now = clock.now()
    job = ImportJob(
        id=str(uuid.uuid4()),
        requested_by=actor,
        recipient_party_id=recipient_party_id,
        skip_invalid=skip_invalid,
        csv_text=text,
        rows=line_count(text),
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
        kind="import",
        run=run,
        entry_point="registry.custody.imports.run_queued",
        unqueued=lambda: _set(
            job.id, status="failed", message="not queued", csv_text=None, error="the job queue (Redis) was unreachable"
        ),
    )
    return job


def recent_jobs(actor: str, limit: int = 10) -> list[ImportJob]:
    """The actor's latest imports, newest first (the import page lists them)."""
    return list(
        db.session.scalars(
            select(ImportJob).where(ImportJob.requested_by == actor).order_by(ImportJob.created_at.desc()).limit(limit)
        )
    )


def own_job(job_id: str, actor: str) -> ImportJob:
    """The caller's own job (a job holds a file someone else sent), shown failed if its worker died."""
    found = db.session.get(ImportJob, job_id)
    if found is None or found.requested_by != actor:
        raise DomainError(f"no import job {job_id} of yours", code="not_found", kind=NOT_FOUND, field="job_id")
    return settle(found)


def settle(job: ImportJob) -> ImportJob:
    """A job silent for STALLED_AFTER while it was running lost its worker: it committed nothing."""
    now = clock.now()
    if job.status == "running" and now - job.updated_at > STALLED_AFTER:
        with side_transaction(db.session):
            db.session.execute(
                update(ImportJob)
                .where(
                    ImportJob.id == job.id, ImportJob.status == "running", ImportJob.updated_at < now - STALLED_AFTER
                )
                .values(
                    status="failed",
                    message="stalled",
                    updated_at=now,
                    csv_text=None,
                    error="the worker stopped before the end; nothing was imported: send the file again",
                )
            )
        db.session.refresh(job)
    return job


def run_queued(job_id: str) -> None:
    """RQ's entry point: inside `flask reports worker` the app context is already there."""
    run(job_id)


def _set(job_id: str, **values) -> None:
    update_row(ImportJob, job_id, **values)


def run(job_id: str) -> None:
    from registry.custody.runtime import custody

    job = db.session.get(ImportJob, job_id)
    if job is None or job.status != "queued":
        return
    text, recipient, skip_invalid, actor = (
        job.csv_text or "",
        job.recipient_party_id,
        job.skip_invalid,
        job.requested_by,
    )
    db.session.rollback()
    _set(job_id, status="running", message="reading the file")
    progress_while_writing = db.engine.dialect.name == "postgresql"
    try:
        rows = bulk.read_csv(text)
        total = max(len(rows), 1)
        _set(job_id, rows=len(rows), message=f"checking {len(rows):,} rows")
        writing = False

        def progress(done: int) -> None:
            if not writing or progress_while_writing:
                _set(
                    job_id,
                    progress=min(99, done * 100 // total),
                    message=f"writing {len(rows):,} rows" if writing else f"checking {len(rows):,} rows",
                )

        def start_writing(count: int) -> None:
            nonlocal writing
            _set(job_id, progress=50, message=f"writing {count:,} rows in one transaction")
            writing = True

        report = bulk.import_rows(
            custody(),
            rows,
            recipient_party_id=recipient,
            actor=actor,
            now=clock.now(),
            skip_invalid=skip_invalid,
            progress=progress,
            writing=start_writing,
        )
    except RegistryError as error:  # the file itself refused: no header, an unknown recipient
        db.session.rollback()
        _set(job_id, status="refused", progress=100, message="refused", csv_text=None, error=error.detail[:1000])
        return
    except Exception:
        db.session.rollback()
        log.exception("import job %s failed", job_id)
        _set(
            job_id,
            status="failed",
            message="failed",
            csv_text=None,
            error="the import failed and committed nothing; the server log says why",
        )
        return
    finally:
        db.session.remove()
    if report.committed:
        message = f"imported {report.imported:,} rows" + (
            f", {report.already_imported:,} were imported before" if report.already_imported else ""
        )
        _set(job_id, status="done", progress=100, message=message, report=report.to_dict(), csv_text=None)
    else:
        _set(
            job_id,
            status="refused",
            progress=100,
            csv_text=None,
            report=report.to_dict(),
            message=f"{len(report.problems):,} of {report.rows:,} rows are bad: nothing was imported",
        )


def job_json(job: ImportJob) -> dict:
    return {
        "id": job.id,
        "status": job.status,
        "progress": job.progress,
        "message": job.message,
        "rows": job.rows,
        "recipient_party_id": job.recipient_party_id,
        "skip_invalid": job.skip_invalid,
        "report": job.report,
        "error": job.error,
        "created_at": job.created_at.isoformat(),
        "updated_at": job.updated_at.isoformat(),
    }
