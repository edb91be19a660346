"""Supply fixtures: the service of the test's app, its factory, the ledger's size and the refusal check."""

from __future__ import annotations

import pytest

from registry.errors import RegistryError
from registry.ledger.runtime import reader
from registry.supply.runtime import supply
from tests.supply.factories import SupplyFactory, refusal


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


@pytest.fixture
def refused(size):
    """refused("code", action): the action raises a registry error (its domain's, or a field's) with
    that code and appends nothing."""
    return refusal(size, RegistryError)
