"""Each of the embedded DynamoDB's fixes names the moto it was measured on, and refuses another."""

from __future__ import annotations

import moto
import pytest

from localrun.embedded_dynamodb import (
    json_body,
    key_sizes,
    lock,
    queries,
    transactions,
    untracked,
)

FIXES = [lock, transactions, json_body, key_sizes, untracked, queries]


@pytest.mark.parametrize("fix", FIXES, ids=lambda fix: fix.__name__.rsplit(".", 1)[-1])
def test_each_fix_refuses_to_adapt_a_moto_it_was_not_measured_on(fix, monkeypatch):
    monkeypatch.setattr(moto, "__version__", "99.0.0")

    with pytest.raises(RuntimeError) as refused:
        fix.install()

    assert fix.__name__ in str(refused.value)
    assert f"adapts moto {fix.PINNED}, found 99.0.0" in str(refused.value)


@pytest.mark.parametrize("fix", FIXES, ids=lambda fix: fix.__name__.rsplit(".", 1)[-1])
def test_each_fix_states_the_fault_it_answers(fix):
    assert fix.__doc__ is not None
    assert f"moto {fix.PINNED}" in fix.__doc__
