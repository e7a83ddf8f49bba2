"""One key per purpose, derived with HKDF, and rotation that breaks no installed pass."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from chalicelib import ids
from chalicelib.domain import barcode, tokens
from chalicelib.secrets import HKDF_SALT, PURPOSES, Secrets, new_values, rotated_values

MEMBER = "AAAAAAAAAAAAAAAAAAAAAA"


def loaded(values: dict) -> Secrets:
    return Secrets.from_values(values)


def rotated(values: dict) -> dict:
    """The values after `python -m deploy rotate-service-secret` (docs/deploy.md)."""
    return rotated_values(values)


def rotated_by_hand(values: dict) -> dict:
    """A rotation that forgot to pin Apple's key first."""
    return {
        **values,
        "barcode_key_hex": new_values()["barcode_key_hex"],
        "previous_barcode_keys_hex": [values["barcode_key_hex"]],
    }


def made_before_apple_had_its_key() -> dict:
    """A secret as `new_values` made them before Apple's key was a secret of its own."""
    values = new_values()
    del values["apple_auth_key_hex"]
    return values


def pre_hkdf_key(root_hex: str, purpose: str) -> bytes:
    """How the keys were made before they were derived per purpose with HKDF."""
    root = bytes.fromhex(root_hex)
    if purpose == "barcode":
        return root
    return hmac.new(root, b"derive\0" + purpose.encode(), hashlib.sha256).digest()


def test_each_purpose_has_its_own_key_derived_with_hkdf_from_the_root():
    values = new_values()
    keys = loaded(values)
    root = bytes.fromhex(values["barcode_key_hex"])

    derived = {purpose: keys.key(purpose) for purpose in PURPOSES}

    assert set(PURPOSES) >= {"barcode", "cursor", "pass-download"}
    assert len(set(derived.values())) == len(derived)
    assert root not in derived.values()
    assert keys.apple_auth_key not in derived.values()
    for purpose, key in derived.items():
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT, info=purpose.encode())
        assert key == hkdf.derive(root)


def test_a_barcode_made_before_a_rotation_still_scans_after_it():
    before = new_values()
    old, new = loaded(before), loaded(rotated(before))
    member_id = ids.new_id()
    code = barcode.sign(member_id, old.key("barcode"))

    scanned = barcode.verify(code, *new.keys("barcode"))

    assert scanned == member_id
    assert barcode.sign(member_id, new.key("barcode")) != code


def test_a_barcode_of_a_dropped_root_no_longer_scans():
    before = new_values()
    code = barcode.sign(MEMBER, loaded(before).key("barcode"))
    after = rotated(before)
    after["previous_barcode_keys_hex"] = []
    after["apple_auth_key_hex"] = loaded(before).apple_auth_key.hex()

    assert barcode.verify(code, *loaded(after).keys("barcode")) is None


def test_a_barcode_made_before_keys_were_per_purpose_still_scans():
    values = new_values()
    code = barcode.sign(MEMBER, pre_hkdf_key(values["barcode_key_hex"], "barcode"))

    assert barcode.verify(code, *loaded(values).keys("barcode")) == MEMBER


def test_a_download_link_made_before_a_rotation_or_before_hkdf_still_works():
    before = new_values()
    now = int(time.time())
    fresh = tokens.download_token(MEMBER, now + 60, loaded(before).key("pass-download"))
    legacy = tokens.download_token(
        MEMBER, now + 60, pre_hkdf_key(before["barcode_key_hex"], "pass-download")
    )
    keys = loaded(rotated(before)).keys("pass-download")

    assert tokens.download_token_valid(fresh, MEMBER, now, *keys)
    assert tokens.download_token_valid(legacy, MEMBER, now, *keys)
    assert not tokens.download_token_valid(fresh, "B" * 22, now, *keys)


def test_a_download_token_never_opens_a_barcode_or_the_other_way_round():
    keys = loaded(new_values())

    assert keys.key("pass-download") not in keys.keys("barcode")
    assert keys.key("barcode") not in keys.keys("pass-download")
    assert keys.key("cursor") not in keys.keys("barcode") + keys.keys("pass-download")


def test_apples_authentication_token_of_an_installed_pass_never_changes():
    # A pass installed before this change got its token from the root's old derivation.
    before = made_before_apple_had_its_key()
    old_key = pre_hkdf_key(before["barcode_key_hex"], "apple-auth")
    installed = tokens.pass_auth_token(MEMBER, old_key)
    today = loaded(before)

    after_rotation = loaded(rotated(before))
    after_two = loaded(rotated(rotated(before)))

    assert tokens.pass_auth_token(MEMBER, today.apple_auth_key) == installed
    assert tokens.pass_auth_token(MEMBER, after_rotation.apple_auth_key) == installed
    assert tokens.pass_auth_token(MEMBER, after_two.apple_auth_key) == installed


def test_a_rotation_without_a_pinned_apple_key_is_refused_at_start():
    with pytest.raises(RuntimeError, match="apple_auth_key_hex"):
        loaded(rotated_by_hand(made_before_apple_had_its_key()))


def test_new_secrets_carry_their_own_apple_key():
    values = new_values()

    keys = loaded(values)

    assert keys.apple_auth_key == bytes.fromhex(values["apple_auth_key_hex"])
    assert keys.apple_auth_key != bytes.fromhex(values["barcode_key_hex"])
    assert json.loads(json.dumps(values)) == values


def test_a_local_secrets_folder_from_before_gets_apples_key_pinned(tmp_path):
    from chalicelib import secrets

    values = made_before_apple_had_its_key()
    (tmp_path / secrets.JWT_KEY_FILE).write_text(values["jwt_private_key_pem"])
    (tmp_path / secrets.BARCODE_KEY_FILE).write_text(values["barcode_key_hex"] + "\n")
    installed = tokens.pass_auth_token(
        MEMBER, pre_hkdf_key(values["barcode_key_hex"], "apple-auth")
    )

    written = secrets.generate(tmp_path)
    again = secrets.generate(tmp_path)

    keys = Secrets.from_values(secrets._read_dir(tmp_path))
    assert (written, again) == (True, False)
    assert keys.pinned_apple_auth_key is not None
    assert tokens.pass_auth_token(MEMBER, keys.apple_auth_key) == installed
    assert keys.key("barcode") == loaded(values).key("barcode")
