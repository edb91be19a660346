"""Projections built by older rules are rebuilt from the ledger when the instance is initialised."""

from __future__ import annotations

from sqlalchemy import update

from registry.custody.models import CustodyRecord, Item
from registry.extensions import db
from registry.instance import initialise
from registry.ledger.models import ProjectionState
from registry.replay import PROJECTION_VERSION, projection_version, replay


def test_init_rebuilds_projections_of_an_older_version_and_keeps_the_vault(app, clock, officer, world, firearm):
    item = firearm("RB-1")
    officer.post(
        f"/api/v1/items/{item}/dispositions",
        json={
            "date": "2026-11-05",
            "from_party_id": world["us"],
            "transferee_party_id": world["person"],
            "form_4473": "F",
        },
    )
    with app.app_context():
        # What the first rules left: no acquisition date, no holder per record, and a stale status.
        db.session.execute(update(Item).values(acquired_on=None, status="in_custody"))
        db.session.execute(update(CustodyRecord).values(holder_party_id=None))
        db.session.execute(update(ProjectionState).values(version=1))
        db.session.commit()
        assert not replay(db.session()).identical
        report = initialise(app, demo=False, now=clock)
        assert any("projections rebuilt" in line for line in report.created)
        assert replay(db.session()).identical and projection_version(db.session()) == PROJECTION_VERSION
        assert db.session.get(Item, item).status == "disposed"
    assert officer.get(f"/api/v1/items/{item}").get_json()["item"]["holder"]["name"] == "Jane Doe"  # vault kept


def test_a_fresh_instance_starts_at_the_current_version(app):
    with app.app_context():
        assert projection_version(db.session()) == PROJECTION_VERSION


def test_init_brings_items_of_older_rules_to_the_current_search_forms(app, clock, officer):
    """An item registered before serials were read as Latin and makers' names folded: its event keeps
    the Greek search form and the doubled spaces; once `flask init` rebuilds the tables, a search in
    Latin letters and a maker's name typed plainly find it, and replay still agrees."""
    from registry.custody import queries
    from registry.custody.runtime import custody
    from registry.ledger.events import NewEvent

    with app.app_context():
        service = custody()
        payload = service.registration(
            kind="goods", scheme="plain", serial="ΑΒ-12", on="2026-11-02", now=clock, description="Greek mark"
        )
        assert payload["serial_normalized"] == "AB-12"  # what the current rules write
        payload |= {"serial_normalized": "ΑΒ-12", "manufacturer": "Smith  &  Wesson"}  # what older ones wrote
        service.ledger.append(
            [NewEvent("item.registered", payload, item=f"item:{payload['item_id']}")], actor="test", now=clock
        )
        db.session.commit()
        db.session.execute(
            update(Item)
            .where(Item.id == payload["item_id"])
            .values(serial_normalized="ΑΒ-12", manufacturer="Smith  &  Wesson")
        )
        db.session.execute(update(ProjectionState).values(version=PROJECTION_VERSION - 1))
        db.session.commit()
        assert not queries.search(db.session(), serial="AB-12")
        initialise(app, demo=False, now=clock)
        [found] = queries.search(db.session(), serial="AB-12", manufacturer="Smith & Wesson")
        assert (found.id, found.serial, found.manufacturer) == (payload["item_id"], "ΑΒ-12", "Smith & Wesson")
        assert replay(db.session()).identical


def test_init_brings_persons_matching_keys_to_the_current_rules(app, clock, officer):
    """A person registered when "driver license" and "Texas" were read as written: their vault keys
    are brought to the current rules at `flask init`, so the same licence is then refused again."""
    from registry.custody import identity
    from registry.custody.models import PersonalData
    from registry.custody.runtime import person_key

    body = {"kind": "person", "full_name": "Ann Lee", "address": "7 Pine St, Austin TX"}
    document = {"id_type": "driver license", "id_issuer": "Texas", "id_number": "40123456"}
    made = officer.post("/api/v1/parties", json={**body, **document})
    assert made.status_code == 201, made.get_json()
    with app.app_context():
        vault = db.session.get(PersonalData, made.get_json()["id"])
        current = (vault.document_key, vault.name_address_key)
        older = identity.keys(
            person_key(),
            full_name="Ann Lee",
            address="7 Pine St, Austin TX",
            document="driver license Texas 40123456 (old)",
        )
        vault.document_key, vault.name_address_key = older.document, None
        db.session.commit()
    again = {**body, "address": "9 Other Rd, Dallas TX", "id_type": "DL", "id_issuer": "TX", "id_number": "40123456"}
    assert officer.post("/api/v1/parties", json=again).status_code == 201  # the stale key let a duplicate in
    with app.app_context():
        report = initialise(app, demo=False, now=clock)
        assert "private persons' matching keys brought to the current rules: 1" in report.created
        vault = db.session.get(PersonalData, made.get_json()["id"])
        assert (vault.document_key, vault.name_address_key) == current
    third = officer.post("/api/v1/parties", json={**again, "address": "11 Third Ave, Waco TX"})
    assert third.status_code == 409 and third.get_json()["code"] == "duplicate_person"


def test_a_document_number_with_spaces_keeps_its_key_through_init(app, clock, officer):
    """The vault writes "driver licence, NY, 123 456 789"; a line of older registrations ("driver
    licence, NY 123 456 789") is split at the known issuer. Either way the number stays whole, so
    `flask init` changes no key and the licence is still refused for a second party."""
    from registry.custody import identity
    from registry.custody.models import PersonalData

    body = {"kind": "person", "full_name": "Ann Lee", "address": "7 Pine St, Albany NY"}
    document = {"id_type": "driver licence", "id_issuer": "NY", "id_number": "123 456 789"}
    made = officer.post("/api/v1/parties", json={**body, **document})
    assert made.status_code == 201, made.get_json()
    older = {**body, "full_name": "Bo Lee", "address": "8 Elm St, Albany NY", "id_type": "DL", "id_issuer": "New York"}
    second = officer.post("/api/v1/parties", json={**older, "id_number": "987 654 321"})
    assert second.status_code == 201, second.get_json()
    with app.app_context():
        vault = db.session.get(PersonalData, made.get_json()["id"])
        assert vault.id_document == "driver licence, NY, 123 456 789"
        db.session.get(PersonalData, second.get_json()["id"]).id_document = "DL, New York 987 654 321"  # older form
        db.session.commit()
        assert identity.parsed("DL, New York 987 654 321") == ("driver licence", "NY", "987654321")
        assert identity.parsed("driver licence, Ontario 12 34") is None  # issuer and number not told apart
        report = initialise(app, demo=False, now=clock)
        assert not [line for line in report.created if "matching keys" in line], report.created
    for taken in ({**document, "address": "9 Oak St"}, {**older, "id_number": "987654321", "address": "1 Ash St"}):
        again = officer.post("/api/v1/parties", json={**body, **taken})
        assert again.status_code == 409 and again.get_json()["code"] == "duplicate_person", again.get_json()


def test_an_issuer_with_a_comma_reads_back_whole():
    from registry.custody import identity

    for document in (("passport", "Korea, Republic of", "M1234567"), ("driver licence", "Washington, D.C.", "12345")):
        assert identity.parsed(identity.document_text(*document)) == identity.parsed(document)
