"""Real-browser tests: the registry served on a free local port, driven by Playwright in Debian's
Chromium (/usr/bin/chromium; never a downloaded browser). A missing Chromium is an error, not a skip."""
from __future__ import annotations

import shutil
import threading

import pytest
from werkzeug.serving import make_server

from registry import create_app
from registry.extensions import db
from registry.instance import initialise

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def live_server(tmp_path, clock):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'registry.sqlite3'}",
                      "REGISTRY_INSTANCE": str(tmp_path / "instance"), "LEDGER_ORIGIN": "browser.serial-ledger.localhost/log"})
    with app.app_context():
        initialise(app, demo=True, now=clock)
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    if not shutil.which(CHROMIUM):
        pytest.fail("Debian's Chromium is needed for the browser tests: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield page
    context.close()
    assert errors == [], f"the page reported errors: {errors}"
