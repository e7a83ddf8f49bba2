"""moto's DynamoDB served over real HTTP inside this process, made safe for concurrency.

Each fault of moto 5.2.5 measured here has a module of its own, with the measure,
the fix and the moto version it was measured on (it refuses to install on another):

1. `lock`          its backend holds no lock: concurrent transactions failed with 500s.
2. `transactions`  TransactWriteItems deep-copies every table it touches.
3. `queries`       a Query walks the whole table (and an index Query sorts it, per page).
4. `untracked`     it keeps every item object it ever makes.
5. `json_body`     its generic serializer takes two thirds of a Query page's time.
   `key_sizes`     it checks key sizes only on writes (a read by an oversized id was
                   "not found" here and a 500 in AWS).

The adaptation wraps moto's own methods rather than replacing them (answering
directly only where tests compare the answer with moto's own): a new moto version
must be checked against these faults (tests/integration/test_embedded_dynamodb*.py)
before the pins move.
"""

from __future__ import annotations

from localrun.embedded_dynamodb import (
    json_body,
    key_sizes,
    lock,
    queries,
    transactions,
    untracked,
)
from localrun.embedded_dynamodb.server import EmbeddedDynamoDB, EmbeddedService

__all__ = ["EmbeddedDynamoDB", "EmbeddedService", "install"]

_patched = False


def install() -> None:
    """Adapt moto's backend once per process, in an order that matters: the key-size
    checks before the Query wrapper, and the queries' order-dropping writes last, so
    that a transaction's own rollback is inside them."""
    global _patched
    if _patched:
        return
    for fix in (lock, transactions, json_body, key_sizes, untracked, queries):
        fix.install()
    _patched = True
