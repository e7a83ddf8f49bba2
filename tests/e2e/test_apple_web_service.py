"""A simulated iPhone: download the pass, register, list updates, fetch, stamp, fetch again."""

from __future__ import annotations

import io
import json
import os
import shutil
import time
import uuid
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.apple_samples import unzip, verify
from tests.e2e.helpers import STAMP_CARD, create_program, enrol, stamp

PASS_TYPE = "pass.dev.walletloyalty"


def download(client, enrolment) -> bytes:
    url = urlsplit(enrolment["passes"]["apple_url"])
    response = client.get(f"{url.path}?{url.query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.apple.pkpass"
    return response.content


def pass_json(data: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return json.loads(archive.read("pass.json"))


class Device:
    """What Wallet on a phone does against the web service."""

    def __init__(self, client, auth_token: str, serial: str) -> None:
        self.client = client
        self.id = uuid.uuid4().hex
        self.push_token = uuid.uuid4().hex * 2
        self.serial = serial
        self.headers = {"Authorization": f"ApplePass {auth_token}"}

    def register(self, headers=None):
        return self.client.post(
            f"/apple/v1/devices/{self.id}/registrations/{PASS_TYPE}/{self.serial}",
            json={"pushToken": self.push_token},
            headers=headers or self.headers,
        )

    def unregister(self, headers=None):
        return self.client.delete(
            f"/apple/v1/devices/{self.id}/registrations/{PASS_TYPE}/{self.serial}",
            headers=headers or self.headers,
        )

    def updated(self, since=None):
        params = {"passesUpdatedSince": since} if since else {}
        return self.client.get(
            f"/apple/v1/devices/{self.id}/registrations/{PASS_TYPE}", params=params
        )

    def fetch(self, if_modified_since=None, headers=None):
        extra = {"If-Modified-Since": if_modified_since} if if_modified_since else {}
        return self.client.get(
            f"/apple/v1/passes/{PASS_TYPE}/{self.serial}",
            headers={**(headers or self.headers), **extra},
        )


@pytest.fixture
def member(client, merchant):
    program = create_program(client, merchant, STAMP_CARD)
    return enrol(client, program["program_id"])


def test_the_downloaded_pass_carries_the_members_balance_and_barcode(client, member):
    data = download(client, member)

    content = pass_json(data)

    assert content["serialNumber"] == member["member_id"]
    assert content["passTypeIdentifier"] == PASS_TYPE
    assert content["barcodes"][0]["message"] == member["barcode"]
    assert content["webServiceURL"].endswith("/apple")
    assert len(content["authenticationToken"]) >= 16


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_the_downloaded_pass_verifies_against_the_dev_root(client, member, tmp_path):
    folder = unzip(download(client, member), tmp_path)

    result = verify(folder, Path(os.environ["APPLE_CERTS_DIR"]) / "root.pem")

    assert result.returncode == 0, result.stderr


def test_a_download_link_with_a_wrong_token_is_refused(client, member):
    url = urlsplit(member["passes"]["apple_url"])

    forged = client.get(f"{url.path}?token=9999999999.AAAAAAAAAAAAAAAAAAAAAAAA")
    missing = client.get(url.path)

    assert forged.status_code == 401
    assert missing.status_code == 401


def test_a_device_follows_a_pass_through_a_stamp(client, merchant, member):
    token = pass_json(download(client, member))["authenticationToken"]
    device = Device(client, token, member["member_id"])

    registered = device.register()
    again = device.register()
    listed = device.updated()
    tag = listed.json()["lastUpdated"]
    unchanged = device.updated(since=tag)
    first = device.fetch()
    not_modified = device.fetch(if_modified_since=first.headers["Last-Modified"])
    stamp(client, merchant, member["member_id"], count=3)
    changed = device.updated(since=tag)
    second = device.fetch(if_modified_since=first.headers["Last-Modified"])

    assert registered.status_code == 201
    assert again.status_code == 200
    assert listed.status_code == 200
    assert listed.json()["serialNumbers"] == [member["member_id"]]
    assert unchanged.status_code == 204
    assert first.status_code == 200
    assert not_modified.status_code == 304
    assert changed.status_code == 200
    assert changed.json()["serialNumbers"] == [member["member_id"]]
    assert changed.json()["lastUpdated"] > tag
    assert second.status_code == 200
    primary = pass_json(second.content)["storeCard"]["primaryFields"][0]
    assert "3" in str(primary["value"])
    assert _http_time(second.headers["Last-Modified"]) > _http_time(first.headers["Last-Modified"])


def test_two_changes_within_a_second_both_reach_the_device(client, merchant, member):
    token = pass_json(download(client, member))["authenticationToken"]
    device = Device(client, token, member["member_id"])
    stamp(client, merchant, member["member_id"], count=1)
    first = device.fetch()

    stamp(client, merchant, member["member_id"], count=1)
    second = device.fetch(if_modified_since=first.headers["Last-Modified"])

    assert second.status_code == 200
    assert "2" in str(pass_json(second.content)["storeCard"]["primaryFields"][0]["value"])


def test_wrong_tokens_are_refused_everywhere(client, member):
    device = Device(client, "x" * 32, member["member_id"])

    assert device.register().status_code == 401
    assert device.fetch().status_code == 401
    assert device.unregister().status_code == 401
    assert device.fetch(headers={"Authorization": "Bearer nope"}).status_code == 401


def test_another_pass_token_does_not_open_this_pass(client, merchant, member):
    program = create_program(client, merchant, STAMP_CARD)
    other = enrol(client, program["program_id"])
    other_token = pass_json(download(client, other))["authenticationToken"]

    response = Device(client, other_token, member["member_id"]).fetch()

    assert response.status_code == 401


def test_an_unregistered_device_hears_of_nothing(client, member):
    token = pass_json(download(client, member))["authenticationToken"]
    device = Device(client, token, member["member_id"])
    device.register()

    gone = device.unregister()
    listed = device.updated()

    assert gone.status_code == 200
    assert listed.status_code == 204


def test_the_log_endpoint_accepts_device_logs(client):
    response = client.post("/apple/v1/log", json={"logs": ["pass unchanged"]})

    assert response.status_code == 200


def test_an_erased_members_pass_is_voided(client, merchant, member):
    token = pass_json(download(client, member))["authenticationToken"]
    client.delete(f"/v1/members/{member['member_id']}", headers=merchant.auth("owner"))

    response = Device(client, token, member["member_id"]).fetch()

    assert response.status_code == 200
    assert pass_json(response.content)["voided"] is True


def test_program_images_are_public_pngs_with_an_etag(client, member):
    url = f"/v1/programs/{member['member']['program_id']}/images/logo.png"

    first = client.get(url)
    cached = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    missing = client.get(f"/v1/programs/{member['member']['program_id']}/images/nope.png")

    assert first.status_code == 200
    assert first.content.startswith(b"\x89PNG")
    assert "max-age" in first.headers["Cache-Control"]
    assert cached.status_code == 304
    assert missing.status_code == 404


def _http_time(value: str) -> float:
    from email.utils import parsedate_to_datetime

    return parsedate_to_datetime(value).timestamp()


def test_a_registration_flood_keeps_the_newest_twenty_devices(client, member):
    token = pass_json(download(client, member))["authenticationToken"]
    devices = [Device(client, token, member["member_id"]) for _ in range(22)]
    for device in devices:
        assert device.register().status_code == 201
        time.sleep(0.001)

    kept = [d for d in devices if d.updated().status_code == 200]

    assert kept == devices[2:]


def test_a_pass_downloads_for_a_client_that_sends_no_accept_header(base_url, member):
    import urllib.request

    url = urlsplit(member["passes"]["apple_url"])
    # urllib sends no Accept header at all.
    request = urllib.request.Request(f"{base_url}{url.path}?{url.query}")  # noqa: S310

    with urllib.request.urlopen(request) as response:  # noqa: S310 - our own test server
        data = response.read()
        content_type = response.headers["Content-Type"]

    assert content_type == "application/vnd.apple.pkpass"
    assert pass_json(data)["serialNumber"] == member["member_id"]
