"""Google Wallet end to end: the save link, the class and object at a Google peer, callbacks."""

from __future__ import annotations

import json
import os
import uuid
from datetime import timedelta

import pytest
from google.auth import jwt as google_jwt

from chalicelib import clock
from chalicelib.domain import card_number
from chalicelib.services import delivery, google_wallet
from tests.e2e.helpers import STAMP_CARD, create_program, enrol, stamp
from tests.peers.conftest import google_peer  # noqa: F401 - the fixture
from tests.peers.google_signing import (
    DAY_MS,
    callback_body,
    callback_message,
    new_key,
    now_ms,
    root_keys_document,
)

ISSUER = "3388000000000000001"
SMALL_CARD = {**STAMP_CARD, "stamps": {"required": 2, "reward": {"name": "Free coffee"}}}


@pytest.fixture
def google(google_peer, new_root):  # noqa: F811 - the imported fixture
    """The service pointed at the Google peer, as a deployed stage is at Google."""
    new_root(
        GOOGLE_WALLET_API_URL=google_peer.api_url,
        GOOGLE_SERVICE_ACCOUNT_FILE=str(google_peer.service_account_file),
        GOOGLE_KEYS_URL=google_peer.keys_url,
    )
    google_wallet.client().backoff_base = 0.005  # milliseconds of backoff, not seconds
    return google_peer


def deliver_all() -> dict:
    """Run the sweeper past the coalescing window, as the worker would a moment later."""
    totals: dict[str, int] = {}
    for _ in range(3):
        for outcome, n in delivery.sweep(now=clock.now() + timedelta(seconds=5)).items():
            totals[outcome] = totals.get(outcome, 0) + n
    return totals


def test_enrolment_returns_a_save_link_that_verifies(client, merchant):
    program = create_program(client, merchant)
    member = enrol(client, program["program_id"])
    url = member["passes"]["google_save_url"]
    account = json.load(open(os.environ["GOOGLE_SERVICE_ACCOUNT_FILE"]))  # noqa: SIM115
    from cryptography.hazmat.primitives import serialization

    public = (
        serialization.load_pem_private_key(account["private_key"].encode(), password=None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )

    claims = google_jwt.decode(url.rsplit("/", 1)[1], certs=public, audience="google")

    assert url.startswith("https://pay.google.com/gp/v/save/")
    assert len(url) < 1800
    assert claims["iss"] == account["client_email"]
    assert claims["typ"] == "savetowallet"
    assert claims["payload"]["loyaltyObjects"] == [{"id": f"{ISSUER}.{member['member_id']}"}]


def test_the_class_and_the_object_reach_google_with_the_balance(client, merchant, google):
    program = create_program(client, merchant)
    member = enrol(client, program["program_id"])
    stamp(client, merchant, member["member_id"], count=7)

    outcomes = deliver_all()

    assert outcomes.get("delivered", 0) >= 2
    stored_class = google.classes[f"{ISSUER}.{program['program_id']}"]
    assert stored_class["programName"] == "Coffee card"
    assert stored_class["callbackOptions"]["url"].endswith("/google/callbacks")
    stored = google.objects[f"{ISSUER}.{member['member_id']}"]
    assert stored["state"] == "ACTIVE"
    assert stored["accountName"] == "Ada"
    assert stored["loyaltyPoints"]["balance"]["string"] == "7 / 10"
    assert stored["barcode"]["value"] == member["barcode"]
    assert not [r for r in google.api_requests() if r.method == "PUT"]


def test_the_object_at_google_shows_the_card_number_under_the_qr_code(client, merchant, google):
    program = create_program(client, merchant)
    member = enrol(client, program["program_id"])

    deliver_all()

    stored = google.objects[f"{ISSUER}.{member['member_id']}"]
    assert stored["barcode"]["value"] == member["barcode"]
    assert stored["barcode"]["alternateText"] == card_number.display(member["card_number"])


def test_a_burst_of_stamps_is_one_update_at_google(client, merchant, google):
    program = create_program(client, merchant)
    member = enrol(client, program["program_id"])
    deliver_all()
    before = len([r for r in google.api_requests() if member["member_id"] in r.path])

    for _ in range(5):
        stamp(client, merchant, member["member_id"], count=1)
    deliver_all()

    after = [r for r in google.api_requests() if member["member_id"] in r.path]
    assert len(after) - before == 1
    assert (
        google.objects[f"{ISSUER}.{member['member_id']}"]["loyaltyPoints"]["balance"]["string"]
        == "5 / 10"
    )


def test_google_down_loses_nothing(client, merchant, google):
    program = create_program(client, merchant)
    member = enrol(client, program["program_id"])
    google.fail_ratio(1.0, 503)

    first = deliver_all()
    google.fail_ratio(0.0, 503)
    later = clock.now() + timedelta(hours=2)
    delivery.sweep(now=later)
    delivery.sweep(now=later)

    assert first.get("retry", 0) >= 1
    assert f"{ISSUER}.{member['member_id']}" in google.objects


def test_reward_notices_stop_at_three_a_day(client, merchant, google):
    program = create_program(client, merchant, SMALL_CARD)
    member = enrol(client, program["program_id"])
    deliver_all()

    for _ in range(4):
        stamp(client, merchant, member["member_id"], count=2)
        deliver_all()

    messages = [r for r in google.api_requests() if r.path.endswith("/addMessage")]
    assert len(messages) == 3
    assert all(r.body["message"]["messageType"] == "TEXT_AND_NOTIFY" for r in messages)


def test_an_erased_member_is_inactive_at_google_without_a_name(client, merchant, google):
    program = create_program(client, merchant)
    member = enrol(client, program["program_id"])
    deliver_all()

    client.delete(f"/v1/members/{member['member_id']}", headers=merchant.auth("owner"))
    deliver_all()

    stored = google.objects[f"{ISSUER}.{member['member_id']}"]
    assert stored["state"] == "INACTIVE"
    assert not stored.get("accountName")


def _signed_callback(google, member_id, event="save", recipient=ISSUER, **message):
    """A callback as Google signs it: one root key per peer, as Google keeps its keys."""
    if not hasattr(google, "signing_keys"):
        google.signing_keys = (new_key(), new_key())
        google.set_root_keys(root_keys_document((google.signing_keys[0], now_ms() + DAY_MS)))
    root, intermediate = google.signing_keys
    body = callback_message(event, object_id=f"{ISSUER}.{member_id}", **message)
    return callback_body(root, intermediate, recipient, body)


def _saved(member_id: str) -> bool:
    from chalicelib.store.models import MemberItem

    return bool(MemberItem.get(member_id, consistent_read=True).google_saved)


def test_a_signed_save_callback_records_the_pass(client, merchant, google):
    program = create_program(client, merchant)
    member_id = enrol(client, program["program_id"])["member_id"]

    saved = client.post("/google/callbacks", content=_signed_callback(google, member_id))
    deleted = client.post("/google/callbacks", content=_signed_callback(google, member_id, "del"))

    assert saved.status_code == 200
    assert deleted.status_code == 200
    assert _saved(member_id) is False


def test_forged_callbacks_are_refused(client, merchant, google):
    program = create_program(client, merchant)
    member_id = enrol(client, program["program_id"])["member_id"]
    genuine = json.loads(_signed_callback(google, member_id))
    tampered = {**genuine, "signedMessage": genuine["signedMessage"].replace("save", "del")}

    responses = [
        client.post("/google/callbacks", content=json.dumps(tampered).encode()),
        client.post(
            "/google/callbacks", content=_signed_callback(google, member_id, recipient="999")
        ),
        client.post(
            "/google/callbacks",
            content=_signed_callback(google, member_id, expires_ms=now_ms() - 1000),
        ),
        client.post("/google/callbacks", content=b"not json"),
    ]

    assert [r.status_code for r in responses] == [401, 401, 401, 401]
    assert _saved(member_id) is False


def test_a_replayed_callback_counts_once(client, merchant, google):
    program = create_program(client, merchant)
    member_id = enrol(client, program["program_id"])["member_id"]
    nonce = str(uuid.uuid4())
    save = _signed_callback(google, member_id, nonce=nonce)
    client.post("/google/callbacks", content=save)
    client.post("/google/callbacks", content=_signed_callback(google, member_id, "del"))

    replay = client.post("/google/callbacks", content=save)

    assert replay.status_code == 200
    assert _saved(member_id) is False
