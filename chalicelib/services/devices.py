"""Apple's PassKit web service: devices registering for a pass's updates.

Paths, methods and answers are Apple's (API.md "Apple PassKit web service").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from chalicelib import clock, ids
from chalicelib.config import settings
from chalicelib.errors import BadRequest, NotFound
from chalicelib.services import pass_tokens, passes
from chalicelib.services.programs import current_program
from chalicelib.store import db
from chalicelib.store.convert import last_modified
from chalicelib.store.models import MemberItem, ProgramItem, RegistrationItem

MAX_DEVICES_PER_PASS = 20  # against registration floods (one pass, ever-new device ids)
_PUSH_TOKEN = re.compile(r"[A-Za-z0-9]{1,200}")


def _check(device_id: str) -> str:
    # The web edge refuses these already (404); kept for any other caller.
    if not ids.is_device_library_id(device_id):
        raise BadRequest("deviceLibraryIdentifier: not a valid identifier")
    return device_id


def _member(pass_type: str, serial: str) -> MemberItem | None:
    if pass_type != settings().pass_type_identifier or ids.id_bytes(serial) is None:
        return None  # no pass this token could open: 401, as for an unknown serial
    return db.fetch(MemberItem, serial)


def register(device_id: str, pass_type: str, serial: str, push_token: str, auth: str | None) -> int:
    """201 for a new registration, 200 when this device already had it (its token refreshed).

    Beyond MAX_DEVICES_PER_PASS the oldest registration of the pass is dropped.
    """
    member = pass_tokens.check_auth(_member(pass_type, serial), auth)
    _check(device_id)
    if not _PUSH_TOKEN.fullmatch(push_token or ""):
        raise BadRequest("pushToken: not a push token")
    now = clock.iso(clock.now())
    key = f"{pass_type}#{serial}"
    existing = db.fetch(RegistrationItem, device_id, key)
    if existing is not None:
        existing.update(
            actions=[
                RegistrationItem.push_token.set(push_token),
                RegistrationItem.updated_at.set(now),
            ]
        )
        return 200
    RegistrationItem(
        device_id,
        key,
        serial=serial,
        pass_type=pass_type,
        program_id=member.program_id,
        push_token=push_token,
        created_at=now,
        updated_at=now,
    ).save()
    _bound(serial)
    return 201


def _bound(serial: str) -> None:
    held = list(RegistrationItem.by_serial.query(serial, scan_index_forward=True))
    for stale in held[: max(0, len(held) - MAX_DEVICES_PER_PASS)]:
        stale.delete()


def unregister(device_id: str, pass_type: str, serial: str, auth: str | None) -> None:
    pass_tokens.check_auth(_member(pass_type, serial), auth)
    # Unconditional: one that is already gone is gone. A store that did not answer
    # propagates (a 5xx the device sends again), never a "not found".
    RegistrationItem(_check(device_id), f"{pass_type}#{serial}").delete()


@dataclass(frozen=True)
class Updated:
    serials: list[str]
    tag: str


def updated_serials(device_id: str, pass_type: str, since: str | None) -> Updated | None:
    """The device's passes changed after the tag (every one without a tag); None when none.

    The tag is the latest change listed, to the microsecond: opaque to the phone,
    and a pass not changed since is never listed again ("pass unchanged").
    """
    _check(device_id)
    serials = [
        r.serial
        for r in RegistrationItem.query(
            device_id, RegistrationItem.pass_key.startswith(f"{pass_type}#")
        )
    ]
    changed: dict[str, str] = {}
    programs: dict[str, ProgramItem] = {}  # a device's passes are mostly of one program
    for member in MemberItem.batch_get(serials) if serials else []:
        if member.program_id not in programs:
            programs[member.program_id] = current_program(member.program_id)[0]
        program_item = programs[member.program_id]
        tag = passes.changed_tag(member, program_item)
        if since is None or tag > since:
            changed[member.member_id] = tag
    if not changed:
        return None
    return Updated(sorted(changed), max(changed.values()))


def http_date(second: int) -> str:
    return format_datetime(datetime.fromtimestamp(second, UTC), usegmt=True)


@dataclass(frozen=True)
class LatestPass:
    data: bytes | None  # None: not modified since If-Modified-Since
    last_modified: str


def downloaded_pass(member_id: str) -> tuple[bytes, int]:
    """The member's .pkpass for the enrolment's download link, and its Last-Modified second.

    The link's token is checked by the caller (pass_tokens.check_download).
    """
    member = db.fetch(MemberItem, member_id)
    if member is None:
        raise NotFound("No such pass.")
    return passes.build(member)


def latest_pass(
    pass_type: str, serial: str, auth: str | None, if_modified_since: str | None
) -> LatestPass:
    member = pass_tokens.check_auth(_member(pass_type, serial), auth)
    program_item, program = current_program(member.program_id)
    second = last_modified(member, program_item)
    stamp = http_date(second)
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            since = None
        # Last-Modified rises by at least a second with every change, so "not older" is safe.
        if since is not None and since.timestamp() >= second:
            return LatestPass(None, stamp)
    data, _ = passes.build(member, (program_item, program))
    return LatestPass(data, stamp)
