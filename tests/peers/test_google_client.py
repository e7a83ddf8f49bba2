"""The Google Wallet client against a local Google peer over real sockets."""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from google.auth import crypt, jwt

from chalicelib import ids
from chalicelib.domain.member import Member
from chalicelib.domain.program import Program
from chalicelib.wallet.google.callbacks import RootKeys, verify_callback
from chalicelib.wallet.google.client import (
    GoogleWalletError,
    LoggingClient,
    QuotaExceeded,
    WalletClient,
)
from chalicelib.wallet.google.objects import loyalty_class, loyalty_object
from localrun.devkeys import DEV_ISSUER_ID, generate_dev_service_account
from tests.peers.google_peer import GOOGLE_TOKEN_AUDIENCE, JWT_BEARER, WALLET_SCOPE, GooglePeer
from tests.peers.google_signing import (
    DAY_MS,
    callback_body,
    callback_message,
    new_key,
    now_ms,
    root_keys_document,
)

PROGRAM = {
    "name": "Coffee Card",
    "kind": "stamps",
    "stamps": {"required": 10, "reward": {"name": "Free coffee"}},
    "design": {"background_color": "#3C414C"},
}


def a_class(program_id: str | None = None) -> dict:
    return loyalty_class(
        DEV_ISSUER_ID,
        program_id or ids.new_id(),
        Program.model_validate(PROGRAM),
        "Café Blue",
        "https://loyalty.example/logo.png",
        "https://loyalty.example/google/callbacks",
    )


def an_object(class_body: dict, stamps: int = 3) -> dict:
    program_id = class_body["id"].split(".", 1)[1]
    member = Member(
        member_id=ids.new_id(),
        program_id=program_id,
        name="Ada Lovelace",
        card_number=None,
        stamps=stamps,
        points=0,
        tier=None,
        rewards=(),
    )
    return loyalty_object(DEV_ISSUER_ID, member, "QR-" + member.member_id, 10)


def calls(peer: GooglePeer) -> list[tuple[str, str, int]]:
    return [
        (r.method, r.path.removeprefix("/walletobjects/v1/"), r.status) for r in peer.api_requests()
    ]


# -- what reaches Google -----------------------------------------------------------


def test_inserting_a_class_sends_exactly_its_fields(wallet_client, google_peer):
    body = a_class()

    wallet_client.insert_class(body)

    [request] = google_peer.api_requests()
    assert (request.method, request.path) == ("POST", "/walletobjects/v1/loyaltyClass")
    assert request.body == body
    assert request.headers["content-type"] == "application/json"
    assert google_peer.classes[body["id"]]["programName"] == "Coffee Card"


def test_patching_a_class_sends_a_patch_of_the_given_fields(wallet_client, google_peer):
    body = a_class()
    wallet_client.insert_class(body)

    wallet_client.patch_class(body["id"], {"programName": "Coffee Club"})

    assert calls(google_peer)[-1] == ("PATCH", f"loyaltyClass/{body['id']}", 200)
    assert google_peer.api_requests()[-1].body == {"programName": "Coffee Club"}
    assert google_peer.classes[body["id"]]["programName"] == "Coffee Club"
    assert google_peer.classes[body["id"]]["issuerName"] == "Café Blue"


def test_patching_a_class_google_does_not_know_inserts_it(wallet_client, google_peer):
    body = a_class()

    wallet_client.patch_class(body["id"], body)

    assert calls(google_peer) == [
        ("PATCH", f"loyaltyClass/{body['id']}", 404),
        ("POST", "loyaltyClass", 200),
    ]
    assert google_peer.api_requests()[-1].body == body


def test_inserting_a_class_twice_patches_it_the_second_time(wallet_client, google_peer):
    body = a_class()
    wallet_client.insert_class(body)

    wallet_client.insert_class(body)

    assert [c[0] for c in calls(google_peer)] == ["POST", "POST", "PATCH"]


def test_an_object_is_inserted_patched_and_read_back(wallet_client, google_peer):
    class_body = a_class()
    wallet_client.insert_class(class_body)
    body = an_object(class_body, stamps=3)

    wallet_client.insert_object(body)
    changed = {**body, "loyaltyPoints": {"label": "Stamps", "balance": {"string": "4 / 10"}}}
    wallet_client.patch_object(body["id"], changed)
    stored = wallet_client.get_object(body["id"])

    requests_seen = google_peer.api_requests()
    assert requests_seen[1].body == body
    assert (requests_seen[2].method, requests_seen[2].body) == ("PATCH", changed)
    assert stored["loyaltyPoints"]["balance"] == {"string": "4 / 10"}
    assert stored["barcode"] == body["barcode"]


def test_the_client_never_sends_put(wallet_client, google_peer):
    class_body = a_class()
    body = an_object(class_body)

    wallet_client.patch_class(class_body["id"], class_body)
    wallet_client.patch_object(body["id"], body)
    wallet_client.patch_object(body["id"], body)

    assert {r.method for r in google_peer.api_requests()} == {"PATCH", "POST"}


def test_patching_an_object_google_does_not_know_inserts_it(wallet_client, google_peer):
    class_body = a_class()
    wallet_client.insert_class(class_body)
    body = an_object(class_body)

    wallet_client.patch_object(body["id"], body)

    assert calls(google_peer)[1:] == [
        ("PATCH", f"loyaltyObject/{body['id']}", 404),
        ("POST", "loyaltyObject", 200),
    ]
    assert google_peer.objects[body["id"]]["accountName"] == "Ada Lovelace"


def test_inserting_an_object_that_exists_patches_it(wallet_client, google_peer):
    class_body = a_class()
    wallet_client.insert_class(class_body)
    body = an_object(class_body)
    wallet_client.insert_object(body)

    wallet_client.insert_object({**body, "state": "INACTIVE"})

    assert calls(google_peer)[2:] == [
        ("POST", "loyaltyObject", 409),
        ("PATCH", f"loyaltyObject/{body['id']}", 200),
    ]
    assert google_peer.objects[body["id"]]["state"] == "INACTIVE"


def test_an_erased_member_patch_clears_the_name_at_google(wallet_client, google_peer):
    class_body = a_class()
    wallet_client.insert_class(class_body)
    body = an_object(class_body)
    wallet_client.insert_object(body)
    program_id = class_body["id"].split(".", 1)[1]
    erased = loyalty_object(
        DEV_ISSUER_ID,
        Member(
            member_id=body["accountId"],
            program_id=program_id,
            name=None,
            card_number=None,
            stamps=0,
            points=0,
            tier=None,
            rewards=(),
            erased=True,
        ),
        "QR",
        10,
    )

    wallet_client.patch_object(body["id"], erased)

    assert google_peer.objects[body["id"]]["state"] == "INACTIVE"
    assert "accountName" not in google_peer.objects[body["id"]]


def test_getting_an_object_google_does_not_know_is_none(wallet_client, google_peer):
    assert wallet_client.get_object(f"{DEV_ISSUER_ID}.{ids.new_id()}") is None


def test_a_request_google_refuses_is_not_retried(wallet_client, google_peer):
    with pytest.raises(GoogleWalletError) as refused:
        wallet_client.insert_object({"id": "no-issuer", "classId": "x"})

    assert refused.value.status == 400
    assert len(google_peer.api_requests()) == 1


# -- tokens ------------------------------------------------------------------------


def test_tokens_come_from_the_key_files_token_uri_and_are_reused(wallet_client, google_peer):
    body = a_class()

    wallet_client.insert_class(body)
    wallet_client.patch_class(body["id"], {"programName": "Coffee Club"})
    wallet_client.get_object(f"{DEV_ISSUER_ID}.missing")

    [token_request] = google_peer.token_requests()
    assert token_request.body["grant_type"] == JWT_BEARER
    assertion = jwt.decode(token_request.body["assertion"], verify=False)
    assert assertion["iss"] == google_peer.service_account_info["client_email"]
    assert assertion["aud"] == GOOGLE_TOKEN_AUDIENCE
    assert assertion["scope"] == WALLET_SCOPE
    bearers = {r.headers["authorization"] for r in google_peer.api_requests()}
    assert len(bearers) == 1
    assert bearers.pop().startswith("Bearer ya29.peer-")


def test_a_stale_token_is_refreshed_once_on_a_401(wallet_client, google_peer):
    body = a_class()
    wallet_client.insert_class(body)
    google_peer.revoke_tokens()

    wallet_client.patch_class(body["id"], {"programName": "Coffee Club"})

    assert len(google_peer.token_requests()) == 2
    assert calls(google_peer)[1:] == [
        ("PATCH", f"loyaltyClass/{body['id']}", 401),
        ("PATCH", f"loyaltyClass/{body['id']}", 200),
    ]
    first, second = google_peer.api_requests()[1:]
    assert first.headers["authorization"] != second.headers["authorization"]


def test_a_401_with_a_fresh_token_is_not_refreshed_again(wallet_client, google_peer):
    wallet_client.insert_class(a_class())
    google_peer.refuse_tokens()

    with pytest.raises(GoogleWalletError) as refused:
        wallet_client.insert_class(a_class())

    assert refused.value.status == 401
    assert len(google_peer.token_requests()) == 2
    assert [status for _, _, status in calls(google_peer)[1:]] == [401, 401]


def test_a_key_google_does_not_know_gets_no_token(google_peer, tmp_path: Path):
    stranger = tmp_path / "stranger.json"
    generate_dev_service_account(stranger, google_peer.token_url)
    client = WalletClient.from_service_account_file(google_peer.api_url, str(stranger))

    with pytest.raises(GoogleWalletError) as refused:
        client.insert_class(a_class())

    assert refused.value.status == 401
    assert google_peer.api_requests() == []
    client.close()


def test_the_peer_refuses_an_assertion_for_another_audience(google_peer):
    info = google_peer.service_account_info
    now = int(time.time())
    assertion = jwt.encode(
        crypt.RSASigner.from_service_account_info(info),
        {
            "iss": info["client_email"],
            "aud": "https://elsewhere.example/token",
            "scope": WALLET_SCOPE,
            "iat": now,
            "exp": now + 3600,
        },
    )

    response = requests.post(
        google_peer.token_url,
        data={"grant_type": JWT_BEARER, "assertion": assertion},
        timeout=5,
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


# -- retries -----------------------------------------------------------------------


def test_429_then_success_is_retried(wallet_client, google_peer):
    google_peer.fail_next(2, 429)

    wallet_client.insert_class(a_class())

    assert [status for _, _, status in calls(google_peer)] == [429, 429, 200]


def test_500s_then_success_are_retried(wallet_client, google_peer):
    google_peer.fail_next(3, 500)

    assert wallet_client.get_object(f"{DEV_ISSUER_ID}.missing") is None

    assert [status for _, _, status in calls(google_peer)] == [500, 500, 500, 404]


def test_a_dropped_connection_is_retried(wallet_client, google_peer):
    google_peer.fail_next(1, 0)

    wallet_client.insert_class(a_class())

    assert [status for _, _, status in calls(google_peer)] == [0, 200]


def test_retries_back_off_exponentially_with_jitter(wallet_client, google_peer):
    delays: list[float] = []
    wallet_client._sleep = delays.append
    wallet_client.backoff_base = 0.1
    google_peer.fail_next(5, 503)

    wallet_client.insert_class(a_class())

    assert len(google_peer.api_requests()) == 6
    assert len(delays) == 5
    for attempt, delay in enumerate(delays):
        assert 0 <= delay <= 0.1 * 2**attempt


def test_retry_after_is_honoured(wallet_client, google_peer):
    google_peer.fail_next(1, 429, retry_after="1")

    wallet_client.insert_class(a_class())

    first, second = google_peer.api_requests()
    assert second.at - first.at >= 0.95


def test_the_client_gives_up_after_max_attempts(google_peer):
    client = WalletClient.from_service_account_file(
        google_peer.api_url, str(google_peer.service_account_file), max_attempts=3
    )
    client.backoff_base = 0.005
    google_peer.fail_next(10, 503)

    with pytest.raises(GoogleWalletError) as gave_up:
        client.insert_class(a_class())

    assert gave_up.value.status == 503
    assert gave_up.value.body["error"]["code"] == 503
    assert len(google_peer.api_requests()) == 3
    client.close()


def test_random_faults_are_ridden_out(wallet_client, google_peer):
    class_body = a_class()
    wallet_client.insert_class(class_body)
    google_peer.fail_ratio(0.3, 500)

    for stamps in range(15):
        body = an_object(class_body, stamps)
        wallet_client.patch_object(body["id"], body)

    google_peer.fail_ratio(0, 500)
    statuses = [status for _, _, status in calls(google_peer)]
    assert 500 in statuses
    assert len(google_peer.objects) == 15


# -- rate ------------------------------------------------------------------------


def test_a_burst_from_eight_threads_stays_within_20_requests_per_second(wallet_client, google_peer):
    class_body = a_class()
    wallet_client.insert_class(class_body)
    body = an_object(class_body)
    wallet_client.insert_object(body)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: wallet_client.get_object(body["id"]), range(60)))

    assert all(result["id"] == body["id"] for result in results)
    assert len(google_peer.api_requests()) == 62
    assert google_peer.max_requests_in_window(1.0) <= 21


# -- messages --------------------------------------------------------------------


def test_a_fourth_notification_in_a_day_raises_quota_exceeded(wallet_client, google_peer):
    class_body = a_class()
    wallet_client.insert_class(class_body)
    body = an_object(class_body)
    wallet_client.insert_object(body)
    notice = {"header": "A reward!", "body": "Free coffee", "messageType": "TEXT_AND_NOTIFY"}

    for _ in range(3):
        wallet_client.add_message(body["id"], notice)
    with pytest.raises(QuotaExceeded) as refused:
        wallet_client.add_message(body["id"], notice)

    assert refused.value.status == 403
    assert refused.value.body["error"]["errors"][0]["reason"] == "quotaExceeded"
    last = google_peer.api_requests()[-1]
    assert (last.method, last.path) == (
        "POST",
        f"/walletobjects/v1/loyaltyObject/{body['id']}/addMessage",
    )
    assert last.body == {"message": notice}
    # Refused at once: the limit lifts in hours, so the client does not retry.
    assert [status for _, _, status in calls(google_peer)][-2:] == [200, 403]


def test_a_silent_message_is_not_counted_against_the_notifications(wallet_client, google_peer):
    class_body = a_class()
    wallet_client.insert_class(class_body)
    body = an_object(class_body)
    wallet_client.insert_object(body)
    notice = {"header": "h", "body": "b", "messageType": "TEXT_AND_NOTIFY"}
    for _ in range(3):
        wallet_client.add_message(body["id"], notice)

    answer = wallet_client.add_message(
        body["id"], {"header": "h", "body": "b", "messageType": "TEXT"}
    )

    assert len(answer["resource"]["messages"]) == 4


def test_notifications_are_allowed_again_after_24_hours(wallet_client, google_peer):
    class_body = a_class()
    wallet_client.insert_class(class_body)
    body = an_object(class_body)
    wallet_client.insert_object(body)
    notice = {"header": "h", "body": "b", "messageType": "TEXT_AND_NOTIFY"}
    start = time.time()
    google_peer.clock = lambda: start
    for _ in range(3):
        wallet_client.add_message(body["id"], notice)

    google_peer.clock = lambda: start + 24 * 3600
    wallet_client.add_message(body["id"], notice)

    assert len(google_peer.objects[body["id"]]["messages"]) == 4


# -- the local run's stand-in ------------------------------------------------------


def test_the_logging_client_logs_one_line_per_call_and_returns_the_body(caplog):
    client = LoggingClient()
    body = a_class()

    with caplog.at_level(logging.INFO, logger="chalicelib.wallet.google.client"):
        answer = client.patch_class(body["id"], body)
        missing = client.get_object(f"{DEV_ISSUER_ID}.x")
        sent = client.add_message(f"{DEV_ISSUER_ID}.x", {"header": "h", "body": "b"})

    assert answer == body
    assert missing is None
    assert sent == {"message": {"header": "h", "body": "b"}}
    first = caplog.records[0].getMessage()
    assert f"PATCH loyaltyClass/{body['id']}" in first
    assert json.loads(first.split(" ", 6)[6]) == body
    assert len(caplog.records) == 3


# -- callbacks' root keys over HTTP ----------------------------------------------


def test_callbacks_verify_with_root_keys_fetched_from_the_peer(google_peer):
    root, intermediate = new_key(), new_key()
    google_peer.set_root_keys(root_keys_document((root, now_ms() + DAY_MS)))
    keys = RootKeys(google_peer.keys_url)

    message = verify_callback(
        callback_body(root, intermediate, DEV_ISSUER_ID, callback_message("del")),
        DEV_ISSUER_ID,
        keys,
    )

    assert message["eventType"] == "del"
    assert len(google_peer.key_requests()) == 1
