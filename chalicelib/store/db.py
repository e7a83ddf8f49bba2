"""Binding the models to an endpoint and table prefix, and creating the tables."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, DoesNotExist, TableError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from chalicelib.config import Settings, settings
from chalicelib.store.errors import is_condition_failure
from chalicelib.store.models import ALL_MODELS

if TYPE_CHECKING:
    from pynamodb.models import _ModelFuture  # what TransactGet.get returns

log = logging.getLogger(__name__)
_M = TypeVar("_M", bound=Model)

_BASE_NAMES = {model: model.Meta.table_name for model in ALL_MODELS}
_connection: Connection | None = None
_bound: tuple[str | None, str, str] | None = None


def bind(config: Settings | None = None, fresh: bool = False) -> None:
    """Point every model at `config`'s endpoint and table names; idempotent unless
    `fresh`, which makes new clients even for the same target.

    pynamodb caches a connection per model on first use, so the cache is reset here.
    """
    global _connection, _bound
    config = config or settings()
    target = (config.dynamodb_endpoint, config.table_prefix, config.region)
    if _bound == target and not fresh:
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


def resolved(future: _ModelFuture[_M]) -> _M | None:
    """The item a TransactGet read, or None when there is none.

    Only absence is None: a read that failed raised when the TransactGet ran.
    """
    try:
        return future.get()
    except DoesNotExist:
        return None


def update_if(item: Model, actions: list[Action], condition: Condition) -> bool:
    """Apply `actions` to `item` if `condition` holds; False when it did not (nothing written).

    Any other failure (throttled, unreachable) propagates: it is not a refusal.
    """
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def delete_if(item: Model, condition: Condition) -> bool:
    """Delete `item` if `condition` holds; False when it did not (nothing deleted).

    Any other failure (throttled, unreachable) propagates: it is not a refusal.
    """
    try:
        item.delete(condition=condition)
    except DeleteError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def fetch_owned(model: type[_M], hash_key: str, merchant_id: str) -> _M | None:
    """The item if it belongs to `merchant_id`; None when absent or another tenant's.

    Callers answer both with the same 404, so that ids of other merchants do not leak.
    """
    item = fetch(model, hash_key)
    return item if item is not None and item.merchant_id == merchant_id else None  # type: ignore[attr-defined]
