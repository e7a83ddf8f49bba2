"""Fixtures for the Google peer: a running peer and a service-account key that trusts it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.wallet.google.client import WalletClient
from localrun.devkeys import generate_dev_service_account
from tests.peers.google_peer import GooglePeer


@pytest.fixture
def google_peer(tmp_path: Path) -> Iterator[GooglePeer]:
    """A running Google peer; `google_peer.service_account_file` is a key whose token_uri is it.

    The peer trusts that key's assertions, as Google trusts a key made in the console.
    """
    peer = GooglePeer().start()
    key_file = tmp_path / "google-service-account.json"
    generate_dev_service_account(key_file, peer.token_url)
    peer.service_account_file = key_file
    peer.service_account_info = json.loads(key_file.read_text())
    peer.accept_service_account(peer.service_account_info)
    yield peer
    peer.stop()


@pytest.fixture
def wallet_client(google_peer: GooglePeer) -> Iterator[WalletClient]:
    """A WalletClient on the peer, with backoff shrunk to milliseconds."""
    client = WalletClient.from_service_account_file(
        google_peer.api_url, str(google_peer.service_account_file)
    )
    client.backoff_base = 0.005
    yield client
    client.close()
