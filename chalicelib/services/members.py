"""Enrolment, scans and member reads."""

from __future__ import annotations

import os
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from chalicelib import clock, ids
from chalicelib.config import settings
from chalicelib.domain import barcode, card_number, expiry, ledger
from chalicelib.domain.emails import canonical_email
from chalicelib.domain.ledger import Card, Moment
from chalicelib.errors import (
    Conflict,
    InvalidCardNumber,
    NotFound,
    ProgramClosed,
    TooManyEnrolments,
    TooManyMisses,
    UnknownBarcode,
    UnknownCardNumber,
)
from chalicelib.secrets import secrets
from chalicelib.services import pass_tokens, retries, throttle
from chalicelib.services.auth import Principal
from chalicelib.services.moments import moment_for
from chalicelib.services.programs import cached_program, load_program, program_of
from chalicelib.store import db, locking, schedule, transact
from chalicelib.store.convert import (
    entry_item,
    pass_changed,
    pass_outbox,
    reward_maps,
    stat_actions,
)
from chalicelib.store.models import MemberItem, ProgramItem, StatItem, UniqueItem

# Statistics are split over shards so that no counter item is hot (docs/data-model.md).
STAT_SHARDS = 8
ERASE_ATTEMPTS = 5
# Card numbers typed at the counter that find no card, per staff account per minute.
# A barista's typos are caught by the check symbol and never count; a guesser gets
# 30 tries a minute at 2^55 numbers (docs/data-model.md).
CARD_MISSES_PER_MINUTE = 30
CARD_MISS_WINDOW_SECONDS = 60
# Draws of a card number before giving up: one collides with the merchant's existing
# numbers with a chance of members / 2^55.
CARD_NUMBER_DRAWS = 5


def normalise_email(email: str) -> str:
    """The key of an address for the duplicate check and the search (domain.emails)."""
    return canonical_email(email)


def enrolment_key(program_id: str, email: str) -> str:
    return f"enrol#{program_id}#{email}"


def card_key(merchant_id: str, number: str) -> str:
    """The claim that makes a card number unique within a merchant and finds its member."""
    return f"card#{merchant_id}#{number}"


def _card_claim(member: MemberItem) -> UniqueItem:
    return UniqueItem(card_key(member.merchant_id, member.card_number), owner_id=member.member_id)


def _new_card_number() -> str:
    return card_number.generate(os.urandom(card_number.RANDOM_BYTES))


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
        "card_number": member.card_number,
        "balances": {"stamps": int(member.stamps), "points": int(member.points)},
        "tier": member.tier,
        "rewards": rewards,
        "consent": {
            "marketing": bool(member.marketing_consent),
            "leaderboard": bool(member.leaderboard_consent),
        },
        "updated_at": member.updated_at,
    }


def marketing_audience(members: Iterable[MemberItem]) -> list[MemberItem]:
    """The members anything sending offers may reach: those who consented, not erased.

    Every sender of offers (emails, promotional pass messages) filters through
    this one rule; erasure withdraws the consent.
    """
    return [m for m in members if m.marketing_consent and not m.erased]


@dataclass(frozen=True)
class Enrolment:
    member: MemberItem
    created: bool

    @property
    def barcode(self) -> str:
        return barcode.sign(self.member.member_id, secrets().key("barcode"))


def enrol(
    program_id: str,
    name: str,
    email: str,
    birthday: str | None,
    marketing: bool,
    leaderboard: bool = False,
    address: str | None = None,
    language: str | None = None,
) -> Enrolment:
    """Enrol a member; the same email in the same program returns the existing member.

    `address` is the source address of an enrolment from the public form, which
    is limited per address and per program per hour (settings; duplicates count
    too): past a limit, TooManyEnrolments. None is the operator's own tools
    (imports, the benchmarks), which are not limited. A closed program enrols
    nobody: ProgramClosed. The
    duplicate check keys on the address's mailbox (domain.emails); the member
    keeps the address as typed, to mail it.

    The email claim, the card number's claim, the member, its welcome gift (a
    ledger entry), the pass update and the day's statistics are one transaction on
    the condition that both claims are new, so two racing enrolments give one
    member, and a card number already held in the merchant is drawn again.
    """
    program_item = load_program(program_id)
    program = program_of(program_item)
    if program.status == "closed":
        raise ProgramClosed("This program is closed: it takes no new members.")
    if address is not None:
        throttle.take(
            enrolment_limits(program_id, address),
            TooManyEnrolments,
            "Too many enrolments from here just now: wait a little and try again.",
        )
    email = email.strip()
    mailbox = normalise_email(email)
    key = enrolment_key(program_id, mailbox)
    existing = _claimed_member(key)
    if existing is not None:
        return Enrolment(existing, created=False)
    moment = moment_for(program_item.merchant_id)
    member = MemberItem(
        ids.new_id(),
        merchant_id=program_item.merchant_id,
        program_id=program_id,
        name=name,
        email=email,
        email_key=f"{program_item.merchant_id}#{mailbox}",
        birthday=birthday,
        marketing_consent=marketing,
        leaderboard_consent=leaderboard,
        # The language of the member's emails: the one they enrolled in, else the program's.
        language=language or program.default_language,
        created_at=moment.iso,
        updated_at=moment.iso,
        pass_second=int(moment.now.timestamp()),
        program_second=int(program_item.pass_second or 0),
        version=1,
    )
    member.apple_token_hash = pass_tokens.auth_token_hash(member.member_id)
    welcome_id = ids.new_id()
    # A new member starts in the tier whose threshold is 0, if the program has one.
    card = ledger.review_tier(Card(), program, moment.today)
    member.tier = card.tier
    gift = ledger.welcome(card, program, welcome_id, ids.new_id, moment)
    stats = {"enrolments": 1}
    entry = None
    if gift is not None:
        card = gift.card
        member.stamps, member.points = card.stamps, card.points
        member.rewards = reward_maps(card.rewards)
        required = program.stamps.required if program.stamps else 0
        gift_stats = ledger.stats_of("welcome", gift, required)
        entry = entry_item(member, "welcome", welcome_id, gift, moment, gift_stats)
        stats.update(gift_stats)
    # The scheduled jobs' keys: welcome points' expiry, the tier review, the birthday.
    lots = expiry.settle((), int(member.points), 0, moment.today, program.expiry, activity=True)
    due = schedule.due_values(member.member_id, lots, card, program, moment.today, moment.zone)
    for name, value in {
        **due,
        **schedule.birthday_values(member.member_id, birthday, moment.zone),
    }.items():
        setattr(member, name, value)

    def build(tx: transact.Write) -> None:
        tx.save(
            UniqueItem(key, owner_id=member.member_id),
            condition=UniqueItem.key.does_not_exist(),
            name="claim",
        )
        tx.save(_card_claim(member), condition=UniqueItem.key.does_not_exist(), name="card")
        tx.save(member, condition=MemberItem.member_id.does_not_exist(), name="member")
        pass_outbox(tx, member, 1, "enrolment", moment)
        shard = f"{program_id}#{random.randrange(STAT_SHARDS)}"  # noqa: S311
        tx.update(
            StatItem(shard, moment.today.isoformat()),
            actions=stat_actions(stats, first_today=False),
            name="stats",
        )
        if entry is not None:
            tx.save(entry, name="entry")

    for _ in range(CARD_NUMBER_DRAWS):
        member.card_number = _new_card_number()
        try:
            transact.write(build)
        except transact.Cancelled as exc:
            if "claim" in exc.failed or exc.conflict:
                winner = _claimed_member(key)
                if winner is not None:
                    return Enrolment(winner, created=False)
            if exc.failed == {"card"}:
                continue
            raise
        return Enrolment(member, created=True)
    raise Conflict("No free card number was found: try the enrolment again.")


def enrolment_limits(program_id: str, address: str) -> list[throttle.Limit]:
    config = settings()
    return [
        throttle.Limit(f"enrol#{program_id}", config.enrolment_limit_per_program, throttle.HOUR),
        throttle.Limit(f"enrol-ip#{address}", config.enrolment_limit_per_address, throttle.HOUR),
    ]


def _claimed_member(key: str) -> MemberItem | None:
    claim = db.fetch(UniqueItem, key)
    return db.fetch(MemberItem, claim.owner_id) if claim is not None else None


def load_member(principal: Principal, member_id: str, include_erased: bool = False) -> MemberItem:
    """A member of the caller's merchant; anyone else's, or an erased one, is NotFound.

    `include_erased` is for what erasure keeps: the anonymised ledger, and erasure itself.
    """
    member = db.fetch_owned(MemberItem, member_id, principal.merchant_id)
    if member is None or (member.erased and not include_erased):
        raise NotFound("No such member.")
    return member


def scan(principal: Principal, code: str) -> MemberItem:
    """The member behind a barcode read at the counter."""
    # One answer for forged, foreign and closed cards alike: the message must not
    # tell another merchant's staff that a barcode is genuine.
    unknown = UnknownBarcode("This barcode is not a card of this merchant.")
    member_id = barcode.verify(code, *secrets().keys("barcode"))
    if member_id is None:
        raise unknown
    try:
        member = load_member(principal, member_id)
    except NotFound as exc:
        raise unknown from exc
    if member.erased:
        raise unknown
    return with_card_number(member)


def find_by_card_number(principal: Principal, typed: str) -> MemberItem:
    """The member whose card number a barista typed from the pass.

    Raises InvalidCardNumber for what the check symbol shows to be a typo (no
    lookup, not counted), UnknownCardNumber when no live card of the merchant has
    the number, and TooManyMisses once the account has had CARD_MISSES_PER_MINUTE
    unknown numbers this minute: then even a right number waits, or guessing
    would go on learning which numbers exist.
    """
    number = card_number.parse(typed)
    if number is None:
        raise InvalidCardNumber(
            "This is not a card number: check each character against the pass.",
            field="card_number",
        )
    # Counted before the lookup and given back on a hit (services.throttle), so that
    # guesses sent all at once are counted as strictly as one after another.
    counted = throttle.take(
        [
            throttle.Limit(
                f"card-miss#{principal.staff_id}", CARD_MISSES_PER_MINUTE, CARD_MISS_WINDOW_SECONDS
            )
        ],
        TooManyMisses,
        "Too many unknown card numbers from this account: wait, or scan the QR code.",
    )
    member = _card_holder(principal.merchant_id, number)
    if member is None:
        # The same answer for a number never issued, another merchant's and an erased card's.
        raise UnknownCardNumber("No card of this merchant has this number.")
    throttle.give_back(counted)
    return member


def _card_holder(merchant_id: str, number: str) -> MemberItem | None:
    claim = db.fetch(UniqueItem, card_key(merchant_id, number))
    if claim is None:
        return None
    member = db.fetch_owned(MemberItem, claim.owner_id, merchant_id)
    return None if member is None or member.erased else member


def with_card_number(member: MemberItem) -> MemberItem:
    """The member with a card number: one enrolled before card numbers gets one now.

    The number's claim, the member (on its version, and on having none yet) and a
    pass update are one transaction, so the phones get a pass that shows it. Two
    tills reading the card at once give it one number: the loser reads the
    winner's. An erased member gets none.
    """
    for _ in range(CARD_NUMBER_DRAWS):
        if member.card_number or member.erased:
            return member
        number = _new_card_number()
        try:
            transact.write(
                partial(_assign_card_number, member, number, moment_for(member.merchant_id))
            )
        except transact.Cancelled:
            # Another till gave it one, a stamp moved its version, or the number was taken.
            member = MemberItem.get(member.member_id, consistent_read=True)
            continue
        return MemberItem.get(member.member_id, consistent_read=True)
    raise Conflict("The card is busy right now: try again.")


def _assign_card_number(
    member: MemberItem, number: str, moment: Moment, tx: transact.Write
) -> None:
    version, advance = locking.advance(member)
    claim = UniqueItem(card_key(member.merchant_id, number), owner_id=member.member_id)
    tx.save(claim, condition=UniqueItem.key.does_not_exist(), name="card")
    tx.update(
        member,
        actions=[
            MemberItem.card_number.set(number),
            advance,
            MemberItem.updated_at.set(moment.iso),
            *pass_changed(member, cached_program(member.program_id)[0], moment),
        ],
        condition=locking.unchanged(member) & MemberItem.card_number.does_not_exist(),
        name="member",
    )
    pass_outbox(tx, member, version, "card_number", moment)


def program_members(
    program: ProgramItem, limit: int, cursor: dict[str, Any] | None
) -> tuple[list[MemberItem], dict[str, Any] | None]:
    """A page of the program's members, by id: a Query on the keys-only index, then one BatchGet.

    `program` is already checked to be the caller's (load_program with the
    merchant). Erased members are included: their personal data is already gone.
    """
    page = MemberItem.by_program.query(program.program_id, limit=limit, last_evaluated_key=cursor)
    ids = [key.member_id for key in page]
    found = {m.member_id: m for m in MemberItem.batch_get(ids)} if ids else {}
    members = [found[i] for i in ids if i in found and found[i].merchant_id == program.merchant_id]
    return members, page.last_evaluated_key


def member_row(member: MemberItem) -> dict[str, Any]:
    """The member view with what the owner's export adds: the email and the enrolment time."""
    return {**member_view(member), "email": member.email, "created_at": member.created_at}


def find_by_email(principal: Principal, email: str) -> list[MemberItem]:
    key = f"{principal.merchant_id}#{normalise_email(email)}"
    ids = [entry.member_id for entry in MemberItem.by_email.query(key)]
    if not ids:
        return []
    # The index is eventually consistent: the members themselves, read strongly,
    # decide (an erasure or a change of address may not have reached it yet).
    found = {m.member_id: m for m in MemberItem.batch_get(ids, consistent_read=True)}
    return [
        member
        for member in (found.get(member_id) for member_id in ids)
        if member is not None and member.email_key == key and not member.erased
    ]


def erase(principal: Principal, member_id: str) -> None:
    """Erasure: name, email and birthday go; the ledger stays, keyed by the bare id.

    The barcode stops scanning, the email can enrol afresh, and the pass update
    lets the phones void the pass. A till stamping meanwhile makes it re-read and
    try again (a bounded number of times).
    """

    def attempt() -> None:
        member = load_member(principal, member_id, include_erased=True)
        if member.erased:
            return
        transact.write(partial(_erase, member, moment_for(member.merchant_id)))

    retries.until_written(
        attempt,
        ERASE_ATTEMPTS,
        "The card is busy right now: try the erasure again.",
        pause=(0.005, 0.05),
    )


def _erase(member: MemberItem, moment: Moment, tx: transact.Write) -> None:
    version, advance = locking.advance(member)
    tx.update(
        member,
        actions=[
            MemberItem.erased.set(True),
            MemberItem.name.remove(),
            MemberItem.email.remove(),
            MemberItem.email_key.remove(),
            MemberItem.birthday.remove(),
            # Off every scheduled job's index: an erased card earns and loses nothing more.
            MemberItem.birthday_key.remove(),
            MemberItem.birthday_offset.remove(),
            MemberItem.expiry_key.remove(),
            MemberItem.expiry_offset.remove(),
            MemberItem.tier_key.remove(),
            MemberItem.tier_offset.remove(),
            MemberItem.marketing_consent.set(False),
            MemberItem.leaderboard_consent.set(False),
            advance,
            MemberItem.updated_at.set(moment.iso),
            *pass_changed(member, cached_program(member.program_id)[0], moment),
        ],
        condition=locking.unchanged(member),
        name="member",
    )
    if member.email:
        claim = UniqueItem(enrolment_key(member.program_id, normalise_email(member.email)))
        tx.delete(claim, name="claim")
    pass_outbox(tx, member, version, "erasure", moment)
