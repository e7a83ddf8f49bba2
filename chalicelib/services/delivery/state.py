"""An outbox item's own state: its backoff, its attempts, the legs already done.

An item is deleted only on the condition that its `version` is still the one
delivered: a change made meanwhile keeps it pending for the next round. A failed
delivery is retried with exponential backoff; after DELIVERY_MAX_ATTEMPTS it goes
to the dead-letter queue (deployed) or stays parked and logged (local).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.services.delivery.dead_letters import dead_letter
from chalicelib.services.delivery.metrics import stats
from chalicelib.store import db, locking
from chalicelib.store.models import OutboxItem

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600


@dataclass
class Progress:
    """The legs of a pass delivery that succeeded, recorded on the item with its backoff."""

    actions: list[Any] = field(default_factory=list)
    notified: int | None = None  # the notify_version whose notice is settled


def notice_owed(item: OutboxItem) -> int | None:
    """The notify_version whose "Reward ready" notice is still to send, or None."""
    if not item.notify:
        return None
    wanted = int(item.notify_version) if item.notify_version is not None else None
    if item.notified_version is None:
        return wanted if wanted is not None else int(item.version)
    if wanted is not None and wanted > int(item.notified_version):
        return wanted
    return None  # settled: later changes without a reward owe none


def record_notice(item: OutboxItem, notified: int | None) -> None:
    """Remember a notice sent, whatever version the item is at now (unless it is gone)."""
    if notified is None:
        return
    try:
        # False: the item is gone (delivered or dead-lettered), nothing left to owe.
        db.update_if(
            item, [OutboxItem.notified_version.set(notified)], OutboxItem.outbox_id.exists()
        )
    except UpdateError:
        log.warning("outbox %s: the notice sent was not recorded", item.outbox_id)


def retry_later(item: OutboxItem, error: str | None, progress: Progress | None = None) -> str:
    """Back the item off for another attempt; 'retry', or 'dead_lettered' after the last one.

    An item the dead-letter queue did not take (none configured, or SQS unreachable)
    stays pending and keeps backing off, up to an hour apart: nothing is lost. The
    legs that succeeded are recorded with the backoff, for this version only.
    """
    attempts = int(item.attempts or 0) + 1
    notified = progress.notified if progress else None
    # A notice already sent (before, or on this last attempt) is not owed again.
    if attempts >= settings().delivery_max_attempts and dead_letter(
        item, attempts, error, notify=notice_owed(item) not in (None, notified)
    ):
        return "dead_lettered"
    backoff = min(MAX_BACKOFF_SECONDS, 2**attempts) * random.uniform(0.5, 1.0)  # noqa: S311
    due = clock.iso(clock.now() + timedelta(seconds=backoff))
    if not db.update_if(
        item,
        [
            OutboxItem.attempts.set(attempts),
            OutboxItem.due_at.set(due),
            OutboxItem.last_error.set(error or "unknown"),
            *(progress.actions if progress else []),
        ],
        locking.unchanged(item),
    ):
        # A newer change reset it meanwhile: it is due again anyway, all legs to redo
        # but a notice already sent.
        record_notice(item, notified)
    stats()["retried"] += 1
    return "retry"
