"""A rotation of the root key, over HTTP: installed passes, QR codes and links keep working."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import STAMP_CARD, create_program, enrol, stamp
from tests.e2e.test_apple_web_service import Device, download, pass_json


@pytest.fixture
def rotate(secrets_dir: Path, new_root) -> Iterator:
    """Rotate the service's root key as docs/deploy.md does; restore it after.

    Lambdas read their secrets at a cold start: the service after the rotation is a
    new root, as a new process would be."""
    from chalicelib import secrets

    saved = {p.name: p.read_bytes() for p in secrets_dir.iterdir() if p.is_file()}

    def run() -> None:
        values = secrets.rotated_values(secrets._read_dir(secrets_dir))
        (secrets_dir / secrets.BARCODE_KEY_FILE).write_text(values["barcode_key_hex"])
        (secrets_dir / secrets.PREVIOUS_KEYS_FILE).write_text(
            "\n".join(values["previous_barcode_keys_hex"])
        )
        (secrets_dir / secrets.APPLE_AUTH_KEY_FILE).write_text(values["apple_auth_key_hex"])
        new_root()

    yield run
    for path in secrets_dir.iterdir():
        if path.is_file() and path.name not in saved:
            path.unlink()
    for name, data in saved.items():
        (secrets_dir / name).write_bytes(data)


def test_after_a_rotation_installed_passes_scan_update_and_download_as_before(
    client, merchant, rotate
):
    program = create_program(client, merchant, STAMP_CARD)
    enrolment = enrol(client, program["program_id"])
    installed = pass_json(download(client, enrolment))
    phone = Device(client, installed["authenticationToken"], enrolment["member_id"])
    assert phone.register().status_code == 201

    rotate()
    scanned = client.post(
        "/v1/scans", json={"barcode": enrolment["barcode"]}, headers=merchant.auth("barista")
    )
    stamp(client, merchant, enrolment["member_id"])
    updated = phone.fetch()
    downloaded = pass_json(download(client, enrolment))

    assert scanned.status_code == 200, scanned.text
    assert updated.status_code == 200
    refreshed = pass_json(updated.content)
    assert refreshed["authenticationToken"] == installed["authenticationToken"]
    assert downloaded["authenticationToken"] == installed["authenticationToken"]
    new_code = refreshed["barcodes"][0]["message"]
    assert new_code != enrolment["barcode"]
    rescanned = client.post(
        "/v1/scans", json={"barcode": new_code}, headers=merchant.auth("barista")
    )
    assert rescanned.json()["member_id"] == enrolment["member_id"]


def test_a_list_cursor_given_before_a_rotation_still_pages(client, merchant, rotate):
    for _ in range(3):
        made = client.post(
            "/v1/staff",
            json={
                "email": f"s-{uuid.uuid4().hex[:10]}@example.com",
                "name": "S",
                "role": "barista",
            },
            headers=merchant.auth("owner"),
        )
        assert made.status_code == 201
    first = client.get("/v1/staff", params={"limit": 2}, headers=merchant.auth("owner")).json()

    rotate()
    second = client.get(
        "/v1/staff",
        params={"limit": 2, "cursor": first["next_cursor"]},
        headers=merchant.auth("owner"),
    )

    assert second.status_code == 200, second.text
    assert second.json()["items"]
