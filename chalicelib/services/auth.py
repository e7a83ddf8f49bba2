"""Staff sign-in and the service's JWTs.

Tokens are ES256, signed by the service and checked against the staff account on
use: deleting an account moves its `tokens_valid_after`, which revokes every token
it holds at once.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from chalicelib import ids
from chalicelib.config import settings
from chalicelib.domain.roles import Role
from chalicelib.errors import InvalidCredentials, NotFound, TooManyAttempts, Unauthorized
from chalicelib.root import per_root
from chalicelib.secrets import secrets
from chalicelib.services import throttle
from chalicelib.store import db
from chalicelib.store.models import StaffItem

LOCKOUT_WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


@dataclass(frozen=True)
class Principal:
    """Who is calling, from a verified token and a live staff account."""

    staff_id: str
    merchant_id: str
    role: Role
    location_id: str | None


@per_root
def _hasher() -> PasswordHasher:
    """argon2id at the library's defaults (64 MiB, 3 passes) unless the settings lower
    them: the test suite does, since it hashes hundreds of throwaway passwords."""
    config = settings()
    return PasswordHasher(
        memory_cost=config.password_memory_kib, time_cost=config.password_time_cost
    )


@per_root
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so that timing does not tell.

    Made on first use, not at import: one argon2id hash was 100 ms of every cold
    start (bench/coldstart.py), and only sign-in needs it.
    """
    return _hasher().hash(ids.new_id())


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def new_password() -> str:
    return ids.new_id()


def staff_email_key(merchant_id: str, email: str) -> str:
    """The claim that makes an email unique among one merchant's accounts.

    Per merchant, not global: a global claim answered another merchant's
    "already exists" and so told who works where.
    """
    return f"staff-email#{merchant_id}#{email}"


def legacy_staff_email_key(email: str) -> str:
    """The global claim of accounts made before emails were unique per merchant."""
    return f"staff-email#{email}"


def issue_token(
    staff: StaffItem, ttl_seconds: int | None = None, issued_by: dict[str, Any] | None = None
) -> tuple[str, int]:
    """A signed token for `staff`, and its expiry as a Unix time.

    `issued_by` is the verified claims of the token that asked for this one (a
    tablet token): the new token never outlives it, and names it in RFC 8693's
    `act` claim, which `may_issue_tokens` refuses.
    """
    config = settings()
    issued = int(time.time())
    expires = issued + (ttl_seconds or config.login_token_seconds)
    if issued_by is not None:
        expires = min(expires, int(issued_by["exp"]))
    claims = {
        "sub": staff.staff_id,
        "mid": staff.merchant_id,
        "role": staff.role,
        "loc": staff.location_id,
        "iat": issued,
        "exp": expires,
        "jti": ids.new_id(),
        "aud": config.jwt_audience,
        "iss": config.jwt_issuer,
    }
    if issued_by is not None:
        claims["act"] = {"sub": issued_by["sub"]}
    token = jwt.encode(claims, secrets().jwt_private_key, algorithm="ES256")
    return token, expires


def decode_token(token: str) -> dict[str, Any]:
    """The claims of a genuine, unexpired token for this service; else Unauthorized.

    Only ES256 is accepted: `alg: none` and HS256 signed with the public key fail here.
    """
    config = settings()
    try:
        return jwt.decode(
            token,
            secrets().jwt_public_key,
            algorithms=["ES256"],
            audience=config.jwt_audience,
            issuer=config.jwt_issuer,
            options={"require": ["sub", "mid", "role", "iat", "exp", "jti", "aud", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The token has expired: sign in again.") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("The token is not valid for this service.") from exc


def issued_by_another(claims: dict[str, Any]) -> bool:
    """A token another account issued (a tablet token), not one a sign-in gave."""
    return "act" in claims


def principal_from(claims: dict[str, Any], staff: StaffItem | None) -> Principal:
    """Check the token against the account it names; the account's current role wins."""
    if (
        staff is None
        or staff.status != "active"
        or staff.merchant_id != claims["mid"]
        or int(claims["iat"]) < int(staff.tokens_valid_after)
    ):
        raise Unauthorized("The token has been revoked: sign in again.")
    return Principal(
        staff_id=staff.staff_id,
        merchant_id=staff.merchant_id,
        role=Role.parse(staff.role),
        location_id=staff.location_id,
    )


def principal_of(staff: StaffItem) -> Principal:
    """The principal an active account acts as without a token: the seed, `make merchant`'s
    callers, benchmarks and tests. Raises Unauthorized for an account not active."""
    return principal_from({"mid": staff.merchant_id, "iat": 0}, staff)


def live_staff(claims: dict[str, Any]) -> StaffItem | None:
    """The account a verified token names, as it is now (None if it is gone)."""
    return db.fetch(StaffItem, claims["sub"])


def authenticate(token: str) -> Principal:
    claims = decode_token(token)
    return principal_from(claims, live_staff(claims))


def _attempt_limits(email: str, address: str | None) -> list[throttle.Limit]:
    # Hashed: the table holds no email addresses.
    digest = hashlib.sha256(email.encode()).hexdigest()
    limits = [throttle.Limit(f"email#{digest}", MAX_FAILURES_PER_ACCOUNT, LOCKOUT_WINDOW_SECONDS)]
    if address:
        limits.append(
            throttle.Limit(f"ip#{address}", MAX_FAILURES_PER_ADDRESS, LOCKOUT_WINDOW_SECONDS)
        )
    return limits


def login(email: str, password: str, address: str | None) -> tuple[str, int, StaffItem]:
    """Sign a staff member in; refuse alike for a wrong email or password.

    Raises TooManyAttempts after repeated failures for one account or address.
    Every attempt counts as a failure until its password is found right.
    """
    email = email.strip().lower()
    counted = throttle.take(
        _attempt_limits(email, address),
        TooManyAttempts,
        "Too many failed sign-ins: wait and try again.",
    )
    # Made before the lookup, so that a process's first sign-in pays for it alike
    # for a known and an unknown email.
    dummy_hash = _dummy_hash()
    staff = _signed_in(_staff_by_email(email), password, dummy_hash)
    if staff is None:
        raise InvalidCredentials("The email or password is wrong.")
    throttle.give_back(counted)
    token, expires_at = issue_token(staff)
    return token, expires_at, staff


def _signed_in(accounts: list[StaffItem], password: str, dummy_hash: str) -> StaffItem | None:
    """The account among `accounts` whose password this is.

    A person with accounts at two merchants has one password per account (each is
    given at creation): the password says which account signs in. An email with no
    live account is checked against a dummy hash, so that the time taken does not
    tell whether it has one; only an email with several accounts takes longer.
    """
    found = None
    candidates: Sequence[StaffItem | None] = accounts or [None]  # None: the dummy hash
    for staff in candidates:
        try:
            _hasher().verify(staff.password_hash if staff else dummy_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            continue
        found = found or staff
    return found


def _staff_by_email(email: str) -> list[StaffItem]:
    """The live accounts of an email, at every merchant."""
    keys = [keys.staff_id for keys in StaffItem.by_email.query(email)]
    accounts = (db.fetch(StaffItem, staff_id) for staff_id in keys)
    return [s for s in accounts if s is not None and s.status == "active" and s.email == email]


def load_staff(principal: Principal, staff_id: str) -> StaffItem:
    """A staff account of the caller's merchant; another merchant's is NotFound."""
    staff = db.fetch_owned(StaffItem, staff_id, principal.merchant_id)
    if staff is None or staff.status != "active":
        raise NotFound("No such staff account.")
    return staff
