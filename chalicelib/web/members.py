"""Enrolment, scans and member reads."""

from __future__ import annotations

from typing import Any

from chalicelib import i18n
from chalicelib.domain import languages
from chalicelib.domain.roles import Role
from chalicelib.services import card_mail, google_wallet, members, pass_tokens, programs
from chalicelib.web import cursor
from chalicelib.web.routing import Api, Call, json_response
from chalicelib.web.schemas import (
    AlreadyEnrolledOut,
    CardEmailOut,
    EnrolmentIn,
    EnrolmentOut,
    ListQuery,
    MemberList,
    MemberRowList,
    MemberSearch,
    MemberView,
    ScanIn,
)

api = Api(__name__, tag="members")


@api.route(
    "/v1/programs/{program_id}/enrollments",
    "POST",
    summary="Enrol a member",
    body=EnrolmentIn,
    response=EnrolmentOut,
    status=201,
    others=((200, AlreadyEnrolledOut),),
    errors=(404, 409, 413, 422, 429),
)
def enrol(call: Call, program_id: str) -> object:
    body = call.body
    wanted = languages.preferred(call.request.headers.get("accept-language"))
    language = body.language or languages.pick(wanted, languages.LANGUAGES, "") or None
    enrolment = members.enrol(
        program_id,
        body.name,
        str(body.email),
        body.birthday,
        body.consent.marketing,
        leaderboard=body.consent.leaderboard,
        # API Gateway always names the source; the limits must apply all the same.
        address=call.source_ip or "unknown",
        language=language,
    )
    if not enrolment.created:
        # Whoever typed the address may not own it: the card goes to the mailbox only.
        said = i18n.words(language or enrolment.member.language or languages.DEFAULT)
        message = (
            said.gettext(
                "You already have a card with this address: we sent your card to that address."
            )
            if card_mail.send_card(enrolment.member)
            else said.gettext(
                "You already have a card with this address, and we sent it there today:"
                " check your inbox."
            )
        )
        return json_response({"status": "already_enrolled", "message": message}, 200)
    payload = {
        "member_id": enrolment.member.member_id,
        "barcode": enrolment.barcode,
        "card_number": enrolment.member.card_number,
        "member": members.member_view(enrolment.member),
        "passes": {
            "apple_url": pass_tokens.download_url(enrolment.member.member_id),
            "google_save_url": google_wallet.save_url(enrolment.member.member_id),
        },
    }
    return json_response(payload, 201)


@api.route(
    "/v1/scans",
    "POST",
    summary="Resolve a scanned barcode or a typed card number to its member",
    role=Role.barista,
    body=ScanIn,
    response=MemberView,
    errors=(404, 429),
)
def scan(call: Call) -> dict[str, Any]:
    if call.body.card_number is not None:
        return members.member_view(members.find_by_card_number(call.me, call.body.card_number))
    return members.member_view(members.scan(call.me, call.body.barcode))


@api.route(
    "/v1/members",
    "GET",
    summary="Find members by exact email",
    role=Role.barista,
    query=MemberSearch,
    response=MemberList,
)
def find_members(call: Call) -> dict[str, Any]:
    found = members.find_by_email(call.me, call.query.email)
    return {"items": [members.member_view(m) for m in found], "next_cursor": None}


@api.route(
    "/v1/members/{member_id}",
    "GET",
    summary="A member",
    role=Role.barista,
    response=MemberView,
    errors=(404,),
)
def get_member(call: Call, member_id: str) -> dict[str, Any]:
    member = members.with_card_number(members.load_member(call.me, member_id))
    return members.member_view(member)


@api.route(
    "/v1/programs/{program_id}/members",
    "GET",
    summary="The program's members with their email and enrolment time (the owner's export)",
    role=Role.manager,
    query=ListQuery,
    response=MemberRowList,
    errors=(404,),
)
def list_program_members(call: Call, program_id: str) -> dict[str, Any]:
    # The program first: another merchant's is a 404 whatever the cursor.
    program = programs.load_program(program_id, call.me.merchant_id)
    scope = f"members:{program_id}"
    items, last = members.program_members(
        program, call.query.limit, cursor.decode(call.query.cursor, scope)
    )
    return {
        "items": [members.member_row(m) for m in items],
        "next_cursor": cursor.encode(last, scope),
    }


@api.route(
    "/v1/members/{member_id}/card-email",
    "POST",
    summary="Email the member their card (both wallet links) again, to their own address",
    role=Role.barista,
    response=CardEmailOut,
    errors=(404, 409, 429),
)
def resend_card(call: Call, member_id: str) -> dict[str, Any]:
    card_mail.resend_card(members.load_member(call.me, member_id))
    return {"status": "sent", "message": "The card was emailed to the member's address."}
