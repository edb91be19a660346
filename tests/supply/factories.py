"""Supply test factories: every part, lot, item and link is made through the services, at fixed times,
so the events and the tables stay consistent and replay holds. Also the check that a refusal appends
nothing, shared with the recall tests."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import pytest

from registry.custody.models import Item
from registry.supply.models import Lot, Part, Supplier, SupplierPart
from registry.supply.service import SupplyService

ACTOR = "test:supply"
T0 = datetime(2026, 9, 1, tzinfo=timezone.utc)
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)  # after every time the tests record
DAY0 = T0.date()


def hour(hours: float) -> datetime:
    """A fixed time `hours` after T0 (2026-09-01 00:00 UTC)."""
    return T0 + timedelta(hours=hours)


class SupplyFactory:
    """Short calls for the tests' worlds; each returns the projected row (or the entry index)."""

    def __init__(self, service: SupplyService):
        self.service = service
        self.numbers = itertools.count(1)

    def _common(self) -> dict:
        return {"actor": ACTOR, "now": NOW}

    def part(self, number: str | None = None, *, tracking: str = "serial", unit: str | None = None, **reorder) -> Part:
        return self.service.register_part(
            number=number or f"P-{next(self.numbers):04d}",
            description=f"part {number or 'made by a test'}",
            tracking=tracking,
            unit=unit or ("ea" if tracking == "serial" else "kg"),
            **reorder,
            **self._common(),
        )

    def supplier(self, name: str | None = None) -> Supplier:
        return self.service.register_supplier(name=name or f"Supplier {next(self.numbers)}", **self._common())

    def offer(
        self,
        supplier: Supplier,
        part: Part,
        *,
        lead_time_days: int = 7,
        pack_size: str = "1",
        unit_price: str | None = None,
        preferred: bool = False,
    ) -> SupplierPart:
        return self.service.register_supplier_part(
            supplier_id=supplier.id,
            part_id=part.id,
            supplier_part_number=f"SP-{next(self.numbers):04d}",
            pack_size=pack_size,
            lead_time_days=lead_time_days,
            unit_price=unit_price,
            preferred=preferred,
            **self._common(),
        )

    def lot(self, part: Part, quantity: str = "10", *, on: date = DAY0, location: str = "RAW", **extra) -> Lot:
        return self.service.receive_lot(
            part_id=part.id, quantity_=quantity, on=on, location=location, **extra, **self._common()
        )

    def item(self, part: Part, serial: str | None = None, *, at: datetime = T0, lots: list[dict] = ()) -> Item:
        return self.service.make_item(
            part_id=part.id,
            scheme="plain",
            serial=serial or f"SN-{next(self.numbers):05d}",
            at=at,
            lots=list(lots),
            **self._common(),
        )

    def install(self, parent: Item | str, child: Item | str, at: datetime, position: str | None = None) -> int:
        return self.service.install(
            parent_item_id=_id(parent), child_item_id=_id(child), at=at, position=position, **self._common()
        )

    def remove(self, parent: Item | str, child: Item | str, at: datetime) -> int:
        return self.service.remove(parent_item_id=_id(parent), child_item_id=_id(child), at=at, **self._common())


def refusal(size: Callable[[], int], error: type[Exception]):
    """check("code", action): the action raises `error` with that stable code and the ledger's size
    stays as it was."""

    def check(code: str, action: Callable[[], object]):
        before = size()
        with pytest.raises(error) as caught:
            action()
        assert caught.value.code == code, caught.value
        assert size() == before
        return caught.value

    return check


def _id(item: Item | str) -> str:
    return item if isinstance(item, str) else item.id


def created(response):
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def problem(response, status: int, code: str, field: str | None):
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == code and body.get("field") == field, body
    return body


def offered(officer, stock: dict, **extra) -> dict:
    """The stock's supplier offers its resin (part number PA66-K, 10 days), over the API."""
    offer = {
        "supplier_id": stock["supplier"]["id"],
        "part_id": stock["resin"]["id"],
        "supplier_part_number": "PA66-K",
        "lead_time_days": 10,
        **extra,
    }
    return created(officer.post("/api/v1/supplier-parts", json=offer))
