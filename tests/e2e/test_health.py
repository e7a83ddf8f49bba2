"""GET /v1/health answers a load balancer; the outbox's backlog is for managers."""

from __future__ import annotations

from chalicelib.services.delivery import metrics
from tests.e2e.helpers import create_program, enrol


def test_an_anonymous_health_check_learns_only_that_the_service_is_up(client):
    answer = client.get("/v1/health")

    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_the_outbox_backlog_needs_a_manager(client, merchant):
    anonymous = client.get("/v1/health/outbox")
    barista = client.get("/v1/health/outbox", headers=merchant.auth("barista"))
    manager = client.get("/v1/health/outbox", headers=merchant.auth("manager"))

    assert anonymous.status_code == 401
    assert barista.status_code == 403
    assert manager.status_code == 200
    assert set(manager.json()) == {"pending", "pending_capped", "oldest_age_seconds", "outcomes"}


def test_the_backlog_counts_pending_items_only_up_to_its_limit(client, merchant, monkeypatch):
    program = create_program(client, merchant)
    for _ in range(6):
        enrol(client, program["program_id"])  # each leaves its pass update pending
    monkeypatch.setattr(metrics, "BACKLOG_COUNT_LIMIT", 4)

    backlog = client.get("/v1/health/outbox", headers=merchant.auth("manager")).json()

    assert backlog["pending"] == 4
    assert backlog["pending_capped"] is True
    assert backlog["oldest_age_seconds"] >= 0
