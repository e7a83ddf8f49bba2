"""Fault 2 of moto 5.2.5: TransactWriteItems deep-copies every table it touches.

moto copies each table before a transaction so that it can roll back: a
transaction's cost grows with the table (72/s empty, 23/s at 1,000 items). Here
only the items the transaction names are snapshotted, the table copy is made a
no-op for the duration of the call, and a failed transaction restores exactly
those items.
"""

from __future__ import annotations

import copy
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from localrun.embedded_dynamodb import _pin
from localrun.embedded_dynamodb.lock import LOCK

PINNED = "5.2.5"

_Snapshot = tuple[Table, DynamoType, DynamoType | None, Item | None]


def install() -> None:
    _pin.require(__name__, PINNED, "re-check its TransactWriteItems (the copy, the rollback)")
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        with LOCK:
            snapshots = _transaction_keys(self, transact_items)
            Table.__deepcopy__ = _table_is_not_copied  # type: ignore[attr-defined]
            try:
                return original(self, transact_items)
            except Exception:
                # moto "rolled back" to the same table objects: undo item by item.
                _restore(snapshots)
                raise
            finally:
                del Table.__deepcopy__  # type: ignore[attr-defined]

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _transaction_keys(
    backend: DynamoDBBackend, transact_items: list[dict[str, Any]]
) -> list[_Snapshot]:
    """The current state of every item the transaction names (None where absent)."""
    snapshots: list[_Snapshot] = []
    for entry in transact_items:
        for op_type, op in entry.items():
            table = backend.tables.get(op.get("TableName", ""))
            if table is None:
                continue  # moto itself answers ResourceNotFound
            key = op["Item"] if op_type == "Put" else op.get("Key", {})
            try:
                hash_key = DynamoType(key[table.hash_key_attr])
                range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
                current = table.get_item(hash_key, range_key)
            except Exception:  # noqa: S112 - malformed keys: moto reports them itself
                continue
            snapshots.append((table, hash_key, range_key, copy.deepcopy(current)))
    return snapshots


def _restore(snapshots: list[_Snapshot]) -> None:
    for table, hash_key, range_key, item in reversed(snapshots):
        if range_key is None:
            if item is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = item
        else:
            bucket = table.items[hash_key]
            if item is None:
                bucket.pop(range_key, None)
                if not bucket:
                    table.items.pop(hash_key, None)
            else:
                bucket[range_key] = item


def _table_is_not_copied(self: Table, memo: dict[int, Any]) -> Table:
    return self
