"""A deployed stage's Google key comes from Secrets Manager; the client then works as usual."""

from __future__ import annotations

import json
import uuid

import boto3

from chalicelib.config import settings
from chalicelib.services import google_wallet


def test_the_key_is_read_from_secrets_manager_and_reaches_google(
    google_peer, new_root, secrets_manager_url
):
    name = f"wallet-loyalty/test/google-{uuid.uuid4().hex}"
    boto3.client(
        "secretsmanager", region_name=settings().region, endpoint_url=secrets_manager_url
    ).create_secret(Name=name, SecretString=json.dumps(google_peer.service_account_info))
    new_root(
        GOOGLE_SERVICE_ACCOUNT_FILE=None,
        GOOGLE_SERVICE_ACCOUNT_SECRET_ID=name,
        GOOGLE_WALLET_API_URL=google_peer.api_url,
        AWS_ENDPOINT_URL_SECRETS_MANAGER=secrets_manager_url,
    )

    info = google_wallet.service_account()
    client = google_wallet.client()
    client.backoff_base = 0.005
    client.patch_class("3388000000000000001.secretclass", {"id": "3388000000000000001.secretclass"})
    url = google_wallet.save_url("member123")

    assert info == google_peer.service_account_info
    assert "3388000000000000001.secretclass" in google_peer.classes
    assert google_peer.token_requests()  # a token from the key's own token_uri
    assert url is not None and url.startswith("https://pay.google.com/gp/v/save/")
