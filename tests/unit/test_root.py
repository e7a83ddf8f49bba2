"""The composition root: resources made once per root, afresh for a new one."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib import clock, root

made: list[str] = []


@root.per_root
def key() -> str:
    made.append("key")
    return f"key-{len(made)}"


@root.per_root
def client() -> str:
    made.append("client")
    return f"client with {key()}"  # a maker that asks for another resource


def test_a_resource_whose_maker_needs_another_is_made_once_each_per_root():
    previous = root.current()
    made.clear()
    try:
        first = root.install(root.build({"STAGE": "test"}))
        assert (client(), client(), key()) == ("client with key-2", "client with key-2", "key-2")
        assert made == ["client", "key"]
        assert client.made() and key.made()

        root.install(root.build({"STAGE": "test"}))
        assert not client.made()
        assert client() == "client with key-4"

        root.install(first.with_clock(lambda: datetime(2040, 1, 1, tzinfo=UTC)))
        assert client() == "client with key-2"  # the same root's resources, another clock
        assert clock.now() == datetime(2040, 1, 1, tzinfo=UTC)
    finally:
        root.install(previous)
