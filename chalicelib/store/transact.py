"""TransactWriteItems with named operations, and why DynamoDB cancelled one.

pynamodb sends a transaction's operations grouped by kind (condition checks,
deletes, puts, updates), not in the order they were added, and DynamoDB's
cancellation reasons follow the order sent. Each operation here must carry a name
(`name=` is required), so that a refusal is read by name, never by a position that
the grouping moves.
"""

from __future__ import annotations

from collections.abc import Callable

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.store.db import connection
from chalicelib.store.errors import REASON_CONDITION_FAILED, REASON_CONFLICT

# The order pynamodb sends a TransactWrite's operations in (TransactWrite._commit).
_SENT = ("check", "delete", "put", "update")


class Write:
    """The operations of one TransactWrite, each named (`name=`) for reading its failure.

    It wraps pynamodb's TransactWrite rather than extending it: every method here
    takes a name the parent's does not, so this is not a TransactWrite to anyone.
    """

    def __init__(self, tx: TransactWrite) -> None:
        self._tx = tx
        self._names: dict[str, list[str]] = {kind: [] for kind in _SENT}

    def condition_check(
        self,
        model_cls: type[Model],
        hash_key: str,
        range_key: str | None = None,
        *,
        condition: Condition,
        name: str,
    ) -> None:
        self._tx.condition_check(model_cls, hash_key, range_key, condition=condition)
        self._names["check"].append(name)

    def delete(self, model: Model, condition: Condition | None = None, *, name: str) -> None:
        self._tx.delete(model, condition=condition)
        self._names["delete"].append(name)

    def save(self, model: Model, condition: Condition | None = None, *, name: str) -> None:
        self._tx.save(model, condition=condition)
        self._names["put"].append(name)

    def update(
        self,
        model: Model,
        actions: list[Action],
        condition: Condition | None = None,
        *,
        name: str,
    ) -> None:
        self._tx.update(model, actions=actions, condition=condition)
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
    inner = TransactWrite(connection=connection())
    tx = Write(inner)
    try:
        with inner:
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
