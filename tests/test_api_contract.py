"""Schemathesis against every operation of the OpenAPI document, for each role, on each engine:
inputs generated from the document (valid and invalid), every check schemathesis has (no server
error, status codes, content types, answers matching their schemas, invalid input refused, ...),
zero failures allowed. A fixed seed keeps a run reproducible."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from registry import create_app, jobs
from tests.conftest import ENGINES, issue_token, make_account, module_database, module_registry

pytestmark = pytest.mark.slow  # hundreds of generated requests per operation
ROLES = ("officer", "auditor", "regulator", "admin")
EXAMPLES = 20


@pytest.fixture(scope="module", params=ENGINES)
def contract_app(request, tmp_path_factory):
    """One registry per engine for the whole module (the operations share it)."""
    folder = tmp_path_factory.mktemp("contract")
    with module_database(request.param, folder) as url:
        made = module_registry(url, folder, demo=False)
        app = next(made)
        app.tokens = {role: issue_token(app, make_account(app, role)) for role in ROLES}
        yield app
        jobs.wait_for_threads()  # a report or import requested by a generated case may still be running
        next(made, None)


def _document() -> dict:
    """The document as the registry serves it (building it needs no database)."""
    import tempfile

    from registry.openapi import build

    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "REGISTRY_INSTANCE": folder})
        with app.app_context():
            return build(app)


# A schema-valid request may still be refused by a rule of the registry (a date in the future, a
# party that does not exist): that is 422, which the document declares on every operation that takes
# input. 400 stays an error for valid data: it means the document promised more than the server takes.
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
            }
        }
    }
)
SCHEMA = schemathesis.openapi.from_dict(_document(), config=CONFIG)
schemathesis.serializer.alias("application/pdf", "application/octet-stream")  # a report sent to be verified
OPERATIONS = sorted(result.ok().label for result in SCHEMA.get_all_operations())


@pytest.mark.parametrize("label", OPERATIONS)
def test_every_operation_keeps_its_contract(contract_app, label):
    """Requests generated from the operation's declaration, valid ones and invalid ones, each sent
    once per role: what one role may do and another may not is part of the contract too (401 and 403
    are declared problems)."""
    SCHEMA.app = contract_app  # every request of every check goes to this engine's registry
    operation = SCHEMA.find_operation_by_label(label)
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
    )
    def keeps_its_contract(case):
        for role in ROLES:
            case.call_and_validate(app=contract_app, headers={"Authorization": f"Bearer {contract_app.tokens[role]}"})

    keeps_its_contract()
