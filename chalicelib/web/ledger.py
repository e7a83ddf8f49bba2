"""Balance changes, the ledger, voids, statistics and alerts."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.roles import Role
from chalicelib.errors import Invalid
from chalicelib.services import ledger, members, reports, staff
from chalicelib.web import cursor
from chalicelib.web.routing import Api, Call, json_response
from chalicelib.web.schemas import (
    AlertList,
    BalanceChangeOut,
    ListQuery,
    PurchaseIn,
    RedemptionIn,
    StampsIn,
    StatsOut,
    StatsQuery,
    TransactionList,
    VoidIn,
)

api = Api(__name__, tag="ledger")

BALANCE_ERRORS = (404, 409, 429)


def _receipt(receipt: ledger.Receipt) -> object:
    return json_response(receipt.body, receipt.status)


def _raw(call: Call) -> dict[str, Any]:
    raw: dict[str, Any] = call.body.model_dump(mode="json", exclude_none=True)
    return raw


@api.route(
    "/v1/members/{member_id}/stamps",
    "POST",
    summary="Add stamps",
    role=Role.barista,
    check_staff=False,
    body=StampsIn,
    response=BalanceChangeOut,
    errors=BALANCE_ERRORS,
)
def add_stamps(call: Call, member_id: str) -> object:
    body = call.body
    return _receipt(
        ledger.add_stamps(call.claims, member_id, body.count, body.idempotency_key, _raw(call))
    )


@api.route(
    "/v1/members/{member_id}/purchases",
    "POST",
    summary="Record a purchase: points by the earn rules and tier, or a visit's stamp",
    role=Role.barista,
    check_staff=False,
    body=PurchaseIn,
    response=BalanceChangeOut,
    errors=BALANCE_ERRORS,
)
def record_purchase(call: Call, member_id: str) -> object:
    body = call.body
    return _receipt(
        ledger.record_purchase(
            call.claims,
            member_id,
            body.amount.amount,
            body.amount.currency,
            body.idempotency_key,
            _raw(call),
        )
    )


@api.route(
    "/v1/members/{member_id}/redemptions",
    "POST",
    summary="Redeem a reward or a catalog item",
    role=Role.barista,
    check_staff=False,
    body=RedemptionIn,
    response=BalanceChangeOut,
    errors=BALANCE_ERRORS,
)
def redeem(call: Call, member_id: str) -> object:
    body = call.body
    return _receipt(
        ledger.redeem(
            call.claims,
            member_id,
            body.reward_id,
            body.catalog_item_id,
            body.idempotency_key,
            _raw(call),
        )
    )


@api.route(
    "/v1/transactions/{transaction_id}/void",
    "POST",
    summary="Reverse a transaction with a compensating entry",
    role=Role.manager,
    check_staff=False,
    body=VoidIn,
    response=BalanceChangeOut,
    errors=BALANCE_ERRORS,
)
def void(call: Call, transaction_id: str) -> object:
    body = _raw(call)
    key = body.pop("idempotency_key", None)
    return _receipt(ledger.void_transaction(call.claims, transaction_id, key, body))


@api.route(
    "/v1/members/{member_id}/transactions",
    "GET",
    summary="The member's ledger, newest first",
    role=Role.barista,
    query=ListQuery,
    response=TransactionList,
    errors=(404,),
)
def list_transactions(call: Call, member_id: str) -> dict[str, Any]:
    # The ledger outlives erasure, anonymised (API.md).
    member = members.load_member(call.me, member_id, include_erased=True)
    scope = f"ledger:{member.member_id}"
    items, last = ledger.transactions(
        member, call.query.limit, cursor.decode(call.query.cursor, scope)
    )
    return {"items": _with_names(call, items), "next_cursor": cursor.encode(last, scope)}


def _with_names(call: Call, items: list[Any]) -> list[dict[str, Any]]:
    """The ledger's documents with the name of the account that made each."""
    names = staff.staff_names(call.me, {item.staff_id for item in items if item.staff_id})
    return [ledger.transaction_doc(item, names.get(item.staff_id or "")) for item in items]


@api.route(
    "/v1/staff/{staff_id}/transactions",
    "GET",
    summary="What a staff account did, newest first (a closed account's too)",
    role=Role.manager,
    query=ListQuery,
    response=TransactionList,
    errors=(404,),
)
def list_staff_transactions(call: Call, staff_id: str) -> dict[str, Any]:
    scope = f"staff-ledger:{staff_id}"
    items, last = ledger.staff_transactions(
        call.me, staff_id, call.query.limit, cursor.decode(call.query.cursor, scope)
    )
    return {"items": _with_names(call, items), "next_cursor": cursor.encode(last, scope)}


@api.route(
    "/v1/programs/{program_id}/stats",
    "GET",
    summary="Per-day statistics of a program, or of one of its locations",
    role=Role.manager,
    query=StatsQuery,
    response=StatsOut,
    errors=(404,),
)
def stats(call: Call, program_id: str) -> dict[str, Any]:
    first, last = reports.stats_period(call.me, call.query.from_, call.query.to)
    if last < first or (last - first).days > 366:
        raise Invalid("to: must be on or after `from`, at most 366 days later", field="to")
    return reports.program_stats(call.me, program_id, first, last, call.query.location_id)


@api.route(
    "/v1/alerts",
    "GET",
    summary="Staff whose stamping today is far above their usual",
    role=Role.manager,
    response=AlertList,
)
def alerts(call: Call) -> dict[str, Any]:
    return {"items": reports.stamping_alerts(call.me), "next_cursor": None}


@api.route(
    "/v1/members/{member_id}",
    "DELETE",
    summary="Erase a member: personal data removed, ledger kept anonymised",
    role=Role.owner,
    status=204,
    errors=(404, 409),
)
def erase(call: Call, member_id: str) -> dict[str, Any]:
    members.erase(call.me, member_id)
    return {}
