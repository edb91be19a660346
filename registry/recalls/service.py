"""Recall campaigns: open one from a basis (supplier lots, a part made within dates, or a list of
serials), freezing the population the forward trace finds; move units through their remedy
states; close the campaign."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import fields
from registry.custody.models import CustodyRecord, Item
from registry.errors import CONFLICT, NOT_FOUND, fields_of
from registry.fields import day, label, moment, text
from registry.ledger.events import NewEvent
from registry.ledger.locking import write_transaction
from registry.ledger.service import LedgerService
from registry.recalls import holds, population
from registry.recalls.models import RecallCampaign, RecallUnit
from registry.recalls.rules import BASIS_TYPES, RecallError, check_transition
from registry.supply import genealogy
from registry.supply.models import ComponentLink, Part
from registry.supply.queries import items_by_serial, lots_by_code
from registry.supply.service import SupplyService

MAX_SERIALS = 100_000


class RecallService:
    def __init__(self, session: Session, ledger: LedgerService, supply: SupplyService | None = None):
        self.session, self.ledger, self.supply = session, ledger, supply

    def _append(self, type_: str, payload: dict, *, actor: str, now: datetime) -> int:
        event = NewEvent(type_, payload, item=f"recall:{payload['campaign_id']}")
        return self.ledger.append([event], actor=actor, now=now).entries[0].index

    def campaign(self, campaign_id: str) -> RecallCampaign:
        found = self.session.get(RecallCampaign, campaign_id) if isinstance(campaign_id, str) else None
        if found is None:
            raise RecallError(
                f"no recall campaign {campaign_id!r}", code="unknown_campaign", kind=NOT_FOUND, field="campaign_id"
            )
        return found

    def _basis(self, basis) -> dict:
        """A checked basis as the event stores it."""
        if basis is None or (isinstance(basis, dict) and basis.get("type") is None):
            field = "basis" if basis is None else "basis.type"
            raise RecallError(f"the campaign's basis is required ({field})", code="missing_field", field=field)
        if not isinstance(basis, dict) or basis.get("type") not in BASIS_TYPES:
            raise RecallError(
                f"'basis.type' must be one of {', '.join(BASIS_TYPES)}", code="invalid_basis", field="basis.type"
            )
        kind = basis["type"]
        if kind == "lots":
            lots = basis.get("lot_ids")
            if not isinstance(lots, list) or not lots:
                raise RecallError(
                    "'basis.lot_ids' must list at least one lot (its id or a lot code)",
                    code="missing_field",
                    field="basis.lot_ids",
                )
            found = []
            for number, code in enumerate(lots):
                matches = lots_by_code(self.session, code)
                if len(matches) != 1:
                    raise RecallError(
                        f"lot {code!r} matches {len(matches)} lots" + (": give its internal code" if matches else ""),
                        code="ambiguous_lot" if matches else "unknown_lot",
                        field=f"basis.lot_ids[{number}]",
                    )
                found.append(matches[0])
            lots = found
            return {"type": "lots", "lot_ids": sorted(set(lots))}
        if kind == "part":
            part = self.session.get(Part, basis.get("part_id")) if isinstance(basis.get("part_id"), str) else None
            if part is None:
                raise RecallError(f"no part {basis.get('part_id')!r}", code="unknown_part", field="basis.part_id")
            made_from, made_to = (
                day(basis.get("made_from"), "basis.made_from", now=None),
                day(basis.get("made_to"), "basis.made_to", now=None),
            )
            if made_to < made_from:
                raise RecallError(
                    "'basis.made_to' precedes 'basis.made_from'", code="invalid_range", field="basis.made_to"
                )
            return {
                "type": "part",
                "part_id": part.id,
                "made_from": made_from.isoformat(),
                "made_to": made_to.isoformat(),
            }
        given = basis.get("serials")
        if not isinstance(given, list) or not given or len(given) > MAX_SERIALS:
            raise RecallError(
                f"'basis.serials' must list 1 to {MAX_SERIALS:,} serials", code="missing_field", field="basis.serials"
            )
        item_ids = set()
        for number, serial in enumerate(given):
            matches = items_by_serial(self.session, serial)
            if len(matches) != 1:
                raise RecallError(
                    f"serial {serial!r} matches {len(matches)} items: give the item id instead"
                    if matches
                    else f"no item has the serial {serial!r}",
                    code="ambiguous_serial" if matches else "unknown_serial",
                    field=f"basis.serials[{number}]",
                )
            item_ids.add(matches[0])
        return {"type": "serials", "item_ids": sorted(item_ids)}

    def open(
        self,
        *,
        number: str,
        title: str,
        defect: str,
        basis,
        on,
        actor: str,
        now: datetime,
        remedy: str | None = None,
        as_of=None,
    ) -> RecallCampaign:
        """Open a campaign: the population is traced at `as_of` (default: now) and frozen."""
        payload = {
            "campaign_id": str(uuid.uuid4()),
            "number": label(number, "number", required=True, limit=32),
            "title": text(title, "title", required=True),
            "defect": text(defect, "defect", required=True, limit=4000),
            "date": day(on, now=now).isoformat(),
        }
        if remedy := text(remedy, "remedy", limit=4000):
            payload["remedy"] = remedy
        cut_off = moment(as_of, "as_of", now=now) if as_of not in (None, "") else now
        payload["as_of"] = fields.stamp(cut_off)
        with write_transaction(self.session):
            if self.session.scalar(select(RecallCampaign.id).where(RecallCampaign.number == payload["number"])):
                raise RecallError(
                    f"campaign {payload['number']} exists already",
                    code="duplicate_campaign",
                    kind=CONFLICT,
                    field="number",
                )
            payload["basis"] = self._basis(basis)
            found = population.population(self.session, payload["basis"], moment(payload["as_of"], "as_of", now=None))
            if not found:
                raise RecallError(
                    "the basis reaches no item at that time: nothing to recall", code="empty_population", field="basis"
                )
            payload.update(
                population_size=len(found),
                population_sha256=population.digest(found),
                trace_version=population.TRACE_VERSION,
            )
            self._append("recall.opened", payload, actor=actor, now=now)
            return self.session.get(RecallCampaign, payload["campaign_id"])

    def update_unit(
        self,
        campaign_id: str,
        item_id: str,
        *,
        state: str,
        on,
        actor: str,
        now: datetime,
        note: str | None = None,
        replacement: dict | None = None,
    ) -> int:
        """Move a unit to `state` on the date `on`. A remedy that replaces a component names it:
        `replacement` = {"removed": the component (id or serial) in the unit, "installed": the new one
        (id or serial), "at": when (default: the remedy date, at noon UTC or now if earlier)}; the
        removal and the installation are recorded with the remedy, so the unit's genealogy (and any
        later campaign) sees the new component."""
        on, note = day(on, now=now), text(note, "note", limit=400)
        if replacement is not None and state != "remedied":
            raise RecallError("a component is replaced only by a remedy", code="invalid_field", field="replacement")
        with write_transaction(self.session):
            campaign = self.campaign(campaign_id)
            if campaign.status != "open":
                raise RecallError(f"campaign {campaign.number} is closed", code="campaign_closed", kind=CONFLICT)
            unit = self.session.get(RecallUnit, (campaign.id, item_id)) if isinstance(item_id, str) else None
            if unit is None:
                raise RecallError(
                    "the item is not in this campaign's population",
                    code="not_in_population",
                    kind=NOT_FOUND,
                    field="item_id",
                )
            check_transition(unit.state, state)
            if on < unit.updated_on:
                raise RecallError(
                    f"the unit's last change was on {unit.updated_on}", code="date_before_previous_event", field="date"
                )
            registered = self.session.get(CustodyRecord, self.session.get(Item, unit.item_id).registered_entry)
            if on < registered.on:
                raise RecallError(
                    f"the unit was registered on {registered.on}: nothing happened to it before",
                    code="date_before_previous_event",
                    field="date",
                )
            payload = {"campaign_id": campaign.id, "item_id": unit.item_id, "state": state, "date": on.isoformat()}
            if note:
                payload["note"] = note
            if replacement is not None:
                payload["replacement"] = self._replace(campaign, unit.item_id, replacement, on=on, actor=actor, now=now)
            return self._append("recall.unit_updated", payload, actor=actor, now=now)

    def _replace(
        self, campaign: RecallCampaign, unit_item_id: str, replacement, *, on, actor: str, now: datetime
    ) -> dict:
        """Remove the named component from wherever it sits in the unit and install the new one in
        its place; the two entries' indices go into the remedy's event. The new component must be
        another one, free of what the campaign recalls, and the swap made once the campaign is open."""
        if not isinstance(replacement, dict):
            raise RecallError(
                "'replacement' names the removed and the installed component", code="invalid_field", field="replacement"
            )
        removed = self._component(replacement.get("removed"), "replacement.removed")
        installed = self._component(replacement.get("installed"), "replacement.installed")
        given = replacement.get("at")
        at = (
            moment(given, "replacement.at", now=now)
            if given not in (None, "")
            else min(datetime.combine(on, time(12), timezone.utc), now)
        )
        if installed == removed:
            raise RecallError(
                "the installed component is the removed one", code="same_component", field="replacement.installed"
            )
        tree = genealogy.as_built(self.session, unit_item_id, at)
        node = next((n for n in (tree.walk() if tree else ()) if n.item_id == removed and n is not tree), None)
        link = self.session.scalar(
            select(ComponentLink).where(ComponentLink.child_item_id == removed, ComponentLink.removed_at.is_(None))
        )
        if node is None or link is None:
            raise RecallError(
                "that component is not in this unit", code="not_installed", kind=CONFLICT, field="replacement.removed"
            )
        if at < datetime.combine(campaign.opened_on, time(), timezone.utc):
            raise RecallError(
                f"the campaign opened on {campaign.opened_on}: a remedy replaces a component after that",
                code="date_before_previous_event",
                field="replacement.at",
            )
        if holds.recalls(self.session, campaign, installed, at):
            raise RecallError(
                "the installed component holds what this campaign recalls: a remedy installs a sound one",
                code="recalled_component",
                kind=CONFLICT,
                field="replacement.installed",
            )
        with fields_of({"child_item_id": "replacement.removed", "at": "replacement.at", None: "replacement.removed"}):
            removal = self.supply.remove(
                parent_item_id=link.parent_item_id,
                child_item_id=removed,
                at=at,
                reason="replaced by a recall remedy",
                actor=actor,
                now=now,
            )
        with fields_of(
            {"child_item_id": "replacement.installed", "at": "replacement.at", None: "replacement.installed"}
        ):
            installation = self.supply.install(
                parent_item_id=link.parent_item_id,
                child_item_id=installed,
                at=at,
                position=link.position,
                actor=actor,
                now=now,
            )
        return {
            "removed_item_id": removed,
            "installed_item_id": installed,
            "removal_entry": removal,
            "installation_entry": installation,
        }

    def _component(self, given, field: str) -> str:
        if not isinstance(given, str) or not given.strip():
            raise RecallError(f"'{field}' names a component by its id or serial", code="missing_field", field=field)
        matches = [given] if self.session.get(Item, given) is not None else items_by_serial(self.session, given)
        if len(matches) != 1:
            raise RecallError(
                f"{given!r} matches {len(matches)} items" + (": give the item id" if matches else ""),
                code="ambiguous_serial" if matches else "unknown_serial",
                field=field,
            )
        return matches[0]

    def update_units(
        self,
        campaign_id: str,
        item_ids: list[str],
        *,
        state: str,
        on,
        actor: str,
        now: datetime,
        note: str | None = None,
    ) -> int:
        """The same change for many units, all or none, with one signed checkpoint."""
        if not isinstance(item_ids, list) or not item_ids:
            raise RecallError("'item_ids' must list at least one item", code="missing_field", field="item_ids")
        with write_transaction(self.session), self.ledger.batch(now=now):
            for number, item_id in enumerate(item_ids):
                with fields_of({"item_id": f"item_ids[{number}]", None: f"item_ids[{number}]"}):
                    self.update_unit(campaign_id, item_id, state=state, on=on, note=note, actor=actor, now=now)
        return len(item_ids)

    def close(
        self, campaign_id: str, *, on, actor: str, now: datetime, confirmed: bool, note: str | None = None
    ) -> int:
        """Close the campaign on the date `on`: no unit can change afterwards, so the caller must
        confirm it (`confirmed`)."""
        on, note = day(on, now=now), text(note, "note", limit=1000)
        if confirmed is not True:
            raise RecallError(
                "closing a campaign ends it for every unit: confirm that it is to be closed",
                code="confirmation_required",
                field="confirm",
            )
        with write_transaction(self.session):
            campaign = self.campaign(campaign_id)
            if campaign.status != "open":
                raise RecallError(
                    f"campaign {campaign.number} is closed already", code="campaign_closed", kind=CONFLICT
                )
            if on < campaign.opened_on:
                raise RecallError(
                    f"the campaign opened on {campaign.opened_on}", code="date_before_previous_event", field="date"
                )
            last = self.session.scalar(
                select(func.max(RecallUnit.updated_on)).where(RecallUnit.campaign_id == campaign.id)
            )
            if last is not None and on < last:
                raise RecallError(
                    f"a unit of the campaign last changed on {last}: the campaign closes on or after it",
                    code="date_before_previous_event",
                    field="date",
                )
            payload = {"campaign_id": campaign.id, "date": on.isoformat()}
            if note:
                payload["note"] = note
            return self._append("recall.closed", payload, actor=actor, now=now)
