"""The deployed stage's triggers for delivery: the outbox's stream, and a sweeper.

The stream delivers a change within a second or so; the sweeper re-drives what a
failure left pending (its `due_at` has come). Both call push.delivery.
"""

from __future__ import annotations

import logging
import os

from chalice import Blueprint, Rate
from chalice.app import CloudWatchEvent, DynamoDBEvent

from chalicelib.push import delivery

events = Blueprint(__name__)
log = logging.getLogger(__name__)


@events.schedule(Rate(1, unit=Rate.MINUTES))
def sweep_outbox(event: CloudWatchEvent) -> None:
    outcomes = delivery.sweep()
    if outcomes:
        log.info("outbox sweep: %s", outcomes)


# The stream's ARN is known once the table exists (see docs/deploy.md); without it
# the sweeper alone delivers, a minute late at worst.
_STREAM_ARN = os.environ.get("OUTBOX_STREAM_ARN")
if _STREAM_ARN:

    @events.on_dynamodb_record(stream_arn=_STREAM_ARN, batch_size=50, starting_position="LATEST")
    def outbox_changed(event: DynamoDBEvent) -> None:
        for record in event:
            if record.event_name == "REMOVE":
                continue
            outbox_id = record.keys["outbox_id"]["S"]
            delivery.deliver(outbox_id)
