"""Programs: the owner's configuration and the public view of it."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.roles import Role
from chalicelib.services import previews, programs
from chalicelib.web import cursor
from chalicelib.web.routing import Api, Call
from chalicelib.web.schemas import (
    JobOut,
    ProgramIn,
    ProgramList,
    ProgramListQuery,
    ProgramOut,
    ProgramPatch,
    ProgramPreviewOut,
)

api = Api(__name__, tag="programs")


@api.route(
    "/v1/programs",
    "POST",
    summary="Create a program",
    role=Role.owner,
    body=ProgramIn,
    response=ProgramOut,
    status=201,
    errors=(403, 422),
)
def create_program(call: Call) -> dict[str, Any]:
    return programs.program_view(programs.create_program(call.me, call.body))


@api.route(
    "/v1/programs/preview",
    "POST",
    summary="Preview a program's passes (Apple and Google) for a sample member; nothing is stored",
    role=Role.owner,
    body=ProgramIn,
    response=ProgramPreviewOut,
    errors=(403, 422, 429),
)
def preview_program(call: Call) -> dict[str, Any]:
    return previews.preview(call.me, call.body)


@api.route(
    "/v1/programs/{program_id}",
    "PATCH",
    summary="Change a program (JSON merge patch)",
    role=Role.owner,
    body=ProgramPatch,
    response=ProgramOut,
    errors=(403, 404, 409, 422),
)
def patch_program(call: Call, program_id: str) -> dict[str, Any]:
    patch = call.body.model_dump(mode="json")
    item, updates = programs.patch_program(call.me, program_id, patch)
    view = programs.program_view(item)
    if updates is not None:
        view["pass_updates"] = {"job_id": updates.job_id, "members": updates.members}
    return view


@api.route(
    "/v1/programs/{program_id}/copies",
    "POST",
    summary='Duplicate a program: the same document, named "<name> (copy)", active',
    role=Role.owner,
    response=ProgramOut,
    status=201,
    errors=(403, 404),
)
def copy_program(call: Call, program_id: str) -> dict[str, Any]:
    return programs.program_view(programs.copy_program(call.me, program_id))


@api.route(
    "/v1/jobs/{job_id}",
    "GET",
    summary="A background job's progress (a program change reaching every pass)",
    role=Role.manager,
    response=JobOut,
    errors=(404,),
)
def job(call: Call, job_id: str) -> dict[str, Any]:
    found = programs.load_job(call.me, job_id)
    return {
        "job_id": found.job_id,
        "kind": found.kind,
        "program_id": found.program_id,
        "status": found.status,
        "members": int(found.members),
        "devices_done": int(found.devices_done),
        "created_at": found.created_at,
        "updated_at": found.updated_at,
    }


@api.route(
    "/v1/programs",
    "GET",
    summary="The merchant's programs (closed ones with include=closed)",
    role=Role.manager,
    query=ProgramListQuery,
    response=ProgramList,
)
def list_programs(call: Call) -> dict[str, Any]:
    closed = call.query.include == "closed"
    # The cursor of one listing is no cursor of the other: their pages differ.
    scope = f"programs:{call.me.merchant_id}{':closed' if closed else ''}"
    items, last = programs.list_programs(
        call.me, call.query.limit, cursor.decode(call.query.cursor, scope), closed=closed
    )
    return {
        "items": [programs.program_view(p) for p in items],
        "next_cursor": cursor.encode(last, scope),
    }


@api.route(
    "/v1/programs/{program_id}",
    "GET",
    summary="A program as customers see it",
    response=ProgramOut,
    errors=(404,),
)
def public_program(call: Call, program_id: str) -> dict[str, Any]:
    return programs.program_view(programs.load_program(program_id))
