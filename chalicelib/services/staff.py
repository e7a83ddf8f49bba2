"""Merchants and their staff accounts."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pynamodb.expressions.update import Action

from chalicelib import clock, ids
from chalicelib.domain.roles import Role, may_manage
from chalicelib.errors import AlreadyExists, Forbidden, Invalid, NotFound, TooManyPasswordResets
from chalicelib.services import throttle
from chalicelib.services.auth import (
    Principal,
    hash_password,
    issue_token,
    issued_by_another,
    legacy_staff_email_key,
    load_staff,
    new_password,
    staff_email_key,
)
from chalicelib.services.programs import program_of
from chalicelib.store import db, transact
from chalicelib.store.models import MerchantItem, ProgramItem, StaffItem, UniqueItem

MAX_TABLET_TOKEN_SECONDS = 24 * 3600
# Resets one caller may make per hour: a stolen manager token must not churn through
# every barista's password (each reset also signs the account out everywhere).
PASSWORD_RESETS_PER_HOUR = 10
# What an account never changes on itself (it has no route to change its own role).
SET_BY_ANOTHER = frozenset({"role", "location_id", "daily_stamp_cap", "daily_points_cap"})


@dataclass(frozen=True)
class NewAccount:
    staff: StaffItem
    password: str  # shown once, stored only as a hash


def _new_staff(
    merchant_id: str, email: str, name: str, role: Role, location_id: str | None
) -> NewAccount:
    password = new_password()
    staff = StaffItem(
        ids.new_id(),
        merchant_id=merchant_id,
        email=email.strip().lower(),
        name=name,
        role=role.name,
        location_id=location_id,
        password_hash=hash_password(password),
        status="active",
        created_at=clock.iso(clock.now()),
        tokens_valid_after=0,
    )
    return NewAccount(staff=staff, password=password)


def _save_with_email_claim(account: NewAccount, merchant: MerchantItem | None = None) -> None:
    """Save the account and its email's claim within its merchant, in one transaction.

    The same email at another merchant is no conflict: it is another account of the
    same person (sign-in tells them apart by password).
    """
    staff = account.staff
    if _legacy_claim_owner(staff.merchant_id, staff.email) is not None:
        raise AlreadyExists("A staff account with this email already exists.")
    claim = UniqueItem(staff_email_key(staff.merchant_id, staff.email), owner_id=staff.staff_id)

    def build(tx: transact.Write) -> None:
        tx.save(claim, condition=UniqueItem.key.does_not_exist(), name="email")
        tx.save(staff, condition=StaffItem.staff_id.does_not_exist(), name="staff")
        if merchant is not None:
            tx.save(merchant, condition=MerchantItem.merchant_id.does_not_exist(), name="merchant")

    try:
        transact.write(build)
    except transact.Cancelled as exc:
        if "email" in exc.failed or exc.conflict:
            raise AlreadyExists("A staff account with this email already exists.") from exc
        raise


def _legacy_claim_owner(merchant_id: str, email: str) -> StaffItem | None:
    """The live account of this merchant holding the email's global claim, if any.

    Accounts made before claims were per merchant hold a global one instead, which
    the per-merchant claim's condition cannot see. Those claims are no longer made,
    so reading one before the transaction leaves no race.
    """
    claim = db.fetch(UniqueItem, legacy_staff_email_key(email))
    owner = db.fetch(StaffItem, claim.owner_id) if claim is not None else None
    if owner is None or owner.merchant_id != merchant_id or owner.status != "active":
        return None
    return owner


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(f"timezone: {name!r} is not an IANA time zone", field="timezone") from exc
    return name


def create_merchant(name: str, owner_email: str, timezone: str = "UTC") -> NewAccount:
    """A new merchant and its owner account, in one transaction."""
    merchant = MerchantItem(
        ids.new_id(),
        name=name,
        timezone=check_timezone(timezone),
        created_at=clock.iso(clock.now()),
    )
    account = _new_staff(merchant.merchant_id, owner_email, "Owner", Role.owner, None)
    _save_with_email_claim(account, merchant)
    return account


def check_location(merchant_id: str, location_id: str) -> None:
    """A staff account's location is one of its merchant's programs' locations.

    Raises Invalid otherwise. A merchant has a handful of programs: one Query.
    """
    for item in ProgramItem.by_merchant.query(merchant_id):
        if program_of(item).location(location_id) is not None:
            return
    raise Invalid(
        "location_id: not a location of any of your programs: add it to a program's "
        "locations first",
        field="location_id",
    )


def create_staff(
    principal: Principal,
    email: str,
    name: str,
    role: Role,
    location_id: str | None,
    daily_stamp_cap: int | None = None,
    daily_points_cap: int | None = None,
) -> NewAccount:
    """A manager adds baristas; an owner adds anyone. A location must be one of the
    merchant's programs' (check_location)."""
    if not may_manage(principal.role, role):
        raise Forbidden(f"A {principal.role.name} cannot create {role.name} accounts.")
    if location_id is not None:
        check_location(principal.merchant_id, location_id)
    account = _new_staff(principal.merchant_id, email, name, role, location_id)
    account.staff.daily_stamp_cap = daily_stamp_cap
    account.staff.daily_points_cap = daily_points_cap
    _save_with_email_claim(account)
    return account


def list_staff(
    principal: Principal, limit: int, cursor: dict[str, Any] | None
) -> tuple[list[StaffItem], dict[str, Any] | None]:
    page = StaffItem.by_merchant.query(
        principal.merchant_id, limit=limit, last_evaluated_key=cursor
    )
    items = [staff for staff in page if staff.status == "active"]
    return items, page.last_evaluated_key


def _managed(principal: Principal, staff_id: str) -> StaffItem:
    staff = load_staff(principal, staff_id)
    if staff.staff_id != principal.staff_id and not may_manage(
        principal.role, Role.parse(staff.role)
    ):
        raise Forbidden(f"A {principal.role.name} cannot manage {staff.role} accounts.")
    return staff


def delete_staff(principal: Principal, staff_id: str) -> None:
    """Close the account: its email is freed and every token it holds stops working."""
    staff = _managed(principal, staff_id)
    if staff.staff_id == principal.staff_id and principal.role == Role.owner:
        raise Forbidden("An owner cannot delete their own account.")
    legacy = db.fetch(UniqueItem, legacy_staff_email_key(staff.email))
    if legacy is not None and legacy.owner_id != staff.staff_id:
        legacy = None  # another merchant's account's claim: not ours to free

    def build(tx: transact.Write) -> None:
        tx.update(
            staff,
            actions=[
                StaffItem.status.set("deleted"),
                # +1: a token issued in this very second is revoked too.
                StaffItem.tokens_valid_after.set(int(time.time()) + 1),
            ],
            condition=StaffItem.status == "active",
            name="staff",
        )
        tx.delete(UniqueItem(staff_email_key(staff.merchant_id, staff.email)), name="email")
        if legacy is not None:
            tx.delete(legacy, condition=UniqueItem.owner_id == staff.staff_id, name="legacy")

    try:
        transact.write(build)
    except transact.Cancelled as exc:
        # Deleted meanwhile by someone else: it is gone either way.
        raise NotFound("No such staff account.") from exc


def tablet_token(
    principal: Principal, claims: dict[str, Any], staff_id: str, ttl_seconds: int
) -> tuple[str, int]:
    """A short-lived token for an account below the caller's role (a shop tablet).

    Made by someone above the account, never by the account itself, and only from
    a token a sign-in gave: a stolen token cannot mint itself (or a co-owner) a
    longer life, nor chain tablet tokens, and what it mints expires with it.
    """
    if issued_by_another(claims):
        raise Forbidden("A token issued by another account cannot issue tokens: sign in.")
    staff = load_staff(principal, staff_id)
    if staff.staff_id == principal.staff_id:
        raise Forbidden("A token for your own account is issued by someone above you.")
    if not Role.parse(staff.role) < principal.role:
        raise Forbidden(f"A {principal.role.name} cannot issue tokens for {staff.role} accounts.")
    return issue_token(
        staff, ttl_seconds=min(ttl_seconds, MAX_TABLET_TOKEN_SECONDS), issued_by=claims
    )


def change_staff(principal: Principal, staff_id: str, changes: dict[str, Any]) -> StaffItem:
    """Rename, move, re-role or cap an account this caller manages; a null cap removes it.

    An account may rename itself, never move, re-role or uncap itself: that is for
    someone above it. The new role must be one the caller manages too (a manager
    makes baristas only); the account's tokens then act with the new role at once.
    """
    staff = _managed(principal, staff_id)
    own = staff.staff_id == principal.staff_id
    if own and changes.keys() & SET_BY_ANOTHER:
        raise Forbidden("Your own location and daily caps are set by someone above you.")
    if changes.get("role") is not None and not may_manage(
        principal.role, Role.parse(changes["role"])
    ):
        raise Forbidden(f"A {principal.role.name} cannot make {changes['role']} accounts.")
    if changes.get("location_id") is not None:
        check_location(principal.merchant_id, changes["location_id"])
    actions = []
    for field in ("name", "role", "location_id", "daily_stamp_cap", "daily_points_cap"):
        if field not in changes:
            continue
        attribute = getattr(StaffItem, field)
        value = changes[field]
        if value is None and field in ("name", "role"):
            continue  # a name or a role cannot be removed, only changed
        actions.append(attribute.remove() if value is None else attribute.set(value))
        setattr(staff, field, value)
    # Deleted meanwhile: the condition refuses it. A store that did not answer is no refusal.
    if actions and not db.update_if(staff, actions, StaffItem.status == "active"):
        raise NotFound("No such staff account.")
    return staff


def reset_password(principal: Principal, claims: dict[str, Any], staff_id: str) -> NewAccount:
    """A new one-time password for an account below the caller (an owner: any other).

    The account's tokens are revoked with it: a reset is asked for when a password
    leaked or a device stayed signed in, and either way the old sessions must end.
    Never for one's own account (a stolen token would then buy a password that
    outlives it), nor from a token another account issued (a tablet). Raises
    TooManyPasswordResets past PASSWORD_RESETS_PER_HOUR per caller.
    """
    if issued_by_another(claims):
        raise Forbidden("A token issued by another account cannot reset passwords: sign in.")
    staff = _managed(principal, staff_id)
    if staff.staff_id == principal.staff_id:
        raise Forbidden("Your own password is reset by someone above you.")
    throttle.take(
        [
            throttle.Limit(
                f"password-reset#{principal.staff_id}", PASSWORD_RESETS_PER_HOUR, throttle.HOUR
            )
        ],
        TooManyPasswordResets,
        "Too many password resets this hour: wait and try again.",
    )
    password = new_password()
    actions: list[Action] = [
        StaffItem.password_hash.set(hash_password(password)),
        # +1: a token issued in this very second is revoked too.
        StaffItem.tokens_valid_after.set(int(time.time()) + 1),
    ]
    # Closed meanwhile: the condition refuses it.
    if not db.update_if(staff, actions, StaffItem.status == "active"):
        raise NotFound("No such staff account.")
    return NewAccount(staff=staff, password=password)


def staff_names(principal: Principal, staff_ids: set[str]) -> dict[str, str]:
    """The names of the caller's merchant's accounts among `staff_ids`, closed ones too
    (a ledger entry outlives its account); another merchant's are left out."""
    wanted = sorted(i for i in staff_ids if i)
    found = StaffItem.batch_get(wanted) if wanted else []
    return {s.staff_id: s.name for s in found if s.merchant_id == principal.merchant_id}
