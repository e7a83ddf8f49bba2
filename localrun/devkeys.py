"""A development service-account key, shaped like the JSON key Google Cloud hands out.

The local run and the tests point its `token_uri` at a local OAuth2 peer, so that
the real google-auth code path (assertion, token exchange, refresh) runs without
Google. Never used in a deployed stage: there the key comes from Secrets Manager,
so it lives here, out of the Lambda package.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.config import DEV_GOOGLE_ISSUER_ID as DEV_ISSUER_ID

__all__ = ["DEV_ISSUER_ID", "generate_dev_service_account"]

DEV_PROJECT_ID = "loyalty-dev"
DEV_CLIENT_EMAIL = f"wallet-dev@{DEV_PROJECT_ID}.iam.gserviceaccount.com"


def generate_dev_service_account(path: Path, token_uri: str) -> bool:
    """Write a fresh service-account key JSON to `path` unless it exists; True when written.

    The fields are those of a key made in the Cloud console, so that
    `google.oauth2.service_account.Credentials.from_service_account_file` loads it
    and sends its token requests to `token_uri`.
    """
    path = Path(path)
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    info = {
        "type": "service_account",
        "project_id": DEV_PROJECT_ID,
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": DEV_CLIENT_EMAIL,
        "client_id": str(secrets.randbelow(10**21 - 10**20) + 10**20),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": (
            "https://www.googleapis.com/robot/v1/metadata/x509/"
            + DEV_CLIENT_EMAIL.replace("@", "%40")
        ),
        "universe_domain": "googleapis.com",
    }
    # Written owner-only before the key goes in: it is a private key, even a dev one.
    path.touch(mode=0o600)
    path.write_text(json.dumps(info, indent=2) + "\n")
    return True
