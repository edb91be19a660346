"""The workbench at a laptop's width (1366 x 900) and a phone's (390 x 844): no main page is wider than
the window for any role, the account links sit in a menu that stays on screen, the item page offers
only what the item's state and kind allow, and a refusal's banner is in view with the focus on the
field. Screenshots of every main page at both widths go to `.pytest-screenshots/` (kept by CI)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS, open_menu

WIDTHS = {"laptop": (1366, 900), "phone": (390, 844)}
PAGES = {
    "officer": [
        "/",
        "/items/",
        "/items/new",
        "/parties/",
        "/bound-book",
        "/signals",
        "/trace?serial=BXR-4471",
        "/supply/",
        "/recalls/",
        "/reports/",
        "/ledger/",
        "/serials/check",
        "/items/import",
    ],
    "auditor": ["/", "/items/", "/ledger/", "/ledger/export", "/reports/"],
    "regulator": ["/", "/reports/", "/ledger/"],
    "admin": ["/", "/accounts/", "/security-log"],
}


def overflow(page) -> int:
    """How many pixels the page is wider than its window (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def item_page(page, live_server, serial: str) -> None:
    page.goto(f"{live_server}/items/?serial={serial}")
    page.locator("#items a").first.click()
    expect(page.locator("#item-header")).to_be_visible()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("role", PAGES)
def test_no_main_page_is_wider_than_the_window(page, live_server, sign_in, role, width):
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width])))
    sign_in(role)
    SCREENSHOTS.mkdir(exist_ok=True)
    wide = {}
    for path in PAGES[role]:
        response = page.goto(f"{live_server}{path}")
        assert response.status == 200, path
        name = path.strip("/").split("?")[0].replace("/", "-") or "dashboard"
        page.screenshot(path=str(SCREENSHOTS / f"{role}-{name}-{width}.png"), full_page=True)
        if overflow(page) > 0:
            wide[path] = overflow(page)
    if role == "officer":
        item_page(page, live_server, "RFL-20931")
        page.screenshot(path=str(SCREENSHOTS / f"officer-item-{width}.png"), full_page=True)
        if overflow(page) > 0:
            wide["item page"] = overflow(page)
    assert wide == {}, f"pages wider than the {width} window (pixels too wide): {wide}"


def test_the_account_menu_stays_on_screen_at_1366(page, live_server, sign_in):
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in("admin")  # the role with the most links
    menu = page.locator("#user-menu").bounding_box()
    assert menu["x"] + menu["width"] <= 1366 and menu["y"] < 80  # on the bar's one line, not wrapped below
    open_menu(page, "#user-menu", "#sign-out")
    open_menu(page, "#nav-more", "[data-nav='accounts.security_log']")


def test_a_stolen_firearm_offers_no_sale_and_goods_show_no_atf_forms(page, live_server, sign_in):
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in("officer")
    item_page(page, live_server, "RFL-20931")  # the demo's stolen rifle
    expect(page.locator("#item-status")).to_have_text("Stolen")
    for absent in ("#dispose-panel", "#transfer-panel", "#acquire-panel"):
        expect(page.locator(absent)).to_have_count(0)
    page.click("#status-panel summary")
    choices = page.locator("#status-status option").all_inner_texts()
    assert "Recovered" in choices and "Reported stolen" not in choices and "Reported lost" not in choices

    item_page(page, live_server, "(01)09506000134352(17)271231(10)LOT-7(21)PX-1042")  # goods, in custody
    expect(page.locator("#item-status")).to_have_text("In custody")
    page.click("#dispose-panel summary")
    expect(page.locator("#dispose-form_4473")).to_have_count(0)
    page.click("#status-panel summary")
    expect(page.locator("#status-atf_incident")).to_have_count(0)
    expect(page.locator("#status-police_report")).to_be_visible()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_refusal_puts_its_banner_in_view_and_the_focus_on_the_field(page, live_server, sign_in, width):
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width])))
    sign_in("officer")
    item_page(page, live_server, "1M8GDM9AXKP042788")  # the demo's coach, in the fleet's custody
    page.click("#status-panel summary")
    page.select_option("#status-status", "stolen")
    page.fill("#status-date", "2026-11-20")
    page.expect_http_errors = True  # the refused form is answered 422, which the console reports
    page.click("#status-form [type=submit]")  # a theft without its police report or discovery time
    banner = page.locator("#refusal")
    expect(banner).to_be_in_viewport()
    expect(banner).to_contain_text("Nothing was recorded.")
    # refusal.js runs once the page is parsed: wait for it to move the focus, then look where it went
    page.wait_for_function("document.activeElement && document.activeElement.id.startsWith('status-')")
    focused = page.evaluate("document.activeElement.id")
    assert page.locator(f"#{focused}").is_visible()
    assert overflow(page) <= 0
