"""A member as the wallets show them: what the Apple and Google builders take.

Plain data, decided by the service at one moment, so that a pass never depends on
the shape of an API answer: the member view may change without changing a pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.ledger import Reward


@dataclass(frozen=True)
class Member:
    """A member's card at one moment: balances, tier and the rewards ready then.

    `rewards` leaves out those past their expiry at that moment (they can no longer
    be redeemed); `erased` is a member who asked to be forgotten, whose pass is voided.
    """

    member_id: str
    program_id: str
    name: str | None
    card_number: str | None
    stamps: int
    points: int
    tier: str | None
    rewards: tuple[Reward, ...]
    erased: bool = False
