"""The custody service bound to the current app."""
from __future__ import annotations

from registry.custody.service import CustodyService
from registry.extensions import db
from registry.ledger.runtime import ledger, reader


def custody(*, writing: bool = True) -> CustodyService:
    return CustodyService(db.session(), ledger() if writing else reader())
