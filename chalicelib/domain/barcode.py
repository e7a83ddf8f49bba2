"""The string in the pass's QR code: a member id signed by the service.

`LY1` + base32(member id bytes + first 10 bytes of HMAC-SHA256): 45 characters of
A-Z and 2-7, which QR codes carry in their compact alphanumeric mode. Forging one
means guessing an 80-bit tag for a 128-bit random id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from chalicelib.ids import ID_BYTES, id_bytes, id_from_bytes

PREFIX = "LY1"
_TAG_BYTES = 10


def _tag(key: bytes, raw_id: bytes) -> bytes:
    return hmac.new(key, PREFIX.encode() + raw_id, hashlib.sha256).digest()[:_TAG_BYTES]


def sign(member_id: str, key: bytes) -> str:
    """The barcode for `member_id`."""
    raw = id_bytes(member_id)
    if raw is None:
        raise ValueError(f"not a member id: {member_id!r}")
    body = base64.b32encode(raw + _tag(key, raw)).decode("ascii").rstrip("=")
    return PREFIX + body


def verify(barcode: str, *keys: bytes) -> str | None:
    """The member id a barcode signed under any of `keys` carries; None for a forged
    or altered one. Several keys: a rotated-out key still scans the passes it signed."""
    text = barcode.strip().upper()
    if not text.startswith(PREFIX) or len(text) > 64:
        return None
    body = text[len(PREFIX) :]
    try:
        decoded = base64.b32decode(body + "=" * (-len(body) % 8))
    except (ValueError, TypeError):
        return None
    # Canonical form only: base32 leaves spare bits in the last character, and an
    # altered spare bit must not scan as the same card.
    if (
        len(decoded) != ID_BYTES + _TAG_BYTES
        or base64.b32encode(decoded).decode().rstrip("=") != body
    ):
        return None
    raw, tag = decoded[:ID_BYTES], decoded[ID_BYTES:]
    if not any(hmac.compare_digest(tag, _tag(key, raw)) for key in keys):
        return None
    return id_from_bytes(raw)
