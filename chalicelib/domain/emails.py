"""Email addresses: a valid one (`Email`, for input models), and the mailbox it reaches,
the rule the enrolment's duplicate check keys on."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator
from pydantic.json_schema import WithJsonSchema


def _email(value: str) -> str:
    """pydantic's EmailStr check, whose email_validator import (12 ms of regexes) is
    made on first use rather than in every Lambda's cold start."""
    from pydantic.networks import validate_email

    return validate_email(value)[1]


Email = Annotated[
    str, AfterValidator(_email), WithJsonSchema({"type": "string", "format": "email"})
]

# Google ignores dots in a Gmail local part, and googlemail.com is the same mailbox.
_GMAIL = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def canonical_email(email: str) -> str:
    """The mailbox an address reaches, as mail providers read it.

    Lower-case; a `+tag` in the local part is dropped for every provider (what
    Gmail, Outlook, iCloud and Fastmail deliver to the same mailbox); for Gmail
    and Googlemail dots in the local part go too, and the domain is gmail.com.
    So `A.Da+x@googlemail.com` and `ada@gmail.com` are one member.
    """
    address = email.strip().lower()
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    base = local.split("+", 1)[0] or local
    if domain in _GMAIL:
        base, domain = base.replace(".", "") or base, _GMAIL[domain]
    return f"{base}@{domain}"
