"""Inventory audits: the book against the shelf. Serials read in any normal form find the items the
licensee holds; a second read of the same item counts once, whoever reads it; what the book expects
and nobody found is missing, what was read and the book does not expect is listed; closing appends
`inventory.audited` with the counts and the SHA-256 of each list, and nothing more can be scanned."""

from __future__ import annotations

import threading

import pytest

from registry import clock
from registry.extensions import db
from registry.inventory import queries
from registry.inventory.models import InventoryScan
from registry.inventory.runtime import inventory
from registry.inventory.service import InventoryError
from registry.ledger.runtime import reader
from registry.replay import replay
from tests.conftest import FIXED_NOW


@pytest.fixture
def shelf(officer, world, firearm):
    """Three firearms held by us, one sold to Jane Doe."""
    held = [firearm(f"INV-{n}") for n in range(1, 4)]
    sold = firearm("INV-9")
    got = officer.post(
        f"/api/v1/items/{sold}/dispositions",
        json={
            "date": "2026-11-05",
            "from_party_id": world["us"],
            "transferee_party_id": world["person"],
            "form_4473": "TX-1",
        },
    )
    assert got.status_code == 201, got.get_json()
    return {"held": held, "sold": sold}


def test_an_audit_finds_misses_and_flags_and_its_closing_is_on_the_ledger(app, world, shelf):
    with app.app_context():
        service, now = inventory(), FIXED_NOW
        audit = service.start(licensee_party_id=world["us"], actor="user:o@x", now=now).id
        assert service.scan(audit, "inv-1", actor="user:o@x", now=now).outcome == "matched"  # any normal form
        assert service.scan(audit, " INV-1 ", actor="user:p@x", now=now).outcome == "repeated"
        assert service.scan(audit, "INV-9", actor="user:o@x", now=now).outcome == "elsewhere"  # sold, yet here
        assert service.scan(audit, "NOPE-77", actor="user:o@x", now=now).outcome == "unknown"
        counted = service.scan_list(audit, 'serial\nINV-2\n"INV-2",extra\nNOPE-77\n', actor="user:o@x", now=now)
        assert counted == {"matched": 1, "elsewhere": 0, "unknown": 0, "repeated": 2}
        found = queries.reconciliation(db.session(), service.audit(audit))
        assert found.counts == {"expected": 3, "matched": 2, "missing": 1, "elsewhere": 1, "unknown": 1}
        assert [item.serial for item in found.missing] == ["INV-3"]

        with pytest.raises(InventoryError) as refused:
            service.close(audit, confirmed=False, actor="user:o@x", now=now)
        assert refused.value.code == "not_confirmed"
        size = reader().size()
        index = service.close(audit, confirmed=True, actor="user:o@x", now=now)
        assert index == size
        event = reader().entry(index).event
        assert event["type"] == "inventory.audited" and event["item"] == f"inventory:{audit}"
        payload = event["payload"]
        assert (
            payload["expected"],
            payload["matched"],
            payload["missing"],
            payload["elsewhere"],
            payload["unknown"],
        ) == (3, 2, 1, 1, 1)
        assert payload["missing_sha256"] == queries.list_sha256([i.id for i in found.missing])
        assert payload["unknown_sha256"] == queries.list_sha256(["NOPE-77"])
        with pytest.raises(InventoryError) as closed:
            service.scan(audit, "INV-3", actor="user:o@x", now=now)
        assert (closed.value.code, closed.value.status) == ("audit_closed", 409)
        assert replay(db.session()).identical


def test_only_a_licensee_is_audited_and_one_audit_at_a_time(app, world):
    with app.app_context():
        service = inventory()
        with pytest.raises(InventoryError) as refused:
            service.start(licensee_party_id=world["fleet"], actor="t", now=FIXED_NOW)
        assert refused.value.code == "not_a_licensee" and refused.value.field == "licensee_party_id"
        first = service.start(licensee_party_id=world["us"], actor="t", now=FIXED_NOW).id
        with pytest.raises(InventoryError) as again:
            service.start(licensee_party_id=world["us"], actor="t", now=FIXED_NOW)
        assert again.value.code == "audit_open" and again.value.extra["audit_id"] == first


def test_two_officers_scanning_the_same_shelf_count_each_item_once(app, world, shelf, client_as, csrf):
    with app.app_context():
        audit = inventory().start(licensee_party_id=world["us"], actor="t", now=clock.now()).id
    browsers = [client_as("officer"), client_as("officer")]
    tokens = [csrf(b, f"/inventory/{audit}") for b in browsers]
    answers = []

    def scan(browser, token):
        for serial in ["INV-1", "INV-2", "INV-3", "INV-1", "NOPE-1"] * 2:
            answers.append(
                browser.post(f"/inventory/{audit}/scan", data={"csrf_token": token, "scan-serial": serial}).status_code
            )

    threads = [threading.Thread(target=scan, args=pair) for pair in zip(browsers, tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(answers) == {302}
    with app.app_context():
        keys = db.session.query(InventoryScan.key).filter(InventoryScan.audit_id == audit).all()
        assert len(keys) == len(set(keys)) == 4  # three items and one unknown serial


def test_the_audit_pages_start_scan_and_close(client_as, csrf, world, shelf, size):
    def form_post(client, csrf, url, data):
        page = "/inventory/" if url == "/inventory/" else url.rsplit("/", 1)[0]
        return client.post(url, data={"csrf_token": csrf(client, page), **data})

    browser = client_as("officer")
    started = form_post(browser, csrf, "/inventory/", {"licensee_party_id": world["us"]})
    assert started.status_code == 302
    page_url = started.headers["Location"]
    assert form_post(browser, csrf, f"{page_url}/scan", {"scan-serial": "inv-2"}).status_code == 302
    page = browser.get(page_url).get_data(as_text=True)
    assert "INV-2: found, as the book says" in page and 'data-count="matched">1<' in page
    assert 'data-count="missing">2<' in page and "INV-3" in page
    empty = form_post(browser, csrf, f"{page_url}/scan", {"scan-serial": "  "})
    assert empty.status_code == 422 and 'id="refusal"' in empty.get_data(as_text=True)
    before = size()
    unconfirmed = form_post(browser, csrf, f"{page_url}/close", {})
    assert unconfirmed.status_code == 422 and size() == before
    closed = form_post(browser, csrf, f"{page_url}/close", {"close-confirm": "y"})
    assert closed.status_code == 302 and size() == before + 1
    page = browser.get(page_url).get_data(as_text=True)
    assert "recorded in" in page and "Report lost or stolen" in page and 'id="scan-form"' not in page
    assert client_as("auditor").get(page_url).status_code == 200
    assert form_post(client_as("auditor"), csrf, "/inventory/", {"licensee_party_id": world["us"]}).status_code == 403
