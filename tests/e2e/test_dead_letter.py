"""A delivery that keeps failing ends in the dead-letter queue, whole, and can be re-driven.

APNs is the local peer answering 500; the queue is SQS on moto's server in a process
of its own (`moto_url`), reached the way a deployed stage reaches SQS: through
DEAD_LETTER_QUEUE_URL and boto3's endpoint settings.
"""

from __future__ import annotations

import json
import logging
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta

import boto3
import pytest
from chalice.test import Client

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.services import delivery
from chalicelib.store.models import OutboxItem
from tests.e2e import test_push
from tests.e2e.helpers import create_program, enrol, stamp
from tests.e2e.test_push import deliver_all, registered

apns = test_push.apns  # the fixture: a local APNs peer, the service pointed at it

MAX_ATTEMPTS = 3


@dataclass
class Queue:
    url: str
    sqs: object

    def received(self) -> list[str]:
        """The body of every message now in the queue; each deleted once read."""
        bodies = []
        while True:
            answer = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10)
            messages = answer.get("Messages", [])
            if not messages:
                return bodies
            for message in messages:
                bodies.append(message["Body"])
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def dead_letter_queue(moto_url: str, new_root) -> Queue:
    """A fresh SQS queue on moto's server; delivery gives up after MAX_ATTEMPTS into it."""
    sqs = boto3.client("sqs", region_name=settings().region, endpoint_url=moto_url)
    url = sqs.create_queue(QueueName=f"outbox-dlq-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    new_root(
        DEAD_LETTER_QUEUE_URL=url,
        AWS_ENDPOINT_URL_SQS=moto_url,
        DELIVERY_MAX_ATTEMPTS=str(MAX_ATTEMPTS),
    )
    return Queue(url, sqs)


def sweep_at(seconds: float) -> dict[str, int]:
    return delivery.sweep(now=clock.now() + timedelta(seconds=seconds))


def dead_lettered_count(client, merchant) -> int:
    backlog = client.get("/v1/health/outbox", headers=merchant.auth("manager")).json()
    return backlog["outcomes"].get("dead_lettered", 0)


def failing_member(client, merchant, apns) -> tuple[dict, str]:
    """A member with a registered device, a stamp pending for it, and APNs answering 500.

    Returns the member (with its program_id) and the device's push token, which APNs has
    not been sent anything for yet.
    """
    program = create_program(client, merchant)
    member = enrol(client, program["program_id"])
    deliver_all()  # the enrolment's own update, before the device: no push to it yet
    device = registered(client, member)
    apns.fail_ratio(1.0, 500)
    assert stamp(client, merchant, member["member_id"], count=1).status_code == 200
    return {**member, "program_id": program["program_id"]}, device.push_token


def test_a_pass_apns_keeps_refusing_is_retried_with_backoff_then_dead_lettered(
    client, merchant, apns, dead_letter_queue
):
    member, token = failing_member(client, merchant, apns)
    outbox_id = f"pass#{member['member_id']}"
    health_before = dead_lettered_count(client, merchant)

    started = clock.now()
    sweep_at(5)  # past the coalescing window: attempt 1
    ended = clock.now()
    first = OutboxItem.get(outbox_id, consistent_read=True)
    pushes_after_first = len(apns.statuses(token))
    delivery.sweep(now=clock.parse_iso(first.due_at) - timedelta(milliseconds=1))
    pushes_while_backing_off = len(apns.statuses(token))
    started_second = clock.now()
    sweep_at(60)  # attempt 2
    second = OutboxItem.get(outbox_id, consistent_read=True)
    sweep_at(3600)  # attempt 3, the last
    gone_after_last = not list(OutboxItem.query(outbox_id))
    pushes_at_the_end = len(apns.statuses(token))
    sweep_at(6 * 3600)  # nothing left to retry
    messages = [json.loads(body) for body in dead_letter_queue.received()]

    # Backoff: 2**attempts seconds, times a jitter in [0.5, 1].
    assert first.attempts == 1
    first_due = clock.parse_iso(first.due_at)
    assert started + timedelta(seconds=1) <= first_due <= ended + timedelta(seconds=2)
    assert first.last_error.startswith("APNs: 1 of 1 to retry: 500"), first.last_error
    assert pushes_after_first >= 1
    assert pushes_while_backing_off == pushes_after_first  # not retried before it is due
    assert second.attempts == 2
    assert clock.parse_iso(second.due_at) >= started_second + timedelta(seconds=2)
    assert gone_after_last  # no longer pending: it is in the queue instead
    assert set(apns.statuses(token)) == {500}
    assert len(apns.statuses(token)) == pushes_at_the_end  # and no longer retried
    assert len(messages) == 1
    body = messages[0]
    assert body["outbox_id"] == outbox_id
    assert body["kind"] == "pass"
    assert body["member_id"] == member["member_id"]
    assert body["program_id"] == member["program_id"]
    assert body["merchant_id"] == merchant.merchant_id
    assert body["attempts"] == MAX_ATTEMPTS
    assert body["error"] == first.last_error
    assert body["version"] == int(first.version)
    assert dead_lettered_count(client, merchant) == health_before + 1


def test_the_operators_redrive_lambda_brings_a_dead_lettered_pass_to_the_phone(
    client, merchant, apns, dead_letter_queue
):
    from app import app

    member, token = failing_member(client, merchant, apns)
    for seconds in (5, 60, 3600):
        sweep_at(seconds)
    outbox_id = f"pass#{member['member_id']}"
    assert not list(OutboxItem.query(outbox_id))  # dead-lettered: only the queue has it
    apns.fail_ratio(0.0, 500)

    with Client(app, stage_name="local") as lambdas:
        answer = lambdas.lambda_.invoke("redrive_dead_letters", {}).payload
    pending = OutboxItem.get(outbox_id, consistent_read=True)
    deliver_all()

    assert answer == {"redriven": 1}
    assert pending.attempts == 0
    assert dead_letter_queue.received() == []  # taken off the queue once back in the outbox
    assert apns.statuses(token)[-1] == 200
    assert not list(OutboxItem.query(outbox_id))


def test_re_driving_a_pass_that_changed_since_leaves_the_newer_change_alone(
    client, merchant, apns, dead_letter_queue
):
    member, _ = failing_member(client, merchant, apns)
    for seconds in (5, 60, 3600):
        sweep_at(seconds)
    [body] = dead_letter_queue.received()
    outbox_id = json.loads(body)["outbox_id"]
    stamp(client, merchant, member["member_id"], count=1)
    newer = OutboxItem.get(outbox_id, consistent_read=True)

    outcome = delivery.redrive(body)

    assert outcome == "superseded"
    after = OutboxItem.get(outbox_id, consistent_read=True)
    assert (after.version, after.due_at, after.attempts) == (
        newer.version,
        newer.due_at,
        newer.attempts,
    )


def test_with_sqs_unreachable_a_failed_item_stays_pending_until_the_queue_takes_it(
    client, merchant, apns, dead_letter_queue, moto_url, monkeypatch, caplog
):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    member, _ = failing_member(client, merchant, apns)
    outbox_id = f"pass#{member['member_id']}"
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", closed)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # botocore's own retries only slow the test

    with caplog.at_level(logging.ERROR, logger="chalicelib.services.delivery"):
        for seconds in (5, 60, 3600):
            sweep_at(seconds)
    refused_at = clock.now()
    parked = OutboxItem.get(outbox_id, consistent_read=True)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", moto_url)
    sweep_at(6 * 3600)  # attempt 4: APNs still refuses, the queue is back
    messages = [json.loads(body) for body in dead_letter_queue.received()]

    assert parked.attempts == MAX_ATTEMPTS
    assert clock.parse_iso(parked.due_at) > refused_at  # still backing off, not in a hot loop
    assert parked.last_error
    assert any("dead-letter queue" in r.getMessage() for r in caplog.records)
    assert not list(OutboxItem.query(outbox_id))
    assert [(m["outbox_id"], m["attempts"]) for m in messages] == [(outbox_id, MAX_ATTEMPTS + 1)]


def test_without_a_queue_a_failed_item_stays_pending_and_is_logged(
    client, merchant, apns, dead_letter_queue, new_root, caplog
):
    new_root(DEAD_LETTER_QUEUE_URL=None)
    member, _ = failing_member(client, merchant, apns)
    outbox_id = f"pass#{member['member_id']}"

    with caplog.at_level(logging.ERROR, logger="chalicelib.services.delivery"):
        for seconds in (5, 60, 3600):
            sweep_at(seconds)

    parked = OutboxItem.get(outbox_id, consistent_read=True)
    assert parked.attempts == MAX_ATTEMPTS
    assert any(outbox_id in r.getMessage() and "parked" in r.getMessage() for r in caplog.records)
    assert dead_letter_queue.received() == []
