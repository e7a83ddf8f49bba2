"""The APNs client against a local APNs over real TLS sockets (tests/peers/apns_peer.py)."""

from __future__ import annotations

import logging
import secrets
import socket
import ssl
import threading
import time

import pytest

from chalicelib.push.apns import ApnsClient, LoggingPusher, Outcome, PushResult
from tests.peers.apns_peer import ApnsPeer
from tests.peers.conftest_apns import *  # noqa: F403 (the fixtures)
from tests.peers.conftest_apns import TOPIC


def tokens(n: int) -> list[str]:
    return [secrets.token_hex(32) for _ in range(n)]


def outcomes(results: list[PushResult]) -> set[Outcome]:
    return {r.outcome for r in results}


def eventually(check, seconds: float = 2.0):
    deadline = time.monotonic() + seconds
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.01)
    return result


# -- what goes on the wire -----------------------------------------------------------------


def test_a_push_reaches_the_peer_as_apple_documents_it(apns_client, apns_peer):
    token = secrets.token_hex(32)

    result = apns_client.push(token)

    assert result == PushResult(token, Outcome.DELIVERED, 200, None)
    (request,) = apns_peer.requests
    assert request.method == "POST"
    assert request.path == f"/3/device/{token}"
    assert request.headers["apns-topic"] == TOPIC
    assert request.body == b"{}"
    assert f"userId={TOPIC}" in request.client_subject  # the Pass Type ID certificate


def test_a_client_without_a_certificate_is_refused_at_the_tls_layer(apns_pki, apns_peer):
    context = ssl.create_default_context(cafile=apns_pki.ca_file)
    context.set_alpn_protocols(["h2"])

    with (
        socket.create_connection(("127.0.0.1", apns_peer.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        pytest.raises(ssl.SSLError, match=r"CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE"),
    ):
        tls.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        tls.recv(1024)

    assert apns_peer.requests == []
    assert eventually(lambda: apns_peer.handshake_failures)  # the alert goes out first


def test_a_certificate_from_another_ca_is_a_certificate_problem_found_once(
    apns_client_factory, apns_pki, apns_peer
):
    client = apns_client_factory(cert_file=apns_pki.stranger_cert, key_file=apns_pki.stranger_key)

    results = client.push_many(tokens(20))

    assert outcomes(results) == {Outcome.CERTIFICATE}
    assert all("UNKNOWN_CA" in (r.reason or "") for r in results)
    assert apns_peer.requests == []
    assert client.stats["connect_errors"] == 1  # one refused handshake, not one per push


def test_a_hundred_pushes_share_one_connection(apns_client, apns_peer):
    batch = tokens(100)

    first = apns_client.push_many(batch[:60])
    second = apns_client.push_many(batch[60:])

    assert [r.token for r in first + second] == batch
    assert outcomes(first + second) == {Outcome.DELIVERED}
    assert len(apns_peer.connection_ids) == 1
    assert apns_peer.connections_accepted == 1
    assert apns_client.stats["connections"] == 1
    assert apns_client.stats[Outcome.DELIVERED] == 100


def test_pushes_from_several_threads_share_one_connection(apns_client, apns_peer):
    batches = [tokens(50) for _ in range(4)]
    results: list[list[PushResult]] = []

    threads = [
        threading.Thread(target=lambda b=b: results.append(apns_client.push_many(b)))
        for b in batches
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(r.token for rs in results for r in rs) == sorted(t for b in batches for t in b)
    assert outcomes([r for rs in results for r in rs]) == {Outcome.DELIVERED}
    assert apns_client.stats["connections"] == 1
    assert len(apns_peer.connection_ids) == 1


def test_the_servers_stream_limit_is_honoured(apns_client_factory, apns_pki):
    peer = ApnsPeer(apns_pki, TOPIC, max_concurrent_streams=8).start()
    try:
        client = apns_client_factory(endpoint=peer.url)

        results = client.push_many(tokens(200))

        assert outcomes(results) == {Outcome.DELIVERED}
        assert client.stats["connections"] == 1
        assert client.stats["resent"] == 0
    finally:
        peer.stop()


# -- what the answers mean -----------------------------------------------------------------


def test_an_unregistered_token_is_to_be_deleted(apns_client, apns_peer):
    token = secrets.token_hex(32)
    apns_peer.unregister(token)

    result = apns_client.push(token)

    assert result == PushResult(token, Outcome.UNREGISTER, 410, "Unregistered")


@pytest.mark.parametrize("reason", ["BadDeviceToken", "DeviceTokenNotForTopic"])
def test_a_token_apns_calls_bad_is_to_be_deleted(apns_client, apns_peer, reason):
    token = secrets.token_hex(32)
    apns_peer.reject_token(token, reason)

    result = apns_client.push(token)

    assert result == PushResult(token, Outcome.UNREGISTER, 400, reason)
    assert len(apns_peer.statuses(token)) == 1


def test_a_token_that_is_not_hex_is_refused_by_apns_and_to_be_deleted(apns_client):
    token = "zz" * 32

    result = apns_client.push(token)

    assert result == PushResult(token, Outcome.UNREGISTER, 400, "BadDeviceToken")


def test_a_token_that_would_bend_the_path_is_never_sent(apns_client, apns_peer):
    result = apns_client.push("../../3/device/x")

    assert result.outcome is Outcome.UNREGISTER
    assert result.status is None
    assert apns_peer.requests == []


def test_a_refused_certificate_is_logged_loudly_and_kept_pending_without_retries(
    apns_client, apns_peer, caplog
):
    apns_peer.reject_certificates()
    batch = tokens(20)

    with caplog.at_level(logging.ERROR, logger="chalicelib.push.apns"):
        results = apns_client.push_many(batch)

    assert outcomes(results) == {Outcome.CERTIFICATE}
    assert {r.status for r in results} <= {403, None}
    assert apns_client.stats["retries"] == 0
    assert all(len(apns_peer.statuses(t)) <= 1 for t in batch)
    assert "REFUSED THE PASS TYPE ID CERTIFICATE" in caplog.text


def test_a_wrong_topic_is_rejected_and_not_retried(apns_client_factory, apns_peer):
    client = apns_client_factory(topic="pass.com.example.other")
    token = secrets.token_hex(32)

    result = client.push(token)

    assert result == PushResult(token, Outcome.REJECTED, 400, "BadTopic")
    assert apns_peer.statuses(token) == [400]


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_failures_are_retried_until_delivered(apns_client, apns_peer, status):
    token = secrets.token_hex(32)
    apns_peer.fail_next(2, status)

    result = apns_client.push(token)

    assert result.outcome is Outcome.DELIVERED
    assert apns_peer.statuses(token) == [status, status, 200]
    assert apns_client.stats["retries"] == 2


def test_a_push_still_failing_after_max_attempts_is_left_to_retry_later(
    apns_client_factory, apns_peer
):
    client = apns_client_factory(max_attempts=3)
    token = secrets.token_hex(32)
    apns_peer.fail_next(5, 503)

    result = client.push(token)

    assert result == PushResult(token, Outcome.RETRY, 503, "ServiceUnavailable")
    assert apns_peer.statuses(token) == [503, 503, 503]


# -- when the server ends the connection ---------------------------------------------------


def test_a_burst_survives_goaway_every_50_requests_without_losing_or_repeating_a_push(
    apns_client, apns_peer
):
    apns_peer.goaway_after(50)
    batch = tokens(300)

    results = apns_client.push_many(batch)

    assert outcomes(results) == {Outcome.DELIVERED}
    assert len(apns_peer.connection_ids) >= 6
    delivered = apns_peer.delivered()
    assert all(delivered[t] == 1 for t in batch)  # streams above GOAWAY's last id: unseen
    assert apns_client.stats["resent"] > 0


def test_a_burst_survives_the_connection_being_reset_midway(apns_client, apns_peer):
    apns_peer.drop_connection(after=100)
    batch = tokens(300)

    results = apns_client.push_many(batch)

    assert outcomes(results) == {Outcome.DELIVERED}
    delivered = apns_peer.delivered()
    assert all(delivered[t] >= 1 for t in batch)
    assert len(apns_peer.connection_ids) >= 2
    assert apns_client.stats["connections"] == 2


def test_a_connection_the_server_closed_while_idle_is_replaced(apns_client, apns_peer):
    apns_client.push(secrets.token_hex(32))
    apns_peer.drop_connection()
    time.sleep(0.5)  # the client's loop sees the reset at once; this is slack for busy CI

    result = apns_client.push(secrets.token_hex(32))

    assert result.outcome is Outcome.DELIVERED
    assert apns_client.stats["connections"] == 2
    assert apns_client.stats["retries"] == 0


def test_under_30_percent_failures_every_delivered_push_was_really_answered_200(
    apns_client, apns_peer
):
    apns_peer.fail_ratio(0.3, 503)
    batch = tokens(500)

    results = apns_client.push_many(batch)

    assert outcomes(results) <= {Outcome.DELIVERED, Outcome.RETRY}
    delivered = apns_peer.delivered()
    for result in results:
        if result.outcome is Outcome.DELIVERED:
            assert delivered[result.token] == 1
        else:
            assert apns_peer.statuses(result.token) == [503, 503, 503]
    assert sum(r.outcome is Outcome.DELIVERED for r in results) > 450
    assert apns_client.stats["connections"] == 1


def test_an_unreachable_server_is_not_hammered_with_reconnects(apns_client_factory):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    client = apns_client_factory(endpoint=f"https://127.0.0.1:{port}")

    results = client.push_many(tokens(50))

    assert outcomes(results) == {Outcome.RETRY}
    assert client.stats["connect_errors"] <= 3
    assert client.stats["connections"] == 0


def test_an_idle_connection_is_checked_with_a_ping_and_kept(apns_client, apns_peer):
    apns_client.push(secrets.token_hex(32))
    apns_client.idle_ping_after = 0.0

    result = apns_client.push(secrets.token_hex(32))

    assert result.outcome is Outcome.DELIVERED
    assert apns_client.stats["pings"] == 1
    assert apns_client.stats["connections"] == 1


def test_an_idle_connection_deaf_to_a_ping_is_replaced(apns_client_factory, apns_peer):
    client = apns_client_factory(timeout=1.0)
    client.push(secrets.token_hex(32))
    apns_peer.silence()
    client.idle_ping_after = 0.0

    result = client.push(secrets.token_hex(32))

    assert result.outcome is Outcome.DELIVERED
    assert client.stats["pings"] == 1
    assert client.stats["connections"] == 2
    assert client.stats["retries"] == 0


def test_a_connection_gone_silent_mid_use_is_replaced_after_the_timeout(
    apns_client_factory, apns_peer
):
    client = apns_client_factory(timeout=1.0)
    client.push(secrets.token_hex(32))
    apns_peer.silence()
    time.sleep(0.2)
    token = secrets.token_hex(32)

    result = client.push(token)

    assert result.outcome is Outcome.DELIVERED
    assert client.stats["connections"] == 2
    assert client.stats["retries"] == 1


# -- the client's own life -----------------------------------------------------------------


def test_a_closed_client_refuses_to_push(apns_client):
    apns_client.push(secrets.token_hex(32))

    apns_client.close()

    with pytest.raises(RuntimeError, match="closed"):
        apns_client.push(secrets.token_hex(32))


def test_an_endpoint_must_be_https(apns_pki):
    with pytest.raises(ValueError, match="https"):
        ApnsClient("http://127.0.0.1:1", apns_pki.client_cert, apns_pki.client_key, TOPIC)


def test_without_an_endpoint_pushes_are_only_logged(caplog):
    pusher = LoggingPusher()

    with caplog.at_level(logging.INFO, logger="chalicelib.push.apns"):
        results = pusher.push_many(["abc", "def"])
    single = pusher.push("ghi")
    pusher.close()

    assert [r.outcome for r in [*results, single]] == [Outcome.DELIVERED] * 3
    assert "would push to abc" in caplog.text
