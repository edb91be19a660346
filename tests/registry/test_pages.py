"""The pages a newcomer sees after `make run`: overview, ledger list, an entry with its proof."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry.custody.models import Item
from registry.custody.runtime import custody
from registry.instance import initialise
from registry.ledger.runtime import reader


def test_overview_lists_recent_entries_and_the_checkpoint(ctx, client, clock):
    ctx.config["DEMO_REPORTS"] = False  # the demo history without its signed PDFs, which take seconds
    initialise(ctx, demo=True, now=clock)
    page = client.get("/").get_data(as_text=True)
    service = reader()
    latest = service.entry(service.size() - 1).event["type"]
    assert "latest signed checkpoint" in page and latest in page


def test_entry_page_shows_a_verified_proof_and_the_item_history(ctx, client, clock):
    ctx.config["DEMO_REPORTS"] = False  # the demo history without its signed PDFs, which take seconds
    initialise(ctx, demo=True, now=clock)
    pistol = custody(writing=False).session.scalar(select(Item).where(Item.serial == "BXR-4471"))
    history = reader().item_history(f"item:{pistol.id}")
    page = client.get(f"/ledger/entries/{history[0].index}").get_data(as_text=True)
    assert "verified" in page and "does not verify" not in page
    assert "Every entry about it" in page and "BXR-4471 (firearm)" in page
    assert len(history) == 4  # registered, acquired, corrected, disposed


def test_ledger_list_pages_and_checkpoint_page_render(ctx, client, clock):
    ctx.config["DEMO_REPORTS"] = False  # the demo history without its signed PDFs, which take seconds
    initialise(ctx, demo=True, now=clock)
    service = reader()
    newest = [service.entry(index).event["type"] for index in range(service.size() - 3, service.size())]
    page = client.get("/ledger/").get_data(as_text=True)
    assert all(kind in page for kind in newest)
    assert "Older" in page  # the demo holds more entries than one page shows
    assert "Verifier key" in client.get("/ledger/checkpoint").get_data(as_text=True)


@pytest.mark.parametrize("before", ["99999999999999999999", "9223372036854775808", "²", "-5"])
def test_ledger_list_from_a_bound_past_any_index_lists_from_the_newest(ctx, client, before):
    """A `before` bound past the largest index answered 500 on PostgreSQL (bigint out of range)."""
    response = client.get("/ledger/", query_string={"before": before})
    assert response.status_code == 200 and "ledger.created" in response.get_data(as_text=True)


def test_missing_entry_page_is_a_friendly_404(ctx, client):
    response = client.get("/ledger/entries/999", headers={"Accept": "text/html"})
    assert response.status_code == 404 and "there is no entry 999" in response.get_data(as_text=True)
    # Past PostgreSQL's bigint (it answered 500 there) and past the largest index a ledger can reach.
    for path in ("/ledger/entries/99999999999999999999", "/ledger/entries/9007199254740992/receipt"):
        assert client.get(path, headers={"Accept": "text/html"}).status_code == 404, path


def test_healthz(ctx, client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_entry_page_flags_a_proof_that_no_longer_matches_the_signed_checkpoint(ctx, client, clock):
    from sqlalchemy import update

    from registry.extensions import db
    from registry.ledger.models import LedgerNode, node_key
    from tests.registry.helpers import append_single_events, drop_append_only_triggers

    append_single_events(6, clock)
    drop_append_only_triggers()
    db.session.execute(update(LedgerNode).where(LedgerNode.node_key == node_key(1, 1)).values(hash=b"\x09" * 32))
    db.session.commit()
    assert "does not verify" in client.get("/ledger/entries/0").get_data(as_text=True)
