"""Google Wallet's save and delete callbacks: ECv2SigningOnly signatures and expiry times."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.wallet.google.callbacks import (
    CallbackRejected,
    RootKeys,
    signed_bytes,
    verify_callback,
)
from tests.peers.google_signing import (
    DAY_MS,
    callback_body,
    callback_message,
    new_key,
    now_ms,
    root_keys_document,
)

ISSUER = "3388000000000000001"


class FakeKeysUrl:
    """Serves a root keys document and counts the fetches."""

    def __init__(self, document: bytes) -> None:
        self.document = document
        self.fetches = 0

    def __call__(self, url: str) -> bytes:
        self.fetches += 1
        return self.document


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def root():
    return new_key()


@pytest.fixture
def intermediate():
    return new_key()


@pytest.fixture
def keys_url(root):
    return FakeKeysUrl(root_keys_document((root, now_ms() + 7 * DAY_MS)))


@pytest.fixture
def root_keys(keys_url):
    return RootKeys("https://keys.example/issuer/keys", fetch=keys_url)


def test_a_valid_callback_returns_its_message(root, intermediate, root_keys):
    message = callback_message("save")
    body = callback_body(root, intermediate, ISSUER, message)

    verified = verify_callback(body, ISSUER, root_keys)

    assert verified == message


def test_a_delete_callback_is_accepted_too(root, intermediate, root_keys):
    message = callback_message("del")

    verified = verify_callback(
        callback_body(root, intermediate, ISSUER, message), ISSUER, root_keys
    )

    assert verified["eventType"] == "del"


def test_a_tampered_signed_message_is_rejected(root, intermediate, root_keys):
    token = json.loads(callback_body(root, intermediate, ISSUER, callback_message("save")))
    token["signedMessage"] = token["signedMessage"].replace('"save"', '"del"')

    with pytest.raises(CallbackRejected, match="message signature"):
        verify_callback(json.dumps(token).encode(), ISSUER, root_keys)


def test_a_tampered_intermediate_key_is_rejected(root, intermediate, root_keys):
    # An attacker's key in place of Google's intermediate, keeping Google's root signature.
    attacker = new_key()
    genuine = json.loads(callback_body(root, intermediate, ISSUER, callback_message()))
    forged = json.loads(callback_body(new_key(), attacker, ISSUER, callback_message()))
    forged["intermediateSigningKey"]["signatures"] = genuine["intermediateSigningKey"]["signatures"]

    with pytest.raises(CallbackRejected, match="intermediate key is not signed"):
        verify_callback(json.dumps(forged).encode(), ISSUER, root_keys)


def test_an_extended_intermediate_key_expiry_is_rejected(root, intermediate, root_keys):
    token = json.loads(callback_body(root, intermediate, ISSUER, callback_message()))
    signed_key = json.loads(token["intermediateSigningKey"]["signedKey"])
    signed_key["keyExpiration"] = str(int(signed_key["keyExpiration"]) + 365 * DAY_MS)
    token["intermediateSigningKey"]["signedKey"] = json.dumps(signed_key)

    with pytest.raises(CallbackRejected):
        verify_callback(json.dumps(token).encode(), ISSUER, root_keys)


def test_a_message_for_another_issuer_is_rejected(root, intermediate, root_keys):
    body = callback_body(root, intermediate, "3388000000000000999", callback_message())

    with pytest.raises(CallbackRejected, match="recipient"):
        verify_callback(body, ISSUER, root_keys)


def test_an_expired_message_is_rejected(root, intermediate, root_keys):
    message = callback_message(expires_ms=now_ms() - 1)

    with pytest.raises(CallbackRejected, match="message has expired"):
        verify_callback(callback_body(root, intermediate, ISSUER, message), ISSUER, root_keys)


def test_an_expired_intermediate_key_is_rejected(root, intermediate, root_keys):
    body = callback_body(
        root, intermediate, ISSUER, callback_message(), intermediate_expires_ms=now_ms() - 1
    )

    with pytest.raises(CallbackRejected, match="intermediate key has expired"):
        verify_callback(body, ISSUER, root_keys)


def test_a_callback_signed_under_an_unknown_root_key_is_rejected(intermediate, root_keys):
    body = callback_body(new_key(), intermediate, ISSUER, callback_message())

    with pytest.raises(CallbackRejected, match="not signed by a current root key"):
        verify_callback(body, ISSUER, root_keys)


def test_an_expired_root_key_no_longer_verifies(root, intermediate):
    keys = RootKeys("https://k", fetch=FakeKeysUrl(root_keys_document((root, now_ms() - 1))))

    with pytest.raises(CallbackRejected, match="root key"):
        verify_callback(callback_body(root, intermediate, ISSUER, callback_message()), ISSUER, keys)


def test_a_root_key_past_its_expiry_is_dropped_from_the_cache(root, intermediate):
    expires = now_ms() + 60_000
    keys = RootKeys("https://k", fetch=FakeKeysUrl(root_keys_document((root, expires))))
    body = callback_body(root, intermediate, ISSUER, callback_message(expires_ms=expires + 10**7))
    verify_callback(body, ISSUER, keys, now_ms=expires - 1)

    with pytest.raises(CallbackRejected, match="root key"):
        verify_callback(body, ISSUER, keys, now_ms=expires + 1)


def test_another_protocol_version_is_rejected(root, intermediate, root_keys):
    token = json.loads(callback_body(root, intermediate, ISSUER, callback_message()))
    token["protocolVersion"] = "ECv2"

    with pytest.raises(CallbackRejected, match="protocolVersion"):
        verify_callback(json.dumps(token).encode(), ISSUER, root_keys)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'{"protocolVersion": "ECv2SigningOnly"}',
        b"[" * 1000 + b"]" * 1000,
        b'{"protocolVersion": "ECv2SigningOnly", "signedMessage": "' + b"[" * 1000 + b'"}',
        b'{"protocolVersion": NaN}',
    ],
)
def test_a_malformed_body_is_rejected(body, root_keys):
    with pytest.raises(CallbackRejected):
        verify_callback(body, ISSUER, root_keys)


def test_an_unknown_event_type_is_rejected(root, intermediate, root_keys):
    body = callback_body(root, intermediate, ISSUER, callback_message(event_type="update"))

    with pytest.raises(CallbackRejected, match="eventType"):
        verify_callback(body, ISSUER, root_keys)


def test_root_keys_are_fetched_once_and_cached(root, intermediate, root_keys, keys_url):
    for _ in range(3):
        verify_callback(
            callback_body(root, intermediate, ISSUER, callback_message()), ISSUER, root_keys
        )

    assert keys_url.fetches == 1


def test_root_keys_are_refetched_after_the_ttl(root, intermediate, keys_url):
    clock = FakeClock()
    keys = RootKeys("https://k", fetch=keys_url, ttl_seconds=3600)
    keys.clock = clock
    body = callback_body(root, intermediate, ISSUER, callback_message())
    verify_callback(body, ISSUER, keys)

    clock.now += 3599
    verify_callback(body, ISSUER, keys)
    assert keys_url.fetches == 1
    clock.now += 2
    verify_callback(body, ISSUER, keys)
    assert keys_url.fetches == 2


def test_a_rotated_root_key_is_picked_up_by_refetching(root, intermediate, keys_url):
    clock = FakeClock()
    keys = RootKeys("https://k", fetch=keys_url)
    keys.clock = clock
    verify_callback(callback_body(root, intermediate, ISSUER, callback_message()), ISSUER, keys)
    rotated = new_key()
    keys_url.document = root_keys_document((rotated, now_ms() + DAY_MS))
    body = callback_body(rotated, intermediate, ISSUER, callback_message())

    clock.now += keys.min_refetch_seconds + 1
    verified = verify_callback(body, ISSUER, keys)

    assert verified["eventType"] == "save"
    assert keys_url.fetches == 2


def test_forged_callbacks_do_not_refetch_the_keys_every_time(root, intermediate, keys_url):
    keys = RootKeys("https://k", fetch=keys_url)
    verify_callback(callback_body(root, intermediate, ISSUER, callback_message()), ISSUER, keys)

    for _ in range(5):
        with pytest.raises(CallbackRejected):
            verify_callback(
                callback_body(new_key(), intermediate, ISSUER, callback_message()), ISSUER, keys
            )

    assert keys_url.fetches == 1


def test_unreachable_root_keys_reject_the_callback(root, intermediate):
    def fetch(url: str) -> bytes:
        raise OSError("connection refused")

    keys = RootKeys("https://k", fetch=fetch)

    with pytest.raises(CallbackRejected, match="root keys unavailable"):
        verify_callback(callback_body(root, intermediate, ISSUER, callback_message()), ISSUER, keys)


def test_cached_root_keys_are_kept_when_a_refetch_fails(root, intermediate, keys_url):
    clock = FakeClock()
    keys = RootKeys("https://k", fetch=keys_url, ttl_seconds=60)
    keys.clock = clock
    body = callback_body(root, intermediate, ISSUER, callback_message())
    verify_callback(body, ISSUER, keys)
    keys_url.document = b"<html>502 Bad Gateway</html>"

    clock.now += 61
    verified = verify_callback(body, ISSUER, keys)

    assert verified["eventType"] == "save"


def test_the_signed_bytes_match_a_signature_from_tinks_test_vectors():
    # A fixed ECv1 token from Tink's PaymentMethodTokenRecipientTest (CIPHERTEXT_EC_V1,
    # signed by its Google ECv1 test key for recipient "someRecipient"): ECv1 signs the
    # message with the same construction ECv2SigningOnly's intermediate key uses.
    token = json.loads(
        r'{"protocolVersion":"ECv1","signedMessage":"{\"tag\":\"ZVwlJt7dU8Plk0+r8rPF8DmPTvDiOA1U'
        r"AoNjDV+SqDE\\u003d\",\"ephemeralPublicKey\":\"BPhVspn70Zj2Kkgu9t8+ApEuUWsI/zos5whGCQBl"
        r"gOkuYagOis7qsrcbQrcprjvTZO3XOU+Qbcc28FSgsRtcgQE\\u003d\",\"encryptedMessage\":\"12jUObue"
        r'VTdy\"}","signature":"MEQCIDxBoUCoFRGReLdZ/cABlSSRIKoOEFoU3e27c14vMZtfAiBtX3pGMEpnw6mS'
        r'AbnagCCgHlCk3NcFwWYEyxIE6KGZVA\u003d\u003d"}'
    )
    google_ecv1_key = (
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEPYnHwS8uegWAewQtlxizmLFynwHcxRT1PK07cDA6/C4sXrVI1"
        "SzZCUx8U8S0LjMrT6ird/VW7be3Mz6t/srtRQ=="
    )
    key = serialization.load_der_public_key(base64.b64decode(google_ecv1_key))
    data = signed_bytes("Google", "someRecipient", "ECv1", token["signedMessage"])

    key.verify(base64.b64decode(token["signature"]), data, ec.ECDSA(hashes.SHA256()))
