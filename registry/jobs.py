"""Background jobs, whatever they do: on RQ over Redis when `REDIS_URL` is set (`flask reports worker`
runs every kind), else on a thread of the web process. A job is a row of its kind's table; `start`
hands its id to the runner, `update_row` records progress on a connection of its own and commits at
once, so a page sees it while the job's own session still holds its transaction."""

from __future__ import annotations

import logging
import threading
from typing import Callable

from flask import Flask, current_app
from sqlalchemy import update
from sqlalchemy.orm import Session

from registry import clock
from registry.errors import RegistryError
from registry.extensions import db

QUEUE = "reports"
JOB_TIMEOUT = 3 * 3600
log = logging.getLogger(__name__)


THREAD_PREFIX = "job-"  # the name of a job's thread when there is no queue


def wait_for_threads(timeout: float = 120) -> None:
    """Let the jobs running on threads of this process finish (a test before it drops its database)."""
    for thread in threading.enumerate():
        if thread.name.startswith(THREAD_PREFIX):
            thread.join(timeout)


class QueueUnavailableError(RegistryError):
    status = 503
    code = "queue_unavailable"
    title = "Job queue unavailable"


def update_row(model, job_id: str, **values) -> None:
    with Session(db.engine) as session:
        session.execute(update(model).where(model.id == job_id).values(updated_at=clock.now(), **values))
        session.commit()


def start(
    job_id: str, *, kind: str, run: Callable[[str], None], entry_point: str, unqueued: Callable[[], None]
) -> None:
    """Run `run(job_id)` in the background: queued on RQ as `entry_point` (a dotted name a worker can
    import), or on a thread. If Redis cannot be reached, `unqueued()` marks the job failed and the
    caller gets 503 queue_unavailable."""
    redis_url = current_app.config.get("REDIS_URL")
    if not redis_url:
        app = current_app._get_current_object()
        threading.Thread(
            target=_run_in_app, args=(app, run, job_id), name=f"{THREAD_PREFIX}{kind}-{job_id[:8]}", daemon=True
        ).start()
        return
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue

    try:
        Queue(QUEUE, connection=Redis.from_url(redis_url)).enqueue(
            entry_point, job_id, job_id=f"{kind}-{job_id}", job_timeout=JOB_TIMEOUT
        )
    except RedisError as error:
        log.error("%s job %s not queued: %s", kind, job_id, error)
        unqueued()
        raise QueueUnavailableError(
            f"the {kind} job queue is unreachable; nothing was queued, try again later or tell the operator"
        ) from None


def _run_in_app(app: Flask, run: Callable[[str], None], job_id: str) -> None:
    with app.app_context():
        run(job_id)
