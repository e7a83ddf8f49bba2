"""The operator's create_merchant Lambda: the deployed stage's `make merchant`."""

from __future__ import annotations

import uuid

from chalice.test import Client


def _invoke(payload: dict) -> dict:
    from app import app

    with Client(app, stage_name="local") as lambdas:
        return lambdas.lambda_.invoke("create_merchant", payload).payload


def test_the_new_owner_signs_in_with_the_password_the_lambda_answers(client, dynamodb_url):
    email = f"owner-{uuid.uuid4().hex[:10]}@example.com"
    made = _invoke({"name": "Café Blue", "owner_email": email, "timezone": "Europe/Lisbon"})

    login = client.post("/v1/auth/login", json={"email": email, "password": made["password"]})
    assert login.status_code == 200, login.text
    staff = login.json()["staff"]
    assert staff["merchant_id"] == made["merchant_id"]
    assert staff["role"] == "owner"


def test_bad_input_is_an_error_answer_and_creates_nobody(client, dynamodb_url):
    email = f"owner-{uuid.uuid4().hex[:10]}@example.com"
    for payload in (
        {"name": "", "owner_email": email},
        {"name": "Café", "owner_email": "not-an-address"},
        {"name": "Café", "owner_email": email, "timezone": "Mars/Olympus"},
        {"name": "Café", "owner_email": email, "role": "owner"},
    ):
        answer = _invoke(payload)
        assert "merchant_id" not in answer
        assert answer["error"]["code"] == "invalid", answer
    # The address is still free: none of the refused calls claimed it.
    made = _invoke({"name": "Café", "owner_email": email})
    assert made["owner_email"] == email


def test_an_owner_of_two_cafes_gets_an_account_at_each(client, dynamodb_url):
    # Staff emails are unique per merchant: the same owner may run a second café.
    email = f"owner-{uuid.uuid4().hex[:10]}@example.com"
    first = _invoke({"name": "First", "owner_email": email})
    second = _invoke({"name": "Second", "owner_email": email})

    signed_in = [
        client.post("/v1/auth/login", json={"email": email, "password": made["password"]})
        for made in (first, second)
    ]

    assert first["merchant_id"] != second["merchant_id"]
    assert [s.json()["staff"]["merchant_id"] for s in signed_in] == [
        first["merchant_id"],
        second["merchant_id"],
    ]
