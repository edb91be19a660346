"""The web shell in a real browser: signing in and out, throttling, navigation by role, CSRF, the
ledger browser, and an officer's daily path through custody."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_out


def pick(box, typed: str, label: str) -> None:
    """Choose in a party picker as a clerk does: type the start of a name or licence, click the match."""
    box.fill(typed)
    listbox = box.page.locator(f"#{box.get_attribute('aria-controls')}")
    listbox.get_by_role("option", name=label).click()
    expect(box).to_have_value(label)
    expect(listbox).to_be_hidden()


def test_signing_in_lands_on_the_dashboard(page, sign_in):
    sign_in("auditor")
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(page.locator("#signed-in-as")).to_contain_text("auditor")


def test_a_wrong_password_is_shown_on_the_field(page, live_server, logins):
    page.expect_http_errors = True  # the refused sign-in answers 401, which the console reports
    page.goto(f"{live_server}/login")
    page.fill("#email", logins["officer"][0])
    page.fill("#password", "not the password at all")
    page.click("#submit")
    expect(page.locator("#password-error")).to_contain_text("E-mail or password is wrong")
    expect(page.locator("#signed-in-as")).to_have_count(0)
    expect(page).to_have_url(f"{live_server}/login")


def test_the_sixth_failure_in_a_minute_is_throttled(page, live_server, logins):
    page.expect_http_errors = True
    statuses = []
    for _ in range(6):
        page.goto(f"{live_server}/login")
        page.fill("#email", logins["officer"][0])
        page.fill("#password", "wrong password again")
        with page.expect_response(lambda r: r.url.endswith("/login") and r.request.method == "POST") as answer:
            page.click("#submit")
        statuses.append(answer.value.status)
    assert statuses == [401] * 5 + [429]
    # the sign-in form again, saying on the field when to try again
    expect(page.locator("#password-error")).to_contain_text("Too many failed sign-ins from this address")
    expect(page.locator("#password-error")).to_contain_text("Try again in 60 seconds")


def test_signing_out_ends_the_session(page, live_server, sign_in):
    sign_in("officer")
    sign_out(page)
    expect(page.locator(".alert")).to_contain_text("You are signed out.")
    expect(page).to_have_url(f"{live_server}/login")
    expect(page.locator("#signed-in-as")).to_have_count(0)
    page.goto(f"{live_server}/")
    expect(page).to_have_url(re.compile(re.escape(f"{live_server}/login")))


EVERYONE = {"main.home", "ledger.index", "serials.check"}
NAVIGATION = {
    "admin": (EVERYONE | {"accounts.index", "accounts.security_log"}, {"ledger.export_page", "custody.search"}),
    "auditor": (EVERYONE | {"ledger.export_page", "accounts.security_log", "custody.search"}, {"accounts.index"}),
    "officer": (
        EVERYONE | {"custody.search", "custody.bound_book"},
        {"accounts.index", "accounts.security_log", "ledger.export_page"},
    ),
    "regulator": (EVERYONE | {"custody.search"}, {"accounts.index", "accounts.security_log", "ledger.export_page"}),
}


@pytest.mark.parametrize("role", list(NAVIGATION))
def test_navigation_follows_the_role(page, sign_in, role):
    sign_in(role)
    shown = set(page.locator("#nav-links [data-nav]").evaluate_all("links => links.map(l => l.dataset.nav)"))
    present, absent = NAVIGATION[role]
    assert present <= shown and not (absent & shown), shown


def test_a_form_without_its_csrf_token_is_refused(page, live_server, sign_in):
    sign_in("admin")
    response = page.request.post(f"{live_server}/accounts/", form={"email": "intruder@example.test", "role": "admin"})
    assert response.status == 400 and "CSRF" in response.text()
    page.goto(f"{live_server}/accounts/")
    expect(page.locator("#accounts")).not_to_contain_text("intruder@example.test")


def test_the_ledger_browser_verifies_an_entry(page, live_server, sign_in):
    sign_in("auditor")
    page.goto(f"{live_server}/ledger/")
    page.locator("table a").first.click()
    page.click("#verify-entry")
    expect(page.locator(".alert-success")).to_contain_text("verified")


def test_an_auditor_verifies_the_whole_ledger_from_the_dashboard(page, sign_in):
    sign_in("auditor")
    page.click("#verify-now")
    expect(page.locator("#stat-verification .value")).to_have_text("OK")


def test_an_officer_registers_a_firearm_disposes_of_it_and_finds_it_by_serial(page, live_server, sign_in):
    sign_in("officer")
    page.goto(f"{live_server}/items/new")
    page.select_option("#kind", "firearm")
    page.select_option("#scheme", "firearm")
    page.fill("#serial", "brw-5\u0421")  # a Cyrillic look-alike first
    expect(page.locator("#serial-feedback")).to_contain_text("look-alike")
    page.fill("#serial", "brw-501")
    expect(page.locator("#serial-feedback")).to_contain_text("Valid firearm serial; search form BRW-501")
    page.fill("#date", "2026-11-20")
    page.fill("#manufacturer", "Demo Arms Co.")
    page.fill("#model", "DA-9")
    page.select_option("#type", "pistol")
    page.fill("#caliber", "9mm")
    page.click("#submit")
    expect(page.locator("#item-status")).to_have_text("Registered")

    page.click("#acquire-panel summary")
    acquire = page.locator("#acquire-form")
    acquire.locator("input[type=date]").fill("2026-11-21")
    pick(acquire.locator("[role=combobox]").nth(0), "demo a", "Demo Arms Co. (licensee, 987654078A00001)")
    pick(acquire.locator("[role=combobox]").nth(1), "823091", "Riverside Sporting Goods (licensee, 823091017F14245)")
    acquire.locator("input[type=submit]").click()
    expect(page.locator("#item-status")).to_have_text("In custody")

    page.click("#dispose-panel summary")
    dispose = page.locator("#dispose-form")
    dispose.locator("input[type=date]").fill("2026-11-22")
    pick(dispose.locator("[role=combobox]"), "North", "Northline Fleet Ltd. (organisation)")
    dispose.locator("input[type=submit]").click()
    expect(page.locator("#item-status")).to_have_text("Disposed of")
    expect(page.locator("#holder")).to_contain_text("Northline Fleet Ltd.")

    page.goto(f"{live_server}/items/")
    page.fill("#serial", "BRW-501")
    page.click("#search-button")
    expect(page.locator("#items")).to_contain_text("brw-501")  # shown as marked, found by its search form
    expect(page.locator("#items")).to_contain_text("Disposed of")
