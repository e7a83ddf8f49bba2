"""The outbox's DynamoDB Streams handler delivers each change once, and only changes.

The handler runs as Lambda runs it: in a process of its own that imports `app` with
OUTBOX_STREAM_ARN set, invoked through Chalice's test client with records shaped as
DynamoDB Streams sends them. That process reaches this one's DynamoDB and APNs peer.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.services import delivery
from chalicelib.services.delivery import pages
from chalicelib.store.models import OutboxItem
from tests.e2e import test_push
from tests.e2e.helpers import create_program, enrol, stamp
from tests.e2e.test_push import change_design, deliver_all, register_devices, registered

apns = test_push.apns  # the fixture: a local APNs peer, the service pointed at it

ROOT = Path(__file__).resolve().parents[2]
STREAM_ARN = (
    "arn:aws:dynamodb:eu-west-1:123456789012:table/loyalty-test-outbox/stream/2024-01-01T00:00:00"
)
_sequence = itertools.count(1)

# Reads a list of Lambda events on stdin and invokes the handler once per event. The
# client is given an empty project dir: with the repository's .chalice/config.json it
# would patch in the dev stage's environment (Apple's endpoint, the dev tables).
LAMBDA = """
import json, sys, tempfile
from chalice.test import Client
from app import app
{setup}

events = json.load(sys.stdin)
with tempfile.TemporaryDirectory() as empty, Client(app, project_dir=empty) as client:
    for event in events:
        client.lambda_.invoke("outbox_changed", event)
"""


def record(event_name: str, item: OutboxItem) -> dict:
    """One record as DynamoDB Streams hands it to Lambda, in the outbox's view type.

    NEW_IMAGE (OutboxItem.Meta): the item as written; a REMOVE carries its keys only.
    """
    image = {} if event_name == "REMOVE" else {"NewImage": item.to_dynamodb_dict()}
    return {
        "eventID": uuid.uuid4().hex,
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": settings().region,
        "dynamodb": {
            "ApproximateCreationDateTime": int(time.time()),
            "Keys": {"outbox_id": {"S": item.outbox_id}},
            **image,
            "SequenceNumber": str(next(_sequence)).zfill(21),
            "SizeBytes": 200,
            "StreamViewType": OutboxItem.Meta.stream_view_type,
        },
        "eventSourceARN": STREAM_ARN,
    }


def invoke(*events: dict, setup: str = "") -> list[tuple[str, str]]:
    """Run the handler on each event in a Lambda-like process; (outbox_id, outcome) delivered.

    `setup` is code run in that process after `import app`.
    """
    done = subprocess.run(
        [sys.executable, "-c", LAMBDA.format(setup=setup)],
        input=json.dumps(list(events)),
        env={**os.environ, "OUTBOX_STREAM_ARN": STREAM_ARN},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # delivery.deliver logs one JSON line per item it was asked to deliver.
    lines = [
        line[line.index("{") :] for line in done.stderr.splitlines() if "outbox_delivery" in line
    ]
    return [(entry["outbox_id"], entry["outcome"]) for entry in map(json.loads, lines)]


def pending(outbox_id: str) -> OutboxItem | None:
    try:
        return OutboxItem.get(outbox_id, consistent_read=True)
    except OutboxItem.DoesNotExist:
        return None


def stamped(client, merchant) -> tuple[OutboxItem, str]:
    """A stamp's outbox item, pending for a member with one registered device (never pushed)."""
    program = create_program(client, merchant)
    member = enrol(client, program["program_id"])
    deliver_all()  # the enrolment's own update, before the device exists
    device = registered(client, member)
    assert stamp(client, merchant, member["member_id"], count=2).status_code == 200
    return OutboxItem.get(f"pass#{member['member_id']}", consistent_read=True), device.push_token


def test_a_stamp_delivered_through_the_stream_is_one_push_and_empties_the_outbox(
    client, merchant, apns
):
    item, token = stamped(client, merchant)

    outcomes = invoke({"Records": [record("MODIFY", item)]})

    assert outcomes == [(item.outbox_id, "delivered")]
    assert apns.statuses(token) == [200]
    assert pending(item.outbox_id) is None


def test_remove_records_are_ignored(client, merchant, apns):
    item, token = stamped(client, merchant)

    outcomes = invoke({"Records": [record("REMOVE", item)]})

    assert outcomes == []
    assert apns.statuses(token) == []
    still = pending(item.outbox_id)
    assert still is not None
    assert (still.version, still.attempts) == (item.version, item.attempts)


def test_a_record_for_an_item_already_delivered_is_a_harmless_no_op(client, merchant, apns):
    item, token = stamped(client, merchant)
    event = {"Records": [record("INSERT", item)]}

    # Lambda may hand a batch over twice; the sweeper may have been first.
    outcomes = invoke(event, event)

    assert outcomes == [(item.outbox_id, "delivered")]  # the second found nothing to deliver
    assert apns.statuses(token) == [200]
    assert pending(item.outbox_id) is None


def test_the_backoff_a_failed_delivery_writes_is_left_to_the_sweeper(client, merchant, apns):
    item, token = stamped(client, merchant)
    apns.fail_ratio(1.0, 503)
    delivery.sweep(now=clock.now() + timedelta(seconds=5))
    backing_off = OutboxItem.get(item.outbox_id, consistent_read=True)
    pushes = len(apns.statuses(token))

    # The failure's own update (attempts, due_at) is a MODIFY record on the stream:
    # delivering on it would retry at once, in a loop, and skip the backoff.
    outcomes = invoke({"Records": [record("MODIFY", backing_off)]})

    assert backing_off.attempts == 1
    assert outcomes == []
    assert len(apns.statuses(token)) == pushes
    after = OutboxItem.get(item.outbox_id, consistent_read=True)
    assert (after.attempts, after.due_at) == (1, backing_off.due_at)


def test_a_new_change_to_an_item_backing_off_is_delivered_at_once(client, merchant, apns):
    item, token = stamped(client, merchant)
    apns.fail_ratio(1.0, 503)
    delivery.sweep(now=clock.now() + timedelta(seconds=5))
    apns.fail_ratio(0.0, 503)
    assert stamp(client, merchant, item.member_id, count=1).status_code == 200
    changed = OutboxItem.get(item.outbox_id, consistent_read=True)

    outcomes = invoke({"Records": [record("MODIFY", changed)]})

    assert changed.attempts == 0  # a change starts its attempts afresh
    assert outcomes == [(item.outbox_id, "delivered")]
    assert apns.statuses(token)[-1] == 200
    assert pending(item.outbox_id) is None


# Chalice's test client gives each invocation a 3-second Lambda context.
SMALL_PAGES = (
    "from chalicelib.handlers import outbox as handlers\n"
    "from chalicelib.services.delivery import pages\n"
    "pages.FANOUT_PAGE = 40\n"
)


def test_a_fan_out_goes_on_page_after_page_while_the_invocation_has_time(client, merchant, apns):
    from tests.e2e.test_push_fanout import job_of

    program = create_program(client, merchant)
    tokens = register_devices(program["program_id"], 130)
    job_id = change_design(client, merchant, program["program_id"])
    fanout = OutboxItem.get(f"fanout#{job_id}", consistent_read=True)

    outcomes = invoke(
        {"Records": [record("INSERT", fanout)]},
        setup=SMALL_PAGES + "handlers.FANOUT_PAGE_SECONDS = 0\n",
    )

    assert [outcome for _, outcome in outcomes] == ["more", "more", "more", "delivered"]
    assert {token for token in tokens if apns.statuses(token) == [200]} == set(tokens)
    assert job_of(client, merchant, job_id)["status"] == "done"
    assert pending(fanout.outbox_id) is None


def test_a_fan_out_the_invocation_has_no_time_for_is_left_to_the_sweeper(
    client, merchant, apns, monkeypatch
):
    from tests.e2e.test_push_fanout import job_of

    program = create_program(client, merchant)
    tokens = register_devices(program["program_id"], 130)
    job_id = change_design(client, merchant, program["program_id"])
    fanout = OutboxItem.get(f"fanout#{job_id}", consistent_read=True)

    # 3 seconds left is less than a page needs: one page, then stop.
    outcomes = invoke({"Records": [record("INSERT", fanout)]}, setup=SMALL_PAGES)
    pushed_by_the_stream = sum(1 for token in tokens if apns.statuses(token))
    monkeypatch.setattr(pages, "FANOUT_PAGE", 40)
    deliver_all()

    assert [outcome for _, outcome in outcomes] == ["more"]
    assert pushed_by_the_stream == 40
    assert {token for token in tokens if apns.statuses(token) == [200]} == set(tokens)
    assert job_of(client, merchant, job_id)["status"] == "done"


# A warm Lambda: invoked with each event (one line on stdin) as the stream hands it over.
WARM_LAMBDA = """
import json, sys, tempfile
from chalice.test import Client
from app import app

with tempfile.TemporaryDirectory() as empty, Client(app, project_dir=empty) as client:
    print("ready", flush=True)
    for line in sys.stdin:
        print("invoked", flush=True)
        client.lambda_.invoke("outbox_changed", json.loads(line))
        print("done", flush=True)
"""


def test_three_stamps_within_a_second_reach_the_stream_handler_as_one_push(
    client, merchant, apns, tmp_path
):
    item, token = stamped(client, merchant)
    deliver_all()  # the earlier stamps' push: this test counts the ones after it
    pushes_before = len(apns.statuses(token))
    log_file = (tmp_path / "lambda.log").open("w+")
    warm = subprocess.Popen(
        [sys.executable, "-c", WARM_LAMBDA],
        env={**os.environ, "OUTBOX_STREAM_ARN": STREAM_ARN},
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log_file,
        text=True,
    )
    assert warm.stdin is not None and warm.stdout is not None
    assert warm.stdout.readline().strip() == "ready"

    # The stream hands the first stamp's record over at once; the next two stamps come
    # while that invocation runs, and their records in the next batch.
    records = []
    for n in range(3):
        assert stamp(client, merchant, item.member_id, count=1).status_code == 200
        records.append(record("MODIFY", OutboxItem.get(item.outbox_id, consistent_read=True)))
        if n == 0:
            warm.stdin.write(json.dumps({"Records": records}) + "\n")
            warm.stdin.flush()
            assert warm.stdout.readline().strip() == "invoked"
            time.sleep(0.5)
    first_batch = warm.stdout.readline().strip()
    warm.stdin.write(json.dumps({"Records": records[1:]}) + "\n")
    warm.stdin.close()
    warm.wait(timeout=60)
    log_file.seek(0)
    outcomes = [
        json.loads(line[line.index("{") :])["outcome"]
        for line in log_file
        if "outbox_delivery" in line
    ]

    assert first_batch == "done"
    assert warm.returncode == 0
    assert len(apns.statuses(token)) - pushes_before == 1
    assert outcomes.count("delivered") == 1
    assert pending(item.outbox_id) is None
