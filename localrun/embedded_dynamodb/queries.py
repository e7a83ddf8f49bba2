"""Fault 3 of moto 5.2.5: a Query walks the whole table.

A Query on a table's own key walks every item of the table to find the partition
(`all_items()`); here moto is handed only that partition's items, and its own code
does the rest (sorting, paging, filters). An index Query walked and sorted the
whole table on every page (4 s per 5,000-item page at 20,000 items): here each
index keeps its items grouped by index hash key in moto's own order, and moto is
handed only the page's stretch of its group, found by bisecting to
ExclusiveStartKey. The order is dropped on any write to its table. An item whose
projected attributes are all strings is projected directly rather than through
moto's round trip to Python values and back. Tests compare both paths.
"""

from __future__ import annotations

import bisect
import functools
import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import GlobalSecondaryIndex, SecondaryIndex, Table

from localrun.embedded_dynamodb import _pin, key_sizes
from localrun.embedded_dynamodb.lock import LOCK

PINNED = "5.2.5"

fast_partition = True  # tests turn it off to compare with moto's own partition walk
fast_index = True  # likewise for the index Query


def install() -> None:
    """Patch Query and index projection; then make every write drop the orders it may
    have changed (installed after the other fixes, so that a transaction's own
    rollback is inside it)."""
    _pin.require(__name__, PINNED, "re-check its Query walk, order and projection")
    original_query = Table.query
    query_signature = inspect.signature(original_query)

    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        arguments = query_signature.bind(self, *args, **kwargs).arguments
        key_sizes.check(arguments.get("hash_key"))
        with LOCK:
            candidates: list[Item] | None = None
            if arguments.get("index_name"):
                if fast_index:
                    candidates = _index_stretch(self, arguments)
            elif fast_partition and arguments.get("hash_key") is not None:
                candidates = _partition(self, arguments["hash_key"])
            if candidates is None:
                return original_query(self, *args, **kwargs)
            # An instance attribute shadows the method for this one call (under the lock).
            self.all_items = lambda: candidates  # type: ignore[method-assign]
            try:
                return original_query(self, *args, **kwargs)
            finally:
                del self.all_items

    Table.query = query  # type: ignore[method-assign]

    original_project = SecondaryIndex.project

    def project(self: SecondaryIndex, item: Item) -> Item:
        kept = _string_projection(self, item) if fast_index else None
        return original_project(self, item) if kept is None else kept

    SecondaryIndex.project = project  # type: ignore[method-assign]

    # Every write drops the index orders of the tables it may touch: the named
    # table where moto's signature names it, every table otherwise.
    for name, method in list(vars(DynamoDBBackend).items()):
        if name.startswith("_") or name in _READS or not inspect.isfunction(method):
            continue
        setattr(DynamoDBBackend, name, _dropping_orders(method, _TOUCHED.get(name)))
    Table.put_item = _dropping_orders(Table.put_item, _this_table)  # type: ignore[method-assign]
    Table.delete_item = _dropping_orders(Table.delete_item, _this_table)  # type: ignore[method-assign]


def _partition(table: Table, hash_key: DynamoType) -> list[Item]:
    bucket = table.items.get(hash_key)
    if bucket is None:
        return []
    if isinstance(bucket, dict):
        return list(bucket.values())
    return [bucket]


# The index Query (see the docstring).
#
# moto answers an index Query by sorting every item of the index's hash key on
# (index hash, index range, table hash, table range), skipping to the first item
# past ExclusiveStartKey, and walking from there. The same order is kept here,
# with plain values as sort keys (the types are checked equal, so DynamoType's
# comparisons and theirs agree), and moto gets only the stretch it would walk:
# from the start key on, and, when nothing but the limit stops its walk, no
# more than limit + 1 items (the one past the limit makes its LastEvaluatedKey).

_ORDERED_TYPES = frozenset({"S", "N", "B"})  # a key attribute's types: totally ordered


@dataclass
class _Group:
    """The items of one index hash key, in moto's order."""

    items: list[Item]
    keys: list[tuple[Any, ...]]  # each item's sort key, as plain values
    types: tuple[str, ...] | None  # each sort attribute's type; None: mixed, moto's own walk


@dataclass
class _IndexOrder:
    table: Table
    index: SecondaryIndex
    sort_attrs: list[str]
    groups: dict[tuple[str, Any], _Group]  # by the index hash key's (type, value)


_orders: dict[tuple[int, str], _IndexOrder] = {}


def _index_stretch(table: Table, arguments: dict[str, Any]) -> list[Item] | None:
    """The items moto would walk for this index Query, or None for moto's own walk."""
    index = next((i for i in table.all_indexes() if i.name == arguments["index_name"]), None)
    if index is None:
        return None  # moto lists the indexes there are
    hash_attrs = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
    range_attrs = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
    conditions = arguments.get("hash_key_conditions") or []
    if (
        len(hash_attrs) != 1  # multi-attribute keys: moto's own walk
        or len(range_attrs) > 1
        or len(conditions) != 1
        or conditions[0][0] != hash_attrs[0]
        or len(arguments.get("range_key_conditions") or []) > 1
        or conditions[0][1].type not in _ORDERED_TYPES
    ):
        return None
    forward = arguments.get("scan_index_forward", True)
    if not isinstance(forward, bool):
        return None
    order = _order_of(table, index, hash_attrs[0], range_attrs[0] if range_attrs else None)
    wanted = conditions[0][1]
    group = order.groups.get((wanted.type, wanted.cast_value))
    if group is None:
        return []
    if group.types is None:
        return None
    low, high = 0, len(group.items)
    start_key = arguments.get("exclusive_start_key")
    if start_key is not None:
        start = _sort_key(start_key, order.sort_attrs, group.types)
        if start is None:
            return None
        try:
            if forward:
                low = bisect.bisect_right(group.keys, start)
            else:
                high = bisect.bisect_left(group.keys, start)
        except (TypeError, ArithmeticError):
            return None  # moto raises its own error
    limit = arguments.get("limit")
    # A key condition on the range (or a legacy QueryFilter) makes moto walk the
    # whole rest of the group, counting only the items that match.
    walks_on = arguments.get("range_comparison") or arguments.get("filter_kwargs")
    if not walks_on and isinstance(limit, int) and limit > 0:
        if forward:
            high = min(high, low + limit + 1)
        else:
            low = max(low, high - limit - 1)
    return group.items[low:high]


def _sort_key(
    key: dict[str, Any], sort_attrs: list[str], types: tuple[str, ...]
) -> tuple[Any, ...] | None:
    """An ExclusiveStartKey as a sort key, or None where moto's own walk must judge it."""
    values = []
    for attr, type_ in zip(sort_attrs, types, strict=True):
        value = key.get(attr)
        if not isinstance(value, dict) or list(value) != [type_]:
            return None
        try:
            values.append(DynamoType(value).cast_value)
        except (TypeError, ArithmeticError):
            return None
    return tuple(values)


def _order_of(
    table: Table, index: SecondaryIndex, hash_attr: str, range_attr: str | None
) -> _IndexOrder:
    cached = _orders.get((id(table), index.name))
    if cached is not None and cached.table is table and cached.index is index:
        return cached
    # moto's sort attributes, as its index Query names them.
    if range_attr:
        moto_ranges = [range_attr, table.range_key_attr]
    elif isinstance(index, GlobalSecondaryIndex) and table.range_key_attr:
        moto_ranges = [table.range_key_attr, table.range_key_attr]
    else:
        moto_ranges = [table.hash_key_attr, table.range_key_attr]
    sort_attrs = table._generate_attr_to_sort_by([hash_attr, table.hash_key_attr], moto_ranges)
    members: dict[tuple[str, Any], list[Item]] = {}
    for bucket in table.items.values():
        for item in bucket.values() if table.range_key_attr else [bucket]:
            if not isinstance(item, Item):
                continue
            value = item.attrs.get(hash_attr)
            if value is None or value.type not in _ORDERED_TYPES:
                continue  # sparse: not in the index (or never equal to a key value)
            if range_attr and item.attrs.get(range_attr) is None:
                continue
            members.setdefault((value.type, value.cast_value), []).append(item)
    order = _IndexOrder(
        table,
        index,
        sort_attrs,
        {value: _group_of(items, sort_attrs) for value, items in members.items()},
    )
    _orders[(id(table), index.name)] = order
    return order


def _group_of(items: list[Item], sort_attrs: list[str]) -> _Group:
    types = {tuple(item.attrs[attr].type for attr in sort_attrs) for item in items}
    if len(types) != 1 or not set(next(iter(types))) <= _ORDERED_TYPES:
        return _Group(items, [], None)
    try:
        pairs = sorted(
            ((tuple(item.attrs[attr].cast_value for attr in sort_attrs), item) for item in items),
            key=lambda pair: pair[0],
        )
    except (TypeError, ArithmeticError):
        return _Group(items, [], None)
    return _Group([item for _, item in pairs], [key for key, _ in pairs], types.pop())


# moto projects an index's item by turning it into Python values (boto3's
# deserializer), picking the names out, and serializing them back: 60% of a
# 5,000-item KEYS_ONLY or INCLUDE page. A string comes back as it went, so an
# item whose kept attributes are all strings is projected directly, in moto's
# order; any other type takes moto's round trip (a number may come back respelled).
_LIST_ELEMENT = re.compile(r"(.+)\[(\d+)\]$")  # a name moto reads as a list element


def _string_projection(index: SecondaryIndex, item: Item) -> Item | None:
    projection = index.projection or {}
    kind = projection.get("ProjectionType")
    if kind not in ("KEYS_ONLY", "INCLUDE"):
        return None
    names = index.table_key_attrs + [key["AttributeName"] for key in index.schema]
    if kind == "INCLUDE":
        names += projection.get("NonKeyAttributes", [])
    kept: dict[str, dict[str, str]] = {}
    for name in names:
        if _LIST_ELEMENT.match(name):
            return None
        value = item.attrs.get(name)
        if value is None:
            continue
        if value.type != "S" or not isinstance(value.value, str):
            return None
        kept[name] = {"S": value.value}
    return Item(item.hash_key, item.range_key, kept)


def _drop_orders(table_names: Iterable[str] | None) -> None:
    if table_names is None:
        _orders.clear()
        return
    names = set(table_names)
    for key in [key for key, order in _orders.items() if order.table.name in names]:
        del _orders[key]


def _dropping_orders(
    method: Callable[..., Any], touched: Callable[..., Iterable[str]] | None
) -> Callable[..., Any]:
    """`method`, then the index orders of the tables it touched dropped, even if it failed."""

    @functools.wraps(method)
    def write(*args: Any, **kwargs: Any) -> Any:
        with LOCK:
            try:
                return method(*args, **kwargs)
            finally:
                try:
                    names = None if touched is None else list(touched(*args, **kwargs))
                except Exception:  # arguments moto itself refused: drop every order
                    names = None
                _drop_orders(names)

    return write


def _named_table(backend: DynamoDBBackend, table_name: str, *args: Any, **kwargs: Any) -> list[str]:
    return [table_name]


def _transaction_tables(
    backend: DynamoDBBackend, transact_items: list[dict[str, Any]], *args: Any, **kwargs: Any
) -> list[str]:
    return [op.get("TableName", "") for entry in transact_items for op in entry.values()]


def _this_table(table: Table, *args: Any, **kwargs: Any) -> list[str]:
    return [table.name]


# Backend methods that write nothing; every other one drops index orders.
_READS = frozenset(
    {
        "get_item",
        "query",
        "scan",
        "batch_get_item",
        "transact_get_items",
        "get_table",
        "get_schema",
        "get_table_keys_name",
        "get_keys_value",
        "describe_table",
        "describe_endpoints",
        "describe_time_to_live",
        "describe_continuous_backups",
        "describe_backup",
        "describe_import",
        "describe_export",
        "list_tables",
        "list_tags_of_resource",
        "list_backups",
        "list_exports",
        "get_backup",
        "get_resource_policy",
        "iter_tagged_resources",
    }
)
# Writes whose signature names the one table they touch.
_TOUCHED: dict[str, Callable[..., Iterable[str]]] = {
    "put_item": _named_table,
    "update_item": _named_table,
    "delete_item": _named_table,
    "transact_write_items": _transaction_tables,
}
