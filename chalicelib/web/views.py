"""Turning what services return into the documents of API.md."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from chalicelib.domain import instants


class StaffRecord(Protocol):
    """What a staff document shows of an account (services.staff's accounts have it)."""

    @property
    def staff_id(self) -> str: ...
    @property
    def merchant_id(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def location_id(self) -> str | None: ...
    @property
    def daily_stamp_cap(self) -> Any: ...
    @property
    def daily_points_cap(self) -> Any: ...


def staff_out(staff: StaffRecord) -> dict[str, Any]:
    return {
        "staff_id": staff.staff_id,
        "merchant_id": staff.merchant_id,
        "email": staff.email,
        "name": staff.name,
        "role": staff.role,
        "location_id": staff.location_id,
        "daily_stamp_cap": int(staff.daily_stamp_cap) if staff.daily_stamp_cap else None,
        "daily_points_cap": int(staff.daily_points_cap) if staff.daily_points_cap else None,
    }


def unix_to_iso(seconds: int) -> str:
    return instants.iso_seconds(datetime.fromtimestamp(seconds, UTC))
