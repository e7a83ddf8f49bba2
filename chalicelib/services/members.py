"""Enrolment, scans and member reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib import clock, ids
from chalicelib.domain import barcode
from chalicelib.errors import NotFound, UnknownBarcode
from chalicelib.secrets import secrets
from chalicelib.services.auth import Principal
from chalicelib.services.programs import load_program
from chalicelib.store import transact
from chalicelib.store.models import MemberItem, UniqueItem


def normalise_email(email: str) -> str:
    return email.strip().lower()


def enrolment_key(program_id: str, email: str) -> str:
    return f"enrol#{program_id}#{email}"


def member_view(member: MemberItem, now: datetime | None = None) -> dict[str, Any]:
    """API.md's member view. Rewards past their expiry are not shown as ready."""
    moment = clock.iso(now or clock.now())
    rewards = [
        {"reward_id": r.reward_id, "name": r.name, "expires_at": r.expires_at}
        for r in member.rewards or []
        if r.expires_at is None or r.expires_at > moment
    ]
    return {
        "member_id": member.member_id,
        "program_id": member.program_id,
        "name": member.name,
        "balances": {"stamps": int(member.stamps), "points": int(member.points)},
        "tier": member.tier,
        "rewards": rewards,
        "updated_at": member.updated_at,
    }


@dataclass(frozen=True)
class Enrolment:
    member: MemberItem
    created: bool

    @property
    def barcode(self) -> str:
        return barcode.sign(self.member.member_id, secrets().barcode_key)


def enrol(
    program_id: str,
    name: str,
    email: str,
    birthday: str | None,
    marketing: bool,
) -> Enrolment:
    """Enrol a member; the same email in the same program returns the existing member.

    The email claim and the member are written in one transaction on the condition
    that the claim is new, so two racing enrolments give one member.
    """
    program = load_program(program_id)
    email = normalise_email(email)
    key = enrolment_key(program_id, email)
    existing = _claimed_member(key)
    if existing is not None:
        return Enrolment(existing, created=False)
    now = clock.iso(clock.now())
    member = MemberItem(
        ids.new_id(),
        merchant_id=program.merchant_id,
        program_id=program_id,
        name=name,
        email=email,
        email_key=f"{program.merchant_id}#{email}",
        birthday=birthday,
        marketing_consent=marketing,
        created_at=now,
        updated_at=now,
    )

    def build(tx: transact.TransactWrite) -> None:
        tx.save(
            UniqueItem(key, owner_id=member.member_id), condition=UniqueItem.key.does_not_exist()
        )
        tx.save(member, condition=MemberItem.member_id.does_not_exist())

    try:
        transact.write(build)
    except TransactWriteError as exc:
        if transact.failed_conditions(exc)[:1] == [True] or transact.is_conflict(exc):
            winner = _claimed_member(key)
            if winner is not None:
                return Enrolment(winner, created=False)
        raise
    return Enrolment(member, created=True)


def _claimed_member(key: str) -> MemberItem | None:
    try:
        claim = UniqueItem.get(key, consistent_read=True)
        return MemberItem.get(claim.owner_id, consistent_read=True)
    except (UniqueItem.DoesNotExist, MemberItem.DoesNotExist):
        return None


def load_member(principal: Principal, member_id: str) -> MemberItem:
    """A member of the caller's merchant; anyone else's, or an erased one, is NotFound."""
    try:
        member = MemberItem.get(member_id, consistent_read=True)
    except MemberItem.DoesNotExist:
        member = None
    if member is None or member.merchant_id != principal.merchant_id:
        raise NotFound("No such member.")
    return member


def scan(principal: Principal, code: str) -> MemberItem:
    """The member behind a barcode read at the counter."""
    member_id = barcode.verify(code, secrets().barcode_key)
    if member_id is None:
        raise UnknownBarcode("This barcode was not issued by this service.")
    try:
        member = load_member(principal, member_id)
    except NotFound as exc:
        raise UnknownBarcode("This barcode belongs to no member of this merchant.") from exc
    if member.erased:
        raise UnknownBarcode("This card has been closed.")
    return member


def find_by_email(principal: Principal, email: str) -> list[MemberItem]:
    key = f"{principal.merchant_id}#{normalise_email(email)}"
    return [m for m in MemberItem.by_email.query(key) if not m.erased]
