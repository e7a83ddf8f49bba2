"""Wallet clients as they really behave: HEAD, Android's scheme, bodies without a type, logs."""

from __future__ import annotations

import logging
import secrets

import httpx
import pytest

from tests.e2e.test_apple_web_service import PASS_TYPE, Device, download, member, pass_json

__all__ = ["member"]  # the fixture, shared


@pytest.fixture
def token(client, member) -> str:
    return pass_json(download(client, member))["authenticationToken"]


def pass_url(member) -> str:
    return f"/apple/v1/passes/{PASS_TYPE}/{member['member_id']}"


def registration_url(device: Device) -> str:
    return f"/apple/v1/devices/{device.id}/registrations/{PASS_TYPE}/{device.serial}"


# --- item 19: HEAD ----------------------------------------------------------------


def test_head_answers_like_get_without_the_body(client, member, token):
    headers = {"Authorization": f"ApplePass {token}"}

    got = client.get(pass_url(member), headers=headers)
    head = client.head(pass_url(member), headers=headers)

    assert got.status_code == head.status_code == 200
    assert head.content == b""
    assert head.headers["last-modified"] == got.headers["last-modified"]
    assert head.headers["content-type"] == got.headers["content-type"]


def test_head_is_304_when_not_modified_and_401_without_the_token(client, member, token):
    headers = {"Authorization": f"ApplePass {token}"}
    stamp = client.get(pass_url(member), headers=headers).headers["last-modified"]

    not_modified = client.head(pass_url(member), headers={**headers, "If-Modified-Since": stamp})
    unauthorized = client.head(pass_url(member), headers={"Authorization": "ApplePass " + "x" * 32})
    anonymous = client.head(pass_url(member))

    assert not_modified.status_code == 304
    assert not_modified.headers["last-modified"] == stamp
    assert unauthorized.status_code == 401
    assert anonymous.status_code == 401


# --- item 20: AndroidPass -----------------------------------------------------------


def test_an_android_wallet_app_follows_a_pass_with_androidpass(client, member, token):
    device = Device(client, token, member["member_id"])
    device.headers = {"Authorization": f"AndroidPass {token}"}

    registered = device.register()
    fetched = device.fetch()
    head = client.head(pass_url(member), headers=device.headers)
    unregistered = device.unregister()

    assert registered.status_code == 201
    assert fetched.status_code == 200
    assert pass_json(fetched.content)["serialNumber"] == member["member_id"]
    assert head.status_code == 200
    assert unregistered.status_code == 200


def test_androidpass_with_a_wrong_token_is_refused(client, member):
    device = Device(client, "x" * 32, member["member_id"])
    device.headers = {"Authorization": "AndroidPass " + "x" * 32}

    assert device.register().status_code == 401
    assert device.fetch().status_code == 401


def test_other_schemes_are_still_refused(client, member, token):
    device = Device(client, token, member["member_id"])
    device.headers = {"Authorization": f"Bearer {token}"}

    assert device.register().status_code == 401
    assert device.fetch().status_code == 401


# --- item 21: registration bodies -------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/json"]
)
def test_a_registration_body_is_read_as_json_whatever_its_type(client, member, token, content_type):
    device = Device(client, token, member["member_id"])
    headers = {"Authorization": f"ApplePass {token}"}
    if content_type:
        headers["Content-Type"] = content_type

    response = client.post(
        registration_url(device),
        content=b'{"pushToken": "%s"}' % device.push_token.encode(),
        headers=headers,
    )

    assert response.status_code == 201, response.text
    assert device.updated().json()["serialNumbers"] == [member["member_id"]]


@pytest.mark.parametrize("content", [b"", b"  \n"], ids=["empty", "blank"])
def test_a_registration_without_a_body_is_400(client, member, token, content):
    device = Device(client, token, member["member_id"])

    response = client.post(
        registration_url(device),
        content=content,
        headers={"Authorization": f"ApplePass {token}"},
    )

    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "bad_request"
    assert device.updated().status_code == 204


# --- item 10: device logs -------------------------------------------------------------------


@pytest.fixture
def phone(base_url):
    """A client on a loopback address of its own: the log's budget is per address."""
    a, b, c = secrets.token_bytes(3)
    address = f"127.{a % 254 + 1}.{b % 254 + 1}.{c % 253 + 2}"
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(base_url=base_url, transport=transport, timeout=30) as c:
        yield c


def logged_lines(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "chalicelib.web.apple" and "device log" in r.getMessage()
    ]


def test_device_logs_are_logged_without_control_characters(phone, caplog):
    caplog.set_level(logging.INFO, logger="chalicelib.web.apple")
    forged = "pass unchanged\r\n2026-01-01 CRITICAL forged\x1b[31m red\x00\u202eevil"

    response = phone.post("/apple/v1/log", json={"logs": [forged]})

    assert response.status_code == 200
    [line] = logged_lines(caplog)
    assert "forged" in line
    assert not any(ch in line for ch in "\r\n\x1b\x00\u202e")


def test_a_long_device_log_line_is_cut(phone, caplog):
    caplog.set_level(logging.INFO, logger="chalicelib.web.apple")

    phone.post("/apple/v1/log", json={"logs": ["x" * 100_000]})
    phone.post("/apple/v1/log", json={"logs": ["y" * 10_000]})

    lines = logged_lines(caplog)
    assert len(lines) == 1  # the first body is over the log route's size limit
    assert len(lines[0]) < 1200


def test_device_logs_are_bounded_per_address(phone, caplog):
    caplog.set_level(logging.INFO, logger="chalicelib.web.apple")

    answers = [
        phone.post("/apple/v1/log", json={"logs": [f"line {i}-{j}" for j in range(20)]})
        for i in range(20)
    ]

    assert {a.status_code for a in answers} == {200}
    logged = logged_lines(caplog)
    assert 0 < len(logged) <= 100
    assert len(logged) < 20 * 20


def test_a_device_log_without_a_content_type_is_read(phone, caplog):
    caplog.set_level(logging.INFO, logger="chalicelib.web.apple")

    response = phone.post("/apple/v1/log", content=b'{"logs": ["from an Android app"]}')

    assert response.status_code == 200
    assert logged_lines(caplog) == ["wallet device log: from an Android app"]
