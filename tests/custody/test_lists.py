"""Lists that scale: the item list pages by keyset in three orders with a count of every match, the
parties list pages and filters by kind, and a party has a page with the items it holds and the
records naming it."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def stocked(officer, world):
    """60 goods items, acquired into our custody on dates that spread over two months."""
    ids = []
    for n in range(60):
        made = officer.post(
            "/api/v1/items",
            json={
                "kind": "goods",
                "scheme": "plain",
                "serial": f"LST-{n:03d}",
                "date": "2026-09-01",
                "description": "spare",
            },
        )
        assert made.status_code == 201, made.get_json()
        item = made.get_json()["id"]
        day = f"2026-{9 + n // 30:02d}-{1 + n % 28:02d}"
        got = officer.post(
            f"/api/v1/items/{item}/acquisitions",
            json={"date": day, "source_party_id": world["maker"], "recipient_party_id": world["us"]},
        )
        assert got.status_code == 201, got.get_json()
        ids.append(item)
    return ids


def serials_on(page: str) -> list[str]:
    return re.findall(r"<code>(LST-\d{3})</code>", page)


def walk(client, url: str) -> tuple[list[str], list[str]]:
    """Every serial over all pages of a list, following "Next", and the counts each page said."""
    seen, counts = [], []
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += serials_on(page)
        counts += re.findall(r'id="item-count"><strong>([\d,]+)</strong>', page)
        found = re.search(r'href="([^"]+)" id="next-page"', page)
        url = found.group(1).replace("&amp;", "&") if found else None
    return seen, counts


@pytest.mark.parametrize("sort", ["serial", "recent", "registered"])
def test_the_item_list_pages_through_every_item_once_in_its_order(client_as, stocked, sort):
    browser = client_as("auditor")
    seen, counts = walk(browser, f"/items/?kind=goods&sort={sort}")
    assert sorted(seen) == [f"LST-{n:03d}" for n in range(60)] and len(set(seen)) == 60
    assert set(counts) == {"60"}  # every page counts every match, not its own rows
    if sort == "serial":
        assert seen == sorted(seen)
    elif sort == "recent":  # the latest acquisition (2026-10-28) first, the earliest (2026-09-01, twice) last
        assert seen[0] == "LST-055" and seen[-1] in {"LST-000", "LST-028"}


def test_filters_narrow_the_list_and_the_count(client_as, stocked):
    page = client_as("auditor").get("/items/?status=in_custody&from=2026-10-01").get_data(as_text=True)
    assert re.search(r'id="item-count"><strong>30</strong>', page)
    assert all(int(s[4:]) >= 30 for s in serials_on(page))


def test_a_foreign_page_token_starts_from_the_first_page(client_as, stocked):
    page = client_as("auditor").get("/items/?kind=goods&sort=serial&after=not-a-token").get_data(as_text=True)
    assert serials_on(page)[0] == "LST-000"


def test_a_party_page_shows_its_items_and_the_records_naming_it(client_as, stocked, world):
    browser = client_as("auditor")
    page = browser.get(f"/parties/{world['us']}").get_data(as_text=True)
    assert "Riverside Sporting Goods" in page and "Items held · 60" in page
    assert 'id="party-records"' in page and "Acquired" in page
    assert browser.get("/parties/no-such-party").status_code == 404
    listing = browser.get("/parties/?kind=licensee").get_data(as_text=True)
    assert re.search(r'id="party-count"><strong>2</strong> licensees', listing)
    assert f'href="/parties/{world["us"]}"' in listing and "Jane Doe" not in listing


def test_a_regulator_sees_a_private_persons_page_withheld(client_as, world):
    page = client_as("regulator").get(f"/parties/{world['person']}").get_data(as_text=True)
    assert "(private person)" in page and "Jane Doe" not in page and "3 Elm St" not in page
