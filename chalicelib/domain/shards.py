"""Spreading keys over an index's shards, the same way in every process."""

from __future__ import annotations

import hashlib


def shard(key: str, shards: int) -> int:
    """The key's shard, 0 to `shards - 1`: the first 32 bits of its SHA-256.

    Not Python's hash(): it is salted per process, and a shard is stored in keys
    that other processes (the jobs, the outbox's readers) must compute alike.
    """
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % shards
