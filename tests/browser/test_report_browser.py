"""A compliance officer in a real browser: from an item to its signed custody certificate, watching the
job's progress bar fill, downloading the PDF, then checking it on the verify page as a regulator."""

from __future__ import annotations

import hashlib

from playwright.sync_api import expect

from tests.browser.conftest import sign_out


def test_an_officer_issues_a_certificate_and_a_regulator_verifies_it(page, sign_in, tmp_path):
    sign_in("officer")
    page.click("[data-nav='custody.search']")
    page.fill("#serial", "BXR-4472")
    page.click("#search-button")
    page.locator("a:has-text('BXR-4472')").first.click()
    page.click("#issue-certificate")
    expect(page.locator("h1")).to_have_text("Item custody certificate")
    page.click("#report-form [type=submit]")
    expect(page.locator("#job-bar")).to_be_visible()
    expect(page.locator("#job-done")).to_be_visible(timeout=60_000)
    expect(page.locator("#job-percent")).to_have_text("100%")
    assert page.eval_on_selector("#job-bar", "bar => bar.value") == 100
    with page.expect_download() as download:
        page.click("#job-download")
    pdf = tmp_path / "certificate.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    page.click("#job-report")
    expect(page.locator("#report-sha")).to_have_text(hashlib.sha256(pdf.read_bytes()).hexdigest())

    sign_out(page)
    sign_in("regulator")
    page.click("[data-nav='reports.index']")
    expect(page.locator("#issued")).to_contain_text("Custody certificate: BXR-4472")
    page.click("#verify-link")
    page.set_input_files("#pdf", str(pdf))
    page.click("#verify-form [type=submit]")
    expect(page.locator("#verdict")).to_contain_text("Valid.")
    expect(page.locator("#checks")).to_contain_text("report.issued at ledger entry")


def test_an_officer_issues_form_3310_11_from_the_signals_page(page, sign_in):
    sign_in("officer")
    page.click("[data-nav='custody.signals']")
    theft = page.locator("#thefts tbody tr").first
    serial = theft.locator("code").inner_text()
    theft.locator("[data-issue=theft_loss]").click()
    expect(page.locator("#item_id")).to_have_value(serial)  # the form names the item by its serial
    page.click("#report-form [type=submit]")
    expect(page.locator("#job-done")).to_be_visible(timeout=60_000)
    page.click("#job-report")
    expect(page.locator("h1")).to_have_text(f"Firearms theft/loss report (ATF Form 3310.11): {serial}")


def test_the_item_field_of_a_report_form_suggests_serials_as_you_type(page, live_server, sign_in):
    sign_in("officer")
    page.goto(f"{live_server}/reports/new/item_certificate")
    box = page.locator("#item_id")
    box.fill("bxr-44")
    options = page.locator(f"#{box.get_attribute('aria-controls')} [role=option]")
    expect(options.first).to_contain_text("BXR-44")
    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    chosen = options.first.inner_text().split("\n")[0]
    box.press("Enter")
    expect(box).to_have_value(chosen)
    page.click("#report-form [type=submit]")
    expect(page.locator("#job-done")).to_be_visible(timeout=60_000)
