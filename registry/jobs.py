"""Background jobs, whatever they do: on RQ over Redis when `REDIS_URL` is set (`flask reports worker`
runs every kind), else on threads of the web process. A job is a row of its kind's table; `start`
hands its id to the runner, `update_row` records progress on a connection of its own and commits at
once, so a page sees it while the job's own session still holds its transaction.

Without a queue, a process runs at most `JOB_THREADS` jobs at a time (the setting of the app that
started its first job, default 2) and the others wait, queued, in the order they came, as they would
for RQ's workers. A thread per job let a burst of requests start as many renders at once: each holds
database connections (its session and its progress updates), so about eight took every connection
of the pool and the pages waited 30 s for one and failed."""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
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

_runner: tuple[int, ThreadPoolExecutor] | None = None  # the process's runner, and the process it is for
_running: set[Future] = set()
_runner_lock = threading.Lock()


def _threads(size: int) -> ThreadPoolExecutor:
    """The process's job threads (a forked child makes its own: the parent's threads are not in it)."""
    global _runner
    with _runner_lock:
        if _runner is None or _runner[0] != os.getpid():
            _runner = (os.getpid(), ThreadPoolExecutor(max_workers=size, thread_name_prefix=THREAD_PREFIX))
            _running.clear()
        return _runner[1]


def wait_for_threads(timeout: float = 120) -> None:
    """Let the jobs handed to this process's threads finish (a test before it drops its database)."""
    with _runner_lock:
        pending = set(_running)
    wait_for(pending, timeout)


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
        future = _threads(app.config["JOB_THREADS"]).submit(_run_in_app, app, run, job_id, kind)
        with _runner_lock:
            _running.add(future)
        future.add_done_callback(_running.discard)
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


def _run_in_app(app: Flask, run: Callable[[str], None], job_id: str, kind: str) -> None:
    threading.current_thread().name = f"{THREAD_PREFIX}{kind}-{job_id[:8]}"
    try:
        with app.app_context():
            run(job_id)
    except Exception:  # `run` records its own failure on the job's row; this is what it could not
        log.exception("%s job %s failed outside its own handling", kind, job_id)
