"""When DynamoDB throttles a write, the answer says "try again", never "not found":
a refusal is read from a failed condition only (chalicelib/store/errors.py)."""

from __future__ import annotations

import httpx

from tests.e2e.helpers import STAMP_CARD, create_program, enrol
from tests.e2e.test_apple_web_service import Device, download, pass_json
from tests.e2e.test_google_callback_faults import throttling  # noqa: F401 - the fixture


def test_a_staff_change_the_store_could_not_take_is_not_answered_as_not_found(
    base_url,
    merchant,
    throttling,  # noqa: F811 - the fixture
):
    barista = f"/v1/staff/{merchant.staff_ids['barista']}"
    # The faulted answer is a 500, which no route documents: a client without the contract check.
    with httpx.Client(base_url=base_url, timeout=60) as raw:
        throttling.throttled = {"UpdateItem"}
        refused = raw.patch(barista, json={"name": "Bo"}, headers=merchant.auth("manager"))
        throttling.throttled = set()
        taken = raw.patch(barista, json={"name": "Bo"}, headers=merchant.auth("manager"))

    assert refused.status_code >= 500
    assert refused.json()["error"]["code"] != "not_found"
    assert taken.status_code == 200
    assert taken.json()["name"] == "Bo"


def test_an_unregistration_the_store_could_not_take_is_not_answered_as_not_found(
    client,
    base_url,
    merchant,
    throttling,  # noqa: F811 - the fixture
):
    program = create_program(client, merchant, STAMP_CARD)
    member = enrol(client, program["program_id"])
    token = pass_json(download(client, member))["authenticationToken"]
    device = Device(client, token, member["member_id"])
    assert device.register().status_code == 201

    with httpx.Client(base_url=base_url, timeout=60) as raw:
        device.client = raw
        throttling.throttled = {"DeleteItem"}
        refused = device.unregister()
        throttling.throttled = set()
        gone = device.unregister()
    device.client = client
    listed = device.updated()

    assert refused.status_code >= 500
    assert refused.json()["error"]["code"] != "not_found"
    assert gone.status_code == 200
    assert listed.status_code == 204
