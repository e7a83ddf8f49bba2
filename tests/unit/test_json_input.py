"""JSON from outside: standard JSON only (no NaN or infinities), nested at most 32 deep."""

from __future__ import annotations

import math

import pytest

from chalicelib.jsonin import MAX_DEPTH, NotJson, loads


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_nested_to_the_limit_is_read():
    assert loads(nested(MAX_DEPTH)) == loads(nested(MAX_DEPTH))
    assert loads('{"a": ' + nested(MAX_DEPTH - 1) + "}")["a"] is not None


@pytest.mark.parametrize(
    "text",
    [
        nested(MAX_DEPTH + 1),
        nested(100_000),
        "[" * 100_000,  # never closed
        '{"a": ' * 40 + "1" + "}" * 40,
        '[{"a": [{"b": ' * 10 + "1" + "}]}]" * 10,
    ],
    ids=["one too deep", "a hundred thousand deep", "unclosed", "objects", "mixed"],
)
def test_json_nested_beyond_the_limit_is_refused(text):
    with pytest.raises(NotJson, match="deep"):
        loads(text)


def test_brackets_inside_strings_do_not_count():
    text = '{"a": "' + "[" * 1000 + '\\"' + "{" * 1000 + '"}'

    assert loads(text) == {"a": "[" * 1000 + '"' + "{" * 1000}


@pytest.mark.parametrize(
    "text", ["NaN", "[Infinity]", '{"a": -Infinity}', "1e400", "[-1e400]", '{"a": {"b": 1E999}}']
)
def test_non_numbers_and_overflowing_numbers_are_refused(text):
    with pytest.raises(NotJson):
        loads(text)


def test_large_finite_numbers_are_numbers():
    assert math.isfinite(loads("1e308"))
    assert loads("[12345678901234567890]") == [12345678901234567890]


@pytest.mark.parametrize("raw", [b"\xff\xfe", b"{", b"", b"[1,]"])
def test_malformed_input_is_refused_alike(raw):
    with pytest.raises(NotJson):
        loads(raw)
