"""Opaque list cursors: DynamoDB's LastEvaluatedKey, signed so that it cannot be forged."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from chalicelib.errors import BadRequest
from chalicelib.secrets import secrets


def _key() -> bytes:
    return hashlib.sha256(b"cursor\0" + secrets().barcode_key).digest()


def encode(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    body = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    tag = hmac.new(_key(), body, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(tag + body).rstrip(b"=").decode()


def decode(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        tag, body = raw[:16], raw[16:]
        if hmac.compare_digest(tag, hmac.new(_key(), body, hashlib.sha256).digest()[:16]):
            value = json.loads(body)
            if isinstance(value, dict):
                return value
    except (ValueError, TypeError):
        pass
    raise BadRequest("cursor: not a cursor this service gave out")
