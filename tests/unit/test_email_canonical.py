"""The duplicate check's email rule: one mailbox, one card."""

from __future__ import annotations

import pytest

from chalicelib.domain.emails import canonical_email


@pytest.mark.parametrize(
    ("typed", "same_as"),
    [
        ("Ada@Example.COM", "ada@example.com"),
        ("  ada@example.com ", "ada@example.com"),
        ("ada+coffee@example.com", "ada@example.com"),
        ("ada+1+2@example.com", "ada@example.com"),
        ("A.D.A+x@gmail.com", "ada@gmail.com"),
        ("ada@googlemail.com", "ada@gmail.com"),
        ("a.da@GoogleMail.com", "ada@gmail.com"),
    ],
)
def test_addresses_that_reach_one_mailbox_are_one_address(typed: str, same_as: str) -> None:
    assert canonical_email(typed) == canonical_email(same_as)


def test_dots_count_outside_gmail() -> None:
    assert canonical_email("a.da@example.com") != canonical_email("ada@example.com")


def test_the_domain_is_kept_apart_from_the_local_part() -> None:
    assert canonical_email("ada@example.com") != canonical_email("ada@example.org")


def test_a_local_part_that_is_only_a_tag_is_kept() -> None:
    # "+news@x" has no mailbox name before the tag: dropping it would leave "@x".
    assert canonical_email("+news@example.com") == "+news@example.com"
