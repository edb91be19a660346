"""Group commit under a real server: gunicorn with two gthread workers, clients writing at once, and
one worker killed mid-run. Every acknowledged write is in the ledger exactly once, where its answer
said; the chain verifies and the tables equal a replay of the ledger."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bench.http_load import answering
from registry.ledger.runtime import reader
from tests.conftest import issue_token, make_account

ROOT = Path(__file__).resolve().parents[2]
CLIENTS, ITEMS_EACH, REQUESTS_EACH = 6, 2, 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def workers_of(master: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


@pytest.mark.slow
def test_workers_killed_mid_group_lose_and_double_nothing_acknowledged(app, officer, world, goods):
    items = [goods(f"GK-{n}") for n in range(CLIENTS * ITEMS_EACH)]
    token = issue_token(app, make_account(app, "officer"))
    with app.app_context():
        before = reader().size()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REGISTRY_INSTANCE": app.instance_path,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    acknowledged, in_doubt, lock = [], [], threading.Lock()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def client(mine: list[str]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        holder = dict.fromkeys(mine, world["us"])
        for turn in range(REQUESTS_EACH):
            item = mine[turn % len(mine)]
            to = world["fleet"] if holder[item] == world["us"] else world["us"]
            body = json.dumps({"date": "2026-11-04", "to_party_id": to})
            try:
                connection.request("POST", f"/api/v1/items/{item}/transfers", body=body, headers=headers)
                answer = connection.getresponse()
                payload = json.loads(answer.read())
            except (OSError, http.client.HTTPException, ValueError):
                # The worker died with the request: it may or may not have been committed.
                with lock:
                    in_doubt.append((item, to))
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                connection.request("GET", f"/api/v1/items/{item}", headers=headers)
                holder[item] = json.loads(connection.getresponse().read())["item"]["holder"]["id"]
                continue
            assert answer.status == 201, payload
            holder[item] = to
            with lock:
                acknowledged.append((payload["entry_index"], item, to))
        connection.close()

    try:
        assert answering(port), "gunicorn did not start"
        threads = [
            threading.Thread(target=client, args=(items[n * ITEMS_EACH : (n + 1) * ITEMS_EACH],))
            for n in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        while len(acknowledged) < CLIENTS * REQUESTS_EACH // 4:
            time.sleep(0.01)
        for worker in workers_of(server.pid):  # mid-request, mid-group: gunicorn starts others
            os.kill(worker, signal.SIGKILL)
        for thread in threads:
            thread.join(timeout=300)
    finally:
        server.terminate()
        server.wait(timeout=60)

    assert len(acknowledged) + len(in_doubt) == CLIENTS * REQUESTS_EACH
    assert in_doubt, "the workers died with requests in flight"
    indexes = [index for index, _, _ in acknowledged]
    assert len(set(indexes)) == len(indexes), "no two answers name the same entry"
    with app.app_context():
        service = reader()
        after = service.size()
        transfers = [e for e in service.entries(before, after) if e.event["type"] == "item.transferred"]
        by_index = {e.index: e.event["payload"] for e in transfers}
        for index, item, to in acknowledged:
            assert (by_index[index]["item_id"], by_index[index]["to_party_id"]) == (item, to)
        assert len(acknowledged) <= len(transfers) <= len(acknowledged) + len(in_doubt)
    runner = app.test_cli_runner()
    verified = runner.invoke(args=["ledger", "verify"])
    assert verified.exit_code == 0 and f"OK: {after} entries" in verified.output, verified.output
    replayed = runner.invoke(args=["ledger", "replay"])
    assert replayed.exit_code == 0 and "IDENTICAL" in replayed.output, replayed.output
