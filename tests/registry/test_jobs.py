"""Background jobs without a queue run on a bounded set of threads of the process."""

from __future__ import annotations

import threading
import time

from registry import jobs


def test_a_burst_of_jobs_runs_a_few_at_a_time_and_every_one_runs(ctx):
    """A thread per job let a burst of report requests start as many renders at once, each holding
    database connections, until the pool had none left and pages failed. Now at most JOB_THREADS
    run at once, the others wait in order, and each still runs."""
    assert not ctx.config.get("REDIS_URL")
    lock, running, most, ran = threading.Lock(), [0], [0], []

    def run(job_id: str) -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
            ran.append(job_id)

    for n in range(8):
        jobs.start(f"job-{n}", kind="probe", run=run, entry_point="unused", unqueued=lambda: None)
    jobs.wait_for_threads(timeout=30)
    assert sorted(ran) == sorted(f"job-{n}" for n in range(8))
    assert most[0] == ctx.config["JOB_THREADS"] == 2
    # They started in the order they came: the first two were the first to finish.
    assert set(ran[:2]) == {"job-0", "job-1"}


def test_a_job_that_raises_does_not_stop_the_next(ctx):
    ran = []

    def fail(job_id: str) -> None:
        raise RuntimeError("the job failed outside its own handling")

    jobs.start("bad", kind="probe", run=fail, entry_point="unused", unqueued=lambda: None)
    jobs.start("good", kind="probe", run=ran.append, entry_point="unused", unqueued=lambda: None)
    jobs.wait_for_threads(timeout=30)
    assert ran == ["good"]
