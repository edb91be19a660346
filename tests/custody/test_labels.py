"""Words for people: every status, kind, event type and status change the registry can write has a
label of its own, and the pages show those words, never the codes."""

from __future__ import annotations

from registry import labels
from registry.custody import rules
from registry.projections import HANDLERS


def test_every_status_kind_and_status_change_has_words():
    assert set(rules.STATUSES) <= set(labels.STATUSES)
    assert set(rules.KINDS) <= set(labels.KINDS)
    assert set(rules.STATUS_CHANGES) <= set(labels.STATUS_CHANGES)


def test_every_projected_event_type_has_words():
    assert set(HANDLERS) <= set(labels.EVENTS)


def test_details_are_worded_and_internal_keys_hidden():
    shown = dict(
        labels.shown_details(
            {
                "source_ffl": "987654078A00001",
                "transferee_kind": "non_licensee",
                "uniqueness_key": "x",
                "source_party_id": "p",
                "status": "stolen",
            }
        )
    )
    assert shown == {"Source FFL": "987654078A00001", "Transferee is": "not a licensee", "Status": "Stolen"}
    assert labels.record("status_changed", {"status": "lost"}) == "Reported lost"
    assert labels.status("in_custody") == "In custody" and labels.status("something_new") == "Something new"


def test_waits_are_said_in_words():
    assert [labels.wait(s) for s in (5, 45, 60, 61, 900)] == [
        "a few seconds",
        "under a minute",
        "a minute",
        "about 2 minutes",
        "about 15 minutes",
    ]


def test_pages_show_words_not_codes(client_as, officer, world, firearm):
    item = firearm()
    page = client_as("officer").get(f"/items/{item}").get_data(as_text=True)
    assert "In custody" in page and ">in_custody<" not in page
    home = client_as("officer").get("/").get_data(as_text=True)
    assert "Item registered" in home and "<code>item.registered</code>" not in home
