"""The founding scenario, as demo data: eight suppliers deliver the same resin in lots; pump housings
are moulded from those lots, built into pump modules, and the modules into water filtration units
that are sold to holders. One supplier's lot is faulty. One unit's faulty housing was replaced
before the recall (that unit is not affected) and the removed housing went into another unit as a
repair (that unit is). A recall campaign is open on the faulty lot, its units notified and two
remedied by a new housing (the remedy records the swap in the genealogy); the resin and the seal kits
have fallen to their reorder points.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from registry.custody.service import CustodyService
from registry.recalls.service import RecallService
from registry.supply import genealogy
from registry.supply.models import Part
from registry.supply.service import SupplyService

SUPPLIERS = (
    "Aldane Polymers",
    "Brightwater Resins",
    "Corvex Chemical",
    "Dunmore Plastics",
    "Kestrel Polymers",
    "Lumen Compounds",
    "Meridian Materials",
    "Northgate Resin Co.",
)
FAULTY = "Kestrel Polymers"
UNITS = 24
START = datetime(2026, 9, 1, 8, tzinfo=timezone.utc)


def load(custody: CustodyService, supply: SupplyService, recalls: RecallService, *, actor: str, now: datetime) -> bool:
    if supply.session.scalar(select(Part.id).where(Part.number == "RM-PA66-GF30")):
        return False
    a = dict(actor=actor, now=now)
    works = custody.register_organisation(name="Clearflow Manufacturing", address="40 Mill Lane, Dayton, OH 45402", **a)
    buyers = [
        custody.register_organisation(name=name, address=address, **a)
        for name, address in (
            ("Harbor View Hotel", "12 Pier St, Portland, ME 04101"),
            ("Lakeside Clinic", "8 Shore Rd, Erie, PA 16501"),
            ("Summit School District", "300 Ridge Ave, Boulder, CO 80302"),
        )
    ]
    resin = supply.register_part(
        number="RM-PA66-GF30",
        description="Polyamide 66 resin, 30% glass fibre",
        tracking="lot",
        unit="kg",
        reorder_point="150",
        reorder_quantity="400",
        **a,
    )
    housing = supply.register_part(number="CMP-HSG-01", description="Pump housing, moulded", tracking="serial", **a)
    module = supply.register_part(number="SA-PMP-01", description="Pump module", tracking="serial", **a)
    board = supply.register_part(number="CMP-PCB-7", description="Controller board", tracking="serial", **a)
    unit = supply.register_part(number="FP-WF-200", description="Water filtration unit WF-200", tracking="serial", **a)
    seals = supply.register_part(
        number="CMP-SEAL-9",
        description="Shaft seal kit",
        tracking="none",
        reorder_point="50",
        reorder_quantity="200",
        **a,
    )
    lots = []
    for number, name in enumerate(SUPPLIERS):
        supplier = supply.register_supplier(name=name, address=f"{number + 1} Industrial Park, Akron, OH", **a)
        supply.register_supplier_part(
            supplier_id=supplier.id,
            part_id=resin.id,
            supplier_part_number=f"PA66-{number:02d}",
            pack_size="25",
            lead_time_days=7 + 3 * number,
            unit_price=f"{3.10 + 0.05 * number:.2f}",
            preferred=name == "Dunmore Plastics",
            **a,
        )
        lots.append(
            supply.receive_lot(
                part_id=resin.id,
                supplier_id=supplier.id,
                quantity_="20",
                supplier_lot_code=f"{name[:2].upper()}2608{number:02d}",
                lot_scheme="gs1",
                on=START.date(),
                location="RAW-A1",
                **a,
            )
        )
    seal_supplier = supply.register_supplier(name="Tristate Seals", address="9 Gasket Row, Toledo, OH", **a)
    supply.register_supplier_part(
        supplier_id=seal_supplier.id,
        part_id=seals.id,
        supplier_part_number="TS-SK9",
        pack_size="50",
        lead_time_days=5,
        unit_price="1.85",
        **a,
    )
    supply.receive_lot(
        part_id=seals.id, supplier_id=seal_supplier.id, quantity_="40", on=START.date(), location="STORES-B2", **a
    )
    units = []
    for number in range(UNITS):
        made = START + timedelta(days=2 + number)
        lot = lots[number % len(lots)]
        serial = f"{number + 1:05d}"
        housing_item = supply.make_item(
            part_id=housing.id,
            scheme="plain",
            serial=f"HSG-{serial}",
            at=made,
            lots=[{"lot_id": lot.id, "quantity": "0.4", "location": "RAW-A1"}],
            **a,
        )
        module_item = supply.make_item(part_id=module.id, scheme="plain", serial=f"PM-{serial}", at=made, **a)
        unit_item = supply.make_item(part_id=unit.id, scheme="plain", serial=f"WF200-{serial}", at=made, **a)
        supply.install(parent_item_id=module_item.id, child_item_id=housing_item.id, at=made, position="housing", **a)
        supply.install(parent_item_id=unit_item.id, child_item_id=module_item.id, at=made, position="pump", **a)
        board_item = supply.make_item(part_id=board.id, scheme="plain", serial=f"PCB-{serial}", at=made, **a)
        supply.install(parent_item_id=unit_item.id, child_item_id=board_item.id, at=made, position="controller", **a)
        custody.acquire(
            unit_item.id,
            on=made.date(),
            source_party_id=works.id,
            recipient_party_id=works.id,
            reference="made in-house",
            **a,
        )
        sold = made + timedelta(days=3)
        custody.dispose(
            unit_item.id,
            on=sold.date(),
            from_party_id=works.id,
            transferee_party_id=buyers[number % len(buyers)].id,
            **a,
        )
        units.append((unit_item, module_item, housing_item, lot))
    faulty = next(lot for lot in lots if lot.supplier_id == _supplier_id(supply, FAULTY))
    # A unit whose faulty housing was swapped in service; the removed housing later went into
    # another unit as a repair.
    swapped = next(entry for entry in units if entry[3].id == faulty.id)
    repaired = units[1]
    swap_at = START + timedelta(days=40)
    spare = supply.make_item(
        part_id=housing.id,
        scheme="plain",
        serial="HSG-SPARE-1",
        at=swap_at,
        lots=[{"lot_id": lots[0].id, "quantity": "0.4", "location": "RAW-A1"}],
        **a,
    )
    supply.remove(parent_item_id=swapped[1].id, child_item_id=swapped[2].id, at=swap_at, reason="cracked housing", **a)
    supply.install(parent_item_id=swapped[1].id, child_item_id=spare.id, at=swap_at, position="housing", **a)
    repair_at = swap_at + timedelta(days=5)
    supply.remove(parent_item_id=repaired[1].id, child_item_id=repaired[2].id, at=repair_at, reason="worn housing", **a)
    supply.install(parent_item_id=repaired[1].id, child_item_id=swapped[2].id, at=repair_at, position="housing", **a)
    opened = datetime(2026, 11, 2, 12, tzinfo=timezone.utc)
    campaign = recalls.open(
        number="26E-041",
        title="WF-200 pump housing may crack",
        defect=f"Housings moulded from {FAULTY} resin lot {faulty.supplier_lot_code} may crack "
        "under pressure and leak.",
        remedy="Replace the pump housing free of charge.",
        basis={"type": "lots", "lot_ids": [faulty.id]},
        on=opened.date(),
        as_of=opened,
        **a,
    )
    affected = [row.item_id for row in campaign_units(recalls, campaign.id)]
    recalls.update_units(campaign.id, affected, state="notified", on="2026-11-04", note="owner letter sent", **a)
    # Two remedies replace the faulty housing with a new one moulded from a good lot: the removal and
    # the installation are recorded with the remedy, so the genealogy shows the new housing.
    good = next(lot for lot in lots if lot.id != faulty.id)
    for number, (unit_id, on) in enumerate(zip(affected[:2], ("2026-11-09", "2026-11-18")), start=1):
        at = datetime.fromisoformat(on).replace(hour=12, tzinfo=timezone.utc)
        tree = genealogy.as_built(supply.session, unit_id, at)
        old = next(node for node in tree.walk() if any(lot["lot_id"] == faulty.id for lot in node.lots))
        new = supply.make_item(
            part_id=housing.id,
            scheme="plain",
            serial=f"HSG-R-{number}",
            at=at - timedelta(hours=2),
            lots=[{"lot_id": good.id, "quantity": "0.4", "location": "RAW-A1"}],
            **a,
        )
        recalls.update_unit(
            campaign.id,
            unit_id,
            state="remedied",
            on=on,
            note="housing replaced",
            replacement={"removed": old.item_id, "installed": new.id},
            **a,
        )
    return True


def _supplier_id(supply: SupplyService, name: str) -> str:
    from registry.supply.models import Supplier

    return supply.session.scalar(select(Supplier.id).where(Supplier.name == name))


def campaign_units(recalls: RecallService, campaign_id: str):
    from registry.recalls.models import RecallUnit

    return list(
        recalls.session.scalars(
            select(RecallUnit).where(RecallUnit.campaign_id == campaign_id).order_by(RecallUnit.item_id)
        )
    )
