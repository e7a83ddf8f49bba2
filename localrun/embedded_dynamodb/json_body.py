"""Fault 5 of moto 5.2.5: its responses go through a generic, model-driven serializer.

That serializer walks the service's output shapes value by value: two thirds of a
1,000-item Query page's time here (3.0 of 4.7 s). For the data-plane operations,
whose results moto already builds as wire-shaped dicts, the answer is that dict
written as JSON (bytes as base64, no nulls); tests compare both paths response for
response.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from moto.dynamodb.responses import DynamoResult

from localrun.embedded_dynamodb import _pin

PINNED = "5.2.5"

# The operations whose results moto builds as wire-shaped dicts.
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

# Shapes typed `double` in the service model: written as JSON floats.
_DOUBLES = frozenset({"CapacityUnits", "ReadCapacityUnits", "WriteCapacityUnits"})


def install() -> None:
    _pin.require(__name__, PINNED, "re-check the shape of moto's data-plane results")
    original_execute = DynamoResult.execute_result

    def execute_result(self: DynamoResult, context: Any) -> Any:
        if not fast_json or context.operation_model.name not in _DATA_PLANE:
            return original_execute(self, context)
        if not isinstance(self.result, dict):
            return original_execute(self, context)
        body = json.dumps(_wire(self.result), separators=(",", ":"))
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    DynamoResult.execute_result = execute_result  # type: ignore[method-assign]


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
