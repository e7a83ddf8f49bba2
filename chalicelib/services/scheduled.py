"""What the scheduled jobs do to one member: expire, warn, celebrate, review the tier.

Each takes a member id found on a job's index and the local day it was due, and
answers what it did ("expired", "warned", "granted", ...). A balance change goes
through the ledger's exactly-once path as SYSTEM, its idempotency key derived from
the member, the day and the rule, so a run repeated or resumed changes nothing
twice. A change without a balance (a warning, a tier) is one TransactWrite on the
member's version with its pass update.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from chalicelib.domain import expiry, ledger
from chalicelib.domain.ledger import Moment, Outcome
from chalicelib.domain.program import Expiry, Program
from chalicelib.services import ledger as ledger_service
from chalicelib.services import retries
from chalicelib.services.moments import moment_for
from chalicelib.services.programs import cached_program, forget_program
from chalicelib.store import db, locking, schedule, transact
from chalicelib.store.convert import card_of, pass_changed, pass_outbox
from chalicelib.store.models import MemberItem, ProgramItem

ATTEMPTS = 5
# Outcomes that leave the member where the index found it: the run stops that
# shard there and comes back to it next time.
NOT_YET = "not_yet"


class _NothingToExpire(retries.ReadAgain):
    """Read again inside the ledger's path: nothing is past its day any more."""


def _load(member_id: str) -> MemberItem | None:
    member = db.fetch(MemberItem, member_id)
    return None if member is None or member.erased else member


def _arrived(member_id: str, due: date, at: datetime | None) -> str | tuple[MemberItem, Moment]:
    """The member and their local moment once `due` has come there; else why not."""
    member = _load(member_id)
    if member is None:
        return "skipped"
    moment = moment_for(member.merchant_id, at)
    if moment.today < due:
        return NOT_YET
    return member, moment


def _due(
    member_id: str, due: date, at: datetime | None
) -> str | tuple[MemberItem, Moment, Program, ProgramItem]:
    """The member, their local moment and program once `due` has come; else why not.

    The program is the cached one (programs.py's rule): every change made under it
    checks its version in its transaction, and a stale copy costs a retry.
    """
    found = _arrived(member_id, due, at)
    if isinstance(found, str):
        return found
    member, moment = found
    program_item, program = cached_program(member.program_id)
    return member, moment, program, program_item


def _write(member: MemberItem, build: Callable[[transact.Write], None]) -> None:
    """One transaction on the member; when it lost to a change of the program, the
    cached program is forgotten first, so that the next attempt reads it afresh."""
    try:
        transact.write(build)
    except transact.Cancelled as exc:
        if "program" in exc.failed:
            forget_program(member.program_id)
        raise


# --- expiry ----------------------------------------------------------------------------


def expire_member(member_id: str, due: date, at: datetime | None = None) -> str:
    """Expire what is past its day, or show the warning that is due; then reschedule.

    A till that changed the card meanwhile (or the owner the program) makes it read again.
    """

    def attempt() -> str:
        found = _due(member_id, due, at)
        if isinstance(found, str):
            return found
        member, moment, program, program_item = found
        lots = expiry.lots_from_json(member.point_lots)
        card = card_of(member)
        if expiry.expired(lots, moment.today) or expiry.expired_rewards(card.rewards, moment.iso):
            _expire(member, program.expiry, moment, at)  # _NothingToExpire: read again
            return "expired"
        return _reschedule(member, program, program_item, moment)

    return retries.until_written(
        attempt, ATTEMPTS, f"member {member_id} kept changing during the expiry run"
    )


def _expire(member: MemberItem, rule: Expiry | None, moment: Moment, at: datetime | None) -> None:
    mode = rule.mode if rule is not None else "never"
    day = moment.today.isoformat()

    def rule_(c: ledger_service.Context) -> Outcome:
        lots = expiry.lots_from_json(c.member.point_lots)
        outcome = expiry.expire(c.card, lots, c.moment.today, c.moment.iso)
        if not outcome.points and not outcome.rewards_removed:
            raise _NothingToExpire
        return outcome

    ledger_service.apply(
        ledger_service.system_claims(member.merchant_id),
        ledger_service.Change(
            "expiry",
            member.member_id,
            {"day": day, "rule": mode},
            f"expiry#{member.member_id}#{day}#{mode}",
            rule_,
            system=True,
            at=at,
        ),
    )


def _reschedule(
    member: MemberItem, program: Program, program_item: ProgramItem, moment: Moment
) -> str:
    """No points to take: show the warning if one is due, and move the member on."""
    lots = expiry.lots_from_json(member.point_lots)
    notice = expiry.notice(lots, moment.today, expiry.warning_days(program.expiry))
    values = schedule.due_values(
        member.member_id, lots, card_of(member), program, moment.today, moment.zone
    )
    values.pop("tier_key"), values.pop("tier_offset")  # the tier review keeps its own day
    reason = "expiry_warning" if notice else None
    _write(member, partial(_touch, member, program_item, values, moment, reason))
    return "warned" if notice else "rescheduled"


def _touch(
    member: MemberItem,
    program_item: ProgramItem,
    values: dict[str, object],
    moment: Moment,
    reason: str | None,
    tx: transact.Write,
    extra: list[Any] | None = None,
) -> None:
    """Set `values` on the member if unchanged and its program too (the rules that made
    them); with `reason`, update the pass (no notice)."""
    version, advance = locking.advance(member)
    actions = schedule.due_actions(values) + list(extra or [])
    tx.condition_check(
        ProgramItem,
        program_item.program_id,
        condition=locking.unchanged(program_item),
        name="program",
    )
    if reason is not None:
        actions += [
            advance,
            MemberItem.updated_at.set(moment.iso),
            *pass_changed(member, program_item, moment),
        ]
    # Without a reason the version stays: what the pass shows has not changed.
    tx.update(member, actions=actions, condition=locking.unchanged(member), name="member")
    if reason is not None:
        # notify stays False: a warning must not spend Google's 3 notices a day.
        pass_outbox(tx, member, version, reason, moment, notify=False)


# --- birthdays ---------------------------------------------------------------------------


class _NoBirthdayReward(Exception):
    """Read again inside the ledger's path: the program has no birthday reward (now)."""


def grant_birthday(member_id: str, day: date, at: datetime | None = None) -> str:
    """The program's birthday reward, once a year, on the member's local birthday.

    The reward is the program's as read inside the ledger's retry, whose transaction
    checks the program's version: never a copy older than the change it goes out with.
    """
    found = _arrived(member_id, day, at)
    if isinstance(found, str):
        return found
    member, moment = found
    # The day itself, or the next (a run late by a few hours for a zone at the edge).
    if moment.today - day > timedelta(days=1) or not expiry.is_birthday(member.birthday, day):
        return "not_today"

    def rule(c: ledger_service.Context) -> Outcome:
        spec = c.program.birthday
        if spec is None:
            raise _NoBirthdayReward
        reward = expiry.birthday_reward(
            spec.reward.name, spec.valid_days, c.transaction_id, c.new_id(), day, c.moment.zone
        )
        card = replace(c.card, rewards=(*c.card.rewards, reward))
        return Outcome(card, 0, 0, rewards_unlocked=(reward,), detail={"birthday": day.isoformat()})

    try:
        ledger_service.apply(
            ledger_service.system_claims(member.merchant_id),
            ledger_service.Change(
                "birthday",
                member_id,
                {"year": day.year},
                f"birthday#{member_id}#{day.year}",
                rule,
                system=True,
                at=at,
            ),
        )
    except _NoBirthdayReward:
        return "no_reward"
    return "granted"


# --- tiers -------------------------------------------------------------------------------


def review_member_tier(member_id: str, due: date, at: datetime | None = None) -> str:
    """Apply the window rule (domain.ledger.review_tier): promote or demote, reschedule."""

    def attempt() -> str:
        found = _due(member_id, due, at)
        if isinstance(found, str):
            return found
        member, moment, program, program_item = found
        card = card_of(member)
        days = ledger.prune_days(card.earned_by_day, moment.today, program.tier_window_days)
        after = ledger.review_tier(replace(card, earned_by_day=days), program, moment.today)
        values = schedule.due_values(member_id, (), after, program, moment.today, moment.zone)
        values = {k: v for k, v in values.items() if k.startswith("tier_")}
        changed = after.tier != card.tier
        extra = [
            MemberItem.earned_by_day.set(json.dumps(after.earned_by_day, sort_keys=True)),
            MemberItem.tier.set(after.tier) if after.tier else MemberItem.tier.remove(),
        ]
        _write(
            member,
            partial(
                _touch,
                member,
                program_item,
                values,
                moment,
                "tier" if changed else None,
                extra=extra,
            ),
        )
        return "changed" if changed else "kept"

    return retries.until_written(
        attempt, ATTEMPTS, f"member {member_id} kept changing during the tier review"
    )
