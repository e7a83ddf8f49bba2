"""The store and the enrolment service against a real DynamoDB-speaking server."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from tests.conftest import make_merchant

STAMP_CARD = {
    "name": "Coffee card",
    "kind": "stamps",
    "stamps": {"required": 10, "reward": {"name": "Free coffee"}},
}


@pytest.fixture
def program_id(dynamodb_url: str) -> str:
    """A stamp-card program of a new merchant, made through the services."""
    from chalicelib.domain.program import Program
    from chalicelib.services import auth, programs

    merchant = make_merchant()
    owner = auth.authenticate(merchant.tokens["owner"])
    return programs.create_program(owner, Program.model_validate(STAMP_CARD)).program_id


def throwaway_model(url: str) -> type[Model]:
    """A model of its own, uniquely named table on the test server."""

    class ThrowawayItem(Model):
        class Meta:
            table_name = f"throwaway-{uuid.uuid4().hex}"
            host = url
            region = "eu-west-1"
            billing_mode = "PAY_PER_REQUEST"

        key = UnicodeAttribute(hash_key=True)

    return ThrowawayItem


def unique_email() -> str:
    return f"racer-{uuid.uuid4().hex[:12]}@example.com"


def test_creating_the_tables_again_creates_nothing_and_does_not_fail(dynamodb_url):
    from chalicelib.store import db
    from chalicelib.store.models import ALL_MODELS

    again = db.create_tables()

    assert again == []
    assert all(model.exists() for model in ALL_MODELS)


def test_creating_a_missing_table_creates_it_once(dynamodb_url):
    from chalicelib.store import db

    model = throwaway_model(dynamodb_url)

    first = db.create_tables((model,))
    second = db.create_tables((model,))

    assert first == [model.Meta.table_name]
    assert second == []
    assert model.exists()
    model.delete_table()


def test_eight_racing_enrolments_of_one_email_make_one_member(program_id):
    from chalicelib.services import members

    email = unique_email()
    racers = 8
    start = threading.Barrier(racers)

    def enrol(_: int) -> members.Enrolment:
        start.wait(timeout=30)
        return members.enrol(program_id, "Ada", email, None, marketing=False)

    with ThreadPoolExecutor(max_workers=racers) as pool:
        results = list(pool.map(enrol, range(racers)))

    assert len({result.member.member_id for result in results}) == 1
    assert [result.created for result in results].count(True) == 1
    assert len({result.barcode for result in results}) == 1


def test_a_racing_enrolment_finds_the_member_by_the_same_email_in_any_case(program_id):
    from chalicelib.services import members

    email = unique_email()
    spellings = [email, email.upper(), f"  {email} ", email.capitalize()]
    start = threading.Barrier(len(spellings))

    def enrol(spelling: str) -> members.Enrolment:
        start.wait(timeout=30)
        return members.enrol(program_id, "Ada", spelling, None, marketing=False)

    with ThreadPoolExecutor(max_workers=len(spellings)) as pool:
        results = list(pool.map(enrol, spellings))

    assert len({result.member.member_id for result in results}) == 1
    assert [result.created for result in results].count(True) == 1


def test_two_different_emails_make_two_members(program_id):
    from chalicelib.services import members

    first = members.enrol(program_id, "Ada", unique_email(), None, marketing=False)
    second = members.enrol(program_id, "Grace", unique_email(), "12-09", marketing=True)

    assert first.created
    assert second.created
    assert first.member.member_id != second.member.member_id
    assert second.member.birthday == "12-09"
    assert second.member.marketing_consent is True


def test_the_same_email_in_another_program_is_another_member(program_id):
    from chalicelib.domain.program import Program
    from chalicelib.services import auth, members, programs

    email = unique_email()
    merchant = make_merchant()
    owner = auth.authenticate(merchant.tokens["owner"])
    other = programs.create_program(owner, Program.model_validate(STAMP_CARD)).program_id

    here = members.enrol(program_id, "Ada", email, None, marketing=False)
    there = members.enrol(other, "Ada", email, None, marketing=False)

    assert here.created
    assert there.created
    assert here.member.member_id != there.member.member_id
