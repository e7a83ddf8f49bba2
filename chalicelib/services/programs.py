"""Creating, changing and reading programs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from pynamodb.expressions.update import Action

from chalicelib import clock, ids
from chalicelib.domain import pass_seconds
from chalicelib.domain.field_errors import plain_errors
from chalicelib.domain.ledger import Moment
from chalicelib.domain.program import NAME_LENGTH, Program
from chalicelib.errors import Conflict, Invalid, NotFound
from chalicelib.root import per_root
from chalicelib.services.auth import Principal
from chalicelib.store import db, locking, transact
from chalicelib.store.convert import outbox_actions
from chalicelib.store.models import JobItem, MemberItem, OutboxItem, ProgramItem
from chalicelib.timed_cache import TimedCache


def invalid_from(
    exc: ValidationError, prefix: str = "", model: type[BaseModel] | None = None
) -> Invalid:
    """A 422 in plain words: the first error's field and message, and every error.

    `model` is what was validated: its fields' titles name them in the messages.
    """
    errors = plain_errors(exc, model, prefix)
    first = errors[0]
    return Invalid(
        first.message,
        field=first.field,
        errors=tuple((error.field, error.message) for error in errors),
    )


def program_of(item: ProgramItem) -> Program:
    return Program.model_validate(json.loads(item.document))


def program_view(item: ProgramItem) -> dict[str, Any]:
    return {
        "program_id": item.program_id,
        **json.loads(item.document),
        "version": int(item.version),
        "created_at": item.created_at,
        "updated_at": item.updated_at,
    }


def create_program(principal: Principal, program: Program) -> ProgramItem:
    """A new program, and its Google Wallet class queued for creation (one transaction)."""
    now = clock.now()
    item = ProgramItem(
        ids.new_id(),
        merchant_id=principal.merchant_id,
        document=json.dumps(program.document()),
        version=1,
        created_at=clock.iso(now),
        updated_at=clock.iso(now),
        pass_second=int(now.timestamp()),
        status=program.status,
    )

    def build(tx: transact.Write) -> None:
        tx.save(item, condition=ProgramItem.program_id.does_not_exist(), name="program")
        _class_outbox(tx, item, 1, "created", now)

    transact.write(build)
    return item


def _class_outbox(
    tx: transact.Write, item: ProgramItem, version: int, reason: str, now: datetime
) -> None:
    # The moment's day is not used by the outbox: only its instant.
    moment = Moment(now=now, today=now.date())
    tx.update(
        OutboxItem(f"class#{item.program_id}"),
        actions=outbox_actions("class", item.program_id, item.merchant_id, version, reason, moment),
        name="outbox",
    )


def load_program(program_id: str, merchant_id: str | None = None) -> ProgramItem:
    """A program; with `merchant_id`, only that merchant's (another's is NotFound)."""
    item = db.fetch(ProgramItem, program_id)
    if item is None or (merchant_id is not None and item.merchant_id != merchant_id):
        raise NotFound("No such program.")
    return item


def _merge(document: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """JSON merge patch (RFC 7396): objects merge, null removes, anything else replaces."""
    merged = dict(document)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# The parts of a program that show on its passes: a change to one of them is fanned
# out to every registered device (limits and tier windows do not show).
VISIBLE_SECTIONS = (
    "name",
    "stamps",
    "points",
    "tiers",
    "design",
    "welcome",
    "birthday",
    "expiry",
    "locations",
)


@dataclass(frozen=True)
class PassUpdates:
    job_id: str
    members: int


def patch_program(
    principal: Principal, program_id: str, patch: dict[str, Any]
) -> tuple[ProgramItem, PassUpdates | None]:
    """Apply a merge patch; the result is validated whole, and `kind` cannot change.

    A change that shows on the pass starts a job that pushes every registered
    device of the program (progress at GET /v1/jobs/{job_id}); the class at
    Google is patched once, which reaches every saved object.
    """
    item = load_program(program_id, principal.merchant_id)
    current = json.loads(item.document)
    if "kind" in patch and patch["kind"] != current["kind"]:
        raise Invalid("A program's kind cannot change.", field="kind")
    try:
        program = Program.model_validate(_merge(current, patch))
    except ValidationError as exc:
        raise invalid_from(exc, model=Program) from exc
    document = json.dumps(program.document())
    new = program.document()
    visible = any(current.get(key) != new.get(key) for key in VISIBLE_SECTIONS)
    updates = commit_change(
        item,
        [ProgramItem.document.set(document), ProgramItem.status.set(program.status)],
        visible,
    )
    item.document, item.status = document, program.status
    return item, updates


def commit_change(item: ProgramItem, actions: list[Action], visible: bool) -> PassUpdates | None:
    """Write `actions` on the program as `item` was read, in one transaction.

    The version advances (Conflict if it moved meanwhile), every pass's
    Last-Modified rises, the Google class is patched once, and a change that
    `visible`ly shows on the passes starts the fan-out job. `item` is updated.
    """
    version, advance = locking.advance(item)
    now = clock.now()
    job = _fanout_job(item, now) if visible else None
    # What shows on every pass may have changed: their Last-Modified rises.
    pass_second = pass_seconds.next_program(int(item.pass_second or 0), int(now.timestamp()))

    def build(tx: transact.Write) -> None:
        tx.update(
            item,
            actions=[
                *actions,
                advance,
                ProgramItem.updated_at.set(clock.iso(now)),
                ProgramItem.pass_second.set(pass_second),
            ],
            condition=locking.unchanged(item),
            name="program",
        )
        # A design change patches the Google class once, not every object.
        _class_outbox(tx, item, version, "changed", now)
        if job is not None:
            tx.save(job, name="job")
            moment = Moment(now=now, today=now.date())
            tx.update(
                OutboxItem(f"fanout#{job.job_id}"),
                actions=outbox_actions(
                    "fanout", item.program_id, item.merchant_id, 1, job.job_id, moment
                ),
                name="fanout",
            )

    try:
        transact.write(build)
    except transact.Cancelled as exc:
        raise Conflict("The program changed meanwhile: read it and try again.") from exc
    item.version = version
    item.updated_at, item.pass_second = clock.iso(now), pass_second
    forget_program(item.program_id)
    return PassUpdates(job.job_id, int(job.members)) if job else None


def _fanout_job(item: ProgramItem, now: datetime) -> JobItem:
    # Counted on the keys-only index: a count, not a read of the members.
    members = MemberItem.by_program.count(item.program_id)
    return JobItem(
        ids.new_id(),
        merchant_id=item.merchant_id,
        program_id=item.program_id,
        kind="pass_updates",
        status="running",
        members=members,
        devices_done=0,
        created_at=clock.iso(now),
        updated_at=clock.iso(now),
    )


def load_job(principal: Principal, job_id: str) -> JobItem:
    job = db.fetch_owned(JobItem, job_id, principal.merchant_id)
    if job is None:
        raise NotFound("No such job.")
    return job


def list_programs(
    principal: Principal, limit: int, cursor: dict[str, Any] | None, closed: bool = False
) -> tuple[list[ProgramItem], dict[str, Any] | None]:
    """The merchant's programs, oldest first; closed ones only with `closed`.

    The filter runs in DynamoDB after `limit`: a page may hold fewer than `limit`
    programs and still have a next one.
    """
    active = ProgramItem.status.does_not_exist() | (ProgramItem.status != "closed")
    page = ProgramItem.by_merchant.query(
        principal.merchant_id,
        limit=limit,
        last_evaluated_key=cursor,
        filter_condition=None if closed else active,
    )
    return list(page), page.last_evaluated_key


COPY_SUFFIX = " (copy)"


def copy_program(principal: Principal, program_id: str) -> ProgramItem:
    """A new, active program with the same document, named "<name> (copy)".

    Its members, statistics and uploaded images stay with the original.
    """
    source = program_of(load_program(program_id, principal.merchant_id))
    name = source.name[: NAME_LENGTH - len(COPY_SUFFIX)].rstrip() + COPY_SUFFIX
    copy = source.model_copy(update={"name": name, "status": "active"})
    return create_program(principal, copy)


# The program cache: the one rule for reading a program.
#
# Programs are configuration read on every balance change, so they are cached per
# root (one per process) for _CACHE_SECONDS. Only a balance change may read
# `cached_program`: its transaction checks the cached version, so a stale copy costs
# one retry, never a change made under old rules. `forget_program` clears this process
# only, and other warm processes keep their copy until it lapses: so anything that
# leaves the process (a pass or its Last-Modified served to a phone, the web
# service's list of updated passes, Google's class and object bodies, a fan-out)
# reads `current_program`, the program as of the change that triggered it.
_CACHE_SECONDS = 60.0


@per_root
def _programs() -> TimedCache[str, tuple[ProgramItem, Program]]:
    return TimedCache(_CACHE_SECONDS)


def cached_program(program_id: str) -> tuple[ProgramItem, Program]:
    """The program, possibly up to a minute old: for a balance change's rules only."""
    return _programs().get(program_id) or current_program(program_id)


def current_program(program_id: str) -> tuple[ProgramItem, Program]:
    """The program as stored now (a strongly consistent read); the cache is refreshed."""
    item = load_program(program_id)
    return _programs().put(program_id, (item, program_of(item)))


def forget_program(program_id: str) -> None:
    """Drop this process's copy (after a change made here); other processes are not told."""
    _programs().forget(program_id)
