"""Request units of every DynamoDB call the service makes, from botocore's event hooks.

moto answers with no real consumed capacity, so each request is priced here by
DynamoDB's published rules (bench/capacity.py), from the items it touches:

    before-parameter-build   the request's parameters; for a write, each target item
                             as stored before it (read back with a client of our own)
    after-call               the items as stored after it: a write is charged on the
                             larger of before and after, its indexes on both; a read
                             on the full item (a Query on what its page read, before
                             any filter, as its index projects it)

The read-backs go through a separate botocore client that carries no hooks, and the
time they take is kept apart, so that neither the units nor the timings count them.
Only calls made while a label is set are counted.
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.session

from bench.capacity import (
    Item,
    TableShape,
    batch_get_units,
    item_size,
    item_write_units,
    query_units,
    read_units,
)


@dataclass
class Tally:
    """What one kind of operation cost over its runs."""

    runs: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    rru: float = 0.0
    wru: float = 0.0  # the tables' own writes
    index_wru: float = 0.0  # the global secondary indexes' writes
    seconds: list[float] = field(default_factory=list)  # one per run: a median resists noise
    log_bytes: int = 0
    response_bytes: int = 0


_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")
_PLACEHOLDER = re.compile(r"[#:][A-Za-z0-9_]+")


class Meter:
    """Counts and prices the DynamoDB calls made under a label (`with meter.measure(...)`)."""

    def __init__(self) -> None:
        self.tallies: dict[str, Tally] = defaultdict(Tally)
        self.label: str | None = None
        self._reader: Any = None
        self._shapes: dict[str, TableShape] = {}
        self._aside = 0.0  # seconds spent reading items back: ours, not the service's

    # --- wiring ---------------------------------------------------------------------

    def install(self) -> None:
        """Hook every botocore session pynamodb makes from now on (before its first call)."""
        import pynamodb.connection.base as pynamodb_base

        make_session = pynamodb_base.get_session

        def hooked_session() -> botocore.session.Session:
            session = make_session()
            session.register("before-parameter-build.dynamodb", self._before)
            session.register("after-call.dynamodb", self._after)
            return session

        pynamodb_base.get_session = hooked_session

    def connect(self, endpoint: str, region: str) -> None:
        """The unhooked client items are read back with."""
        self._reader = botocore.session.get_session().create_client(
            "dynamodb",
            region_name=region,
            endpoint_url=endpoint,
            aws_access_key_id="bench",
            aws_secret_access_key="bench",  # the embedded server takes any key
        )

    @contextmanager
    def measure(self, label: str) -> Iterator[Tally]:
        """Count what runs inside under `label`; its wall time, less our own read-backs."""
        tally = self.tallies[label]
        aside = self._aside
        self.label = label
        started = time.perf_counter()
        try:
            yield tally
        finally:
            tally.seconds.append(time.perf_counter() - started - (self._aside - aside))
            tally.runs += 1
            self.label = None

    def shape(self, table: str) -> TableShape:
        if table not in self._shapes:
            description = self._reader.describe_table(TableName=table)["Table"]
            self._shapes[table] = TableShape.from_description(description)
        return self._shapes[table]

    def stored(self, table: str) -> list[dict[str, Any]]:
        """Every item of a table (for the storage footprint; never counted)."""
        items: list[dict[str, Any]] = []
        pages = self._reader.get_paginator("scan").paginate(TableName=table)
        for page in pages:
            items += page["Items"]
        return items

    # --- the hooks ------------------------------------------------------------------

    def _before(self, params: dict[str, Any], model: Any, context: dict, **_: Any) -> None:
        if self.label is None:
            return
        started = time.perf_counter()
        context["bench_params"] = params
        if model.name in _WRITES:
            context["bench_before"] = [
                self._fetch(table, key) for table, key, _ in self._targets(model.name, params)
            ]
        self._aside += time.perf_counter() - started

    def _after(self, model: Any, context: dict, **_: Any) -> None:
        if self.label is None or "bench_params" not in context:
            return
        started = time.perf_counter()
        tally = self.tallies[self.label]
        tally.calls[model.name] += 1
        params = context["bench_params"]
        if model.name in _WRITES:
            self._price_writes(tally, model.name, params, context["bench_before"])
        else:
            tally.rru += self._read_units(model.name, params)
        self._aside += time.perf_counter() - started

    # --- pricing --------------------------------------------------------------------

    def _read_units(self, op: str, params: dict[str, Any]) -> float:
        if op == "GetItem":
            size = item_size(self._fetch(params["TableName"], params["Key"]))
            return read_units(size, "strong" if params.get("ConsistentRead") else "eventual")
        if op == "BatchGetItem":
            total = 0.0
            for table, spec in params["RequestItems"].items():
                sizes = [item_size(self._fetch(table, key)) for key in spec["Keys"]]
                total += batch_get_units(
                    sizes, "strong" if spec.get("ConsistentRead") else "eventual"
                )
            return total
        if op == "TransactGetItems":
            return sum(
                read_units(item_size(self._fetch(g["TableName"], g["Key"])), "transactional")
                for g in (entry["Get"] for entry in params["TransactItems"])
            )
        if op in ("Query", "Scan"):
            consistency = "strong" if params.get("ConsistentRead") else "eventual"
            return query_units(self._page_sizes(op, params), consistency)
        return 0.0  # the control plane (DescribeTable, ...) costs no request units

    def _price_writes(
        self, tally: Tally, op: str, params: dict[str, Any], before: list[Item | None]
    ) -> None:
        transactional = op == "TransactWriteItems"
        for (table, key, kind), old in zip(self._targets(op, params), before, strict=True):
            if kind == "ConditionCheck":
                # Read, not written: a transactional read of the item (the brief's rule;
                # AWS's pages name no figure of their own for it).
                tally.rru += read_units(item_size(old), "transactional")
                continue
            new = self._fetch(table, key)
            units, index_units = item_write_units(self.shape(table), old, new, transactional)
            tally.wru += units
            tally.index_wru += index_units

    def _targets(self, op: str, params: dict[str, Any]) -> list[tuple[str, dict, str]]:
        """(table, key, kind) of each item a write names, in request order."""
        if op == "PutItem":
            table = params["TableName"]
            return [(table, self.shape(table).key_of(params["Item"]), "Put")]
        if op in ("UpdateItem", "DeleteItem"):
            return [(params["TableName"], params["Key"], op)]
        targets = []
        if op == "TransactWriteItems":
            for entry in params["TransactItems"]:
                ((kind, body),) = entry.items()
                table = body["TableName"]
                key = body.get("Key") or self.shape(table).key_of(body["Item"])
                targets.append((table, key, kind))
        else:  # BatchWriteItem
            for table, requests in params["RequestItems"].items():
                for request in requests:
                    if "PutRequest" in request:
                        key = self.shape(table).key_of(request["PutRequest"]["Item"])
                        targets.append((table, key, "Put"))
                    else:
                        targets.append((table, request["DeleteRequest"]["Key"], "Delete"))
        return targets

    def stored_item(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        """One item as stored (never counted)."""
        return self._fetch(table, key)

    def _fetch(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        return self._reader.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")

    def _page_sizes(self, op: str, params: dict[str, Any]) -> list[int]:
        """Sizes of what the page read: asked again without filter or projection."""
        # Limit and ExclusiveStartKey stay: DynamoDB applies Limit before any filter,
        # so the same page is read.
        dropped = ("FilterExpression", "ProjectionExpression", "Select", "ReturnConsumedCapacity")
        again = {k: v for k, v in params.items() if k not in dropped}
        used = set(_PLACEHOLDER.findall(again.get("KeyConditionExpression", "")))
        for part in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
            if part in again:
                again[part] = {k: v for k, v in again[part].items() if k in used}
                if not again[part]:
                    del again[part]
        page = getattr(self._reader, op.lower())(**again)["Items"]
        table = self.shape(params["TableName"])
        if "IndexName" in params:
            index = table.index(params["IndexName"])
            return [item_size(index.entry(item, table.keys)) for item in page]
        return [item_size(item) for item in page]
