"""Keyed tokens for passes: the download link's expiring token, and Apple's authenticationToken.

Both are HMACs under keys of their own, so nothing secret is stored: a token is
checked by computing it again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def _mac(key: bytes, *parts: str) -> bytes:
    return hmac.new(key, "\0".join(parts).encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def download_token(member_id: str, expires: int, key: bytes) -> str:
    """`<expiry>.<tag>`: lets whoever holds the link download this member's pass until then."""
    return f"{expires}.{_b64(_mac(key, 'download', member_id, str(expires))[:18])}"


def download_token_valid(token: str, member_id: str, now: int, *keys: bytes) -> bool:
    """Whether `token` opens this member's pass now, signed under any of `keys`."""
    expires_text, _, tag = token.partition(".")
    if not expires_text.isdigit() or len(expires_text) > 12 or int(expires_text) < now:
        return False
    return any(
        hmac.compare_digest(tag, download_token(member_id, int(expires_text), key).split(".")[1])
        for key in keys
    )


def pass_auth_token(member_id: str, key: bytes) -> str:
    """Apple's authenticationToken for a pass: 32 URL-safe characters (192 bits).

    Apple never lets it change in an update, so it is derived, not drawn: every
    rebuild of the pass carries the same one.
    """
    # "0" stays in the MAC: the passes already on phones were given tokens with it.
    return _b64(_mac(key, "apple-auth", member_id, "0")[:24])


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()
