"""The ledger's operations: stamps, purchases, redemptions and voids, each a rule for the engine.

Each builds a Change (its type, the rule, the role it needs) and hands it to
`engine.apply`; reading the ledger back (`transactions`, `find_transaction`) is here too.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.domain import ledger
from chalicelib.domain.ledger import Outcome
from chalicelib.domain.roles import Role
from chalicelib.errors import Forbidden, Invalid, NotFound
from chalicelib.services import auth
from chalicelib.services.ledger.documents import change_doc
from chalicelib.services.ledger.engine import Change, Context, VoidedMeanwhile, apply
from chalicelib.services.ledger.idempotency import Receipt
from chalicelib.services.members import load_member
from chalicelib.services.staff import staff_names
from chalicelib.store import db
from chalicelib.store.convert import reward_from_json
from chalicelib.store.models import MemberItem, StaffItem, TransactionItem


def add_stamps(
    claims: dict[str, Any], member_id: str, count: int, key: str, body: dict[str, Any]
) -> Receipt:
    def rule(c: Context) -> Outcome:
        if c.program.kind != "stamps":
            raise Invalid(
                "count: this is a points program: record a purchase instead", field="count"
            )
        return ledger.stamp(c.card, c.program, count, c.transaction_id, c.new_id, c.moment)

    return apply(claims, Change("stamp", member_id, body, key, rule))


def record_purchase(
    claims: dict[str, Any],
    member_id: str,
    amount: str,
    currency: str,
    key: str,
    body: dict[str, Any],
) -> Receipt:
    def rule(c: Context) -> Outcome:
        program_currency = c.program.points.currency if c.program.points else currency
        value = ledger.parse_amount(amount, currency, program_currency)
        ledger.check_purchase_size(value, c.program, c.principal.role)
        return ledger.purchase(
            c.card, c.program, value, currency, c.transaction_id, c.new_id, c.moment
        )

    return apply(claims, Change("purchase", member_id, body, key, rule))


def redeem(
    claims: dict[str, Any],
    member_id: str,
    reward_id: str | None,
    catalog_item_id: str | None,
    key: str,
    body: dict[str, Any],
) -> Receipt:
    def rule(c: Context) -> Outcome:
        if reward_id is not None:
            return ledger.redeem_reward(c.card, reward_id, c.moment)
        assert catalog_item_id is not None
        return ledger.redeem_item(c.card, c.program, catalog_item_id, c.moment)

    return apply(claims, Change("redemption", member_id, body, key, rule))


def _original(item: TransactionItem) -> ledger.Original:
    detail = json.loads(item.detail or "{}")
    return ledger.Original(
        type=item.type,
        stamps=int(item.stamps),
        points=int(item.points),
        earned=int(item.earned or 0),
        day=item.day,
        rewards_unlocked=tuple(reward_from_json(r) for r in json.loads(item.rewards_unlocked)),
        reward_spent=reward_from_json(json.loads(item.reward_spent)) if item.reward_spent else None,
        stamps_added=int(detail.get("stamps_added", 0)),
    )


def find_transaction(merchant_id: str, transaction_id: str) -> TransactionItem:
    """A ledger entry of this merchant by its id; anyone else's is NotFound."""
    for keys in TransactionItem.by_id.query(transaction_id, limit=1):
        try:
            item = TransactionItem.get(keys.member_id, keys.sk, consistent_read=True)
        except TransactionItem.DoesNotExist:
            break
        if item.merchant_id == merchant_id:
            return item
    raise NotFound("No such transaction.")


def void_transaction(
    claims: dict[str, Any], transaction_id: str, key: str | None, body: dict[str, Any]
) -> Receipt:
    """Reverse a transaction; voiding it again answers with the first void."""
    original = find_transaction(claims["mid"], transaction_id)
    if original.voided and original.voided_by:
        principal = _live_principal(claims, Role.manager)
        # Voided already (perhaps under another key): a no-op showing that void,
        # unless the member was erased since.
        void_entry = find_transaction(claims["mid"], original.voided_by)
        member = load_member(principal, original.member_id)
        names = staff_names(principal, {void_entry.staff_id or ""})
        return Receipt(
            200, change_doc(member, void_entry, (), staff_name=names.get(void_entry.staff_id or ""))
        )

    def rule(c: Context) -> Outcome:
        return ledger.void(c.card, c.program, _original(original), c.moment)

    change = Change(
        "void",
        original.member_id,
        {"transaction_id": transaction_id, **body},
        key or f"void#{transaction_id}",
        rule,
        min_role=Role.manager,
        voids=original,
    )
    try:
        return apply(claims, change)
    except VoidedMeanwhile:
        return void_transaction(claims, transaction_id, key, body)


def _live_principal(claims: dict[str, Any], min_role: Role) -> auth.Principal:
    principal = auth.principal_from(claims, auth.live_staff(claims))
    if principal.role < min_role:
        raise Forbidden(f"This needs the {min_role.name} role or above.")
    return principal


def transactions(
    member: MemberItem, limit: int, cursor: dict[str, Any] | None
) -> tuple[list[TransactionItem], dict[str, Any] | None]:
    """The member's ledger, newest first."""
    page = TransactionItem.query(
        member.member_id, scan_index_forward=False, limit=limit, last_evaluated_key=cursor
    )
    return list(page), page.last_evaluated_key


def staff_transactions(
    principal: auth.Principal, staff_id: str, limit: int, cursor: dict[str, Any] | None
) -> tuple[list[TransactionItem], dict[str, Any] | None]:
    """What one of the merchant's accounts did, newest first; a closed account's too.

    Another merchant's account is NotFound.
    """
    if db.fetch_owned(StaffItem, staff_id, principal.merchant_id) is None:
        raise NotFound("No such staff account.")
    page = TransactionItem.by_staff.query(
        staff_id, scan_index_forward=False, limit=limit, last_evaluated_key=cursor
    )
    keys = [(entry.member_id, entry.sk) for entry in page]
    found = TransactionItem.batch_get(keys) if keys else []
    items = sorted(
        (item for item in found if item.merchant_id == principal.merchant_id),
        key=lambda item: item.sk,
        reverse=True,
    )
    return items, page.last_evaluated_key
