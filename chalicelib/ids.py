"""Identifiers: random, unguessable, URL-safe."""

from __future__ import annotations

import base64
import re
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


# Apple's identifiers, as a device sends them in the PassKit web service's paths.
# Apple gives no maximum: a deviceLibraryIdentifier is 32 hex digits in practice; a
# Pass Type ID is reverse DNS ("pass.com.example.loyalty", at most 253 characters).
# Both are kept well inside DynamoDB's key limits (registrations are keyed by them).
_DEVICE_LIBRARY_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
_PASS_TYPE_ID = re.compile(r"[A-Za-z0-9._-]{1,253}")


def is_device_library_id(value: str) -> bool:
    return _DEVICE_LIBRARY_ID.fullmatch(value) is not None


def is_pass_type_id(value: str) -> bool:
    return _PASS_TYPE_ID.fullmatch(value) is not None
