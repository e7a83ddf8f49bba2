"""The barcode carries a member id and a tag only the service can make."""

from __future__ import annotations

import base64
import re

from hypothesis import given
from hypothesis import strategies as st

from chalicelib import ids
from chalicelib.domain import barcode

KEY = bytes(range(32))


def test_a_barcode_reads_back_as_its_member():
    member_id = ids.new_id()

    code = barcode.sign(member_id, KEY)

    assert barcode.verify(code, KEY) == member_id


def test_a_barcode_is_short_and_uses_the_qr_alphanumeric_alphabet():
    code = barcode.sign(ids.new_id(), KEY)

    assert len(code) <= 64
    assert re.fullmatch(r"[A-Z0-9]+", code)


def test_a_barcode_signed_with_another_key_is_refused():
    code = barcode.sign(ids.new_id(), bytes(32))

    assert barcode.verify(code, KEY) is None


@given(position=st.integers(min_value=0, max_value=44), replacement=st.sampled_from("A7Q2Z"))
def test_any_altered_character_is_refused(position, replacement):
    code = barcode.sign("AAAAAAAAAAAAAAAAAAAAAA", KEY)
    if code[position] == replacement:
        return
    altered = code[:position] + replacement + code[position + 1 :]

    assert barcode.verify(altered, KEY) is None


def test_a_barcode_for_another_member_with_a_copied_tag_is_refused():
    genuine = barcode.sign(ids.new_id(), KEY)
    raw = base64.b32decode(genuine[3:] + "======")
    other = ids.id_bytes(ids.new_id())
    forged = "LY1" + base64.b32encode(other + raw[16:]).decode().rstrip("=")

    assert barcode.verify(forged, KEY) is None


def test_garbage_is_refused_without_an_error():
    for text in ["", "LY1", "LY1!!!!", "x" * 500, "LY1" + "A" * 61, "ly1abc"]:
        assert barcode.verify(text, KEY) is None


def test_a_lowercased_barcode_still_scans():
    member_id = ids.new_id()

    assert barcode.verify(barcode.sign(member_id, KEY).lower(), KEY) == member_id
