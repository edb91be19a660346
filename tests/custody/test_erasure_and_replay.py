"""Erasing a person keeps the ledger verifying; replay rebuilds every projection exactly."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, precondition, rule

from registry import create_app
from registry.custody.rules import CustodyError
from registry.custody.runtime import custody
from registry.extensions import db
from registry.instance import initialise
from registry.ledger import checks
from registry.ledger.runtime import verifier_key
from registry.replay import replay


def erase(runner, party_id):
    return runner.invoke(args=["parties", "erase", party_id, "--reason", "data subject request"])


def test_a_firearm_transferee_is_kept_while_the_licence_exists(app, officer, world, firearm, runner):
    item = firearm()
    officer.post(
        f"/api/v1/items/{item}/dispositions",
        json={
            "date": "2026-11-05",
            "from_party_id": world["us"],
            "transferee_party_id": world["person"],
            "form_4473": "T",
        },
    )
    refused = erase(runner, world["person"])
    assert refused.exit_code == 1 and "as long as the licence exists" in refused.output
    app.config["LICENCE_ENDED_ON"] = "2026-11-20"
    app.config["PERSONAL_DATA_RETENTION_DAYS"] = 0
    assert erase(runner, world["person"]).exit_code == 0


def test_a_transferee_named_only_by_a_correction_corrected_again_is_kept(app, officer, world, firearm, runner):
    """Disposed of to one person, corrected to a second, then to a third: the second is named in the
    chain of corrections of a firearm record, and is kept like the others."""
    item = firearm()
    officer.post(
        f"/api/v1/items/{item}/dispositions",
        json={"date": "2026-11-05", "transferee_party_id": world["person"], "form_4473": "T"},
    )
    third = officer.post(
        "/api/v1/parties",
        json={"kind": "person", "full_name": "Max Poe", "address": "9 Ash St, Austin TX", "id_document": "TX DL 55"},
    ).get_json()["id"]
    timeline = officer.get(f"/api/v1/items/{item}").get_json()["timeline"]
    [disposed] = [r["entry_index"] for r in timeline if r["type"] == "disposed"]
    for to in (world["person2"], third):
        corrected = officer.post(
            f"/api/v1/items/{item}/corrections",
            json={"corrects": disposed, "fields": {"transferee_party_id": to}, "reason": "wrong buyer picked"},
        )
        assert corrected.status_code == 201, corrected.get_json()
    for person in (world["person"], world["person2"], third):
        refused = erase(runner, person)
        assert refused.exit_code == 1 and "as long as the licence exists" in refused.output, person


def test_the_retention_period_is_configurable(app, world, runner):
    app.config["PERSONAL_DATA_RETENTION_DAYS"] = 0
    assert erase(runner, world["person2"]).exit_code == 0  # no records at all
    again = erase(runner, world["person2"])
    assert again.exit_code == 1 and "erased already" in again.output
    assert "only a private person" in erase(runner, world["fleet"]).output


def test_erasure_keeps_the_ledger_verifying_and_pages_show_erased(app, officer, world, firearm, runner, client):
    item = firearm()
    officer.post(
        f"/api/v1/items/{item}/dispositions",
        json={
            "date": "2026-11-05",
            "from_party_id": world["us"],
            "transferee_party_id": world["person"],
            "form_4473": "T",
        },
    )
    app.config.update(LICENCE_ENDED_ON="2026-11-20", PERSONAL_DATA_RETENTION_DAYS=0)
    assert erase(runner, world["person"]).exit_code == 0
    with app.app_context():
        vault = custody(writing=False).personal_data(world["person"])
        assert (vault.full_name, vault.address, vault.id_document, vault.salt) == (None, None, None, None)
        verdict = checks.verify_stored_ledger(db.session(), [verifier_key()])
        assert verdict.ok, verdict.summary()
        assert replay(db.session()).identical
    holder = officer.get(f"/api/v1/items/{item}").get_json()["item"]["holder"]
    assert holder["name"] == "(erased)"
    assert "Jane Doe" not in client.get(f"/items/{item}").get_data(as_text=True)


def test_replay_of_a_mixed_history_is_identical(app, officer, world, firearm, runner):
    item = firearm()
    officer.post(f"/api/v1/items/{item}/transfers", json={"date": "2026-11-04", "to_party_id": world["fleet"]})
    officer.post(
        f"/api/v1/items/{item}/corrections",
        json={
            "corrects": officer.get(f"/api/v1/items/{item}").get_json()["item"]["registered_entry"],
            "fields": {"model": "DA-9C"},
            "reason": "compact model",
        },
    )
    result = runner.invoke(args=["ledger", "replay"])
    assert result.exit_code == 0 and "IDENTICAL" in result.output


NOW = datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)


class CustodyMachine(RuleBasedStateMachine):
    """Random mixes of accepted and refused custody operations; after each step the projections
    equal a replay of the ledger."""

    parties = Bundle("parties")
    items = Bundle("items")

    def __init__(self):
        super().__init__()
        self.folder = tempfile.mkdtemp()
        self.app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(self.folder) / 'r.sqlite3'}",
                "REGISTRY_INSTANCE": str(Path(self.folder) / "instance"),
                "LEDGER_ORIGIN": "replay.serial-ledger.localhost/log",
            }
        )
        self.context = self.app.app_context()
        self.context.push()
        initialise(self.app, demo=False, now=NOW)
        self.day = date(2026, 1, 1)
        self.serial = 0

    def teardown(self):
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
        self.context.pop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _try(self, action):
        try:
            return action()
        except CustodyError:
            db.session.rollback()
            return None

    def _next_day(self, step: int) -> str:
        self.day += timedelta(days=step)
        return self.day.isoformat()

    @rule(target=parties, kind=st.sampled_from(["licensee", "organisation", "person"]))
    def add_party(self, kind):
        service, self.serial = custody(), self.serial + 1
        if kind == "licensee":
            ffl = f"8-23-091-01-7F-{self.serial:05d}"
            return service.register_licensee(
                ffl=ffl, name=f"Dealer {self.serial}", address="1 Main St", actor="t", now=NOW
            ).id
        if kind == "organisation":
            return service.register_organisation(name=f"Org {self.serial}", address="2 Side St", actor="t", now=NOW).id
        return service.register_person(
            full_name=f"Person {self.serial}", address="3 Elm St", id_document=None, actor="t", now=NOW
        ).id

    @rule(target=items, type_=st.sampled_from(["pistol", "revolver", "rifle"]), repeat=st.booleans())
    def add_firearm(self, type_, repeat):
        self.serial += 0 if repeat else 1  # a repeated serial is refused as a duplicate
        item = self._try(
            lambda: custody().register_item(
                kind="firearm",
                scheme="firearm",
                serial=f"SN-{self.serial}",
                on=self.day.isoformat(),
                actor="t",
                now=NOW,
                manufacturer="Maker",
                model="M",
                type=type_,
                caliber="9mm",
            )
        )
        return item.id if item else "missing"

    @rule(item=items, source=parties, recipient=parties, step=st.integers(0, 3))
    def acquire(self, item, source, recipient, step):
        self._try(
            lambda: custody().acquire(
                item, on=self._next_day(step), source_party_id=source, recipient_party_id=recipient, actor="t", now=NOW
            )
        )

    @rule(item=items, holder=parties, transferee=parties, step=st.integers(0, 3))
    def dispose(self, item, holder, transferee, step):
        self._try(
            lambda: custody().dispose(
                item,
                on=self._next_day(step),
                from_party_id=holder,
                transferee_party_id=transferee,
                form_4473="F",
                actor="t",
                now=NOW,
            )
        )

    @rule(item=items, to=parties, step=st.integers(-1, 2))
    def transfer(self, item, to, step):
        self._try(lambda: custody().transfer(item, on=self._next_day(step), to_party_id=to, actor="t", now=NOW))

    @rule(item=items, status=st.sampled_from(["stolen", "recovered", "destroyed", "quarantined"]))
    def change_status(self, item, status):
        self._try(
            lambda: custody().change_status(
                item,
                status=status,
                on=self.day.isoformat(),
                police_report="P",
                atf_incident="I",
                discovered_at="2026-01-01T00:00:00Z",
                actor="t",
                now=NOW,
            )
        )

    @rule(item=items, caliber=st.sampled_from(["9mm", ".45 ACP", "5.56"]))
    def correct(self, item, caliber):
        def act():
            found = custody().item(item)
            return custody().correct(
                item, corrects=found.registered_entry, fields={"caliber": caliber}, reason="r", actor="t", now=NOW
            )

        self._try(act)

    @precondition(lambda self: True)
    @invariant()
    def projections_equal_a_replay(self):
        report = replay(db.session())
        assert report.identical, report.differences


TestCustodyReplay = pytest.mark.slow(CustodyMachine.TestCase)  # about 200 replays: half a minute
TestCustodyReplay.settings = settings(max_examples=8, stateful_step_count=25, deadline=None)


def test_a_batch_of_custody_events_equals_its_replay_and_verifies(app, world, firearm, clock):
    items = [firearm(f"BT-{n}") for n in range(6)]
    with app.app_context():
        service = custody()
        with service.ledger.batch(now=clock):
            service.preload(items)
            for item in items:
                service.dispose(
                    item,
                    on="2026-11-10",
                    from_party_id=world["us"],
                    transferee_party_id=world["fleet"],
                    actor="t",
                    now=clock,
                )
                service.acquire(
                    item,
                    on="2026-11-11",
                    source_party_id=world["fleet"],
                    recipient_party_id=world["us"],
                    actor="t",
                    now=clock,
                )
        assert replay(db.session()).identical
        assert checks.verify_stored_ledger(db.session(), [verifier_key()]).ok
        assert {custody(writing=False).item(i).status for i in items} == {"in_custody"}
