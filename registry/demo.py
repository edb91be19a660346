"""Demo data for `make run`: a small history a newcomer can click through.

Three items (a VIN vehicle, a firearm and a serialised phone) with custody histories of their own,
appended in several batches so the ledger shows item chains, several checkpoints and proofs.
"""
from __future__ import annotations

from datetime import datetime

from registry.ledger.events import NewEvent
from registry.ledger.service import LedgerService

DEMO_ACTOR = "demo:loader"
VEHICLE, FIREARM, PHONE = "demo-vehicle-1", "demo-firearm-1", "demo-phone-1"

BATCHES = [
    [
        NewEvent("item.registered", {"kind": "vehicle", "scheme": "vin", "serial": "1M8GDM9AXKP042788",
                                     "make": "Motor Coach Industries", "model_year": "1989"}, VEHICLE),
        NewEvent("item.registered", {"kind": "firearm", "scheme": "firearm", "serial": "BXR-4471",
                                     "manufacturer": "Demo Arms Co.", "model": "DA-9", "type": "pistol",
                                     "caliber": "9mm"}, FIREARM),
        NewEvent("item.registered", {"kind": "goods", "scheme": "imei", "serial": "490154203237518",
                                     "description": "Handset, demo model"}, PHONE),
    ],
    [
        NewEvent("item.transferred", {"from": "Demo Arms Co.", "to": "Riverside Sporting Goods",
                                      "reason": "acquisition"}, FIREARM),
        NewEvent("item.transferred", {"from": "Motor Coach Industries", "to": "Northline Fleet Ltd.",
                                      "reason": "sale"}, VEHICLE),
    ],
    [
        NewEvent("item.status_changed", {"status": "stolen", "police_report": "PR-2026-0412"}, PHONE),
    ],
    [
        NewEvent("item.transferred", {"from": "Riverside Sporting Goods", "to": "J. Doe (private person)",
                                      "reason": "disposition", "form_4473": "TX-000123"}, FIREARM),
        NewEvent("item.status_changed", {"status": "recovered", "police_report": "PR-2026-0412"}, PHONE),
    ],
]


def load(service: LedgerService, *, now: datetime) -> bool:
    """Append the demo history once; return False if it is already there."""
    if service.item_history(VEHICLE):
        return False
    for batch in BATCHES:
        service.append(batch, actor=DEMO_ACTOR, now=now)
    return True


DEMO_DOMAIN = "demo.serial-ledger.localhost"
DEMO_ROLES = ("admin", "officer", "auditor", "regulator")
DEMO_LOGINS_FILE = "demo_logins.txt"


def load_accounts(service, logins_path, *, now: datetime) -> bool:
    """One demo account per role with a generated password, written once to `logins_path` (0600) so
    `make run` can show them; there is no default password anywhere. False if they exist already."""
    from registry.accounts.service import generate_password
    from registry.instance import write_secret

    if service.by_email(f"admin@{DEMO_DOMAIN}") is not None:
        return False
    lines = []
    for role in DEMO_ROLES:
        password = generate_password()
        service.create(email=f"{role}@{DEMO_DOMAIN}", role=role, password=password, actor=DEMO_ACTOR, now=now)
        lines.append(f"{role:<10} {role}@{DEMO_DOMAIN}  {password}")
    write_secret(logins_path, "\n".join(lines))
    return True
