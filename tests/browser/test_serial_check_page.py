"""The "Check a serial" page in a real browser: it validates while one types and marks the bad character."""

from __future__ import annotations

from playwright.sync_api import expect


def test_typing_a_vin_marks_the_wrong_check_digit_then_accepts_the_fix(live_server, page, sign_in):
    sign_in("officer")
    page.goto(f"{live_server}/serials/check")
    field = page.locator("#value")
    field.press_sequentially("1M8GDM9A0KP042788", delay=5)
    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "invalid")
    bad = page.locator(".serial-chars span.bad")
    expect(bad).to_have_count(1)
    expect(bad).to_have_text("0")
    expect(bad).to_have_attribute("title", "position 9")
    expect(page.locator("li[data-code=check_digit]")).to_contain_text("require 'X'")

    field.fill("1M8GDM9AXKP042788")
    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "valid")
    expect(page.locator(".serial-chars span.bad")).to_have_count(0)
    expect(page.locator("table.info")).to_contain_text("Motor Coach Industries")
    assert "value=1M8GDM9AXKP042788" in page.url  # the address can be shared


def test_switching_scheme_shows_its_options_and_rechecks(live_server, page, sign_in):
    sign_in("officer")
    page.goto(f"{live_server}/serials/check")
    page.locator("#value").fill("BXR-447\u0421")
    page.locator("#scheme").select_option("firearm")
    expect(page.locator("#opt-jurisdiction")).to_be_visible()
    expect(page.locator("#opt-market")).to_have_count(0)
    expect(page.locator(".serial-chars span.bad")).to_have_attribute("title", "position 8")
    expect(page.locator("li[data-code=charset]")).to_contain_text("CYRILLIC CAPITAL LETTER ES")

    page.locator("#opt-jurisdiction").select_option("EU")
    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "valid")


def test_a_bad_option_is_shown_as_a_message(live_server, page, sign_in):
    sign_in("officer")
    page.goto(f"{live_server}/serials/check?scheme=firearm")
    page.locator("#opt-ffl_prefix").fill("123")
    page.locator("#value").fill("123-0001")
    expect(page.locator("li[data-code=ffl_prefix]")).to_contain_text("is not 8 digits")
