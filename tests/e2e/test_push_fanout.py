"""A design change fanned out over many pages: each page read while the one before is
pushed, and still every device pushed, the job's count exact, nothing lost.

Pages are made small (a few hundred devices) so that a test runs many of them.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter

import pytest

from chalicelib.services import delivery
from chalicelib.services.delivery import pages, pushes
from tests.e2e import test_push
from tests.e2e.helpers import create_program
from tests.e2e.test_push import change_design, deliver_all, register_devices

apns = test_push.apns  # the fixture: a local APNs peer, the service pointed at it

PAGE = 150


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(pages, "FANOUT_PAGE", PAGE)


def job_of(client, merchant, job_id: str) -> dict:
    return client.get(f"/v1/jobs/{job_id}", headers=merchant.auth("manager")).json()


def test_every_page_after_the_first_is_read_while_the_one_before_is_pushed(
    client, merchant, apns, small_pages, monkeypatch
):
    program = create_program(client, merchant)
    tokens = register_devices(program["program_id"], 4 * PAGE + 100)
    readers: list[str] = []
    read_page = pages.read_page

    def recorded(program_id: str, cursor: str | None):
        # This program's pages only: the sweep also takes what earlier tests on this
        # worker left due (another program's fan-out, read on the main thread).
        if program_id == program["program_id"]:
            readers.append(threading.current_thread().name)
        return read_page(program_id, cursor)

    monkeypatch.setattr(pages, "read_page", recorded)
    job_id = change_design(client, merchant, program["program_id"])

    deliver_all()

    job = job_of(client, merchant, job_id)
    delivered = apns.delivered()
    assert job["status"] == "done"
    assert job["devices_done"] == len(tokens)
    assert Counter(delivered[t] for t in tokens) == {1: len(tokens)}  # each once
    assert readers[1:] == ["fanout-read-ahead"] * 4  # five pages, each read once
    assert readers[0] != "fanout-read-ahead"


def test_a_page_whose_pushes_fail_is_pushed_again_and_the_next_page_is_not_skipped(
    client, merchant, apns, small_pages, monkeypatch
):
    program = create_program(client, merchant)
    tokens = register_devices(program["program_id"], 3 * PAGE)
    pages = 0
    push_tokens = pushes.push_tokens

    def second_page_refused(registrations):
        nonlocal pages
        pages += 1
        if pages != 2:
            return push_tokens(registrations)
        apns.reject_certificates()  # 403 for the whole page: it must be retried
        try:
            return push_tokens(registrations)
        finally:
            apns.reject_certificates(False)

    monkeypatch.setattr(pushes, "push_tokens", second_page_refused)
    job_id = change_design(client, merchant, program["program_id"])

    deliver_all(rounds=4)

    job = job_of(client, merchant, job_id)
    delivered = apns.delivered()
    refused = [t for t in tokens if 403 in apns.statuses(t)]
    assert len(refused) == PAGE
    assert job["status"] == "done"
    assert job["devices_done"] == len(tokens)  # the refused page counted once
    assert all(delivered[t] == 1 for t in tokens)


def test_a_failed_read_ahead_is_read_again_and_loses_nothing(
    client, merchant, apns, small_pages, monkeypatch
):
    program = create_program(client, merchant)
    tokens = register_devices(program["program_id"], 3 * PAGE + 1)
    read_page = pages.read_page

    def unreachable_ahead(program_id: str, cursor: str | None):
        if threading.current_thread().name == "fanout-read-ahead":
            raise ConnectionError("DynamoDB unreachable")
        return read_page(program_id, cursor)

    monkeypatch.setattr(pages, "read_page", unreachable_ahead)
    job_id = change_design(client, merchant, program["program_id"])

    deliver_all()

    job = job_of(client, merchant, job_id)
    delivered = apns.delivered()
    assert job["status"] == "done"
    assert job["devices_done"] == len(tokens)
    assert all(delivered[t] == 1 for t in tokens)


def test_a_worker_killed_mid_fan_out_of_many_pages_repeats_at_most_one_page(client, merchant, apns):
    import signal
    import subprocess
    import sys

    program = create_program(client, merchant)
    tokens = register_devices(program["program_id"], 10 * PAGE)
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
            "from chalicelib.services.delivery import pages\n"
            f"pages.FANOUT_PAGE = {PAGE}\n"
            "while True:\n"
            "    delivery.sweep(now=clock.now() + timedelta(seconds=5))\n",
        ],
        env=dict(os.environ),
    )
    deadline = time.monotonic() + 60
    while len(apns.requests) < 4 * PAGE + PAGE // 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    killed_after = len(apns.requests)

    deliver_all()

    job = job_of(client, merchant, job_id)
    delivered = apns.delivered()
    assert killed_after < len(tokens)  # killed mid-fan-out
    assert job["status"] == "done"
    assert job["devices_done"] == len(tokens)
    assert all(delivered[t] >= 1 for t in tokens)
    assert sum(delivered[t] - 1 for t in tokens) <= PAGE  # the page in flight, no more


def test_two_workers_on_one_job_count_each_page_once_and_skip_none(
    client, merchant, apns, small_pages, monkeypatch
):
    """The stream handler and the sweeper both take the job: pages race, counts stay exact."""
    program = create_program(client, merchant)
    tokens = register_devices(program["program_id"], 3 * PAGE + 20)
    job_id = change_design(client, merchant, program["program_id"])
    push_tokens = pushes.push_tokens
    outcomes: list[str] = []

    def second_worker_meanwhile(registrations):
        # While this worker pushes its first page, another delivers the same page
        # (and moves the cursor on) before this one can record it.
        monkeypatch.setattr(pushes, "push_tokens", push_tokens)
        outcomes.append(delivery.deliver(f"fanout#{job_id}"))
        return push_tokens(registrations)

    monkeypatch.setattr(pushes, "push_tokens", second_worker_meanwhile)
    first = delivery.deliver(f"fanout#{job_id}")
    deliver_all()

    job = job_of(client, merchant, job_id)
    delivered = apns.delivered()
    assert outcomes == ["more"]  # the other worker recorded the first page
    assert first == "superseded"  # this one found the cursor moved, and stopped
    assert job["status"] == "done"
    assert job["devices_done"] == len(tokens)  # the first page counted once
    assert all(delivered[t] >= 1 for t in tokens)
    assert sum(delivered[t] for t in tokens) == len(tokens) + PAGE  # one page pushed twice
