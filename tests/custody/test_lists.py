"""Lists that scale: the item list pages by keyset in three orders with a count of every match, the
parties list pages and filters by kind, and a party has a page with the items it holds and the
records naming it."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.ledger.models import LedgerEntry


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


def walk(client, url: str, *, found=None, count: str = "item-count", following: str = "next-page"):
    """Everything `found` reads (serials by default) over all pages of a list, following the link with
    id `following`, and the count each page said in the element with id `count`."""
    found = found or serials_on
    seen, counts = [], []
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += found(page)
        counts += re.findall(rf'id="{count}"><strong>([\d,]+)</strong>', page)
        link = re.search(rf'href="([^"]+)" id="{following}"', page)
        url = link.group(1).replace("&amp;", "&") if link else None
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


def entries_on(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<a href="/ledger/entries/(\d+)">', page)]


def test_the_ledger_list_filters_by_event_and_pages_through_every_match_once(client_as, stocked, app):
    with app.app_context():
        query = select(LedgerEntry.entry_index).where(LedgerEntry.event_type == "item.acquired")
        acquired = sorted(db.session.scalars(query), reverse=True)
    assert len(acquired) >= 60
    ledger = dict(found=entries_on, count="entry-count", following="older-page")
    seen, counts = walk(client_as("auditor"), "/ledger/?type=item.acquired", **ledger)
    assert seen == acquired  # newest first, each once, over two pages of 50
    assert set(counts) == {str(len(acquired))}


def test_the_ledger_list_filters_by_serial_in_any_form_author_and_day(client_as, stocked, officer):
    auditor = client_as("auditor")
    page = auditor.get("/ledger/?item=lst-007").get_data(as_text=True)
    assert re.search(r'id="entry-count"><strong>2</strong> entries match', page)
    assert page.count("LST-007 (goods)") == 2 and ">Item registered<" in page and ">Acquisition<" in page
    recorded_by = re.search(r'<option value="(user:officer-[^"]+)"', page).group(1)
    mine = auditor.get(f"/ledger/?actor={recorded_by}").get_data(as_text=True)
    found = int(re.search(r'id="entry-count"><strong>([\d,]+)</strong>', mine).group(1).replace(",", ""))
    assert found >= 125  # five parties, then sixty registrations and sixty acquisitions
    day = date.fromisoformat(re.search(r'<td class="text-nowrap">(\d{4}-\d\d-\d\d) ', mine).group(1))
    on_the_day = auditor.get(f"/ledger/?actor={recorded_by}&from={day}&to={day}").get_data(as_text=True)
    assert f'id="entry-count"><strong>{found:,}</strong>' in on_the_day  # the fixture ran within a day
    before = auditor.get(f"/ledger/?actor={recorded_by}&to={day - timedelta(days=1)}").get_data(as_text=True)
    assert 'id="entry-count"><strong>0</strong>' in before
    unknown = auditor.get("/ledger/?item=NO-SUCH-SERIAL").get_data(as_text=True)
    assert 'id="no-such-item"' in unknown and 'id="entry-count"><strong>0</strong>' in unknown


def test_a_bad_day_on_the_ledger_list_is_named_and_left_out(client_as, stocked):
    response = client_as("auditor").get("/ledger/?from=2026-13-45&type=item.registered")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The first day must be a date (YYYY-MM-DD), not &#39;2026-13-45&#39;: the list is shown without it." in page
    assert re.search(r'id="entry-count"><strong>(\d+)</strong> entries match', page)


def test_the_open_acquisitions_signal_pages_filters_by_kind_and_turns_round(client_as, stocked):
    auditor = client_as("auditor")
    first = auditor.get("/signals?kind=goods").get_data(as_text=True)
    table = first.split('id="open-acquisitions"')[1].split("</table>")[0]
    assert len(serials_on(table)) == 50 and serials_on(table)[0] in {"LST-000", "LST-028"}
    assert "Open acquisitions 1 to 50 of 60" in first
    nxt = re.search(r'href="([^"]+)" rel="next"', first.split('id="open-pages"')[1]).group(1).replace("&amp;", "&")
    second = auditor.get(nxt).get_data(as_text=True).split('id="open-acquisitions"')[1].split("</table>")[0]
    assert len(serials_on(second)) == 10 and not set(serials_on(second)) & set(serials_on(table))
    newest = auditor.get("/signals?kind=goods&order=newest").get_data(as_text=True)
    assert serials_on(newest.split('id="open-acquisitions"')[1])[0] == "LST-055"
    assert "Open acquisitions 1 to" not in auditor.get("/signals?kind=firearm").get_data(as_text=True)


def test_the_item_picker_finds_serials_by_prefix_in_any_case(client_as, stocked):
    auditor = client_as("auditor")
    found = auditor.get("/lookup/items?q=lst-05").get_json()["results"]
    assert [r["serial"] for r in found] == [f"LST-05{n}" for n in range(10)]
    assert found[0]["value"] in stocked and found[0]["hint"] == "Goods · In custody"
    assert len(auditor.get("/lookup/items?q=LST").get_json()["results"]) == 10  # a page of matches, never all
    assert auditor.get("/lookup/items?q=%20%20").get_json()["results"] == []
    assert auditor.get("/lookup/items?q=" + "X" * 5000).get_json()["results"] == []


def test_the_party_picker_finds_names_and_licences_and_persons_only_for_who_may_read_them(client_as, world):
    def values(role: str, query: str) -> list[str]:
        return [r["value"] for r in client_as(role).get(f"/lookup/parties?{query}").get_json()["results"]]

    assert values("auditor", "q=demo%20ARMS") == [world["maker"]]
    assert values("auditor", "q=9-87-654") == [world["maker"]]
    assert values("auditor", "q=north&kind=licensee") == [] and values("auditor", "q=north") == [world["fleet"]]
    assert values("officer", "q=jane") == [world["person"]]  # from the vault, for a reader of personal data
    assert values("regulator", "q=jane") == []  # a regulator may not read persons' names, nor find them by one
    label = client_as("officer").get("/lookup/parties?q=jane").get_json()["results"][0]["label"]
    assert label == "Jane Doe (private person)"


def test_past_a_few_hundred_parties_the_page_lists_only_the_chosen_one(client_as, world, firearm, monkeypatch):
    from registry.custody import queries

    officer, pistol = client_as("officer"), firearm()
    page = officer.get(f"/items/{pistol}").get_data(as_text=True)
    assert "Northline Fleet Ltd." in page and 'data-picker="/lookup/parties"' in page
    monkeypatch.setattr(queries, "PICKER_ALL", 2)
    page = officer.get(f"/items/{pistol}").get_data(as_text=True)
    assert "Northline Fleet Ltd." not in page and 'data-picker="/lookup/parties"' in page
    chosen = officer.get(f"/items/?holder={world['fleet']}").get_data(as_text=True)
    assert f'<option value="{world["fleet"]}" selected>Northline Fleet Ltd. (organisation)</option>' in chosen


def test_the_lookups_are_for_signed_in_readers(anon_client):
    assert anon_client.get("/lookup/items?q=A").status_code in (302, 401)
    assert anon_client.get("/lookup/parties?q=A").status_code in (302, 401)


def test_a_filtered_ledger_list_counts_up_to_its_cap_and_then_says_more_than(client_as, stocked, monkeypatch):
    from registry.ledger import queries

    monkeypatch.setattr(queries, "COUNT_CAP", 25)
    page = client_as("auditor").get("/ledger/?type=item.registered").get_data(as_text=True)
    assert 'id="entry-count">More than <strong>25</strong> entries match' in page
    assert len(entries_on(page)) == 50  # the page itself is whole
    few = client_as("auditor").get("/ledger/?item=LST-001").get_data(as_text=True)
    assert 'id="entry-count"><strong>2</strong> entries match' in few


def test_item_counts_come_from_the_tally_and_other_filters_count_up_to_a_cap(client_as, stocked, monkeypatch):
    from registry.custody import queries

    auditor = client_as("auditor")
    assert re.search(r'id="item-count"><strong>60</strong>', auditor.get("/items/?kind=goods").get_data(as_text=True))
    monkeypatch.setattr(queries, "COUNT_CAP", 25)
    dated = auditor.get("/items/?kind=goods&from=2026-09-01").get_data(as_text=True)
    assert 'id="item-count">More than <strong>25</strong> items' in dated
    assert re.search(r'id="item-count"><strong>60</strong>', auditor.get("/items/?kind=goods").get_data(as_text=True))
    dashboard = client_as("officer").get("/").get_data(as_text=True)
    assert 'href="/items/?kind=goods">Goods: 60</a>' in dashboard
    assert 'href="/items/?status=in_custody">In custody: 60</a>' in dashboard
