"""Identifiers: random, unguessable, URL-safe."""

from __future__ import annotations

import base64
import secrets

ID_BYTES = 16  # 128 bits: above the 122 of a UUIDv4, and 22 URL-safe characters.


def new_id() -> str:
    """A fresh random id: 22 characters of base64url."""
    return secrets.token_urlsafe(ID_BYTES)


def id_bytes(value: str) -> bytes | None:
    """The 16 bytes behind an id made by `new_id`, or None for anything else."""
    if len(value) != 22:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "==")
    except (ValueError, TypeError):
        return None
    return raw if len(raw) == ID_BYTES and id_from_bytes(raw) == value else None


def id_from_bytes(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
