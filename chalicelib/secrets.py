"""The service's own secrets: the JWT signing key and the barcode key.

The local run keeps them as generated files under `.local/secrets/` (SECRETS_DIR);
a deployed stage reads one Secrets Manager secret (SECRETS_ID) holding a JSON
object with the same names.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.config import settings

JWT_KEY_FILE = "jwt-es256.pem"
BARCODE_KEY_FILE = "barcode.key"


@dataclass(frozen=True)
class Secrets:
    jwt_private_key: ec.EllipticCurvePrivateKey
    barcode_key: bytes

    @property
    def jwt_public_key(self) -> ec.EllipticCurvePublicKey:
        return self.jwt_private_key.public_key()

    def derive(self, purpose: str) -> bytes:
        """A key of its own for each purpose (cursors, pass tokens), from the one secret."""
        return hmac.new(self.barcode_key, b"derive\0" + purpose.encode(), hashlib.sha256).digest()


def _load(jwt_pem: bytes, barcode_hex: str) -> Secrets:
    key = serialization.load_pem_private_key(jwt_pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise RuntimeError("the JWT key must be an EC P-256 private key (ES256)")
    barcode_key = bytes.fromhex(barcode_hex.strip())
    if len(barcode_key) < 32:
        raise RuntimeError("the barcode key must be at least 32 bytes")
    return Secrets(jwt_private_key=key, barcode_key=barcode_key)


@lru_cache(maxsize=1)
def secrets() -> Secrets:
    config = settings()
    if config.secrets_dir:
        folder = Path(config.secrets_dir)
        return _load((folder / JWT_KEY_FILE).read_bytes(), (folder / BARCODE_KEY_FILE).read_text())
    if config.secrets_id:
        value = read_json_secret(config.secrets_id, ("jwt_private_key_pem", "barcode_key_hex"))
        return _load(value["jwt_private_key_pem"].encode(), value["barcode_key_hex"])
    raise RuntimeError("no secrets configured: set SECRETS_DIR or SECRETS_ID")


def read_json_secret(secret_id: str, required: tuple[str, ...]) -> dict:
    """A Secrets Manager secret holding a JSON object with at least `required`.

    The deploy template creates each secret with a random placeholder; until the
    operator puts the real value, this says so instead of failing on a parse error.
    """
    import boto3  # only deployed stages reach Secrets Manager

    client = boto3.client("secretsmanager", region_name=settings().region)
    text = client.get_secret_value(SecretId=secret_id)["SecretString"]
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    missing = [name for name in required if not isinstance(value, dict) or name not in value]
    if missing:
        raise RuntimeError(
            f"secret {secret_id} lacks {', '.join(missing)}: put its value as "
            "docs/deploy.md (step 4) says"
        )
    return value


def new_values() -> dict[str, str]:
    """Fresh secrets, named as the deployed stage's secret holds them."""
    import secrets as random

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return {"jwt_private_key_pem": pem.decode(), "barcode_key_hex": random.token_hex(32)}


def generate(folder: Path) -> bool:
    """Write fresh secrets into `folder` unless they are there; True when written."""
    folder.mkdir(parents=True, exist_ok=True)
    jwt_file, barcode_file = folder / JWT_KEY_FILE, folder / BARCODE_KEY_FILE
    if jwt_file.exists() and barcode_file.exists():
        return False
    values = new_values()
    jwt_file.write_text(values["jwt_private_key_pem"])
    barcode_file.write_text(values["barcode_key_hex"] + "\n")
    jwt_file.chmod(0o600)
    barcode_file.chmod(0o600)
    return True
