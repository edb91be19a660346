"""The custody state table, as pure rules: table-driven checks of what may follow what, and the
README's rendering of the table, which must be the code's."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from registry.custody import states

DAY = date(2026, 11, 10)
HELD = states.Custody(
    status="in_custody", holder_party_id="us", holder_kind="licensee", acquired=True, acquired_on=DAY, last_date=DAY
)


def at(state: str) -> states.Custody:
    status = "disposed" if state.startswith("disposed") else state
    kind = {"disposed_to_licensee": "licensee", "disposed_to_non_licensee": "person"}.get(state, "licensee")
    return states.Custody(
        status=status,
        holder_party_id="holder",
        holder_kind=kind,
        acquired=state != "registered",
        acquired_on=DAY,
        last_date=DAY,
    )


def step(event: str) -> states.Step:
    return states.Step(event, DAY, party_id="other", party_kind="licensee", form_4473="F-1")


@pytest.mark.parametrize("kind", states.KINDS)
@pytest.mark.parametrize("state", states.STATES)
@pytest.mark.parametrize("event", states.EVENTS)
def test_every_cell_of_the_table_is_what_the_service_enforces(kind, state, event):
    allowed = event in states.ALLOWED[kind][state]
    try:
        states.check(kind, at(state), step(event))
        refused = None
    except states.Refusal as refusal:
        refused = refusal
    assert (refused is None) is allowed, (kind, state, event, refused and refused.code)


@pytest.mark.parametrize(
    "state, event, code",
    [
        ("registered", "disposed", "not_acquired"),
        ("in_custody", "acquired", "already_held"),
        ("in_custody", "transferred", "firearm_not_transferable"),
        ("disposed_to_non_licensee", "disposed", "item_disposed"),
        ("stolen", "disposed", "item_stolen"),
        ("destroyed", "acquired", "item_destroyed"),
        ("in_custody", "recovered", "invalid_transition"),
        ("disposed_to_licensee", "stolen", "invalid_transition"),
    ],
)
def test_a_firearm_refusal_names_why(state, event, code):
    with pytest.raises(states.Refusal) as refused:
        states.check("firearm", at(state), step(event))
    assert refused.value.code == code


def test_a_vehicle_is_followed_after_its_sale():
    assert "transferred" in states.ALLOWED["vehicle"]["disposed_to_non_licensee"]
    assert "transferred" not in states.ALLOWED["firearm"]["disposed_to_non_licensee"]


def test_where_each_event_leads():
    assert states.advance(HELD, states.Step("disposed", DAY, "p", "person")).state == "disposed_to_non_licensee"
    assert states.advance(HELD, states.Step("disposed", DAY, "l", "licensee")).state == "disposed_to_licensee"
    stolen = states.advance(HELD, states.Step("stolen", DAY))
    assert states.advance(stolen, states.Step("recovered", DAY)).state == "in_custody"
    never_acquired = states.registered(DAY)
    lost = states.advance(never_acquired, states.Step("lost", DAY))
    assert states.advance(lost, states.Step("recovered", DAY)).state == "registered"
    quarantined = states.advance(HELD, states.Step("quarantined", DAY))
    assert states.advance(quarantined, states.Step("released", DAY)).state == "in_custody"


def test_the_readme_shows_the_table_the_code_enforces():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert states.readme_section() in readme, "run: python -m registry.custody.states README.md"
