"""Delivering one outbox item, and the two paths that call it: the stream's and the sweep's."""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from chalicelib import clock
from chalicelib.services import google_wallet
from chalicelib.services.delivery.fanout import deliver_fanout
from chalicelib.services.delivery.metrics import stats
from chalicelib.services.delivery.pushes import push_registrations
from chalicelib.services.delivery.state import Progress, notice_owed, record_notice, retry_later
from chalicelib.store import db, locking
from chalicelib.store.convert import OUTBOX_SHARDS
from chalicelib.store.models import MemberItem, OutboxItem, RegistrationItem

log = logging.getLogger(__name__)


def deliver(outbox_id: str, due_by: str | None = None) -> str:
    """Deliver one outbox item and say how it went.

    'delivered', 'gone', 'superseded', 'retry', 'dead_lettered', 'more', or with
    `due_by` (an ISO instant) 'not_due': a later change moved the item past it, and
    is delivered once its own window ends. Each outcome but 'gone' is one structured
    log line (JSON), for CloudWatch Logs Insights.
    """
    try:
        item = OutboxItem.get(outbox_id, consistent_read=True)
    except OutboxItem.DoesNotExist:
        return "gone"
    tried = int(item.attempts or 0)  # before: a retry's update refreshes the item
    if due_by is not None and item.due_at > due_by:
        outcome, error = "not_due", None
    else:
        outcome, error = _attempt(item)
    log.info(
        json.dumps(
            {
                "event": "outbox_delivery",
                "outbox_id": outbox_id,
                "kind": item.kind,
                "reason": item.reason,
                "outcome": outcome,
                "attempts": tried + (outcome in ("retry", "dead_lettered")),
                "error": error,
            }
        )
    )
    return outcome


def _attempt(item: OutboxItem) -> tuple[str, str | None]:
    progress = Progress()
    try:
        if item.kind == "fanout":
            return deliver_fanout(item), None
        error = _deliver_pass(item, progress) if item.kind == "pass" else _deliver_class(item)
    except Exception as exc:
        log.exception("delivery of %s failed", item.outbox_id)
        error = f"{type(exc).__name__}: {exc}"[:500]
    if error is None:
        if not db.delete_if(item, locking.unchanged(item)):
            record_notice(item, progress.notified)  # the newer version owes no second one
            stats()["superseded"] += 1
            return "superseded", None  # changed meanwhile: its newer version is pending
        stats()["delivered"] += 1
        return "delivered", None
    return retry_later(item, error, progress), error


def _deliver_pass(item: OutboxItem, progress: Progress) -> str | None:
    """Push the pass's devices and update its Google object; what failed, or None.

    Legs that succeeded at this version on an earlier attempt are skipped, and this
    attempt's successes go into `progress`: a retry pushes only the devices that
    failed, and Google's object and notice are not sent twice.
    """
    try:
        member = MemberItem.get(item.member_id, consistent_read=True)
    except MemberItem.DoesNotExist:
        return None  # nothing left to update
    version = int(item.version)
    pushed = set(item.pushed or ()) if item.pushed_version == version else set()
    registrations = [
        r for r in RegistrationItem.by_serial.query(member.member_id) if r.push_token not in pushed
    ]
    error, answered = push_registrations(registrations)
    errors = [error]
    if answered - pushed:
        progress.actions += [
            OutboxItem.pushed_version.set(version),
            OutboxItem.pushed.set(pushed | answered),
        ]
    if item.synced_version != version:
        owed = notice_owed(item)
        try:
            google_wallet.sync_object(member, notify=owed is not None)
        except Exception as exc:
            log.exception("Google update for member %s failed", member.member_id)
            errors.append(f"Google: {type(exc).__name__}: {exc}"[:300])
        else:
            progress.actions.append(OutboxItem.synced_version.set(version))
            if owed is not None:
                progress.notified = owed
                progress.actions.append(OutboxItem.notified_version.set(owed))
    return "; ".join(e for e in errors if e) or None


def _deliver_class(item: OutboxItem) -> str | None:
    google_wallet.sync_class(item.program_id)  # raises on failure: see _attempt
    return None


# Short of this much of the invocation's time, the stream's path stops waiting for
# an item's window and leaves it to the sweeper.
WAIT_MARGIN_SECONDS = 0.5


def deliver_when_due(outbox_id: str, due_at: str, seconds_left: Callable[[], float]) -> str:
    """The stream's path: wait out the item's coalescing window, then deliver it if due.

    Changes to one pass within COALESCE_SECONDS give one push on this path as on the
    sweeper's: a change made while waiting moves the item's `due_at` on, so this
    call answers 'not_due' and the stream record of that change delivers it.
    """
    wait = (clock.parse_iso(due_at) - clock.now()).total_seconds()
    wait = min(wait, seconds_left() - WAIT_MARGIN_SECONDS)
    if wait > 0:
        time.sleep(wait)
    return deliver(outbox_id, due_by=clock.iso(clock.now()))


def sweep(limit: int = 200, now: datetime | None = None) -> dict[str, int]:
    """Deliver what is due by `now` (default: now), shard by shard (a Query each, never a Scan)."""
    due = clock.iso(now or clock.now())
    outcomes: Counter[str] = Counter()
    for shard in range(OUTBOX_SHARDS):
        for item in OutboxItem.pending.query(shard, OutboxItem.due_at <= due, limit=limit):
            outcome = deliver(item.outbox_id, due_by=due)
            while outcome == "more":  # a fan-out: its next page straight away
                outcomes["fanout_page"] += 1
                outcome = deliver(item.outbox_id, due_by=due)
            outcomes[outcome] += 1
    return dict(outcomes)
