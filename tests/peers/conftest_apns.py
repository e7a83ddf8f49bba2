"""Fixtures for the APNs client tests: a test PKI, a local APNs peer, and clients of it.

Imported by tests/peers/test_apns_client.py (`from tests.peers.conftest_apns import *`)
rather than registered from tests/peers/conftest.py, which other peers' tests may own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from chalicelib.push.apns import ApnsClient
from tests.peers.apns_peer import ApnsPeer, TestPki, make_test_pki

__all__ = ["TOPIC", "apns_client", "apns_client_factory", "apns_peer", "apns_pki"]

TOPIC = "pass.com.example.loyalty"


@pytest.fixture(scope="session")
def apns_pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    """A CA, a server certificate for 127.0.0.1, a Pass Type ID-like client certificate."""
    return make_test_pki(tmp_path_factory.mktemp("apns-pki"), TOPIC)


@pytest.fixture
def apns_peer(apns_pki: TestPki) -> Iterator[ApnsPeer]:
    """A fresh local APNs on a free loopback port, requiring the client certificate."""
    peer = ApnsPeer(apns_pki, TOPIC).start()
    yield peer
    peer.stop()


@pytest.fixture
def apns_client_factory(
    apns_pki: TestPki, apns_peer: ApnsPeer
) -> Iterator[Callable[..., ApnsClient]]:
    """Make clients of the peer (keyword arguments override the defaults); all closed after."""
    clients: list[ApnsClient] = []

    def make(**overrides: object) -> ApnsClient:
        options: dict = {
            "endpoint": apns_peer.url,
            "cert_file": apns_pki.client_cert,
            "key_file": apns_pki.client_key,
            "topic": TOPIC,
            "ca_file": apns_pki.ca_file,
            "timeout": 5.0,
        }
        options.update(overrides)
        client = ApnsClient(**options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def apns_client(apns_client_factory: Callable[..., ApnsClient]) -> ApnsClient:
    return apns_client_factory()
