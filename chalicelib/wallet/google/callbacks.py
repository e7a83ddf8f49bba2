"""Verifying Google Wallet's save and delete callbacks (protocol ECv2SigningOnly).

https://developers.google.com/wallet/retail/loyalty-cards/use-cases/use-callbacks-for-saves-and-deletions
https://developers.google.com/pay/api/web/guides/resources/payment-data-cryptography

Google signs each callback the way Google Pay signs payment tokens, without the
encryption: a root key (published at ROOT_KEYS_URL) signs a short-lived
intermediate key, and the intermediate key signs the message. Google recommends
Tink's PaymentMethodTokenRecipient, which has no Python port; this follows the same
steps with `cryptography`:

    root key --signs--> "GooglePayPasses" | "ECv2SigningOnly" | signedKey
    signedKey = {"keyValue": intermediate public key, "keyExpiration": millis}
    intermediate key --signs--> "GooglePayPasses" | issuer id | "ECv2SigningOnly" | signedMessage
    signedMessage = {"classId", "objectId", "expTimeMillis", "eventType", "nonce"}

where `|` joins each part after its UTF-8 length as 4 little-endian bytes, and every
signature is ECDSA P-256 with SHA-256, DER-encoded, base64.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib import jsonin

logger = logging.getLogger(__name__)

ROOT_KEYS_URL = "https://pay.google.com/gp/m/issuer/keys"
SENDER_ID = "GooglePayPasses"
PROTOCOL_VERSION = "ECv2SigningOnly"
EVENT_TYPES = frozenset({"save", "del"})


class CallbackRejected(Exception):
    """The callback is not a valid, current message from Google for this issuer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def signed_bytes(*parts: str) -> bytes:
    """The bytes a signature covers: each part's UTF-8 length (4 bytes, little-endian), then it.

    Tink's PaymentMethodTokenUtil.toLengthValue; the order of the parts matters.
    """
    out = bytearray()
    for part in parts:
        encoded = part.encode("utf-8")
        out += struct.pack("<I", len(encoded)) + encoded
    return bytes(out)


def _b64decode(value: Any) -> bytes:
    # Standard alphabet; Google pads, but an unpadded value is the same bytes.
    if not isinstance(value, str):
        raise CallbackRejected("a base64 field is not a string")
    text = "".join(value.split())
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CallbackRejected("a base64 field does not decode") from exc


def _p256_key(key_value: Any) -> ec.EllipticCurvePublicKey:
    """An EC P-256 public key from base64 DER SubjectPublicKeyInfo."""
    try:
        key = serialization.load_der_public_key(_b64decode(key_value))
    except ValueError as exc:
        raise CallbackRejected("a key is not a DER public key") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise CallbackRejected("a key is not an EC P-256 key")
    return key


def _millis(value: Any) -> int:
    # Google writes millisecond times as JSON strings ("1553109880808"); accept numbers too.
    if isinstance(value, bool):
        raise ValueError("a boolean is not a time")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise ValueError(f"not a time in milliseconds: {value!r}")


def _verifies(key: ec.EllipticCurvePublicKey, signature: bytes, data: bytes) -> bool:
    try:
        key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


def _fetch(url: str) -> bytes:
    # Imported here: the API Lambda imports this module, and only a callback's first
    # key fetch needs requests (some 15 ms of a cold start).
    import requests

    response = requests.get(url, timeout=10)
    response.raise_for_status()
    return response.content


class RootKeys:
    """Google's root signing keys for ECv2SigningOnly, fetched from `url` and cached.

    The cache is refetched after `ttl_seconds`, and when no cached key verifies an
    intermediate key (Google rotated its keys), but at most once per
    `min_refetch_seconds`, so that forged callbacks cannot make us hammer the URL.
    Keys past their keyExpiration are dropped. Safe to share between threads.
    """

    min_refetch_seconds: float = 60.0

    def __init__(
        self,
        url: str = ROOT_KEYS_URL,
        fetch: Callable[[str], bytes] | None = None,
        ttl_seconds: int = 3600,
    ) -> None:
        self.url = url
        self.ttl_seconds = ttl_seconds
        self._fetch = fetch or _fetch
        # Monotonic: a clock step must not keep stale keys nor refetch in a loop.
        # An attribute so that tests can move time.
        self.clock: Callable[[], float] = time.monotonic
        self._lock = threading.Lock()
        self._keys: list[tuple[ec.EllipticCurvePublicKey, int]] = []
        self._fetched_at: float | None = None  # the last fetch that worked
        self._attempted_at: float | None = None  # the last fetch, worked or not

    def keys(self, now_ms: int) -> list[ec.EllipticCurvePublicKey]:
        """The unexpired root keys, fetched when the cache is empty or older than the TTL."""
        with self._lock:
            now = self.clock()
            stale = self._fetched_at is None or now - self._fetched_at >= self.ttl_seconds
            if stale and not self._recently_attempted(now):
                self._load(now)
            return self._current(now_ms)

    def refetch(self, now_ms: int) -> list[ec.EllipticCurvePublicKey] | None:
        """Fresh keys after a verification failed, or None when fetched too recently."""
        with self._lock:
            now = self.clock()
            if self._recently_attempted(now):
                return None
            self._load(now)
            return self._current(now_ms)

    def _recently_attempted(self, now: float) -> bool:
        # With nothing cached there is no choice but to try.
        return (
            bool(self._keys)
            and self._attempted_at is not None
            and now - self._attempted_at < self.min_refetch_seconds
        )

    def _current(self, now_ms: int) -> list[ec.EllipticCurvePublicKey]:
        # Tink: a key whose keyExpiration has passed is ignored.
        self._keys = [(key, expires) for key, expires in self._keys if expires > now_ms]
        return [key for key, _ in self._keys]

    def _load(self, now: float) -> None:
        self._attempted_at = now
        try:
            document = json.loads(self._fetch(self.url))
            entries = document["keys"]
        except Exception as exc:
            if not self._keys:
                # Nothing to verify with: refuse, and Google retries the callback later.
                raise CallbackRejected(f"root keys unavailable: {type(exc).__name__}") from exc
            # Keep the cached keys, each still bounded by its keyExpiration, and try the
            # URL again after min_refetch_seconds rather than on every callback.
            logger.warning("google wallet root keys: fetch failed, keeping the cached keys")
            return
        keys = []
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict) or entry.get("protocolVersion") != PROTOCOL_VERSION:
                continue
            try:
                # Tink skips an ECv2SigningOnly key without keyExpiration.
                expires = _millis(entry["keyExpiration"])
                keys.append((_p256_key(entry["keyValue"]), expires))
            except (KeyError, ValueError, CallbackRejected):
                logger.warning("google wallet root keys: skipped a malformed key")
        self._keys = keys
        self._fetched_at = now


def verify_callback(
    body: bytes,
    recipient_id: str,
    root_keys: RootKeys,
    now_ms: int | None = None,
) -> dict[str, Any]:
    """The callback's message, once Google's signatures and the expiry times check out.

    `recipient_id` is the issuer id (Google's sample sets RECIPIENT_ID to it). The
    message is `{"classId", "objectId", "expTimeMillis", "eventType", "nonce"}`; the
    caller de-duplicates on `nonce`. Raises CallbackRejected with the reason.
    """
    now = int(time.time() * 1000) if now_ms is None else now_ms
    token = _parse_object(body, "the body")
    if token.get("protocolVersion") != PROTOCOL_VERSION:
        raise CallbackRejected(f"protocolVersion is not {PROTOCOL_VERSION}")
    signature = token.get("signature")
    signed_message = token.get("signedMessage")
    intermediate = token.get("intermediateSigningKey")
    if not isinstance(signed_message, str) or not isinstance(intermediate, dict):
        raise CallbackRejected("signedMessage or intermediateSigningKey is missing")

    intermediate_key = _verified_intermediate_key(intermediate, root_keys, now)
    message_bytes = signed_bytes(SENDER_ID, recipient_id, PROTOCOL_VERSION, signed_message)
    if not _verifies(intermediate_key, _b64decode(signature), message_bytes):
        # Also what a message for another issuer looks like: the recipient id is signed.
        raise CallbackRejected("the message signature does not verify for this recipient")

    message = _parse_object(signed_message, "signedMessage")
    for field in ("classId", "objectId", "eventType", "nonce"):
        if not isinstance(message.get(field), str) or not message[field]:
            raise CallbackRejected(f"signedMessage has no {field}")
    if message["eventType"] not in EVENT_TYPES:
        raise CallbackRejected(f"unknown eventType {message['eventType']!r}")
    _refuse_expired(message, "signedMessage", "expTimeMillis", "the message", now)
    return message


def _verified_intermediate_key(
    intermediate: dict[str, Any], root_keys: RootKeys, now_ms: int
) -> ec.EllipticCurvePublicKey:
    # Tink: intermediateSigningKey holds exactly signedKey and signatures.
    signed_key = intermediate.get("signedKey")
    signatures = intermediate.get("signatures")
    if set(intermediate) != {"signedKey", "signatures"} or not isinstance(signed_key, str):
        raise CallbackRejected("intermediateSigningKey must hold signedKey and signatures")
    if not isinstance(signatures, list) or not signatures:
        raise CallbackRejected("intermediateSigningKey has no signatures")
    decoded = [_b64decode(signature) for signature in signatures]
    data = signed_bytes(SENDER_ID, PROTOCOL_VERSION, signed_key)

    def signed_by(keys: list[ec.EllipticCurvePublicKey]) -> bool:
        return any(_verifies(key, sig, data) for key in keys for sig in decoded)

    if not signed_by(root_keys.keys(now_ms)):
        # Google may have rotated its root keys since we cached them.
        fresh = root_keys.refetch(now_ms)
        if fresh is None or not signed_by(fresh):
            raise CallbackRejected("the intermediate key is not signed by a current root key")

    key_document = _parse_object(signed_key, "signedKey")
    _refuse_expired(key_document, "signedKey", "keyExpiration", "the intermediate key", now_ms)
    return _p256_key(key_document.get("keyValue"))


def _refuse_expired(
    document: dict[str, Any], name: str, field: str, what: str, now_ms: int
) -> None:
    """Refuse `document` (called `name`) without its expiry `field`, or once it has passed."""
    try:
        expires = _millis(document.get(field))
    except ValueError as exc:
        raise CallbackRejected(f"{name} has no {field}") from exc
    if expires <= now_ms:
        raise CallbackRejected(f"{what} has expired")


def _parse_object(text: bytes | str, what: str) -> dict[str, Any]:
    try:
        value = jsonin.loads(text)
    except jsonin.NotJson as exc:
        raise CallbackRejected(f"{what} is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise CallbackRejected(f"{what} is not a JSON object")
    return value
