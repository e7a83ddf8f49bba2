"""The enrolment body (API.md "Public"): a customer's name, email, birthday and consent."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from chalicelib.services.programs import invalid_from
from chalicelib.web.schemas import EnrolmentIn


def body(**changes: object) -> dict:
    """A valid enrolment body with `changes` applied (a value of ... removes the field)."""
    document = {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "birthday": "12-10",
        "consent": {"terms": True, "marketing": True},
    }
    for field, value in changes.items():
        if value is ...:
            document.pop(field, None)
        else:
            document[field] = value
    return document


def refused_field(document: dict) -> str:
    with pytest.raises(ValidationError) as caught:
        EnrolmentIn.model_validate(document)
    error = invalid_from(caught.value, model=EnrolmentIn)
    assert error.http_status == 422
    assert error.message[0].isupper() and "Input should" not in error.message, error.message
    return error.field or ""


@pytest.mark.parametrize("birthday", ["02-29", "01-01", "12-31", "1992-02-29", "1900-01-01"])
def test_a_real_birthday_is_accepted_with_or_without_its_year(birthday):
    enrolment = EnrolmentIn.model_validate(body(birthday=birthday))

    assert enrolment.birthday == birthday


def test_a_birthday_of_today_is_accepted():
    today = date.today().isoformat()

    enrolment = EnrolmentIn.model_validate(body(birthday=today))

    assert enrolment.birthday == today


def test_the_birthday_is_optional():
    enrolment = EnrolmentIn.model_validate(body(birthday=...))

    assert enrolment.birthday is None


@pytest.mark.parametrize(
    "birthday",
    [
        "02-30",
        "13-01",
        "00-10",
        "04-31",
        "2-1",
        "1990-02-29",
        "1899-12-31",
        (date.today() + timedelta(days=1)).isoformat(),
        "",
        "0229",
        "1990-2-28",
        "1990/02/28",
        "2000-W01-1",
        "1990-02-28T00:00",
        "--02-29",
    ],
)
def test_a_birthday_that_is_no_real_past_date_is_refused(birthday):
    field = refused_field(body(birthday=birthday))

    assert field == "birthday"


def test_a_birthday_sent_as_a_number_is_refused():
    field = refused_field(body(birthday=229))

    assert field == "birthday"


@pytest.mark.parametrize(
    "email",
    [
        "",
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "ada@@example.com",
        "ada lovelace@example.com",
        "ada@exa mple.com",
        "ada@example.com\n",
        "ada@.example.com",
    ],
)
def test_an_email_that_is_not_an_address_is_refused(email):
    field = refused_field(body(email=email))

    assert field == "email"


def test_an_email_is_required():
    field = refused_field(body(email=...))

    assert field == "email"


def test_a_name_of_two_hundred_characters_is_accepted_and_one_more_is_refused():
    accepted = EnrolmentIn.model_validate(body(name="a" * 200))

    field = refused_field(body(name="a" * 201))

    assert accepted.name == "a" * 200
    assert field == "name"


def test_a_blank_name_is_refused():
    field = refused_field(body(name="   "))

    assert field == "name"


@pytest.mark.parametrize(
    "consent",
    [{"terms": False}, {"terms": False, "marketing": True}, {}, {"marketing": True}],
    ids=["terms false", "terms false with marketing", "empty", "terms missing"],
)
def test_enrolment_without_accepting_the_terms_is_refused(consent):
    field = refused_field(body(consent=consent))

    assert field.startswith("consent.terms")


def test_enrolment_without_any_consent_is_refused():
    field = refused_field(body(consent=...))

    assert field == "consent"


@pytest.mark.parametrize("terms", ["true", 1])
def test_terms_accepted_other_than_as_json_true_are_refused(terms):
    field = refused_field(body(consent={"terms": terms}))

    assert field.startswith("consent.terms")


def test_marketing_consent_defaults_to_no():
    enrolment = EnrolmentIn.model_validate(body(consent={"terms": True}))

    assert enrolment.consent.marketing is False


def test_marketing_consent_is_kept_when_given():
    enrolment = EnrolmentIn.model_validate(body(consent={"terms": True, "marketing": True}))

    assert enrolment.consent.marketing is True


def test_an_unknown_field_is_refused():
    field = refused_field(body(phone="+33 1 23 45 67 89"))

    assert field == "phone"
