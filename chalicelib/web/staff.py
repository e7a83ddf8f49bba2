"""Sign-in and staff accounts."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.roles import Role
from chalicelib.services import auth, staff
from chalicelib.web import cursor
from chalicelib.web.routing import Api, Call
from chalicelib.web.schemas import (
    ListQuery,
    LoginIn,
    LoginOut,
    StaffCreated,
    StaffIn,
    StaffList,
    StaffOut,
    StaffPatch,
    TokenIn,
    TokenOut,
)
from chalicelib.web.views import staff_out, unix_to_iso

api = Api(__name__, tag="staff")


@api.route(
    "/v1/auth/login",
    "POST",
    summary="Sign a staff member in",
    body=LoginIn,
    response=LoginOut,
    errors=(401, 429),
)
def login(call: Call) -> dict[str, Any]:
    token, expires, account = auth.login(call.body.email, call.body.password, call.source_ip)
    return {"token": token, "expires_at": unix_to_iso(expires), "staff": staff_out(account)}


@api.route(
    "/v1/staff",
    "POST",
    summary="Create a staff account",
    role=Role.manager,
    body=StaffIn,
    response=StaffCreated,
    status=201,
    errors=(403, 409),
)
def create_staff(call: Call) -> dict[str, Any]:
    body = call.body
    account = staff.create_staff(
        call.me,
        body.email,
        body.name,
        Role.parse(body.role),
        body.location_id,
        daily_stamp_cap=body.daily_stamp_cap,
        daily_points_cap=body.daily_points_cap,
    )
    return {**staff_out(account.staff), "password": account.password}


@api.route(
    "/v1/staff",
    "GET",
    summary="List the merchant's staff accounts",
    role=Role.manager,
    query=ListQuery,
    response=StaffList,
)
def list_staff(call: Call) -> dict[str, Any]:
    scope = f"staff:{call.me.merchant_id}"
    items, last = staff.list_staff(
        call.me, call.query.limit, cursor.decode(call.query.cursor, scope)
    )
    return {"items": [staff_out(s) for s in items], "next_cursor": cursor.encode(last, scope)}


@api.route(
    "/v1/staff/{staff_id}",
    "DELETE",
    summary="Delete a staff account and revoke its tokens",
    role=Role.manager,
    errors=(403, 404),
    status=204,
)
def delete_staff(call: Call, staff_id: str) -> dict[str, Any]:
    staff.delete_staff(call.me, staff_id)
    return {"deleted": True}


@api.route(
    "/v1/staff/{staff_id}/tokens",
    "POST",
    summary="Issue a short-lived token (a shop tablet)",
    role=Role.manager,
    body=TokenIn,
    response=TokenOut,
    status=201,
    errors=(403, 404),
)
def issue_token(call: Call, staff_id: str) -> dict[str, Any]:
    token, expires = staff.tablet_token(call.me, call.claims, staff_id, call.body.ttl_seconds)
    return {"token": token, "expires_at": unix_to_iso(expires)}


@api.route(
    "/v1/staff/{staff_id}",
    "PATCH",
    summary="Change a staff account's name, role, location or daily caps",
    role=Role.manager,
    body=StaffPatch,
    response=StaffOut,
    errors=(403, 404),
)
def change_staff(call: Call, staff_id: str) -> dict[str, Any]:
    changes = call.body.model_dump(exclude_unset=True)
    return staff_out(staff.change_staff(call.me, staff_id, changes))


@api.route(
    "/v1/staff/{staff_id}/password",
    "POST",
    summary="Reset an account's password: a one-time password, shown once; its tokens revoked",
    role=Role.manager,
    response=StaffCreated,
    errors=(403, 404, 429),
)
def reset_password(call: Call, staff_id: str) -> dict[str, Any]:
    account = staff.reset_password(call.me, call.claims, staff_id)
    return {**staff_out(account.staff), "password": account.password}
