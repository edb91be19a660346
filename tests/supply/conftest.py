"""Supply fixtures: the service of the test's app, its factory, and the ledger's size."""
from __future__ import annotations

import pytest

from registry.ledger.runtime import reader
from registry.supply.runtime import supply
from tests.supply.factories import SupplyFactory


@pytest.fixture
def service(ctx):
    return supply()


@pytest.fixture
def make(service):
    return SupplyFactory(service)


@pytest.fixture
def size(ctx):
    """The ledger's size now: a refused request must leave it unchanged."""
    return lambda: reader().size()
