"""A whole inventory audit in Chromium, as a clerk with a barcode scanner does it: the serial field has
the focus after every read, so the scanner's text and Enter are all it takes."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_an_officer_counts_the_firearms_with_a_scanner_and_closes_the_audit(page, live_server, sign_in):
    page.set_viewport_size({"width": 390, "height": 844})  # a phone on the shop floor
    sign_in("officer")
    page.goto(f"{live_server}/inventory/")
    page.select_option("#licensee_party_id", label="Riverside Sporting Goods (FFL 823091017F14245)")
    page.select_option("#kind", "firearm")
    page.click("#start-audit [type=submit]")
    expect(page.locator("#audit-state")).to_have_text("open")
    expected = int(page.locator("[data-count=expected]").inner_text())
    missing = page.locator("#missing tbody code").all_inner_texts()
    assert expected >= 2 and len(missing) == expected
    for serial in missing[:-1] + ["SN-STRAY-1"]:  # the scanner types, then Enter; nothing is clicked
        expect(page.locator("#scan-serial")).to_be_focused()  # the page is ready for the next read
        page.keyboard.type(serial.lower())
        page.keyboard.press("Enter")
        expect(page.locator(".alert").first).to_contain_text(re.compile(re.escape(serial), re.IGNORECASE))
    expect(page.locator("[data-count=matched]")).to_have_text(str(expected - 1))
    expect(page.locator("[data-count=missing]")).to_have_text("1")
    expect(page.locator("[data-count=unknown]")).to_have_text("1")
    expect(page.locator("#missing")).to_contain_text(missing[-1])
    expect(page.locator("#scan-serial")).to_be_focused()
    page.keyboard.type(missing[0])
    page.keyboard.press("Enter")
    expect(page.locator(".alert").first).to_contain_text("scanned already")
    page.check("#close-confirm")
    page.click("#close-form [type=submit]")
    expect(page.locator("#audit-state")).to_have_text("closed")
    expect(page.locator("#issue-audit-report")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
