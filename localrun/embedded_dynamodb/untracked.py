"""Fault 4 of moto 5.2.5: it keeps every item object it ever makes.

moto tracks every model instance for its dashboard (BaseModel.__new__ appends to
`instances_tracked`): every Query's copies of its items too, 13 MiB per
5,000-item page, never freed. Only S3 reads its own list; DynamoDB's items are
left untracked here.
"""

from __future__ import annotations

from typing import Any

from moto.dynamodb.models.dynamo_type import Item

from localrun.embedded_dynamodb import _pin

PINNED = "5.2.5"


def install() -> None:
    _pin.require(__name__, PINNED, "re-check whether moto still tracks DynamoDB items")
    Item.__new__ = staticmethod(_untracked)  # type: ignore[assignment]


def _untracked(cls: type[Item], *args: Any, **kwargs: Any) -> Item:
    return object.__new__(cls)
