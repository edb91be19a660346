"""Custody fixtures: an officer's API client and a small world of parties."""

from __future__ import annotations

import pytest

from registry.ledger.runtime import reader


@pytest.fixture
def officer(api_as):
    return api_as("officer")


@pytest.fixture
def size(app):
    """The ledger's size now: a refused request must leave it unchanged."""

    def current() -> int:
        with app.app_context():
            return reader().size()

    return current


@pytest.fixture
def world(officer):
    """Our licensee, a manufacturer licensee, a private person and an organisation."""

    def party(**body):
        response = officer.post("/api/v1/parties", json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    return {
        "us": party(
            kind="licensee", ffl="8-23-091-01-7F-14245", name="Riverside Sporting Goods", address="1 Main St, Austin TX"
        ),
        "maker": party(
            kind="licensee", ffl="9-87-654-07-8A-00001", name="Demo Arms Co.", address="2 Factory Rd, Waco TX"
        ),
        "person": party(
            kind="person", full_name="Jane Doe", address="3 Elm St, Austin TX", id_document="TX DL 1234567"
        ),
        "person2": party(
            kind="person", full_name="John Roe", address="4 Oak St, Austin TX", id_document="TX DL 7654321"
        ),
        "fleet": party(kind="organisation", name="Northline Fleet Ltd.", address="5 Depot Rd, Dallas TX"),
    }


@pytest.fixture
def firearm(officer, world):
    """Register and acquire a pistol; returns a function taking the serial and optional fields."""

    def make(serial="BXR-4471", *, type_="pistol", acquired="2026-11-03", **extra):
        body = {
            "kind": "firearm",
            "scheme": "firearm",
            "serial": serial,
            "date": "2026-11-02",
            "manufacturer": "Demo Arms Co.",
            "model": "DA-9",
            "type": type_,
            "caliber": "9mm",
            **extra,
        }
        response = officer.post("/api/v1/items", json=body)
        assert response.status_code == 201, response.get_json()
        item = response.get_json()["id"]
        if acquired:
            got = officer.post(
                f"/api/v1/items/{item}/acquisitions",
                json={"date": acquired, "source_party_id": world["maker"], "recipient_party_id": world["us"]},
            )
            assert got.status_code == 201, got.get_json()
        return item

    return make


@pytest.fixture
def goods(officer, world):
    """Register a pallet of goods and have our licensee acquire it; returns a function of the serial."""

    def make(serial: str) -> str:
        made = officer.post(
            "/api/v1/items", json={"kind": "goods", "scheme": "plain", "serial": serial, "date": "2026-11-02"}
        )
        assert made.status_code == 201, made.get_json()
        item = made.get_json()["id"]
        got = officer.post(
            f"/api/v1/items/{item}/acquisitions",
            json={"date": "2026-11-03", "source_party_id": world["maker"], "recipient_party_id": world["us"]},
        )
        assert got.status_code == 201, got.get_json()
        return item

    return make
