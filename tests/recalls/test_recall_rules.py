"""Recall campaigns through the service: the population each basis finds and its freezing at
opening, the per-unit state machine, closing, and replay after a mix of supply and recall events."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.recalls import population
from registry.recalls.models import RecallUnit, RecallUnitChange
from registry.replay import replay
from registry.supply import genealogy
from registry.supply.runtime import supply
from tests.supply.factories import ACTOR, NOW, hour

A = {"actor": ACTOR, "now": NOW}
AS_OF = hour(100)  # 2026-09-05 04:00 UTC, after every assembly of the `line` fixture
STATES = ("identified", "notified", "remedied", "unreachable", "destroyed")
LEGAL = {
    ("identified", "notified"),
    ("identified", "remedied"),
    ("identified", "unreachable"),
    ("identified", "destroyed"),
    ("notified", "remedied"),
    ("notified", "unreachable"),
    ("notified", "destroyed"),
    ("unreachable", "notified"),
    ("unreachable", "remedied"),
    ("unreachable", "destroyed"),
}
ILLEGAL = sorted((current, target) for current in STATES for target in STATES if (current, target) not in LEGAL)


def open_campaign(service, basis: dict, *, number: str = "26E-041", as_of=AS_OF, on="2026-09-10"):
    return service.open(
        number=number,
        title="Pump housing may crack",
        defect="Housings may crack and leak.",
        remedy="Replace the housing.",
        basis=basis,
        on=on,
        as_of=as_of,
        **A,
    )


def frozen(service, campaign) -> list[str]:
    """The ids of the campaign's units, as its `recall_unit` rows hold them."""
    return list(
        service.session.scalars(
            select(RecallUnit.item_id).where(RecallUnit.campaign_id == campaign.id).order_by(RecallUnit.item_id)
        )
    )


def unit_state(service, campaign, item) -> str:
    service.session.expire_all()
    return service.session.get(RecallUnit, (campaign.id, item.id)).state


def ids(*items) -> list[str]:
    return sorted(item.id for item in items)


@pytest.fixture
def campaign(service, line):
    """A campaign on the faulty lot: units U-1 (its housing H-1) and the spare housing H-3."""
    return open_campaign(service, {"type": "lots", "lot_ids": [line.faulty.id]})


# -- the basis and its population ------------------------------------------------------------------


def test_a_lot_basis_finds_the_top_level_items_holding_the_lot(service, line, campaign):
    assert frozen(service, campaign) == ids(line.units[0], line.housings[2])


def test_a_part_basis_finds_the_items_of_the_part_made_within_the_dates(service, line):
    found = open_campaign(
        service, {"type": "part", "part_id": line.housing_part.id, "made_from": "2026-09-01", "made_to": "2026-09-01"}
    )
    assert frozen(service, found) == ids(line.units[0], line.units[1], line.housings[2])


def test_a_part_basis_includes_the_whole_last_day(service, line):
    found = open_campaign(
        service, {"type": "part", "part_id": line.housing_part.id, "made_from": "2026-09-02", "made_to": "2026-09-03"}
    )
    assert frozen(service, found) == [line.units[3].id]


def test_a_part_basis_on_a_lot_part_finds_the_items_that_consumed_it_within_the_dates(service, line):
    found = open_campaign(
        service, {"type": "part", "part_id": line.resin.id, "made_from": "2026-09-03", "made_to": "2026-09-30"}
    )
    assert frozen(service, found) == [line.units[3].id]


def test_a_part_basis_whose_dates_are_reversed_is_refused(service, line, refused):
    refused(
        "invalid_range",
        lambda: open_campaign(
            service,
            {"type": "part", "part_id": line.housing_part.id, "made_from": "2026-09-03", "made_to": "2026-09-01"},
        ),
    )


def test_a_serials_basis_finds_the_top_level_item_of_each_serial(service, line):
    found = open_campaign(service, {"type": "serials", "serials": ["h-2", "U-3"]})
    assert frozen(service, found) == ids(line.units[1], line.units[2])


def test_a_serials_basis_with_an_unknown_serial_is_refused(service, line, refused):
    error = refused("unknown_serial", lambda: open_campaign(service, {"type": "serials", "serials": ["H-1", "H-99"]}))
    assert error.field == "basis.serials[1]"


def test_a_lots_basis_with_an_unknown_lot_is_refused(service, line, refused):
    refused("unknown_lot", lambda: open_campaign(service, {"type": "lots", "lot_ids": [line.faulty.id, "no-lot"]}))


def test_an_unknown_basis_type_is_refused(service, line, refused):
    refused("invalid_basis", lambda: open_campaign(service, {"type": "suppliers", "supplier_ids": []}))


def test_a_basis_that_reaches_no_item_is_refused(service, make, line, refused):
    unused = make.lot(line.resin, "5")
    refused("empty_population", lambda: open_campaign(service, {"type": "lots", "lot_ids": [unused.id]}))


def test_a_lot_consumed_only_after_as_of_gives_an_empty_population(service, line, refused):
    refused(
        "empty_population",
        lambda: open_campaign(service, {"type": "lots", "lot_ids": [line.faulty.id]}, as_of=hour(0.5)),
    )


def test_a_duplicate_campaign_number_is_refused(service, line, campaign, refused):
    refused("duplicate_campaign", lambda: open_campaign(service, {"type": "serials", "serials": ["U-3"]}))


def test_an_as_of_in_the_future_is_refused(service, line, refused):
    refused(
        "future_date",
        lambda: open_campaign(service, {"type": "lots", "lot_ids": [line.faulty.id]}, as_of=NOW + timedelta(hours=1)),
    )


def test_the_population_is_traced_at_as_of(service, line):
    before_assembly = open_campaign(service, {"type": "lots", "lot_ids": [line.faulty.id]}, as_of=hour(4))
    assert frozen(service, before_assembly) == ids(line.housings[0], line.housings[2])


def test_without_as_of_the_population_is_traced_now(service, line):
    found = service.open(
        number="26E-042",
        title="t",
        defect="d",
        basis={"type": "lots", "lot_ids": [line.faulty.id]},
        on="2026-11-25",
        **A,
    )
    assert found.as_of == NOW


def test_the_campaign_records_the_size_and_digest_of_its_population(service, line, campaign):
    expected = hashlib.sha256("\n".join(ids(line.units[0], line.housings[2])).encode()).hexdigest()
    assert (campaign.population_size, campaign.population_sha256) == (2, expected)


def test_every_unit_starts_identified_on_the_opening_date(service, line, campaign):
    units = service.session.scalars(select(RecallUnit).where(RecallUnit.campaign_id == campaign.id)).all()
    assert {(unit.state, unit.updated_on) for unit in units} == {("identified", date(2026, 9, 10))}


def test_a_unit_records_its_holder_at_opening(service, make, line):
    custody = make.service.custody
    works = custody.register_organisation(name="Clearflow Manufacturing", address="40 Mill Lane", **A)
    custody.acquire(line.units[0].id, on="2026-09-02", source_party_id=works.id, recipient_party_id=works.id, **A)
    found = open_campaign(service, {"type": "lots", "lot_ids": [line.faulty.id]})
    assert service.session.get(RecallUnit, (found.id, line.units[0].id)).holder_party_id == works.id


# -- freezing --------------------------------------------------------------------------------------


def test_a_later_install_of_an_affected_component_does_not_change_the_frozen_population(service, make, line, campaign):
    opened = (frozen(service, campaign), campaign.population_size, campaign.population_sha256)
    make.install(line.units[2], line.housings[2], hour(60))  # recorded after opening, dated before as_of
    retraced = population.population(service.session, campaign.basis, AS_OF)
    service.session.expire_all()
    again = service.campaign(campaign.id)
    assert retraced == ids(line.units[0], line.units[2])  # the trace itself has moved on
    assert (frozen(service, again), again.population_size, again.population_sha256) == opened


def test_a_later_removal_of_an_affected_component_does_not_change_the_frozen_population(service, make, line, campaign):
    make.remove(line.units[0], line.housings[0], hour(200))
    assert frozen(service, campaign) == ids(line.units[0], line.housings[2])


# -- the unit state machine ------------------------------------------------------------------------


def reach(service, campaign, item, state: str) -> None:
    """Move a unit from identified to `state` (each state is one legal step from identified)."""
    if state != "identified":
        service.update_unit(campaign.id, item.id, state=state, on="2026-09-11", **A)


@pytest.mark.parametrize("current, target", sorted(LEGAL), ids=[f"{c}-to-{t}" for c, t in sorted(LEGAL)])
def test_a_legal_transition_is_accepted(service, line, campaign, current, target):
    unit = line.units[0]
    reach(service, campaign, unit, current)
    service.update_unit(campaign.id, unit.id, state=target, on="2026-09-12", **A)
    assert unit_state(service, campaign, unit) == target


@pytest.mark.parametrize("current, target", ILLEGAL, ids=[f"{c}-to-{t}" for c, t in ILLEGAL])
def test_an_illegal_transition_is_refused(service, line, campaign, refused, current, target):
    unit = line.units[0]
    reach(service, campaign, unit, current)
    refused("invalid_transition", lambda: service.update_unit(campaign.id, unit.id, state=target, on="2026-09-12", **A))
    assert unit_state(service, campaign, unit) == current


def test_an_unknown_state_is_refused(service, line, campaign, refused):
    refused(
        "invalid_state", lambda: service.update_unit(campaign.id, line.units[0].id, state="fixed", on="2026-09-12", **A)
    )


def test_a_unit_change_dated_before_its_last_change_is_refused(service, line, campaign, refused):
    reach(service, campaign, line.units[0], "notified")
    refused(
        "date_before_previous_event",
        lambda: service.update_unit(campaign.id, line.units[0].id, state="remedied", on="2026-09-10", **A),
    )


def test_an_item_outside_the_population_cannot_be_updated(service, line, campaign, refused):
    refused(
        "not_in_population",
        lambda: service.update_unit(campaign.id, line.units[1].id, state="notified", on="2026-09-12", **A),
    )


def test_each_unit_change_is_kept_in_the_history(service, line, campaign):
    unit = line.units[0]
    service.update_unit(campaign.id, unit.id, state="notified", on="2026-09-11", **A)
    service.update_unit(campaign.id, unit.id, state="remedied", on="2026-09-12", **A)
    history = service.session.execute(
        select(RecallUnitChange.state, RecallUnitChange.on)
        .where(RecallUnitChange.item_id == unit.id)
        .order_by(RecallUnitChange.entry_index)
    ).all()
    assert [tuple(row) for row in history] == [("notified", date(2026, 9, 11)), ("remedied", date(2026, 9, 12))]


def test_many_units_change_together(service, line, campaign):
    service.update_units(campaign.id, frozen(service, campaign), state="notified", on="2026-09-11", **A)
    assert {unit_state(service, campaign, item) for item in (line.units[0], line.housings[2])} == {"notified"}


def test_many_units_change_all_or_none(service, line, campaign, refused):
    reach(service, campaign, line.housings[2], "remedied")
    refused(
        "invalid_transition",
        lambda: service.update_units(
            campaign.id, [line.units[0].id, line.housings[2].id], state="notified", on="2026-09-12", **A
        ),
    )
    assert unit_state(service, campaign, line.units[0]) == "identified"


# -- closing ---------------------------------------------------------------------------------------


def test_a_closed_campaign_records_its_date_and_note(service, line, campaign):
    service.close(campaign.id, on="2026-10-01", note="all units remedied or unreachable", confirmed=True, **A)
    service.session.expire_all()
    closed = service.campaign(campaign.id)
    assert (closed.status, closed.closed_on, closed.closing_note) == (
        "closed",
        date(2026, 10, 1),
        "all units remedied or unreachable",
    )


def test_a_unit_of_a_closed_campaign_cannot_be_updated(service, line, campaign, refused):
    service.close(campaign.id, on="2026-10-01", confirmed=True, **A)
    refused(
        "campaign_closed",
        lambda: service.update_unit(campaign.id, line.units[0].id, state="notified", on="2026-10-02", **A),
    )


def test_a_campaign_cannot_be_closed_twice(service, line, campaign, refused):
    service.close(campaign.id, on="2026-10-01", confirmed=True, **A)
    refused("campaign_closed", lambda: service.close(campaign.id, on="2026-10-02", confirmed=True, **A))


def test_a_campaign_cannot_close_before_it_opened(service, line, campaign, refused):
    refused("date_before_previous_event", lambda: service.close(campaign.id, on="2026-09-09", confirmed=True, **A))


def test_a_campaign_cannot_close_before_a_unit_last_changed(service, line, campaign, refused):
    service.update_unit(campaign.id, line.units[0].id, state="remedied", on="2026-09-20", **A)
    refused("date_before_previous_event", lambda: service.close(campaign.id, on="2026-09-15", confirmed=True, **A))
    service.close(campaign.id, on="2026-09-20", confirmed=True, **A)


def test_a_remedy_installs_another_sound_component_once_the_campaign_is_open(service, make, line, campaign, refused):
    """U-1 holds the faulty H-1: the remedy may not put H-1 back, nor the faulty spare H-3, nor date
    the swap before the campaign opened; a housing from the good lot is accepted."""
    unit, faulty = line.units[0], line.housings[0]
    sound = make.item(
        line.housing_part, "H-5", at=hour(24 * 9), lots=[{"lot_id": line.good.id, "quantity": "0.5", "location": "RAW"}]
    )

    def remedy(installed, **extra):
        replacement = {"removed": faulty.id, "installed": installed.id, **extra}
        return lambda: service.update_unit(
            campaign.id, unit.id, state="remedied", on="2026-09-12", replacement=replacement, **A
        )

    refused("same_component", remedy(faulty))
    refused("recalled_component", remedy(line.housings[2]))
    refused("date_before_previous_event", remedy(sound, at="2026-09-09T12:00:00Z"))
    remedy(sound)()
    tree = genealogy.as_built(service.session, unit.id, NOW)
    assert [child.item_id for child in tree.children] == [sound.id]


def test_a_remedy_of_a_component_removed_since_is_refused_not_a_failure(service, make, line, campaign, refused):
    """H-1 was taken out of U-1 after the campaign opened: replacing it is not_installed (it answered 500)."""
    unit, faulty = line.units[0], line.housings[0]
    sound = make.item(
        line.housing_part, "H-6", at=hour(24 * 9), lots=[{"lot_id": line.good.id, "quantity": "0.5", "location": "RAW"}]
    )
    make.remove(unit, faulty, hour(24 * 11))
    replacement = {"removed": faulty.id, "installed": sound.id, "at": "2026-09-10T12:00:00Z"}
    refused(
        "not_installed",
        lambda: service.update_unit(
            campaign.id, unit.id, state="remedied", on="2026-09-12", replacement=replacement, **A
        ),
    )


def test_a_unit_change_before_the_unit_was_registered_is_refused(service, make, line, refused):
    """A campaign opened (on paper) before a unit existed cannot notify its owner before then."""
    late = make.service.custody.register_item(
        kind="goods", scheme="plain", serial="U-LATE", on="2026-09-20", description="unit", **A
    )
    make.install(late, line.housings[2], hour(24 * 20))
    campaign = open_campaign(
        service, {"type": "lots", "lot_ids": [line.faulty.id]}, as_of=hour(24 * 21), on="2026-09-01"
    )
    refused(
        "date_before_previous_event",
        lambda: service.update_unit(campaign.id, late.id, state="notified", on="2026-09-02", **A),
    )
    service.update_unit(campaign.id, late.id, state="notified", on="2026-09-20", **A)


def test_an_unknown_campaign_is_refused(service, line, refused):
    refused("unknown_campaign", lambda: service.close("no-such-campaign", on="2026-10-01", confirmed=True, **A))


# -- replay ----------------------------------------------------------------------------------------


def test_replay_after_a_mix_of_supply_and_recall_events_is_identical(service, make, line, campaign):
    stock = supply()
    stock.move_stock(lot_id=line.good.id, quantity_="2", from_location="RAW", to_location="LINE", on="2026-09-06", **A)
    stock.adjust_stock(lot_id=line.good.id, location="LINE", counted="1.5", reason="count", on="2026-09-07", **A)
    supplier = make.supplier("Dunmore Plastics")
    make.offer(supplier, line.resin, pack_size="25", preferred=True)
    order = stock.draft_purchase_order(
        supplier_id=supplier.id, lines=[{"part_id": line.resin.id, "quantity": "50"}], on="2026-09-08", **A
    )
    stock.change_purchase_order(order.id, status="placed", **A)
    make.lot(
        line.resin,
        "50",
        supplier_id=supplier.id,
        supplier_lot_code="DU260912",
        lot_scheme="gs1",
        purchase_order_id=order.id,
        on=date(2026, 9, 12),
    )
    service.update_units(campaign.id, frozen(service, campaign), state="notified", on="2026-09-11", **A)
    # recorded late, dated the day before the campaign opened (held material goes into nothing after)
    make.remove(line.units[0], line.housings[0], hour(200))
    make.install(line.units[2], line.housings[0], hour(201))
    service.update_unit(campaign.id, line.units[0].id, state="remedied", on="2026-09-14", **A)
    second = open_campaign(
        service,
        {"type": "part", "part_id": line.housing_part.id, "made_from": "2026-09-01", "made_to": "2026-09-03"},
        number="26E-050",
        as_of=hour(400),
        on="2026-09-20",
    )
    service.update_unit(second.id, line.units[2].id, state="unreachable", on="2026-09-21", **A)
    service.close(campaign.id, on="2026-10-01", confirmed=True, **A)
    report = replay(db.session())
    assert report.identical, report.differences


# -- dates, confirmation and remedies that replace a component ------------------------------------


def test_closing_needs_a_date_and_a_confirmation(service, line, campaign, refused):
    refused("confirmation_required", lambda: service.close(campaign.id, on="2026-10-01", confirmed=False, **A))
    refused("missing_field", lambda: service.close(campaign.id, on=None, confirmed=True, **A))
    refused("future_date", lambda: service.close(campaign.id, on="2026-12-31", confirmed=True, **A))


def test_a_remedy_needs_its_date(service, line, campaign, refused):
    refused("missing_field", lambda: service.update_unit(campaign.id, line.units[0].id, state="remedied", on="", **A))
    refused(
        "future_date",
        lambda: service.update_unit(campaign.id, line.units[0].id, state="remedied", on="2026-12-31", **A),
    )


def test_a_remedy_that_replaces_the_faulty_component_takes_the_unit_out_of_a_new_campaign(
    service, make, line, campaign
):
    from registry.supply import genealogy

    new = make.item(
        line.housing_part, "H-NEW", at=hour(200), lots=[{"lot_id": line.good.id, "quantity": "0.5", "location": "RAW"}]
    )
    service.update_unit(
        campaign.id,
        line.units[0].id,
        state="remedied",
        on="2026-09-14",
        replacement={"removed": "H-1", "installed": new.id},
        **A,
    )
    tree = genealogy.as_built(service.session, line.units[0].id, hour(400))
    assert [node.serial for node in tree.walk()][1:] == ["H-NEW"]
    again = open_campaign(
        service, {"type": "lots", "lot_ids": [line.faulty.id]}, number="26E-042", as_of=hour(400), on="2026-09-20"
    )
    assert frozen(service, again) == ids(line.housings[0], line.housings[2])  # H-1 alone now, and the spare
    assert replay(db.session()).identical


def test_a_replacement_names_a_component_of_the_unit(service, make, line, campaign, refused):
    refused(
        "not_installed",
        lambda: service.update_unit(
            campaign.id,
            line.units[0].id,
            state="remedied",
            on="2026-09-14",
            replacement={"removed": "H-2", "installed": "H-4"},
            **A,
        ),
    )
    refused(
        "invalid_field",
        lambda: service.update_unit(
            campaign.id,
            line.units[0].id,
            state="notified",
            on="2026-09-14",
            replacement={"removed": "H-1", "installed": "H-3"},
            **A,
        ),
    )
    refused(
        "unknown_serial",
        lambda: service.update_unit(
            campaign.id,
            line.units[0].id,
            state="remedied",
            on="2026-09-14",
            replacement={"removed": "H-1", "installed": "H-404"},
            **A,
        ),
    )
