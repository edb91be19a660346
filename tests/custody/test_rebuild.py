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
