"""Deliveries that failed DELIVERY_MAX_ATTEMPTS times: to the dead-letter queue, and back.

A message in the queue carries the whole outbox item: `redrive` puts it back in the
outbox, and `redrive_queue` does so for everything the queue holds.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable

from pynamodb.exceptions import DeleteError
from pynamodb.expressions.update import Action

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.services.delivery.metrics import stats
from chalicelib.store import db, locking
from chalicelib.store.models import OutboxItem

log = logging.getLogger(__name__)


def dead_letter(item: OutboxItem, attempts: int, error: str | None, notify: bool) -> bool:
    """Hand the item to the dead-letter queue, then drop it from the outbox; False if not taken.

    `notify`: a "Reward ready" notice is still owed (none was sent before, or on this
    last attempt). Sent before deleted: a crash in between repeats the message, never
    loses the item.
    """
    queue = settings().dead_letter_queue_url
    if not queue:
        log.error("outbox %s failed %s times (%s): parked", item.outbox_id, attempts, error)
        return False
    # Everything `redrive` needs to put the item back, and what an operator reads first.
    body = {
        "outbox_id": item.outbox_id,
        "kind": item.kind,
        "member_id": item.member_id,
        "program_id": item.program_id,
        "merchant_id": item.merchant_id,
        "reason": item.reason,  # a fan-out's job id
        "notify": notify,
        "version": int(item.version),
        "shard": int(item.shard),
        "created_at": item.created_at,
        "attempts": attempts,
        "error": error,
        "dead_lettered_at": clock.iso(clock.now()),
    }
    try:
        import boto3  # deployed stages only

        boto3.client("sqs", region_name=settings().region).send_message(
            QueueUrl=queue, MessageBody=json.dumps(body)
        )
    except Exception:
        # Not lost: the caller keeps it pending, and the next failure tries the queue again.
        stats()["dead_letter_failed"] += 1
        log.exception("outbox %s: the dead-letter queue did not take it; kept", item.outbox_id)
        return False
    # A change made meanwhile is a new version with attempts of its own: it stays pending.
    try:
        db.delete_if(item, locking.unchanged(item))  # False: the newer change stays pending
    except DeleteError:
        log.warning(
            "outbox %s: dead-lettered but still pending; it may be sent again", item.outbox_id
        )
    stats()["dead_lettered"] += 1
    return True


def redrive(body: str) -> str:
    """Put a dead-lettered item back in the outbox, due now, from its message's body.

    'redriven', or 'superseded' when a newer change to the same pass or class is already
    pending: that one delivers the latest state anyway. Safe to repeat.
    """
    message = json.loads(body)
    actions: list[Action] = [
        OutboxItem.kind.set(message["kind"]),
        OutboxItem.program_id.set(message["program_id"]),
        OutboxItem.merchant_id.set(message["merchant_id"]),
        OutboxItem.version.set(message["version"]),
        OutboxItem.reason.set(message["reason"]),
        OutboxItem.notify.set(bool(message["notify"])),
        OutboxItem.created_at.set(message["created_at"]),
        OutboxItem.due_at.set(clock.iso(clock.now())),
        OutboxItem.shard.set(message["shard"]),
        OutboxItem.attempts.set(0),
        OutboxItem.last_error.set(f"re-driven after: {message['error']}"),
    ]
    if message.get("member_id") is not None:
        actions.append(OutboxItem.member_id.set(message["member_id"]))
    if not db.update_if(
        OutboxItem(message["outbox_id"]), actions, OutboxItem.outbox_id.does_not_exist()
    ):
        return "superseded"
    stats()["redriven"] += 1
    return "redriven"


# Leave this much of the Lambda's time for the last batch in hand.
REDRIVE_MARGIN_SECONDS = 15


def redrive_queue(seconds_left: Callable[[], float]) -> dict[str, int]:
    """Every message of the dead-letter queue back in the outbox; the counts of what happened.

    A message is deleted only after its change is back in the outbox; one whose pass
    has a newer change pending is dropped as `superseded`, since that change delivers
    the latest state. Stops early, for another call to finish, when `seconds_left()`
    falls under REDRIVE_MARGIN_SECONDS.
    """
    import boto3  # deployed stages only

    queue = settings().dead_letter_queue_url
    if not queue:
        raise RuntimeError("DEAD_LETTER_QUEUE_URL is not set: there is no queue to re-drive")
    sqs = boto3.client("sqs", region_name=settings().region)
    outcomes: Counter[str] = Counter()
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=60
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            try:
                json.loads(message["Body"])["outbox_id"]
            except (ValueError, KeyError, TypeError):
                # Not ours: left in the queue (it returns after its visibility timeout).
                outcomes["unreadable"] += 1
                continue
            outcomes[redrive(message["Body"])] += 1
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        if seconds_left() < REDRIVE_MARGIN_SECONDS:
            break  # invoke again for the rest
    return dict(outcomes)
