"""The console's live preview (POST /v1/programs/preview) and refusals in plain words."""

from __future__ import annotations

import base64
import copy
import io
import json
import zipfile
from urllib.parse import urlsplit

from chalicelib.services import previews
from tests.e2e.helpers import POINTS_CARD, STAMP_CARD, create_program, enrol, stamp

PNG = b"\x89PNG\r\n\x1a\n"


def preview(client, merchant, document, role="owner"):
    return client.post("/v1/programs/preview", json=document, headers=merchant.auth(role))


def programs_of(client, merchant) -> list[dict]:
    response = client.get("/v1/programs", headers=merchant.auth("owner"))
    assert response.status_code == 200, response.text
    return response.json()["items"]


def png(data_url: str) -> bytes:
    head, _, data = data_url.partition(",")
    assert head == "data:image/png;base64"
    return base64.b64decode(data)


def test_the_preview_shows_the_unsaved_stamp_card_as_apple_and_google_would(client, merchant):
    response = preview(client, merchant, STAMP_CARD)

    assert response.status_code == 200, response.text
    shown = response.json()
    apple = shown["apple"]
    assert apple["backgroundColor"] == "rgb(59, 42, 32)"
    assert apple["logoText"] == "Test Café"
    card = apple["storeCard"]
    assert card["primaryFields"][0]["value"] == "3 / 10"
    assert {"label": "EVERY 10 STAMPS", "value": "Free coffee"}.items() <= (
        card["auxiliaryFields"][1].items()
    )
    assert any(field["label"] == "How to earn" for field in card["backFields"])
    google = shown["google"]
    assert google["loyalty_class"]["programName"] == "Coffee card"
    assert google["loyalty_class"]["hexBackgroundColor"] == "#3b2a20"
    assert google["loyalty_object"]["loyaltyPoints"]["balance"] == {"string": "3 / 10"}
    for name in ("icon", "logo", "strip"):
        assert png(shown["images"][name]).startswith(PNG)
    assert shown["images"]["barcode"].startswith("data:image/svg+xml")
    assert programs_of(client, merchant) == []


def real_pass_json(client, enrolment) -> dict:
    url = urlsplit(enrolment["passes"]["apple_url"])
    response = client.get(f"{url.path}?{url.query}")
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return json.loads(archive.read("pass.json"))


def test_the_preview_is_the_pass_a_real_member_in_the_same_place_gets(client, merchant):
    # The sample: 3 stamps of 10 and one reward ready. A real member, so too.
    program = create_program(client, merchant, STAMP_CARD)
    member = enrol(client, program["program_id"], name=previews.SAMPLE_NAME)
    assert stamp(client, merchant, member["member_id"], count=13).status_code == 200

    shown = preview(client, merchant, STAMP_CARD).json()["apple"]
    real = real_pass_json(client, member)

    def looks(document: dict) -> dict:
        # What differs by member and program id only: serial, token, barcode, the URL.
        back = [f for f in document["storeCard"]["backFields"] if f["key"] != "program"]
        keep = ("backgroundColor", "foregroundColor", "labelColor", "logoText", "description")
        return {
            **{key: document.get(key) for key in keep},
            "storeCard": {**document["storeCard"], "backFields": back},
        }

    assert looks(shown) == looks(real)


def test_the_preview_of_a_points_program_shows_points_and_its_catalog(client, merchant):
    response = preview(client, merchant, POINTS_CARD)

    assert response.status_code == 200, response.text
    apple = response.json()["apple"]
    assert apple["storeCard"]["primaryFields"][0] == {
        "key": "balance",
        "label": "POINTS",
        "value": previews.SAMPLE_POINTS,
        "changeMessage": "You have %@ points",
    }
    assert "1 × Espresso" in apple["storeCard"]["auxiliaryFields"][0]["value"]


def test_the_preview_follows_the_colour_as_it_changes(client, merchant):
    red = copy.deepcopy(STAMP_CARD)
    red["design"]["background_color"] = "#B91C1C"

    before = preview(client, merchant, STAMP_CARD).json()
    after = preview(client, merchant, red).json()

    assert after["apple"]["backgroundColor"] == "rgb(185, 28, 28)"
    assert after["google"]["loyalty_class"]["hexBackgroundColor"] == "#b91c1c"
    assert png(after["images"]["strip"]) != png(before["images"]["strip"])


def test_an_invalid_preview_lists_every_refusal_in_words_and_creates_nothing(client, merchant):
    document = copy.deepcopy(STAMP_CARD)
    document["stamps"]["required"] = 0
    document["design"]["background_color"] = "brown"

    response = preview(client, merchant, document)

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["field"] == "stamps.required"
    assert error["message"] == "Stamps to fill a card must be at least 1."
    assert error["errors"] == [
        {"field": "stamps.required", "message": "Stamps to fill a card must be at least 1."},
        {
            "field": "design.background_color",
            "message": "Background colour is not in the expected form (for example #7C2D12).",
        },
    ]
    assert programs_of(client, merchant) == []


def test_creating_an_invalid_program_lists_every_refusal_beside_the_first(client, merchant):
    document = {**STAMP_CARD, "name": "", "stamps": {"required": 51, "reward": {"name": "x"}}}

    response = client.post("/v1/programs", json=document, headers=merchant.auth("owner"))

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["message"] == "Program name cannot be empty."
    assert [e["field"] for e in error["errors"]] == ["name", "stamps.required"]
    assert error["errors"][1]["message"] == "Stamps to fill a card must be at most 50."
    assert programs_of(client, merchant) == []


def test_only_an_owner_previews_a_program(client, merchant):
    for role in ("manager", "barista"):
        response = preview(client, merchant, STAMP_CARD, role=role)

        assert response.status_code == 403, response.text


def test_previews_past_the_limit_of_the_minute_are_refused_with_retry_after(
    client, merchant, monkeypatch
):
    monkeypatch.setattr(previews, "PREVIEWS_PER_MINUTE", 2)

    # Two are allowed a minute: by the fifth, one minute at least has been full.
    statuses = [preview(client, merchant, STAMP_CARD) for _ in range(5)]

    refused = [r for r in statuses if r.status_code == 429]
    assert refused, [r.status_code for r in statuses]
    assert refused[0].json()["error"]["code"] == "too_many_requests"
    assert int(refused[0].headers["Retry-After"]) >= 1
