"""Every change reaches the phone: the outbox, APNs over HTTP/2, coalescing, faults, fan-out.

The service is pointed at a local APNs peer (HTTP/2 over TLS, requiring our dev
Pass Type ID certificate) the way a deployed stage is pointed at Apple.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.services import delivery
from chalicelib.store.models import OutboxItem, RegistrationItem
from tests.e2e.helpers import STAMP_CARD, create_program, enrol, stamp
from tests.e2e.test_apple_web_service import Device, download, pass_json
from tests.peers.apns_peer import ApnsPeer, make_test_pki

BIG_CARD = {**STAMP_CARD, "stamps": {"required": 50, "reward": {"name": "Coffee"}}}


@pytest.fixture
def apns(tmp_path, new_root):
    """A local APNs that trusts our dev root, and the service pointed at it."""
    test_pki = make_test_pki(tmp_path / "pki", settings().pass_type_identifier)
    root = Path(os.environ["APPLE_CERTS_DIR"]) / "root.pem"
    peer = ApnsPeer(replace(test_pki, ca_file=str(root)), settings().pass_type_identifier).start()
    new_root(APNS_ENDPOINT=peer.url, APNS_CA_FILE=test_pki.ca_file)
    yield peer
    delivery.pusher().close()
    peer.stop()


def still_owed(outbox_ids: list[str]) -> list[str]:
    """Which of these outbox records are still pending (this test's own: the store is
    shared with the tests before it on this worker, whose records may be due years on)."""
    return [item.outbox_id for item in OutboxItem.batch_get(outbox_ids)]


def deliver_all(rounds: int = 3, ahead: float = 5) -> dict:
    """Sweep as the worker would, a moment later (past the coalescing window)."""
    totals: dict[str, int] = {}
    for _ in range(rounds):
        for outcome, n in delivery.sweep(now=clock.now() + timedelta(seconds=ahead)).items():
            totals[outcome] = totals.get(outcome, 0) + n
    return totals


def registered(client, member) -> Device:
    token = pass_json(download(client, member))["authenticationToken"]
    device = Device(client, token, member["member_id"])
    assert device.register().status_code == 201
    return device


def register_devices(program_id: str, count: int) -> list[str]:
    """`count` devices registered for the program's passes; their push tokens."""
    pass_type = settings().pass_type_identifier
    now = clock.iso(clock.now())
    tokens = []
    with RegistrationItem.batch_write() as batch:
        for _ in range(count):
            serial, token = uuid.uuid4().hex, uuid.uuid4().hex * 2
            tokens.append(token)
            batch.save(
                RegistrationItem(
                    uuid.uuid4().hex,
                    f"{pass_type}#{serial}",
                    serial=serial,
                    pass_type=pass_type,
                    program_id=program_id,
                    push_token=token,
                    created_at=now,
                    updated_at=now,
                )
            )
    return tokens


def change_design(client, merchant, program_id: str) -> str:
    """PATCH the program's design; the fan-out job's id."""
    response = client.patch(
        f"/v1/programs/{program_id}",
        json={"design": {"background_color": "#202830"}},
        headers=merchant.auth("owner"),
    )
    assert response.status_code == 200, response.text
    return response.json()["pass_updates"]["job_id"]


def test_a_stamp_pushes_the_device_which_then_fetches_the_new_pass(client, merchant, apns):
    program = create_program(client, merchant)
    member = enrol(client, program["program_id"])
    device = registered(client, member)
    deliver_all()
    tag = device.updated().json()["lastUpdated"]
    before = len(apns.requests)

    stamp(client, merchant, member["member_id"], count=3)
    deliver_all()

    pushes = apns.requests[before:]
    assert [(r.token, r.status, r.body) for r in pushes] == [(device.push_token, 200, b"{}")]
    assert pushes[0].topic == settings().pass_type_identifier
    assert pushes[0].client_subject  # the dev Pass Type ID certificate was presented
    changed = device.updated(since=tag)
    assert changed.json()["serialNumbers"] == [member["member_id"]]
    fresh = pass_json(device.fetch().content)
    assert "3" in str(fresh["storeCard"]["primaryFields"][0]["value"])


def test_a_burst_of_changes_to_one_pass_is_one_push(client, merchant, apns):
    program = create_program(client, merchant)
    member = enrol(client, program["program_id"])
    device = registered(client, member)
    deliver_all()
    before = len(apns.requests)

    for _ in range(5):
        stamp(client, merchant, member["member_id"], count=1)
    deliver_all()

    assert [r.token for r in apns.requests[before:]] == [device.push_token]


def test_a_device_apns_calls_gone_is_dropped_and_never_pushed_again(client, merchant, apns):
    program = create_program(client, merchant)
    member = enrol(client, program["program_id"])
    gone, kept = registered(client, member), registered(client, member)
    apns.unregister(gone.push_token)

    stamp(client, merchant, member["member_id"], count=1)
    deliver_all()
    stamp(client, merchant, member["member_id"], count=1)
    deliver_all()

    assert apns.statuses(gone.push_token) == [410]
    assert apns.delivered()[kept.push_token] == 2
    assert gone.updated().status_code == 204  # its registration is gone


def test_apns_unreachable_loses_nothing(client, merchant, apns):
    program = create_program(client, merchant)
    member = enrol(client, program["program_id"])
    device = registered(client, member)
    deliver_all()
    apns.fail_ratio(1.0, 503)

    stamp(client, merchant, member["member_id"], count=1)
    failing = deliver_all()
    apns.fail_ratio(0.0, 503)
    later = deliver_all(ahead=3 * 3600)

    assert failing.get("retry", 0) >= 1
    assert later.get("delivered", 0) >= 1
    assert apns.delivered()[device.push_token] >= 1
    assert not list(OutboxItem.query(f"pass#{member['member_id']}"))


def test_faults_during_a_burst_lose_no_update(client, merchant, apns):
    program = create_program(client, merchant, BIG_CARD)
    members = [enrol(client, program["program_id"]) for _ in range(100)]
    tokens = {}
    for member in members:
        token = uuid.uuid4().hex * 2
        now = clock.iso(clock.now())
        RegistrationItem(
            uuid.uuid4().hex,
            f"{settings().pass_type_identifier}#{member['member_id']}",
            serial=member["member_id"],
            pass_type=settings().pass_type_identifier,
            program_id=program["program_id"],
            push_token=token,
            created_at=now,
            updated_at=now,
        ).save()
        tokens[member["member_id"]] = token
    gone = members[0]["member_id"]
    apns.unregister(tokens[gone])
    deliver_all()
    apns.fail_ratio(0.3, 503)
    last_change_at: dict[str, int] = {}
    stop = threading.Event()

    def sweeper() -> None:
        while not stop.is_set():
            delivery.sweep(now=clock.now() + timedelta(seconds=5))
            time.sleep(0.05)

    def change(i: int) -> None:
        member_id = members[i % 100]["member_id"]
        assert stamp(client, merchant, member_id, count=1).status_code == 200
        last_change_at[member_id] = len(apns.requests)
        if i in (150, 350):
            apns.drop_connection()

    background = threading.Thread(target=sweeper)
    background.start()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(change, range(500)))
    stop.set()
    background.join()
    apns.fail_ratio(0.0, 503)
    deliver_all(rounds=5, ahead=6 * 3600)

    requests = apns.requests
    for member_id, token in tokens.items():
        if member_id == gone:
            continue
        after = [r for r in requests[last_change_at[member_id] :] if r.token == token]
        assert any(r.status == 200 for r in after), f"{member_id} missed its last change"
    assert apns.statuses(tokens[gone]) == [410]
    assert [r.status for r in requests if r.token == tokens[gone]] == [410]
    assert still_owed([f"pass#{member_id}" for member_id in tokens]) == []


def test_a_design_change_reaches_every_device_through_a_job(client, merchant, apns):
    program = create_program(client, merchant)
    members = [enrol(client, program["program_id"]) for _ in range(3)]
    devices = [registered(client, m) for m in members]
    deliver_all()
    before = len(apns.requests)

    changed = client.patch(
        f"/v1/programs/{program['program_id']}",
        json={"design": {"background_color": "#112233"}},
        headers=merchant.auth("owner"),
    )
    job_id = changed.json()["pass_updates"]["job_id"]
    running = client.get(f"/v1/jobs/{job_id}", headers=merchant.auth("manager")).json()
    deliver_all()
    done = client.get(f"/v1/jobs/{job_id}", headers=merchant.auth("manager")).json()

    assert changed.status_code == 200
    assert changed.json()["pass_updates"]["members"] == 3
    assert running["status"] == "running"
    assert done["status"] == "done"
    assert done["devices_done"] == 3
    pushed = {r.token for r in apns.requests[before:] if r.status == 200}
    assert pushed == {d.push_token for d in devices}
    assert pass_json(devices[0].fetch().content)["backgroundColor"] == "rgb(17, 34, 51)"


def test_a_change_that_does_not_show_on_the_pass_starts_no_job(client, merchant):
    program = create_program(client, merchant)

    changed = client.patch(
        f"/v1/programs/{program['program_id']}",
        json={"limits": {"cooldown_seconds": 5}},
        headers=merchant.auth("owner"),
    )

    assert changed.status_code == 200
    assert changed.json().get("pass_updates") is None


def test_another_merchant_cannot_read_a_job(client, merchant, other_merchant):
    program = create_program(client, merchant)
    job_id = client.patch(
        f"/v1/programs/{program['program_id']}",
        json={"name": "Renamed"},
        headers=merchant.auth("owner"),
    ).json()["pass_updates"]["job_id"]

    response = client.get(f"/v1/jobs/{job_id}", headers=other_merchant.auth("manager"))

    assert response.status_code == 404


def test_a_worker_killed_mid_fan_out_loses_nothing(client, merchant, apns):
    import signal
    import subprocess
    import sys

    program = create_program(client, merchant)
    tokens = register_devices(program["program_id"], 2500)
    job_id = change_design(client, merchant, program["program_id"])
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from datetime import timedelta\n"
            "from chalicelib import clock\n"
            "from chalicelib.services import delivery\n"
            "from chalicelib.store import db\n"
            "db.bind()  # a worker of its own: bound like app.py binds\n"
            "while True:\n"
            "    delivery.sweep(now=clock.now() + timedelta(seconds=5))\n",
        ],
        env=dict(os.environ),
    )
    deadline = time.monotonic() + 60
    while len(apns.requests) < 1200 and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    killed_after = len(apns.requests)

    deliver_all()

    job = client.get(f"/v1/jobs/{job_id}", headers=merchant.auth("manager")).json()
    delivered = apns.delivered()
    assert 1200 <= killed_after < 2500 + 1  # killed mid-fan-out
    assert job["status"] == "done"
    assert job["devices_done"] == 2500
    assert all(delivered[t] >= 1 for t in tokens)
    assert still_owed([f"fanout#{job_id}", f"class#{program['program_id']}"]) == []


def test_each_delivery_is_one_structured_log_line(client, merchant, apns, caplog):
    import json as json_module
    import logging

    program = create_program(client, merchant)
    member = enrol(client, program["program_id"])
    registered(client, member)

    with caplog.at_level(logging.INFO, logger="chalicelib.services.delivery"):
        deliver_all()

    lines = [
        json_module.loads(r.getMessage())
        for r in caplog.records
        if r.name == "chalicelib.services.delivery.outbox" and r.getMessage().startswith("{")
    ]
    mine = [line for line in lines if line["outbox_id"] == f"pass#{member['member_id']}"]
    assert mine and mine[-1]["outcome"] == "delivered"
    assert mine[-1]["kind"] == "pass"
