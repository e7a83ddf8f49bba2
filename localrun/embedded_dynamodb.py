"""moto's DynamoDB served over real HTTP inside this process, made safe for concurrency.

Two faults of moto 5.2.5 measured here, and what this module does about them:

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
   and its own code does the rest (sorting, paging, filters). Index Queries still
   walk the table. Tests compare both paths.
4. Its responses go through a generic, model-driven serializer that walks the
   service's output shapes value by value: two thirds of a 1,000-item Query page's
   time here (3.0 of 4.7 s). For the data-plane operations, whose results moto
   already builds as wire-shaped dicts, the adapter writes that dict as JSON
   (bytes as base64, no nulls); tests compare both paths response for response.

The adaptation wraps moto's own methods rather than replacing them, and refuses to
run on any other moto version: a new version must be checked against both faults
(tests/integration/test_embedded_dynamodb.py) before the pin moves.
"""

from __future__ import annotations

import base64
import copy
import inspect
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

import moto
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
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
        call = query_signature.bind(self, *args, **kwargs)
        hash_key = call.arguments.get("hash_key")
        if not fast_partition or call.arguments.get("index_name") or hash_key is None:
            return original_query(self, *args, **kwargs)
        bucket = self.items.get(hash_key)
        if bucket is None:
            partition: list[Item] = []
        elif isinstance(bucket, dict):
            partition = list(bucket.values())
        else:
            partition = [bucket]
        # An instance attribute shadows the method for this one call (under the lock).
        self.all_items = lambda: partition  # type: ignore[method-assign]
        try:
            return original_query(self, *args, **kwargs)
        finally:
            del self.all_items

    Table.query = query  # type: ignore[method-assign]
    _patched = True


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


class EmbeddedDynamoDB:
    """A DynamoDB-speaking HTTP server on a loopback port, in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
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
        app = _Serialized(create_backend_app("dynamodb"))
        self._server = make_server(
            self._host, self._port, app, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="embedded-dynamodb", daemon=True
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
