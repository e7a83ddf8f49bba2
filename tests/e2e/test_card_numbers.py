"""The card number under the QR code: given at enrolment, typed at the counter, throttled."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.domain import card_number
from chalicelib.services import members
from chalicelib.store.models import MemberItem, UniqueItem
from tests.e2e.helpers import create_program, enrol
from tests.e2e.test_apple_web_service import download, pass_json

LIMIT = members.CARD_MISSES_PER_MINUTE


def scan(client, merchant, role="barista", **body):
    return client.post("/v1/scans", json=body, headers=merchant.auth(role))


def unknown_number() -> str:
    """A well-formed card number that no member holds (55 random bits)."""
    return card_number.generate(os.urandom(card_number.RANDOM_BYTES))


def mistyped(number: str) -> str:
    """`number` with its first symbol changed: the check symbol no longer fits."""
    other = "1" if number[0] != "1" else "2"
    return other + number[1:]


def within_one_window() -> None:
    """Misses are counted per minute: start a run of them early in a minute, so that
    it is not split over two windows."""
    into = time.time() % members.CARD_MISS_WINDOW_SECONDS
    if into > members.CARD_MISS_WINDOW_SECONDS - 20:
        time.sleep(members.CARD_MISS_WINDOW_SECONDS - into + 0.5)


def test_enrolment_answers_a_card_number_that_the_member_view_repeats(client, merchant):
    program = create_program(client, merchant)

    enrolled = enrol(client, program["program_id"])
    read = client.get(f"/v1/members/{enrolled['member_id']}", headers=merchant.auth("barista"))

    number = enrolled["card_number"]
    assert len(number) <= 12
    assert card_number.parse(number) == number
    assert enrolled["member"]["card_number"] == number
    assert read.json()["card_number"] == number


def test_each_member_gets_their_own_card_number(client, merchant):
    program = create_program(client, merchant)

    numbers = {enrol(client, program["program_id"])["card_number"] for _ in range(5)}

    assert len(numbers) == 5


def test_a_number_already_held_in_the_merchant_is_drawn_again(client, merchant, monkeypatch):
    program = create_program(client, merchant)
    first = enrol(client, program["program_id"])
    fresh = unknown_number()
    draws = iter([first["card_number"], fresh])
    monkeypatch.setattr(members, "_new_card_number", lambda: next(draws))

    second = enrol(client, program["program_id"])

    assert second["card_number"] == fresh
    assert (
        scan(client, merchant, card_number=first["card_number"]).json()["member_id"]
        == (first["member_id"])
    )
    assert scan(client, merchant, card_number=fresh).json()["member_id"] == second["member_id"]


def test_a_barista_finds_a_member_by_the_card_number_typed_as_the_pass_shows_it(client, merchant):
    program = create_program(client, merchant)
    enrolled = enrol(client, program["program_id"])
    typed = card_number.display(enrolled["card_number"]).lower().replace(" ", "-")

    found = scan(client, merchant, card_number=typed)

    assert found.status_code == 200
    assert found.json()["member_id"] == enrolled["member_id"]
    assert found.json()["card_number"] == enrolled["card_number"]


def test_an_unknown_card_number_is_not_found(client, merchant):
    response = scan(client, merchant, card_number=unknown_number())

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_card_number"


def test_another_merchants_card_number_is_unknown(client, merchant, other_merchant):
    program = create_program(client, merchant)
    enrolled = enrol(client, program["program_id"])

    response = scan(client, other_merchant, card_number=enrolled["card_number"])

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_card_number"


def test_an_erased_members_card_number_is_unknown(client, merchant):
    program = create_program(client, merchant)
    enrolled = enrol(client, program["program_id"])
    erased = client.delete(f"/v1/members/{enrolled['member_id']}", headers=merchant.auth("owner"))
    assert erased.status_code in (200, 204)

    response = scan(client, merchant, card_number=enrolled["card_number"])

    assert response.status_code == 404


def test_a_mistyped_card_number_is_refused_as_a_typo(client, merchant):
    program = create_program(client, merchant)
    enrolled = enrol(client, program["program_id"])

    response = scan(client, merchant, card_number=mistyped(enrolled["card_number"]))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_card_number"


@pytest.mark.parametrize(
    "body",
    [{}, {"barcode": "LY1AAAA", "card_number": "0000 0000 0000"}, {"card_number": ""}],
)
def test_a_scan_takes_either_a_barcode_or_a_card_number(client, merchant, body):
    response = client.post("/v1/scans", json=body, headers=merchant.auth("barista"))

    assert response.status_code == 422


def test_repeated_misses_from_one_account_are_throttled(client, merchant):
    program = create_program(client, merchant)
    enrolled = enrol(client, program["program_id"])
    within_one_window()
    misses = [scan(client, merchant, card_number=unknown_number()) for _ in range(LIMIT)]

    refused = scan(client, merchant, card_number=enrolled["card_number"])
    colleague = scan(client, merchant, role="manager", card_number=enrolled["card_number"])
    by_barcode = scan(client, merchant, barcode=enrolled["barcode"])

    assert [m.status_code for m in misses] == [404] * LIMIT
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_misses"
    assert 1 <= int(refused.headers["Retry-After"]) <= members.CARD_MISS_WINDOW_SECONDS
    assert colleague.status_code == 200
    assert by_barcode.status_code == 200


def test_found_and_mistyped_numbers_do_not_count_as_misses(client, merchant):
    program = create_program(client, merchant)
    enrolled = enrol(client, program["program_id"])
    within_one_window()

    answers = [scan(client, merchant, card_number=enrolled["card_number"]) for _ in range(LIMIT)]
    answers += [
        scan(client, merchant, card_number=mistyped(enrolled["card_number"])) for _ in range(LIMIT)
    ]
    last = scan(client, merchant, card_number=enrolled["card_number"])

    assert [a.status_code for a in answers] == [200] * LIMIT + [422] * LIMIT
    assert last.status_code == 200


def test_misses_sent_all_at_once_are_counted_as_strictly(client, merchant):
    within_one_window()
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(
                lambda _: scan(client, merchant, card_number=unknown_number()), range(LIMIT + 5)
            )
        )

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [404] * LIMIT + [429] * 5


def test_the_apple_pass_shows_the_card_number_under_the_qr_code(client, merchant):
    program = create_program(client, merchant)
    enrolled = enrol(client, program["program_id"])

    (barcode,) = pass_json(download(client, enrolled))["barcodes"]

    assert barcode["message"] == enrolled["barcode"]
    assert barcode["altText"] == card_number.display(enrolled["card_number"])


# --- members enrolled before card numbers ---------------------------------------


def without_card_number(member_id: str) -> None:
    """Make the member what an enrolment before card numbers left: no number, no claim."""
    member = MemberItem.get(member_id, consistent_read=True)
    UniqueItem(f"card#{member.merchant_id}#{member.card_number}").delete()
    member.update(actions=[MemberItem.card_number.remove()])


def test_an_older_member_gets_a_card_number_when_their_card_is_first_scanned(client, merchant):
    program = create_program(client, merchant)
    enrolled = enrol(client, program["program_id"])
    without_card_number(enrolled["member_id"])

    scanned = scan(client, merchant, barcode=enrolled["barcode"])
    read = client.get(f"/v1/members/{enrolled['member_id']}", headers=merchant.auth("barista"))
    typed = scan(client, merchant, card_number=scanned.json()["card_number"])
    (barcode,) = pass_json(download(client, enrolled))["barcodes"]

    number = scanned.json()["card_number"]
    assert card_number.parse(number) == number
    assert number != enrolled["card_number"]
    assert read.json()["card_number"] == number
    assert typed.json()["member_id"] == enrolled["member_id"]
    assert barcode["altText"] == card_number.display(number)


def test_an_older_members_pass_is_updated_when_they_get_a_card_number(client, merchant):
    program = create_program(client, merchant)
    enrolled = enrol(client, program["program_id"])
    without_card_number(enrolled["member_id"])
    before = MemberItem.get(enrolled["member_id"], consistent_read=True)

    scan(client, merchant, barcode=enrolled["barcode"])

    after = MemberItem.get(enrolled["member_id"], consistent_read=True)
    assert after.version == before.version + 1
    assert after.pass_second > before.pass_second


def test_an_older_member_read_by_two_tills_at_once_gets_one_card_number(client, merchant):
    program = create_program(client, merchant)
    enrolled = enrol(client, program["program_id"])
    without_card_number(enrolled["member_id"])

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(
            pool.map(lambda _: scan(client, merchant, barcode=enrolled["barcode"]), range(6))
        )

    assert [a.status_code for a in answers] == [200] * 6
    assert len({a.json()["card_number"] for a in answers}) == 1
