"""Demo data for `make run`: a small registry a newcomer can click through.

Licensees, an organisation and a private person; a vehicle, two handguns, rifles, a shotgun without a
serial (NSN), a phone and a GS1-labelled device, with acquisitions, dispositions (two handguns to one
person within five business days, so the multiple-sale signal shows), a transfer, a theft and its
recovery, a stolen rifle, and corrections kept beside their originals (a caliber, and an acquisition
date that moves the line in the bound book). Then one account per role with a generated password.
Everything goes through the services, so the ledger and the tables agree and `flask ledger replay` finds them identical.
"""

from __future__ import annotations

from datetime import datetime

from registry.custody.service import CustodyService

DEMO_ACTOR = "demo:loader"
DEMO_DOMAIN = "demo.serial-ledger.localhost"
DEMO_ROLES = ("admin", "officer", "auditor", "regulator")
DEMO_LOGINS_FILE = "demo_logins.txt"
DEALER_FFL = "8-23-091-01-7F-14245"


def load(service: CustodyService, *, now: datetime) -> bool:
    """Record the demo history once; return False if it is there already."""
    if service.find_licensee(DEALER_FFL) is not None:
        return False
    a = dict(actor=DEMO_ACTOR, now=now)
    dealer = service.register_licensee(
        ffl=DEALER_FFL, name="Riverside Sporting Goods", address="101 River Rd, Austin, TX 78701", **a
    )
    maker = service.register_licensee(
        ffl="9-87-654-07-8A-00001", name="Demo Arms Co.", address="2 Foundry Way, Waco, TX 76701", **a
    )
    fleet = service.register_organisation(name="Northline Fleet Ltd.", address="5 Depot Rd, Dallas, TX 75201", **a)
    motors = service.register_organisation(name="Motor Coach Industries", address="1 Coach Dr, Winnipeg, MB", **a)
    doe = service.register_person(
        full_name="Jane Doe",
        address="3 Elm St, Austin, TX 78702",
        id_type="driver licence",
        id_issuer="TX",
        id_number="12345678",
        **a,
    )

    firearm = dict(manufacturer="Demo Arms Co.", model="DA-9", caliber="9mm")
    pistol = service.register_item(
        kind="firearm", scheme="firearm", serial="BXR-4471", on="2026-11-02", type="pistol", **firearm, **a
    )
    revolver = service.register_item(
        kind="firearm",
        scheme="firearm",
        serial="BXR-4472",
        on="2026-11-02",
        type="revolver",
        **{**firearm, "model": "DA-38", "caliber": ".38 Special"},
        **a,
    )
    rifle = service.register_item(
        kind="firearm",
        scheme="firearm",
        serial="RFL-20931",
        on="2026-11-02",
        type="rifle",
        **{**firearm, "model": "DA-R", "caliber": ".308 Win"},
        **a,
    )
    for item in (pistol, revolver, rifle):
        service.acquire(
            item.id,
            on="2026-11-03",
            source_party_id=maker.id,
            recipient_party_id=dealer.id,
            reference="INV-2026-0311",
            **a,
        )
    service.correct(
        pistol.id,
        corrects=pistol.registered_entry,
        fields={"caliber": "9x19mm Parabellum"},
        reason="caliber as stamped on the slide",
        **a,
    )
    service.dispose(
        pistol.id, on="2026-11-06", from_party_id=dealer.id, transferee_party_id=doe.id, form_4473="TX-2026-000123", **a
    )
    service.dispose(
        revolver.id,
        on="2026-11-10",
        from_party_id=dealer.id,
        transferee_party_id=doe.id,
        form_4473="TX-2026-000131",
        **a,
    )

    # Received on the 21st, typed as the 12th: the correction moves the line into its real place in the
    # book, and every rule reads the corrected date. A shotgun made before 1968 bears no serial (NSN).
    carbine = service.register_item(
        kind="firearm",
        scheme="firearm",
        serial="DAC-30117",
        on="2026-11-10",
        type="rifle",
        **{**firearm, "model": "DA-C", "caliber": "5.56x45mm"},
        **a,
    )
    acquired = service.acquire(
        carbine.id,
        on="2026-11-12",
        source_party_id=maker.id,
        recipient_party_id=dealer.id,
        reference="INV-2026-0388",
        **a,
    )
    service.correct(
        carbine.id,
        corrects=acquired,
        fields={"date": "2026-11-21"},
        reason="the invoice date was entered instead of the date of receipt",
        **a,
    )
    heirloom = service.register_item(
        kind="firearm",
        scheme="firearm",
        serial="NSN",
        on="2026-11-23",
        type="shotgun",
        manufacturer="Ithaca Gun Co.",
        model="Model 37",
        caliber="12 gauge",
        override_justification="made in 1952, before serials were required (GCA 1968); no serial marked",
        **a,
    )
    service.acquire(
        heirloom.id,
        on="2026-11-23",
        source_party_id=doe.id,
        recipient_party_id=dealer.id,
        reference="consignment C-77",
        **a,
    )

    service.change_status(
        rifle.id,
        status="stolen",
        on="2026-11-20",
        police_report="APD-2026-0533",
        discovered_at="2026-11-20T07:45:00+00:00",
        atf_incident="T-2026-118842",
        note="display case forced overnight; discovered at opening",
        **a,
    )

    coach = service.register_item(
        kind="vehicle", scheme="vin", serial="1M8GDM9AXKP042788", on="2026-11-01", model="MC-9", **a
    )
    service.acquire(coach.id, on="2026-11-02", source_party_id=motors.id, recipient_party_id=dealer.id, **a)
    service.transfer(coach.id, on="2026-11-09", to_party_id=fleet.id, **a)

    phone = service.register_item(
        kind="goods",
        scheme="imei",
        serial="49-015420-323751-8",
        on="2026-11-04",
        description="Handset, demo model",
        **a,
    )
    service.acquire(phone.id, on="2026-11-04", source_party_id=fleet.id, recipient_party_id=dealer.id, **a)
    service.change_status(
        phone.id,
        status="stolen",
        on="2026-11-12",
        police_report="APD-2026-0412",
        discovered_at="2026-11-12T08:30:00+00:00",
        **a,
    )
    service.change_status(phone.id, status="recovered", on="2026-11-16", note="returned by Austin police", **a)

    pump = service.register_item(
        kind="goods",
        scheme="gs1",
        serial="(01)09506000134352(17)271231(10)LOT-7(21)PX-1042",
        on="2026-11-05",
        description="Infusion pump (UDI)",
        **a,
    )
    service.acquire(pump.id, on="2026-11-05", source_party_id=fleet.id, recipient_party_id=dealer.id, **a)
    return True


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
