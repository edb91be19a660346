"""A quality manager in a real browser: from the demo's recall campaign to a unit's genealogy, where
the faulty lot is drawn red, then a unit is marked remedied and the chart and counts follow."""

from __future__ import annotations

from playwright.sync_api import expect


def test_a_recall_leads_to_the_drawn_genealogy_and_records_a_remedy(page, sign_in):
    sign_in("officer")
    page.click("[data-nav='recalls.index']")
    page.click("#campaigns a:has-text('26E-041')")
    expect(page.locator("#part573")).to_contain_text("Kestrel Polymers")
    expect(page.locator("#completion-chart svg title")).to_have_text("2 of 3 units complete (66.7%)")
    notified = page.locator("#unit-list tr", has=page.locator("text=notified"))
    expect(notified).to_have_count(1)
    serial = notified.locator("td").first.inner_text()
    notified.locator("a").first.click()
    expect(page.locator("#genealogy-tree svg g.lot.affected")).to_have_count(1)
    expect(page.locator("#genealogy-tree svg g.node.affected")).to_have_count(3)  # unit, pump module, housing
    page.go_back()
    row = page.locator("#unit-list tr", has=page.locator(f"text={serial}"))
    row.locator("select").select_option("remedied")
    row.locator("input[type=date]").fill("2026-11-24")
    row.locator("button").click()
    expect(page.locator(".alert-success")).to_contain_text("Unit is remedied.")
    expect(page.locator("#completion-chart svg title")).to_have_text("3 of 3 units complete (100.0%)")
    expect(page.locator("[data-state='remedied']")).to_have_text("remedied 3")
