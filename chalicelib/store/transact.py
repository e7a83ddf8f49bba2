"""Running a TransactWriteItems and reading why DynamoDB cancelled it."""

from __future__ import annotations

from collections.abc import Callable

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.store.db import connection


def write(build: Callable[[TransactWrite], None]) -> None:
    """Run the operations `build` adds as one all-or-nothing transaction."""
    with TransactWrite(connection=connection()) as tx:
        build(tx)


def failed_conditions(exc: TransactWriteError) -> list[bool]:
    """Per operation, in the order they were added: did its condition fail?"""
    reasons = exc.cancellation_reasons or []
    return [bool(reason and reason.code == "ConditionalCheckFailed") for reason in reasons]


def is_conflict(exc: TransactWriteError) -> bool:
    """Cancelled because another transaction held one of the items (retry it)."""
    reasons = exc.cancellation_reasons or []
    return any(reason and reason.code == "TransactionConflict" for reason in reasons)
