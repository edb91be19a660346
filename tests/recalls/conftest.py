"""Recall fixtures: the recall service, the supply factory that builds the products, the refusal
check, and a small product line whose population under each basis is known."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from registry.errors import RegistryError
from registry.ledger.runtime import reader
from registry.recalls.runtime import recalls
from registry.supply.runtime import supply
from tests.supply.factories import SupplyFactory, hour, refusal


@pytest.fixture
def service(ctx):
    return recalls()


@pytest.fixture
def make(ctx):
    return SupplyFactory(supply())


@pytest.fixture
def size(ctx):
    """The ledger's size now: a refused request must leave it unchanged."""
    return lambda: reader().size()


@pytest.fixture
def refused(size):
    """refused("code", action): the action raises a registry error (its domain's, or a field's) with
    that code and appends nothing."""
    return refusal(size, RegistryError)


@pytest.fixture
def line(make):
    """Two resin lots, one faulty. Housings H-1 (faulty lot, made hour 1), H-2 (good lot, hour 2),
    H-3 (faulty lot, hour 3, kept as a spare) and H-4 (good lot, made on 2026-09-03); units U-1, U-2,
    U-3 and U-4 hold H-1, H-2, none and H-4 from hour 5 on (H-4 from its making)."""
    resin = make.part("RESIN", tracking="lot")
    faulty, good = make.lot(resin, "10", internal_code="FAULTY"), make.lot(resin, "10", internal_code="GOOD")
    housing_part, unit_part = make.part("HSG"), make.part("UNIT")

    def housing(serial, lot, at):
        return make.item(housing_part, serial, at=at, lots=[{"lot_id": lot.id, "quantity": "0.5", "location": "RAW"}])

    housings = [
        housing("H-1", faulty, hour(1)),
        housing("H-2", good, hour(2)),
        housing("H-3", faulty, hour(3)),
        housing("H-4", good, hour(50)),
    ]
    units = [make.item(unit_part, f"U-{n}", at=hour(1)) for n in range(1, 5)]
    make.install(units[0], housings[0], hour(5))
    make.install(units[1], housings[1], hour(5))
    make.install(units[3], housings[3], hour(50))
    return SimpleNamespace(
        resin=resin,
        faulty=faulty,
        good=good,
        housing_part=housing_part,
        unit_part=unit_part,
        housings=housings,
        units=units,
    )
