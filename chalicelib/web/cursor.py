"""Opaque list cursors: DynamoDB's LastEvaluatedKey, signed and bound to its list.

The scope (the list and whose it is: "staff:<merchant>", "ledger:<member>") is
signed with the key, so a cursor of another list or another merchant is a 400
here instead of a start key outside the Query, which DynamoDB refuses with a
ValidationException.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from chalicelib.errors import BadRequest
from chalicelib.secrets import secrets


def _tag(key: bytes, scope: str, body: bytes) -> bytes:
    return hmac.new(key, scope.encode() + b"\0" + body, hashlib.sha256).digest()[:16]


def encode(last_key: dict[str, Any] | None, scope: str) -> str | None:
    if not last_key:
        return None
    body = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    tag = _tag(secrets().key("cursor"), scope, body)
    return base64.urlsafe_b64encode(tag + body).rstrip(b"=").decode()


def decode(cursor: str | None, scope: str) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        tag, body = raw[:16], raw[16:]
        # A cursor given out before a key rotation still pages on.
        if any(hmac.compare_digest(tag, _tag(k, scope, body)) for k in secrets().keys("cursor")):
            value = json.loads(body)
            if isinstance(value, dict):
                return value
    except (ValueError, TypeError):
        pass
    raise BadRequest("cursor: not a cursor of this list: start again without one")
