"""Real-browser tests: the registry served on a free local port, driven by Playwright in Debian's
Chromium (/usr/bin/chromium; never a downloaded browser). A missing Chromium is an error, not a skip.
A failing test leaves a full-page screenshot in `.pytest-screenshots/` (git-ignored)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from registry import create_app
from registry.demo import DEMO_LOGINS_FILE
from registry.extensions import db
from registry.instance import initialise
from tests.conftest import serving

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".pytest-screenshots"


@pytest.fixture
def live_app(tmp_path, clock):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'registry.sqlite3'}",
            "REGISTRY_INSTANCE": str(tmp_path / "instance"),
            "SESSION_COOKIE_SECURE": False,
            "LEDGER_ORIGIN": "browser.serial-ledger.localhost/log",
            # the demo's signed reports take seconds to make and no browser test reads them
            "DEMO_REPORTS": False,
        }
    )
    with app.app_context():
        initialise(app, demo=True, now=clock)
        db.session.remove()
    yield app
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def live_server(live_app):
    with serving(live_app) as url:
        yield url


@pytest.fixture
def logins(live_app) -> dict[str, tuple[str, str]]:
    """The demo accounts' e-mails and generated passwords, by role."""
    lines = (Path(live_app.instance_path) / DEMO_LOGINS_FILE).read_text().splitlines()
    return {role: (email, password) for role, email, password in (line.split() for line in lines)}


@pytest.fixture
def sign_in(page, live_server, logins):
    from playwright.sync_api import expect

    def go(role: str) -> None:
        email, password = logins[role]
        page.goto(f"{live_server}/login")
        page.fill("#email", email)
        page.fill("#password", password)
        page.click("#submit")
        expect(page.locator("#signed-in-as")).to_contain_text(role)

    return go


def open_menu(page, toggle: str, shows: str) -> None:
    """Open one of the bar's menus (`toggle`) and wait until `shows` is visible in it. The menus are
    Bootstrap dropdowns, which open only once the page's scripts have run: on a busy machine a click
    on a page still loading opened nothing."""
    from playwright.sync_api import expect

    page.wait_for_load_state("load")
    page.click(toggle)
    expect(page.locator(shows)).to_be_visible()


def sign_out(page) -> None:
    open_menu(page, "#user-menu", "#sign-out")
    page.click("#sign-out")


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
def page(browser, request, live_server):  # the page closes before the server stops
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and not getattr(page, "expect_http_errors", False)
            else None
        ),
    )
    yield page
    report = getattr(request.node, "call_report", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert errors == [], f"the page reported errors: {errors}"


def pytest_collection_modifyitems(items):
    """Every browser test starts Chromium and a served registry: slow, left out of `-m "not slow"`."""
    for item in items:
        if "tests/browser/" in item.nodeid:
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.call_report = report
