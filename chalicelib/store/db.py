"""Binding the models to an endpoint and table prefix, and creating the tables."""

from __future__ import annotations

import logging
from typing import TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import TableError
from pynamodb.models import Model

from chalicelib.config import Settings, settings
from chalicelib.store.models import ALL_MODELS

log = logging.getLogger(__name__)
_M = TypeVar("_M", bound=Model)

_BASE_NAMES = {model: model.Meta.table_name for model in ALL_MODELS}
_connection: Connection | None = None
_bound: tuple[str | None, str, str] | None = None


def bind(config: Settings | None = None) -> None:
    """Point every model at `config`'s endpoint and table names; idempotent.

    pynamodb caches a connection per model on first use, so the cache is reset here.
    """
    global _connection, _bound
    config = config or settings()
    target = (config.dynamodb_endpoint, config.table_prefix, config.region)
    if _bound == target:
        return
    for model, base in _BASE_NAMES.items():
        model.Meta.host = config.dynamodb_endpoint
        model.Meta.region = config.region
        model.Meta.table_name = config.table_prefix + base
        model._connection = None
    _connection = Connection(region=config.region, host=config.dynamodb_endpoint)
    _bound = target


def base_name(model: type[Model]) -> str:
    """The model's table name before the stage's prefix (`members`)."""
    return _BASE_NAMES[model]


def connection() -> Connection:
    """The connection transactions run on (bound lazily from the settings)."""
    if _connection is None:
        bind()
    assert _connection is not None
    return _connection


def create_tables(models: tuple[type[Model], ...] = ALL_MODELS) -> list[str]:
    """Create every table that does not exist yet; return the names created.

    Running it twice creates nothing the second time and never fails.
    """
    bind()
    created = []
    for model in models:
        if model.exists():
            continue
        try:
            model.create_table(wait=True)
        except TableError:
            # Another process created it between exists() and create_table().
            if not model.exists():
                raise
            continue
        created.append(model.Meta.table_name)
        log.info("created table %s", model.Meta.table_name)
    return created


def fetch(model: type[_M], hash_key: str, range_key: str | None = None) -> _M | None:
    """The item, read strongly consistent, or None when there is none."""
    try:
        return model.get(hash_key, range_key, consistent_read=True)
    except model.DoesNotExist:
        return None


def fetch_owned(model: type[_M], hash_key: str, merchant_id: str) -> _M | None:
    """The item if it belongs to `merchant_id`; None when absent or another tenant's.

    Callers answer both with the same 404, so that ids of other merchants do not leak.
    """
    item = fetch(model, hash_key)
    return item if item is not None and item.merchant_id == merchant_id else None  # type: ignore[attr-defined]
