"""Google's side of the ECv2SigningOnly callback signature, for the peer and the tests.

Written from Google's description (payment-data-cryptography, Tink's
PaymentMethodTokenSender), not from chalicelib's verifier, so that a mistake in
one does not cancel the same mistake in the other.
"""

from __future__ import annotations

import base64
import json
import struct
import time
import uuid

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

SENDER_ID = "GooglePayPasses"
PROTOCOL_VERSION = "ECv2SigningOnly"
DAY_MS = 24 * 3600 * 1000


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def now_ms() -> int:
    return int(time.time() * 1000)


def public_key_value(key: ec.EllipticCurvePrivateKey) -> str:
    """keyValue: base64 of the DER SubjectPublicKeyInfo."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def length_value(*parts: str) -> bytes:
    """Each part after its UTF-8 length as 4 little-endian bytes."""
    return b"".join(struct.pack("<I", len(p.encode())) + p.encode() for p in parts)


def sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> str:
    """ECDSA P-256 / SHA-256, DER, base64."""
    return base64.b64encode(key.sign(data, ec.ECDSA(hashes.SHA256()))).decode("ascii")


def root_keys_document(*keys: tuple[ec.EllipticCurvePrivateKey, int]) -> bytes:
    """What https://pay.google.com/gp/m/issuer/keys serves, for (root key, expiry millis) pairs.

    keyExpiration is a JSON string, as Google writes it.
    """
    return json.dumps(
        {
            "keys": [
                {
                    "keyValue": public_key_value(key),
                    "protocolVersion": PROTOCOL_VERSION,
                    "keyExpiration": str(expires),
                }
                for key, expires in keys
            ]
        }
    ).encode()


def callback_message(
    event_type: str = "save",
    class_id: str = "3388000000000000001.program",
    object_id: str = "3388000000000000001.member",
    expires_ms: int | None = None,
    nonce: str | None = None,
) -> dict:
    """A signedMessage as Google documents it."""
    return {
        "classId": class_id,
        "objectId": object_id,
        "expTimeMillis": expires_ms if expires_ms is not None else now_ms() + 3600 * 1000,
        "eventType": event_type,
        "nonce": nonce or str(uuid.uuid4()),
    }


def callback_body(
    root: ec.EllipticCurvePrivateKey,
    intermediate: ec.EllipticCurvePrivateKey,
    recipient_id: str,
    message: dict,
    intermediate_expires_ms: int | None = None,
) -> bytes:
    """The POST body Google sends: the message signed by `intermediate`, vouched for by `root`."""
    signed_key = json.dumps(
        {
            "keyValue": public_key_value(intermediate),
            "keyExpiration": str(
                intermediate_expires_ms
                if intermediate_expires_ms is not None
                else now_ms() + DAY_MS
            ),
        }
    )
    signed_message = json.dumps(message)
    body = {
        "signature": sign(
            intermediate, length_value(SENDER_ID, recipient_id, PROTOCOL_VERSION, signed_message)
        ),
        "intermediateSigningKey": {
            "signedKey": signed_key,
            "signatures": [sign(root, length_value(SENDER_ID, PROTOCOL_VERSION, signed_key))],
        },
        "protocolVersion": PROTOCOL_VERSION,
        "signedMessage": signed_message,
    }
    return json.dumps(body).encode()
