"""Staff roles: owner > manager > barista."""

from __future__ import annotations

from enum import IntEnum


class Role(IntEnum):
    barista = 1
    manager = 2
    owner = 3

    @classmethod
    def parse(cls, value: str) -> Role:
        return cls[value]


def may_manage(actor: Role, target: Role) -> bool:
    """Managers manage baristas; owners manage everyone."""
    return actor == Role.owner or (actor == Role.manager and target == Role.barista)
