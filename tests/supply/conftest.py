"""Supply fixtures: the service of the test's app, its factory, the ledger's size and the refusal check."""

from __future__ import annotations

import pytest

from registry.errors import RegistryError
from registry.ledger.runtime import reader
from registry.supply.runtime import supply
from tests.supply.factories import SupplyFactory, created, refusal


@pytest.fixture
def service(ctx):
    return supply()


@pytest.fixture
def make(service):
    return SupplyFactory(service)


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
def officer(api_as):
    return api_as("officer")


@pytest.fixture
def ledger_size(app):
    def current() -> int:
        with app.app_context():
            return reader().size()

    return current


@pytest.fixture
def stock(officer):
    """A lot-tracked resin with one 10 kg lot, and a serialized housing part."""
    resin = created(
        officer.post(
            "/api/v1/parts",
            json={
                "number": "RM-1",
                "description": "Resin",
                "tracking": "lot",
                "unit": "kg",
                "reorder_point": "20",
                "reorder_quantity": "50",
            },
        )
    )
    housing = created(
        officer.post("/api/v1/parts", json={"number": "HSG-1", "description": "Housing", "tracking": "serial"})
    )
    supplier = created(officer.post("/api/v1/suppliers", json={"name": "Kestrel Resins"}))
    lot = created(
        officer.post(
            "/api/v1/lots",
            json={
                "part_id": resin["id"],
                "supplier_id": supplier["id"],
                "supplier_lot_code": "KR-2608",
                "lot_scheme": "gs1",
                "quantity": "10",
                "date": "2026-09-01",
                "location": "RAW",
            },
        )
    )
    return {"resin": resin, "housing": housing, "supplier": supplier, "lot": lot}
