"""TransactWriteItems with named operations, and why DynamoDB cancelled one.

pynamodb sends a transaction's operations grouped by kind (condition checks,
deletes, puts, updates), not in the order they were added, and DynamoDB's
cancellation reasons follow the order sent. Each operation here must carry a name
(`name=` is required), so that a refusal is read by name, never by a position that
the grouping moves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.store.db import connection
from chalicelib.store.errors import REASON_CONDITION_FAILED, REASON_CONFLICT

# The order pynamodb sends a TransactWrite's operations in (TransactWrite._commit).
_SENT = ("check", "delete", "put", "update")


class Write(TransactWrite):
    """A TransactWrite whose every operation is named (`name=`) for reading its failure."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(connection=connection(), **kwargs)
        self._names: dict[str, list[str]] = {kind: [] for kind in _SENT}

    def condition_check(self, *args: Any, name: str, **kwargs: Any) -> None:
        super().condition_check(*args, **kwargs)
        self._names["check"].append(name)

    def delete(self, *args: Any, name: str, **kwargs: Any) -> None:
        super().delete(*args, **kwargs)
        self._names["delete"].append(name)

    def save(self, *args: Any, name: str, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        self._names["put"].append(name)

    def update(self, *args: Any, name: str, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._names["update"].append(name)

    def sent_order(self) -> list[str]:
        """The operations' names in the order pynamodb sends them."""
        return [n for kind in _SENT for n in self._names[kind]]


class Cancelled(Exception):
    """A cancelled transaction: which named operations failed their condition, and why."""

    def __init__(self, failed: set[str], conflict: bool, cause: TransactWriteError) -> None:
        super().__init__(f"transaction cancelled: failed={sorted(failed)} conflict={conflict}")
        self.failed = failed
        self.conflict = conflict
        self.cause = cause


def write(build: Callable[[Write], None]) -> None:
    """Run the operations `build` adds as one all-or-nothing transaction.

    Raises Cancelled when DynamoDB cancels it for a condition or a conflict;
    any other failure propagates as it is.
    """
    try:
        with Write() as tx:
            build(tx)  # the block's end sends the transaction (pynamodb's public API)
    except TransactWriteError as exc:
        reasons = exc.cancellation_reasons or []
        if not reasons:
            raise
        names = tx.sent_order()
        failed = {
            names[i]
            for i, reason in enumerate(reasons)
            if reason is not None and reason.code == REASON_CONDITION_FAILED and i < len(names)
        }
        conflict = any(r is not None and r.code == REASON_CONFLICT for r in reasons)
        if not failed and not conflict:
            raise
        raise Cancelled(failed, conflict, exc) from exc
