"""DynamoDB's published arithmetic: how big an item is, and what a request costs in units.

Pure functions over items in DynamoDB's low-level JSON (`{"S": "x"}`, `{"N": "12"}`), as
botocore sends and returns them. The rules, and the AWS page that states each:

    item size   attribute name bytes + value bytes; a number ~ 1 byte per 2 significant
                digits + 1; a list or map 3 bytes + 1 per element
                (CapacityUnitCalculations)
    reads       per 4 KB: strong 1, eventual 0.5, transactional 2; a Query rounds the
                sum of what its page read, a BatchGet each item; a missing item still
                costs one block (CapacityUnitCalculations; dynamodb/pricing/on-demand)
    writes      per 1 KB of the larger of before and after: standard 1, transactional 2;
                a missing item still costs one block (CapacityUnitCalculations;
                transaction-apis#transaction-capacity-handling)
    indexes     an entry is the projected attributes; a write that adds, removes or
                changes an entry costs one more write of its size, a change of the index
                key two, a delete and a put (GSI#GSI.ThroughputConsiderations)

Pages: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/<name>.html.
1 KB is 1,024 bytes (the Constraints page).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

KB = 1024
READ_BLOCK = 4 * KB
WRITE_BLOCK = KB

Item = Mapping[str, Mapping[str, Any]]
Consistency = Literal["eventual", "strong", "transactional"]
_READ_FACTOR: dict[str, float] = {"eventual": 0.5, "strong": 1.0, "transactional": 2.0}


# --- sizes -------------------------------------------------------------------------


def number_size(text: str) -> int:
    """Bytes of a number: one per two significant digits, plus one.

    Leading and trailing zeroes do not count (AWS: "trimmed"), so 100 is one digit.
    """
    digits = Decimal(text).normalize().as_tuple().digits
    significant = 0 if digits == (0,) else len(digits)
    return math.ceil(significant / 2) + 1


def _raw_bytes(data: bytes | str) -> bytes:
    # botocore hands binary values over as bytes; a JSON document has them in base64.
    return data if isinstance(data, bytes) else base64.b64decode(data)


def value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one attribute value (its name not included)."""
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        return number_size(data)
    if kind == "B":
        return len(_raw_bytes(data))
    if kind in ("BOOL", "NULL"):
        return 1
    # Sets: AWS gives no rule of their own; counted as their elements (our models have none).
    if kind == "SS":
        return sum(len(s.encode()) for s in data)
    if kind == "NS":
        return sum(number_size(n) for n in data)
    if kind == "BS":
        return sum(len(_raw_bytes(b)) for b in data)
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in data)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in data.items())
    raise ValueError(f"not a DynamoDB attribute value: {kind}")


def item_size(item: Item | None) -> int:
    """Bytes of an item: each attribute's name and value. An absent item is 0."""
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


# --- units -------------------------------------------------------------------------


def read_units(size: int, consistency: Consistency) -> float:
    """Read request units to read `size` bytes (one item, or a Query page's sum)."""
    blocks = max(1, math.ceil(size / READ_BLOCK))
    return blocks * _READ_FACTOR[consistency]


def write_units(size: int, transactional: bool = False) -> int:
    """Write request units to write an item of `size` bytes (the larger of before and after)."""
    blocks = max(1, math.ceil(size / WRITE_BLOCK))
    return blocks * (2 if transactional else 1)


def query_units(sizes: Iterable[int], consistency: Consistency) -> float:
    """A Query or Scan page: everything it read, summed, then rounded once."""
    return read_units(sum(sizes), consistency)


def batch_get_units(sizes: Iterable[int], consistency: Consistency) -> float:
    """A BatchGetItem: each item rounded on its own, as if read by GetItem."""
    return sum(read_units(size, consistency) for size in sizes)


# --- tables and their indexes --------------------------------------------------------


@dataclass(frozen=True)
class IndexShape:
    """A global secondary index: its key and what it projects."""

    name: str
    keys: tuple[str, ...]
    projection: Literal["ALL", "KEYS_ONLY", "INCLUDE"]
    included: frozenset[str] = frozenset()

    def entry(self, item: Item | None, table_keys: tuple[str, ...]) -> dict[str, Any] | None:
        """The item as this index holds it; None if the item lacks a key (a sparse index)."""
        if not item or any(key not in item for key in self.keys):
            return None
        if self.projection == "ALL":
            return dict(item)
        wanted = {*table_keys, *self.keys, *self.included}
        return {name: value for name, value in item.items() if name in wanted}


@dataclass(frozen=True)
class TableShape:
    name: str
    keys: tuple[str, ...]
    indexes: tuple[IndexShape, ...] = field(default=())

    @classmethod
    def from_description(cls, table: Mapping[str, Any]) -> TableShape:
        """From DescribeTable's `Table`."""

        def keys(schema: Iterable[Mapping[str, str]]) -> tuple[str, ...]:
            ordered = sorted(schema, key=lambda k: k["KeyType"] != "HASH")
            return tuple(k["AttributeName"] for k in ordered)

        indexes = tuple(
            IndexShape(
                index["IndexName"],
                keys(index["KeySchema"]),
                index["Projection"]["ProjectionType"],
                frozenset(index["Projection"].get("NonKeyAttributes", ())),
            )
            for index in table.get("GlobalSecondaryIndexes", ())
        )
        return cls(table["TableName"], keys(table["KeySchema"]), indexes)

    def key_of(self, item: Item) -> dict[str, Any]:
        return {name: item[name] for name in self.keys}

    def index(self, name: str) -> IndexShape:
        return next(index for index in self.indexes if index.name == name)


def index_write_units(table: TableShape, before: Item | None, after: Item | None) -> int:
    """What a table write costs its global secondary indexes (standard writes, per entry).

    A transaction's writes reach the indexes after it commits, as ordinary writes.
    """
    total = 0
    for index in table.indexes:
        old, new = index.entry(before, table.keys), index.entry(after, table.keys)
        if old is None and new is None:
            continue  # not in the index before or after: free
        if old is None or new is None:
            total += write_units(item_size(new if old is None else old))  # put, or delete
        elif any(old[key] != new[key] for key in index.keys):
            total += write_units(item_size(old)) + write_units(item_size(new))  # delete + put
        elif old != new:
            total += write_units(max(item_size(old), item_size(new)))  # projected values changed
    return total


def item_write_units(
    table: TableShape, before: Item | None, after: Item | None, transactional: bool = False
) -> tuple[int, int]:
    """(table units, index units) of one Put, Update or Delete, from the item before and after."""
    size = max(item_size(before), item_size(after))
    return write_units(size, transactional), index_write_units(table, before, after)
