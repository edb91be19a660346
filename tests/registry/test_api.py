"""Ledger HTTP API: checkpoint, entries, proofs that verify, and problem+json for bad parameters."""

from __future__ import annotations

import base64

import pytest

from audit import checkpoint, merkle
from registry.ledger.runtime import log_key
from tests.registry.helpers import append_single_events


def unb64(values):
    return [base64.b64decode(v) for v in values]


@pytest.fixture
def filled(client, ctx, clock):  # the signed-in account comes first, then 20 events
    append_single_events(20, clock)
    return ctx


def test_checkpoint_is_public_plain_text_signed_by_the_log_key(filled, client):
    response = client.get("/checkpoint")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    opened = checkpoint.open_checkpoint(response.get_data(as_text=True), [log_key().vkey])
    assert opened.size == 22


def test_entry_gives_the_exact_hashed_bytes(filled, client):
    body = client.get("/api/v1/ledger/entries/4").get_json()
    raw = base64.b64decode(body["body_base64"])
    assert merkle.leaf_hash(raw) == base64.b64decode(body["leaf_hash"])
    assert body["event"]["index"] == 4


def test_inclusion_proof_verifies_against_the_signed_checkpoint(filled, client):
    opened = checkpoint.open_checkpoint(client.get("/checkpoint").get_data(as_text=True), [log_key().vkey])
    for index in (0, 7, 20):
        body = client.get(f"/api/v1/ledger/proofs/inclusion?index={index}").get_json()
        assert body["size"] == 22
        merkle.verify_inclusion(base64.b64decode(body["leaf_hash"]), index, 22, unb64(body["proof"]), opened.root)


def test_inclusion_proof_at_an_older_size_carries_that_checkpoint(filled, client):
    body = client.get("/api/v1/ledger/proofs/inclusion?index=3&size=9").get_json()
    opened = checkpoint.open_checkpoint(body["checkpoint"], [log_key().vkey])
    assert opened.size == 9
    merkle.verify_inclusion(base64.b64decode(body["leaf_hash"]), 3, 9, unb64(body["proof"]), opened.root)


def test_consistency_proof_links_two_checkpoint_roots(filled, client):
    body = client.get("/api/v1/ledger/proofs/consistency?from=6&to=21").get_json()
    merkle.verify_consistency(
        6, 21, unb64(body["proof"]), base64.b64decode(body["root_from"]), base64.b64decode(body["root_to"])
    )


@pytest.mark.parametrize(
    "url, field",
    [
        ("/api/v1/ledger/proofs/inclusion", "index"),
        ("/api/v1/ledger/proofs/inclusion?index=x", "index"),
        ("/api/v1/ledger/proofs/inclusion?index=-1", "index"),
        ("/api/v1/ledger/proofs/inclusion?index=1&size=0", "size"),
        ("/api/v1/ledger/proofs/consistency?to=5", "from"),
        ("/api/v1/ledger/proofs/consistency?from=0", "from"),
        ("/api/v1/ledger/proofs/consistency?from=1&to=1e3", "to"),
        ("/api/v1/ledger/entries/abc", "index"),
    ],
    ids=[
        "missing",
        "not-a-number",
        "negative",
        "size-zero",
        "from-missing",
        "from-zero",
        "exponent",
        "entry-not-a-number",
    ],
)
def test_bad_parameters_answer_400_problem_json_naming_the_field(filled, client, url, field):
    response = client.get(url)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["code"] == "invalid_parameter" and problem["field"] == field
    assert problem["type"] == "urn:serial-ledger:problem:invalid_parameter" and problem["status"] == 400


@pytest.mark.parametrize(
    "url, field",
    [
        ("/api/v1/ledger/proofs/inclusion?index=5&size=99", "size"),
        ("/api/v1/ledger/proofs/inclusion?index=5&size=5", "index"),
        ("/api/v1/ledger/proofs/consistency?from=9&to=5", "from"),
    ],
    ids=["beyond-size", "index-not-below-size", "from-after-to"],
)
def test_sizes_the_ledger_does_not_have_answer_422_naming_the_field(filled, client, url, field):
    """Well-formed numbers the ledger cannot answer for: the document's schema allows them, the
    present state refuses them."""
    response = client.get(url)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert (response.get_json()["code"], response.get_json()["field"]) == ("out_of_range", field)


def test_unknown_entry_is_404_problem_json(filled, client):
    response = client.get("/api/v1/ledger/entries/999")
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"


def test_unknown_api_route_and_wrong_method_are_problem_json(filled, client):
    assert client.get("/api/v1/nothing").mimetype == "application/problem+json"
    response = client.post("/api/v1/ledger/entries/1")
    assert response.status_code == 405 and response.get_json()["code"] == "method_not_allowed"
