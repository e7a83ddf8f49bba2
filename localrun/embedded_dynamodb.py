"""moto's DynamoDB served over real HTTP inside this process, made safe for concurrency.

Faults of moto 5.2.5 measured here, and what this module does about them:

1. Its backend holds no lock. Eight concurrent clients made a third of
   TransactWriteItems fail with HTTP 500 ("dictionary changed size during
   iteration"). Every request is serialized through one lock: the backend is
   plain Python under the GIL, so little is lost.
2. TransactWriteItems deep-copies every table it touches before it starts, so
   that it can roll back: a transaction cost grows with the table (72/s empty,
   23/s at 1,000 items). Here only the items the transaction names are
   snapshotted, and the table copy is made a no-op for the duration of the call;
   a failed transaction restores exactly those items.

3. A Query on a table's own key walks every item of the table to find the
   partition (`all_items()`); here moto is handed only that partition's items,
   and its own code does the rest (sorting, paging, filters). An index Query
   walked and sorted the whole table on every page (4 s per 5,000-item page at
   20,000 items): here each index keeps its items grouped by index hash key in
   moto's own order, and moto is handed only the page's stretch of its group,
   found by bisecting to ExclusiveStartKey. The order is dropped on any write
   to its table. An item whose projected attributes are all strings is projected
   directly rather than through moto's round trip to Python values and back.
   Tests compare both paths.
4. It keeps every item object it ever makes (for its dashboard), the copies
   each Query makes of its results included: memory grew by 13 MiB per
   5,000-item page. DynamoDB's items are not kept here.
5. Its responses go through a generic, model-driven serializer that walks the
   service's output shapes value by value: two thirds of a 1,000-item Query page's
   time here (3.0 of 4.7 s). For the data-plane operations, whose results moto
   already builds as wire-shaped dicts, the adapter writes that dict as JSON
   (bytes as base64, no nulls); tests compare both paths response for response.

The adaptation wraps moto's own methods rather than replacing them (answering
directly only where tests compare the answer with moto's own), and refuses to run on
any other moto version: a new version must be checked against these faults
(tests/integration/test_embedded_dynamodb*.py) before the pin moves.
"""

from __future__ import annotations

import base64
import bisect
import copy
import functools
import inspect
import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import moto
from moto.dynamodb.exceptions import HashKeyTooLong, RangeKeyTooLong
from moto.dynamodb.limits import HASH_KEY_MAX_LENGTH, RANGE_KEY_MAX_LENGTH
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import GlobalSecondaryIndex, SecondaryIndex, Table
from moto.dynamodb.responses import DynamoResult
from moto.moto_server.werkzeug_app import MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

PINNED_MOTO = "5.2.5"

_LOCK = threading.RLock()
_patched = False

_Snapshot = tuple[Table, DynamoType, DynamoType | None, Item | None]


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


def install() -> None:
    """Adapt moto's backend once per process (see the module docstring)."""
    global _patched
    if _patched:
        return
    if moto.__version__ != PINNED_MOTO:
        raise RuntimeError(
            f"localrun.embedded_dynamodb adapts moto {PINNED_MOTO}, found {moto.__version__}: "
            "re-check its TransactWriteItems before moving the pin"
        )
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        with _LOCK:
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

    original_execute = DynamoResult.execute_result

    def execute_result(self: DynamoResult, context: Any) -> Any:
        if not fast_json or context.operation_model.name not in _DATA_PLANE:
            return original_execute(self, context)
        if not isinstance(self.result, dict):
            return original_execute(self, context)
        body = json.dumps(_wire(self.result), separators=(",", ":"))
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    DynamoResult.execute_result = execute_result  # type: ignore[method-assign]

    original_query = Table.query
    query_signature = inspect.signature(original_query)

    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        arguments = query_signature.bind(self, *args, **kwargs).arguments
        _check_key_sizes(arguments.get("hash_key"))
        with _LOCK:
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

    # DynamoDB refuses a key over its size limits (hash 2,048 bytes, range 1,024) in
    # every operation with a ValidationException; moto checks only the items it
    # writes, so a read by an oversized id was "not found" here and a 500 in AWS.
    Table.get_item = _key_sized(Table.get_item)  # type: ignore[method-assign]
    Table.delete_item = _key_sized(Table.delete_item)  # type: ignore[method-assign]

    original_project = SecondaryIndex.project

    def project(self: SecondaryIndex, item: Item) -> Item:
        kept = _string_projection(self, item) if fast_index else None
        return original_project(self, item) if kept is None else kept

    SecondaryIndex.project = project  # type: ignore[method-assign]

    # moto keeps every model instance it ever makes, for its dashboard
    # (BaseModel.__new__ appends to `instances_tracked`): every Query's copies
    # of its items too, 13 MiB per 5,000-item page, never freed. Only S3 reads
    # its own list; DynamoDB's items are left untracked.
    Item.__new__ = staticmethod(_untracked)  # type: ignore[assignment]

    # Every write drops the index orders of the tables it may touch: the named
    # table where moto's signature names it, every table otherwise (wrapped last,
    # so that a transaction's own rollback above is inside it).
    for name, method in list(vars(DynamoDBBackend).items()):
        if name.startswith("_") or name in _READS or not inspect.isfunction(method):
            continue
        setattr(DynamoDBBackend, name, _dropping_orders(method, _TOUCHED.get(name)))
    Table.put_item = _dropping_orders(Table.put_item, _this_table)  # type: ignore[method-assign]
    Table.delete_item = _dropping_orders(Table.delete_item, _this_table)  # type: ignore[method-assign]
    _patched = True


def _check_key_sizes(hash_key: DynamoType | None, range_key: DynamoType | None = None) -> None:
    if hash_key is not None and hash_key.size() > HASH_KEY_MAX_LENGTH:
        raise HashKeyTooLong
    if range_key is not None and range_key.size() > RANGE_KEY_MAX_LENGTH:
        raise RangeKeyTooLong


def _key_sized(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def checked(
        self: Table, hash_key: DynamoType, range_key: DynamoType | None = None, *a: Any, **k: Any
    ) -> Any:
        _check_key_sizes(hash_key, range_key)
        return method(self, hash_key, range_key, *a, **k)

    return checked


def _untracked(cls: type[Item], *args: Any, **kwargs: Any) -> Item:
    return object.__new__(cls)


def _partition(table: Table, hash_key: DynamoType) -> list[Item]:
    bucket = table.items.get(hash_key)
    if bucket is None:
        return []
    if isinstance(bucket, dict):
        return list(bucket.values())
    return [bucket]


# The operations whose results moto builds as wire-shaped dicts (see the docstring).
_DATA_PLANE = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)
fast_json = True  # tests turn it off to compare with moto's own serializer
fast_partition = True  # likewise for the partition-only Query
fast_index = True  # likewise for the index Query


# The index Query (see the docstring, point 3).
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
        with _LOCK:
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


# Shapes typed `double` in the service model: written as JSON floats.
_DOUBLES = frozenset({"CapacityUnits", "ReadCapacityUnits", "WriteCapacityUnits"})


def _wire(value: Any) -> Any:
    """A result as DynamoDB's JSON protocol writes it: bytes as base64, nulls left out."""
    if isinstance(value, dict):
        return {
            k: float(v) if k in _DOUBLES else _wire(v) for k, v in value.items() if v is not None
        }
    if isinstance(value, list | tuple):
        return [_wire(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


class _QuietHandler(MotoRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # one line per DynamoDB call drowns the service's own log


class _Serialized:
    """WSGI middleware: one request at a time inside moto, the body built under the lock."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with _LOCK:
            return [b"".join(self._app(environ, start_response))]


class EmbeddedService:
    """One of moto's services on a loopback port, in a background thread.

    Every service of the process shares moto's backends and the adapter's lock: a
    CloudFormation stack served beside the DynamoDB creates its tables there.
    """

    def __init__(self, service: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self._service = service
        self._host = host
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        install()
        app = _Serialized(create_backend_app(self._service))
        self._server = make_server(
            self._host, self._port, app, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"embedded-{self._service}", daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None


class EmbeddedDynamoDB(EmbeddedService):
    """A DynamoDB-speaking HTTP server on a loopback port, in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__("dynamodb", host, port)
