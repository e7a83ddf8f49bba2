"""Balance changes, exactly once: one TransactGetItems, one rule, one TransactWriteItems.

Every change, whatever its kind, goes through `apply`:

    read      TransactGet: idempotency record, member, staff account (one call)
    replay?   a record for this key: the first answer again, or 409 for another body
    rule      domain.ledger turns the card into an Outcome (a refusal writes nothing)
    write     TransactWrite, all or nothing, each operation named:
                idempotency  the record        if it does not exist  (retries, racing twins)
                member       balances          if version unchanged  (racing tills)
                program      condition check   if version unchanged  (rules cached per process)
                entry        ledger entry      if it does not exist
                outbox       pass update
                stats        the day's shard   ADD
                staff_day    the account's day ADD, within its daily stamp and points caps
                             (not for SYSTEM)
                voided       the entry a void reverses, if not voided yet
    lost race re-read and apply again, a bounded number of times

The key's record and its replays are in `idempotency`; the answer's documents, which
the record keeps whole, in `documents`; the operations that build a Change in
`operations`.

The scheduled jobs change balances as SYSTEM (`Change.system`): no staff account is
read or charged, and the entry's `staff_id` is None. Only code builds a Change, so
nothing a client sends can make one a system change.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactGet

from chalicelib import clock, ids
from chalicelib.domain import expiry, ledger
from chalicelib.domain.ledger import Card, Moment, Outcome
from chalicelib.domain.program import Program
from chalicelib.domain.roles import Role
from chalicelib.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ScanLimit,
)
from chalicelib.services import auth
from chalicelib.services.ledger import idempotency
from chalicelib.services.ledger.documents import change_doc
from chalicelib.services.ledger.idempotency import Receipt
from chalicelib.services.members import STAT_SHARDS
from chalicelib.services.moments import moment_for
from chalicelib.services.programs import cached_program, forget_program
from chalicelib.store import locking, schedule, transact
from chalicelib.store.convert import (
    card_of,
    entry_item,
    pass_changed,
    pass_outbox,
    reward_maps,
    stat_actions,
    stat_day_key,
)
from chalicelib.store.db import connection, resolved
from chalicelib.store.models import (
    IdempotencyItem,
    MemberItem,
    ProgramItem,
    StaffDayItem,
    StaffItem,
    StatItem,
    TransactionItem,
)

MAX_ATTEMPTS = 5

Rule = Callable[["Context"], Outcome]


@dataclass(frozen=True)
class Context:
    """What a rule sees: the card, its program, the time, and ids to hand out."""

    member: MemberItem
    card: Card
    program: Program
    program_item: ProgramItem
    principal: auth.Principal
    moment: Moment
    transaction_id: str
    daily_stamp_cap: int | None = None
    daily_points_cap: int | None = None

    def new_id(self) -> str:
        return ids.new_id()


@dataclass
class Change:
    """A requested balance change, as the route received it."""

    type: ledger.TransactionType
    member_id: str
    body: dict[str, Any]
    idempotency_key: str
    rule: Rule
    min_role: Role = Role.barista
    voids: TransactionItem | None = None
    # A scheduled job's change: no staff account; `at` pretends the time (TODAY).
    system: bool = False
    at: datetime | None = None


# --- the one path ------------------------------------------------------------------


def apply(claims: dict[str, Any], change: Change) -> Receipt:
    """Write the change exactly once; a replay of its key returns the first receipt."""
    key = idempotency.record_key(claims["mid"], change.idempotency_key)
    digest = idempotency.request_hash(change.type, change.member_id, change.body)
    for _ in range(MAX_ATTEMPTS):
        with TransactGet(connection=connection()) as tx:
            record_f = tx.get(IdempotencyItem, key)
            member_f = tx.get(MemberItem, change.member_id)
            staff_f = None if change.system else tx.get(StaffItem, claims["sub"])
        staff = resolved(staff_f) if staff_f is not None else None
        principal = _system(claims) if change.system else auth.principal_from(claims, staff)
        record = resolved(record_f)
        member = resolved(member_f)
        if record is not None:
            return idempotency.replay(record, digest, member, principal.merchant_id)
        if principal.role < change.min_role:
            raise Forbidden(f"This needs the {change.min_role.name} role or above.")
        if member is None or member.merchant_id != principal.merchant_id or member.erased:
            raise NotFound("No such member.")
        program_item, program = cached_program(member.program_id)
        context = Context(
            member=member,
            card=card_of(member),
            program=program,
            program_item=program_item,
            principal=principal,
            moment=moment_for(member.merchant_id, change.at),
            transaction_id=ids.new_id(),
            daily_stamp_cap=_cap(staff, "daily_stamp_cap"),
            daily_points_cap=_cap(staff, "daily_points_cap"),
        )
        outcome = change.rule(context)
        entry = _entry(change, context, outcome)
        after = _after(member, outcome, context)
        receipt = Receipt(
            200,
            change_doc(
                after,
                entry,
                outcome.rewards_unlocked,
                context.moment.now,
                staff_name=staff.name if staff is not None else None,
            ),
        )
        try:
            transact.write(
                partial(
                    _build,
                    change=change,
                    context=context,
                    outcome=outcome,
                    entry=entry,
                    key=key,
                    digest=digest,
                    receipt=receipt,
                )
            )
        except transact.Cancelled as exc:
            failed = exc.failed
            if "idempotency" in failed:
                # A twin with the same key won the race: answer as it did.
                record = IdempotencyItem.get(key, consistent_read=True)
                return idempotency.replay(record, digest, member, principal.merchant_id)
            if "program" in failed:
                forget_program(member.program_id)
                continue
            if "staff_day" in failed:
                raise ScanLimit(
                    "You have reached your daily limit for issuing stamps and points.",
                    retry_after=max(1, math.ceil(ledger.seconds_to_local_midnight(context.moment))),
                ) from exc
            if "voided" in failed:
                raise VoidedMeanwhile from exc
            if "member" in failed or exc.conflict:
                time.sleep(random.uniform(0.005, 0.03))  # noqa: S311 - jitter, not secrecy
                continue
            raise
        return receipt
    raise Conflict("This card is changing too fast right now: retry with the same key.")


SYSTEM = "system"


def system_claims(merchant_id: str) -> dict[str, Any]:
    """The claims a scheduled job's change runs under (with `Change.system`)."""
    return {"mid": merchant_id, "sub": SYSTEM}


def _system(claims: dict[str, Any]) -> auth.Principal:
    return auth.Principal(
        staff_id=SYSTEM, merchant_id=claims["mid"], role=Role.owner, location_id=None
    )


class VoidedMeanwhile(Exception):
    """Another void of the same transaction committed first."""


def _cap(staff: StaffItem | None, name: str) -> int | None:
    value = getattr(staff, name, None) if staff is not None else None
    return int(value) if value is not None else None


def _within_cap(attribute: Any, cap: int | None, issued: int) -> Any:
    """The staff_day condition that keeps the day's total of `attribute` within `cap`.

        day's total before   +  issued   <=  cap
        (no row yet: 0)

    The day's first request finds no row: it passes only if it fits the cap by
    itself. `total <= cap - issued` is false on a missing attribute, so a request
    above the cap alone is refused whether or not the row exists.
    """
    if cap is None or issued <= 0:
        return None
    within = attribute <= cap - issued
    return (attribute.does_not_exist() | within) if issued <= cap else within


def _entry(change: Change, context: Context, outcome: Outcome) -> TransactionItem:
    required = context.program.stamps.required if context.program.stamps else 0
    voided = json.loads(change.voids.detail or "{}").get("stats", {}) if change.voids else None
    return entry_item(
        context.member,
        change.type,
        context.transaction_id,
        outcome,
        context.moment,
        ledger.stats_of(change.type, outcome, required, voided),
        staff_id=None if change.system else context.principal.staff_id,
        location_id=context.principal.location_id,
        voids=change.voids.transaction_id if change.voids else None,
        reason=change.body.get("reason") if change.voids else None,
    )


def _after(member: MemberItem, outcome: Outcome, context: Context) -> MemberItem:
    """The member item as the transaction leaves it (for the response)."""
    card = outcome.card
    member.stamps, member.points, member.tier = card.stamps, card.points, card.tier
    member.rewards = reward_maps(card.rewards)
    member.updated_at = context.moment.iso
    return member


def _build(
    tx: transact.Write,
    change: Change,
    context: Context,
    outcome: Outcome,
    entry: TransactionItem,
    key: str,
    digest: str,
    receipt: Receipt,
) -> None:
    moment, member, card = context.moment, context.member, outcome.card
    version, next_version = locking.advance(member)
    today = moment.today.isoformat()
    # idempotency: the record of this key's first answer
    tx.save(
        idempotency.record(key, digest, receipt, moment),
        condition=IdempotencyItem.key.does_not_exist(),
        name="idempotency",
    )
    # member: the balances, if nobody changed them since they were read
    actions: list[Action] = [
        MemberItem.stamps.set(card.stamps),
        MemberItem.points.set(card.points),
        MemberItem.rewards.set(reward_maps(card.rewards)),
        MemberItem.earned_by_day.set(json.dumps(card.earned_by_day, sort_keys=True)),
        MemberItem.lifetime_earned.set(card.lifetime_earned),
        MemberItem.scans_on_day.set(card.scans_on_day),
        MemberItem.last_active_day.set(today),
        next_version,
        MemberItem.updated_at.set(moment.iso),
        *pass_changed(member, context.program_item, moment),
        MemberItem.tier.set(card.tier) if card.tier else MemberItem.tier.remove(),
    ]
    actions += schedule.due_actions(_due_values(change, context, outcome))
    if card.last_scan_at is not None:
        actions.append(MemberItem.last_scan_at.set(clock.iso(card.last_scan_at)))
    if card.scan_day is not None:
        actions.append(MemberItem.scan_day.set(card.scan_day))
    tx.update(member, actions=actions, condition=locking.unchanged(member), name="member")
    # program: the rules used are the program's current ones
    tx.condition_check(
        ProgramItem,
        context.program_item.program_id,
        condition=locking.unchanged(context.program_item),
        name="program",
    )
    # entry: the ledger entry
    tx.save(entry, condition=TransactionItem.sk.does_not_exist(), name="entry")
    # outbox: one record per member, so changes before delivery coalesce
    pass_outbox(tx, member, version, change.type, moment, notify=bool(outcome.rewards_unlocked))
    # stats: the day's statistics, on a random shard, under the location of the staff
    # who did it (a void's, under the location of what it reverses)
    stats = json.loads(entry.detail)["stats"]
    shard = f"{member.program_id}#{random.randrange(STAT_SHARDS)}"  # noqa: S311
    location = change.voids.location_id if change.voids is not None else entry.location_id
    tx.update(
        StatItem(shard, stat_day_key(today, location)),
        actions=stat_actions(stats, member.last_active_day != today),
        name="stats",
    )
    if change.system:
        return
    # staff_day: the staff member's day, within their daily stamp and points caps
    issued = stats.get("stamps_issued", 0) if change.type != "void" else 0
    points = max(0, outcome.points) if change.type != "void" else 0
    condition = None
    for part in (
        _within_cap(StaffDayItem.stamps, context.daily_stamp_cap, issued),
        _within_cap(StaffDayItem.points, context.daily_points_cap, points),
    ):
        if part is not None:
            condition = part if condition is None else condition & part
    tx.update(
        StaffDayItem(context.principal.staff_id, today),
        actions=[
            StaffDayItem.merchant_id.set(member.merchant_id),
            StaffDayItem.stamps.add(max(0, issued)),
            StaffDayItem.points.add(points),
            StaffDayItem.scans.add(1 if change.type in ("stamp", "purchase") else 0),
        ],
        condition=condition,
        name="staff_day",
    )
    # voided: a void marks what it reverses, once
    if change.voids is not None:
        tx.update(
            change.voids,
            actions=[
                TransactionItem.voided.set(True),
                TransactionItem.voided_by.set(entry.transaction_id),
            ],
            condition=TransactionItem.voided == False,  # noqa: E712 - a DynamoDB condition
            name="voided",
        )


def _due_values(change: Change, context: Context, outcome: Outcome) -> dict[str, object]:
    """The point lots after this change and the days the scheduled jobs are next due.

    A member's own transaction is activity (`inactivity_days` restarts); a job's is not.
    """
    member, moment = context.member, context.moment
    lots = expiry.settle(
        expiry.lots_from_json(member.point_lots),
        outcome.points,
        outcome.card.points - outcome.points,  # `member` already shows the change (_after)
        moment.today,
        context.program.expiry,
        activity=not change.system,
    )
    return schedule.due_values(
        member.member_id, lots, outcome.card, context.program, moment.today, moment.zone
    )
