"""The server the browser and tile tests run the registry on (tests.conftest.serving) closes every
response body, even when the client drops the connection; a body left open fails whichever test is
running with a ResourceWarning from the server's thread."""

from __future__ import annotations

import gc
import socket
import struct
import sys
import time

import pytest

from tests.conftest import serving

pytestmark = pytest.mark.slow


def test_a_static_file_whose_connection_is_reset_is_closed(app, monkeypatch):
    left_open = []
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: left_open.append(unraisable.exc_value))
    with serving(app) as url:
        port = int(url.rsplit(":", 1)[1])
        for _ in range(200):
            with socket.create_connection(("127.0.0.1", port)) as connection:
                connection.sendall(b"GET /bootstrap/static/css/bootstrap.min.css HTTP/1.1\r\nHost: test\r\n\r\n")
                assert connection.recv(12) == b"HTTP/1.1 200"
                # close with a reset rather than a FIN, as a browser abandons a request
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        time.sleep(0.2)
    gc.collect()
    assert left_open == []
