"""Load over loopback for the HTTP benchmarks: a gunicorn with 2 workers, and client processes, each
with one keep-alive connection, replaying its own list of requests until a count or a time is up."""

from __future__ import annotations

import http.client
import multiprocessing
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from typing import Iterator

from registry.config import PROJECT_ROOT

Request = tuple[str, str, str | None, dict]  # method, path, body, headers


def answering(port: int, tries: int = 150) -> bool:
    """Whether a server on the port answers `GET /healthz` with 200 within `tries` tries 0.2 s apart."""
    for _ in range(tries):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return True
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    return False


@contextmanager
def gunicorn(env: dict, workers: int = 2, threads: int = 4, app: str = "wsgi:app") -> Iterator[int]:
    """Serve `app` (the registry's `wsgi:app` unless told) with `workers` worker processes of
    `threads` threads each (gunicorn's gthread worker, as the README runs it) on a free port;
    yields the port once it answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "--threads",
            str(threads),
            "--worker-connections",
            str(threads),
            "-b",
            f"127.0.0.1:{port}",
            app,
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        if not answering(port):
            raise RuntimeError(f"gunicorn did not answer: {server.stderr.read()[-500:] if server.poll() else ''}")
        yield port
    finally:
        server.terminate()
        server.wait()


def _client(port: int, plan: list[Request], count: int, seconds: float, expected: int, queue) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, errors, deadline = [], 0, time.perf_counter() + seconds
    for turn in range(count):
        if time.perf_counter() > deadline:
            break
        method, path, body, headers = plan[turn % len(plan)]
        began = time.perf_counter()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - began)
        errors += response.status != expected
    queue.put((latencies, errors))


def load(
    port: int, plans: list[list[Request]], *, requests: int, seconds: float, expected: int = 200, warmup: int = 20
) -> dict:
    """One client process per plan; `requests` in all (split evenly), at most `seconds` long."""
    for plan in plans:  # warm-up, not counted: connections, caches, the workers' first imports
        _client_once(port, plan[:warmup])
    queue = multiprocessing.Queue()
    per_client = max(1, requests // len(plans))
    clients = [
        multiprocessing.Process(target=_client, args=(port, plan, per_client, seconds, expected, queue))
        for plan in plans
    ]
    began = time.perf_counter()
    for process in clients:
        process.start()
    results = [queue.get() for _ in clients]
    elapsed = time.perf_counter() - began
    for process in clients:
        process.join()
    latencies = sorted(x for lat, _ in results for x in lat)
    return {
        "requests": len(latencies),
        "errors": sum(e for _, e in results),
        "seconds": elapsed,
        "rate": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1e3,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1e3,
    }


def _client_once(port: int, plan: list[Request]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for method, path, body, headers in plan:
        connection.request(method, path, body=body, headers=headers)
        connection.getresponse().read()
