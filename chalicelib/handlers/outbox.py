"""The deployed stage's triggers for delivery: the outbox's stream, and a sweeper.

The stream delivers a change once its coalescing window (store.convert's
COALESCE_SECONDS) ends, so that a burst of changes to one pass is one push; the
sweeper re-drives what a failure left pending (its `due_at` has come). Both call
services.delivery.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from chalice.app import Blueprint, CloudWatchEvent, DynamoDBEvent, Rate

from chalicelib.config import settings
from chalicelib.logs import emit_metrics

events = Blueprint(__name__)
log = logging.getLogger(__name__)

# The sweeper's embedded metrics; the deployed template's alarm watches the age.
METRIC_NAMESPACE = "WalletLoyalty"
OUTBOX_AGE_METRIC = "OutboxOldestAgeSeconds"


@events.schedule(Rate(1, unit=Rate.MINUTES))
def sweep_outbox(event: CloudWatchEvent) -> None:
    # Imported here: delivery brings the APNs client (asyncio, h2) and Google's
    # (google-auth, requests), which every other Lambda of the app would load for nothing.
    from chalicelib.services import delivery

    outcomes = delivery.sweep()
    if outcomes:
        log.info("outbox sweep: %s", outcomes)
    report_backlog(delivery.backlog())


def report_backlog(backlog: dict[str, Any]) -> None:
    """The outbox's size and age as metrics, which the outbox-age alarm watches."""
    emit_metrics(
        METRIC_NAMESPACE,
        {"Stage": settings().stage},
        {
            OUTBOX_AGE_METRIC: backlog["oldest_age_seconds"] or 0,
            "OutboxPending": backlog["pending"],
        },
    )


# The packaged template points this handler at the outbox table's stream
# (deploy/template.py); the ARN here only names the source for `chalice package`.
_STREAM_ARN = os.environ.get(
    "OUTBOX_STREAM_ARN", "arn:aws:dynamodb:::table/outbox/stream/set-by-the-template"
)


@events.on_dynamodb_record(stream_arn=_STREAM_ARN, batch_size=50, starting_position="LATEST")
def outbox_changed(event: DynamoDBEvent) -> None:
    from chalicelib.services import delivery  # see sweep_outbox

    # One delivery per item, however many of its changes the batch holds; each
    # waits out its coalescing window (the sweeper's rule), so that changes made
    # within it give one push. The latest record of an item has its latest due_at.
    due: dict[str, str] = {}
    for record in event:
        if record.event_name == "REMOVE":
            continue  # delivered or dead-lettered: nothing left to do
        image = record.new_image or {}
        # A failed delivery's own update (attempts, due_at) is a MODIFY record too:
        # delivering on it would retry at once, in a loop, and skip the backoff.
        # The sweeper takes it when due; a new change resets attempts to 0.
        if int(image.get("attempts", {}).get("N", "0")):
            due.pop(record.keys["outbox_id"]["S"], None)
            continue
        due[record.keys["outbox_id"]["S"]] = image["due_at"]["S"]
    for outbox_id, due_at in sorted(due.items(), key=lambda pair: pair[1]):
        # Outside Lambda (a bench, a direct call) there is no deadline: wait the window out.
        left = (lambda: _seconds_left(event)) if event.context else (lambda: float("inf"))
        outcome = delivery.deliver_when_due(outbox_id, due_at, left)
        # A fan-out goes on page by page while time is left; the sweeper resumes
        # from its saved cursor if this invocation ends first.
        while outcome == "more" and _seconds_left(event) > FANOUT_PAGE_SECONDS:
            outcome = delivery.deliver(outbox_id)


# A page of 5,000 devices pushed on one APNs connection takes a few seconds.
FANOUT_PAGE_SECONDS = 15


def _seconds_left(event: DynamoDBEvent) -> float:
    context: Any = event.context  # Lambda's context object; Chalice types it as a dict
    return context.get_remaining_time_in_millis() / 1000 if context else 0.0
