"""Accessibility: axe-core (the engine browsers' own audit tools use, bundled by the PyPI package
axe-playwright-python) finds no critical or serious WCAG 2.1 A/AA violation on any main page, for
any role, at a laptop's width and a phone's, nor on the item page or with a picker's list open."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.test_page_layout import PAGES, WIDTHS, item_page

AXE = Axe()
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def grave(page) -> list[str]:
    """The critical and serious violations on the page, one line each with the elements that fail."""
    found = AXE.run(page, options=RULES).response["violations"]
    return [
        f"{v['impact']} {v['id']}: {v['help']} at {', '.join(str(n['target']) for n in v['nodes'][:4])}"
        for v in found
        if v["impact"] in ("critical", "serious")
    ]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("role", PAGES)
def test_the_main_pages_have_no_grave_accessibility_violation(page, live_server, sign_in, role, width):
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width])))
    sign_in(role)
    failing = {}
    for path in PAGES[role]:
        page.goto(f"{live_server}{path}")
        if problems := grave(page):
            failing[path] = problems
    if role == "officer":
        item_page(page, live_server, "RFL-20931")
        if problems := grave(page):
            failing["item page"] = problems
    assert failing == {}, failing


def test_an_open_picker_and_a_refusal_banner_are_accessible(page, live_server, sign_in):
    sign_in("officer")
    page.goto(f"{live_server}/items/")
    box = page.locator("#holder")
    box.fill("River")
    expect(page.locator(f"#{box.get_attribute('aria-controls')} [role=option]").first).to_be_visible()
    assert grave(page) == []
    page.goto(f"{live_server}/reports/new/item_certificate")
    page.expect_http_errors = True  # the refused form answers 400
    page.click("#report-form [type=submit]")  # no item given: refused on the field
    expect(page.locator("#item_id-error")).to_be_visible()
    assert grave(page) == []
