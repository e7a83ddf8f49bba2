"""A fault of moto 5.2.5: it checks key sizes only on the items it writes.

DynamoDB refuses a key over its size limits (hash 2,048 bytes, range 1,024) in
every operation with a ValidationException; moto checked only writes, so a read
by an oversized id was "not found" here and a 500 in AWS. GetItem, DeleteItem and
Query check their keys here too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from moto.dynamodb.exceptions import HashKeyTooLong, RangeKeyTooLong
from moto.dynamodb.limits import HASH_KEY_MAX_LENGTH, RANGE_KEY_MAX_LENGTH
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

from localrun.embedded_dynamodb import _pin

PINNED = "5.2.5"


def install() -> None:
    """GetItem and DeleteItem; the Query wrapper (queries.py) calls `check` itself."""
    _pin.require(__name__, PINNED, "re-check which operations moto checks key sizes in")
    Table.get_item = _key_sized(Table.get_item)  # type: ignore[method-assign]
    Table.delete_item = _key_sized(Table.delete_item)  # type: ignore[method-assign]


def check(hash_key: DynamoType | None, range_key: DynamoType | None = None) -> None:
    """Refuse a key over DynamoDB's size limits, as DynamoDB does."""
    if hash_key is not None and hash_key.size() > HASH_KEY_MAX_LENGTH:
        raise HashKeyTooLong
    if range_key is not None and range_key.size() > RANGE_KEY_MAX_LENGTH:
        raise RangeKeyTooLong


def _key_sized(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def checked(
        self: Table, hash_key: DynamoType, range_key: DynamoType | None = None, *a: Any, **k: Any
    ) -> Any:
        check(hash_key, range_key)
        return method(self, hash_key, range_key, *a, **k)

    return checked
