"""The renderer fetches only a report's own resources: no request leaves the machine and no file
outside the report templates is read, whatever the HTML asks for."""

from __future__ import annotations

import http.server
import threading

import pytest

from registry.reports import pdf
from registry.reports.service import TEMPLATE_FOLDER

BASE = TEMPLATE_FOLDER.as_uri() + "/"


@pytest.fixture
def listener():
    """A local HTTP server that counts the requests it gets."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def test_nothing_outside_the_report_is_fetched(listener):
    url, hits = listener
    html = (
        f'<html><head><link rel="stylesheet" href="{url}/style.css">'
        f'<style>@import url("{url}/more.css"); @font-face {{ font-family: X; src: url("{url}/x.ttf"); }}'
        f'p {{ background: url("{url}/bg.png"); }}</style></head>'
        f'<body><p>report</p><img src="{url}/logo.png"><img src="file:///etc/hostname">'
        f'<img src="../../registry/config.py"></body></html>'
    )
    rendered = pdf.render_html(html, BASE)
    assert rendered.pages == 1 and rendered.pdf.startswith(b"%PDF-")
    assert hits == []


def test_the_fetcher_refuses_other_places_and_serves_the_reports_own():
    fetcher = pdf.own_resources(BASE)
    for url in ("file:///etc/hostname", BASE + "../../registry/config.py", "http://127.0.0.1:9/x", "ftp://x/y"):
        with pytest.raises(ValueError):
            fetcher(url)
    font = fetcher(BASE + "fonts/DejaVuSans.ttf")
    assert font.read()[:4] == b"\x00\x01\x00\x00"
    font.close()
