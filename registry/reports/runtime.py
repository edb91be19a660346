"""The report service of the running app: its signing certificate, store and renderer."""

from __future__ import annotations

import os
from pathlib import Path

from flask import current_app, render_template

from certificates.devpki import PASSWORD_FILE
from registry.extensions import db
from registry.ledger.runtime import ledger, log_key
from registry.reads import Reads
from registry.reports import queries
from registry.reports.pades import SigningError, SigningSetup
from registry.reports.service import Renderer, ReportService
from registry.reports.store import ReportStore
from registry.reports.verification import trust_roots

reads = Reads(queries)


def signing_setup() -> SigningSetup:
    """The PKCS#12 and its password: REPORT_SIGNING_PASSWORD, else the one `init` kept beside the
    development certificate it made."""
    p12 = Path(current_app.config["REPORT_SIGNING_P12"])
    password = os.environ.get("REPORT_SIGNING_PASSWORD", "").encode()
    if not password:
        try:
            password = (p12.parent / PASSWORD_FILE).read_text().strip().encode()
        except FileNotFoundError:
            raise SigningError("REPORT_SIGNING_PASSWORD is not set for the report signing certificate") from None
    return SigningSetup(
        p12_path=p12,
        password=password,
        tsa_url=current_app.config["REPORT_TSA_URL"],
        location=current_app.config["REPORT_ORGANISATION"],
        trust_pem=tuple(trust_roots()),
    )


def store() -> ReportStore:
    return ReportStore(Path(current_app.config["REPORTS_DIR"]))


def reports() -> ReportService:
    from registry.ledger.runtime import witness_policy_or_problem

    key = log_key()
    return ReportService(
        db.session(),
        ledger(),
        signing=signing_setup(),
        store=store(),
        origin=key.origin,
        vkey=key.vkey,
        organisation=current_app.config["REPORT_ORGANISATION"],
        renderer=Renderer(
            render_template=render_template,
            workers=current_app.config["REPORT_WORKERS"],
            part_rows=current_app.config["REPORT_PART_ROWS"],
        ),
        witness_policy=witness_policy_or_problem()[0],
    )
