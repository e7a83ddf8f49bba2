"""The service's own secrets: the JWT signing key, the root key and Apple's pass key.

The local run keeps them as generated files under `.local/secrets/` (SECRETS_DIR);
a deployed stage reads one Secrets Manager secret (SECRETS_ID) holding a JSON
object with the same names:

    jwt_private_key_pem        signs staff tokens
    barcode_key_hex            the root key (named before it was one): HKDF derives
                               a key per purpose from it (PURPOSES)
    previous_barcode_keys_hex  [optional] roots rotated out, still accepted when
                               checking what they signed
    apple_auth_key_hex         [optional for secrets made before it existed] Apple's
                               authenticationToken key: never rotated

docs/deploy.md ("Rotating keys") says what each rotation breaks.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from chalicelib.config import settings
from chalicelib.root import per_root

JWT_KEY_FILE = "jwt-es256.pem"
BARCODE_KEY_FILE = "barcode.key"
PREVIOUS_KEYS_FILE = "barcode-previous.keys"  # one hex root a line
APPLE_AUTH_KEY_FILE = "apple-auth.key"

# The purposes a root key serves, each with a key of its own (the HKDF `info`).
PURPOSES = ("barcode", "cursor", "pass-download")
HKDF_SALT = b"wallet-loyalty service keys"


def _hkdf(root: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT, info=purpose.encode()).derive(
        root
    )


def _pre_hkdf(root: bytes, purpose: str) -> bytes:
    """The key `purpose` had before keys were derived with HKDF (the root itself for
    barcodes): still accepted, so that QR codes and download links already given out
    keep working. Only ever used to check, never to sign."""
    if purpose == "barcode":
        return root
    return hmac.new(root, b"derive\0" + purpose.encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class Secrets:
    jwt_private_key: ec.EllipticCurvePrivateKey
    barcode_key: bytes  # the current root
    previous_keys: tuple[bytes, ...] = ()
    pinned_apple_auth_key: bytes | None = None
    _keys: dict[str, tuple[bytes, ...]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.previous_keys and self.pinned_apple_auth_key is None:
            # Apple's key would follow the new root and every installed pass would
            # lose its authenticationToken.
            raise RuntimeError(
                "previous_barcode_keys_hex is set but apple_auth_key_hex is not: pin Apple's "
                "key before rotating the root (docs/deploy.md, Rotating keys)"
            )
        for purpose in PURPOSES:
            roots = (self.barcode_key, *self.previous_keys)
            self._keys[purpose] = tuple(
                dict.fromkeys(
                    [_hkdf(root, purpose) for root in roots]
                    + [_pre_hkdf(root, purpose) for root in roots]
                )
            )

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> Secrets:
        """Secrets from the names the Secrets Manager secret holds (see the module)."""
        key = serialization.load_pem_private_key(
            values["jwt_private_key_pem"].encode(), password=None
        )
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise RuntimeError("the JWT key must be an EC P-256 private key (ES256)")
        apple = values.get("apple_auth_key_hex")
        return cls(
            jwt_private_key=key,
            barcode_key=_key_bytes(values["barcode_key_hex"], "barcode_key_hex"),
            previous_keys=tuple(
                _key_bytes(text, "previous_barcode_keys_hex")
                for text in values.get("previous_barcode_keys_hex") or ()
            ),
            pinned_apple_auth_key=_key_bytes(apple, "apple_auth_key_hex") if apple else None,
        )

    @property
    def jwt_public_key(self) -> ec.EllipticCurvePublicKey:
        return self.jwt_private_key.public_key()

    def key(self, purpose: str) -> bytes:
        """The key that signs for `purpose` now: HKDF of the current root."""
        return self._keys[purpose][0]

    def keys(self, purpose: str) -> tuple[bytes, ...]:
        """Every key whose signature for `purpose` is still accepted, the current first."""
        return self._keys[purpose]

    @property
    def apple_auth_key(self) -> bytes:
        """The key of Apple's authenticationToken, which must never change for a pass.

        Its own secret; secrets made before it existed use the root's old derivation
        (what their installed passes carry) until it is pinned.
        """
        if self.pinned_apple_auth_key is not None:
            return self.pinned_apple_auth_key
        return _pre_hkdf(self.barcode_key, "apple-auth")


def _key_bytes(text: str, name: str) -> bytes:
    key = bytes.fromhex(text.strip())
    if len(key) < 32:
        raise RuntimeError(f"{name}: a key must be at least 32 bytes")
    return key


def _read_dir(folder: Path) -> dict[str, Any]:
    values: dict[str, Any] = {
        "jwt_private_key_pem": (folder / JWT_KEY_FILE).read_text(),
        "barcode_key_hex": (folder / BARCODE_KEY_FILE).read_text(),
    }
    if (folder / PREVIOUS_KEYS_FILE).exists():
        lines = (folder / PREVIOUS_KEYS_FILE).read_text().split()
        values["previous_barcode_keys_hex"] = [line for line in lines if line]
    if (folder / APPLE_AUTH_KEY_FILE).exists():
        values["apple_auth_key_hex"] = (folder / APPLE_AUTH_KEY_FILE).read_text()
    return values


@per_root
def secrets() -> Secrets:
    config = settings()
    if config.secrets_dir:
        return Secrets.from_values(_read_dir(Path(config.secrets_dir)))
    if config.secrets_id:
        value = read_json_secret(config.secrets_id, ("jwt_private_key_pem", "barcode_key_hex"))
        return Secrets.from_values(value)
    raise RuntimeError("no secrets configured: set SECRETS_DIR or SECRETS_ID")


def read_json_secret(secret_id: str, required: tuple[str, ...]) -> dict[str, Any]:
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
    secret: dict[str, Any] = value  # a JSON object: every required name is in it
    return secret


def new_values() -> dict[str, str]:
    """Fresh secrets, named as the deployed stage's secret holds them."""
    import secrets as random

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return {
        "jwt_private_key_pem": pem.decode(),
        "barcode_key_hex": random.token_hex(32),
        "apple_auth_key_hex": random.token_hex(32),
    }


def pinned_apple_auth_key_hex(values: Mapping[str, Any]) -> str:
    """The apple_auth_key_hex that keeps the installed passes of `values` working."""
    return Secrets.from_values(values).apple_auth_key.hex()


def rotated_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` after a rotation of the root key: a new root signs from now on, the old
    one joins `previous_barcode_keys_hex` (still accepted), and Apple's key is pinned
    first if it was not, so that no installed pass loses its authenticationToken."""
    fresh = new_values()
    return {
        **values,
        "apple_auth_key_hex": values.get("apple_auth_key_hex") or pinned_apple_auth_key_hex(values),
        "barcode_key_hex": fresh["barcode_key_hex"],
        "previous_barcode_keys_hex": [
            values["barcode_key_hex"].strip(),
            *(values.get("previous_barcode_keys_hex") or []),
        ],
    }


def generate(folder: Path) -> bool:
    """Write fresh secrets into `folder` unless they are there; True when written.

    A folder made before Apple's key had its own file gets it pinned to what its
    installed passes carry.
    """
    folder.mkdir(parents=True, exist_ok=True)
    jwt_file, barcode_file = folder / JWT_KEY_FILE, folder / BARCODE_KEY_FILE
    apple_file = folder / APPLE_AUTH_KEY_FILE
    if jwt_file.exists() and barcode_file.exists():
        if apple_file.exists():
            return False
        _write(apple_file, pinned_apple_auth_key_hex(_read_dir(folder)))
        return True
    values = new_values()
    _write(jwt_file, values["jwt_private_key_pem"])
    _write(barcode_file, values["barcode_key_hex"] + "\n")
    _write(apple_file, values["apple_auth_key_hex"] + "\n")
    return True


def _write(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o600)
