"""Fault 1 of moto 5.2.5: its DynamoDB backend holds no lock.

Eight concurrent clients made a third of TransactWriteItems fail with HTTP 500
("dictionary changed size during iteration"). Every request is serialized through
one lock, its body built under it: the backend is plain Python under the GIL, so
little is lost. The other fixes take the same (re-entrant) lock where they touch
moto's state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from localrun.embedded_dynamodb import _pin

PINNED = "5.2.5"

LOCK = threading.RLock()


def install() -> None:
    """Nothing of moto's is replaced: the server wraps its app in `Serialized`."""
    _pin.require(__name__, PINNED, "re-check concurrent TransactWriteItems without the lock")


class Serialized:
    """WSGI middleware: one request at a time inside moto, the body built under the lock."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with LOCK:
            return [b"".join(self._app(environ, start_response))]
