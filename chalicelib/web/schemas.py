"""Request and response models: they validate input and generate /openapi.json."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
    model_validator,
)

from chalicelib.domain import languages
from chalicelib.domain.emails import Email
from chalicelib.domain.program import Program
from chalicelib.domain.text import CHECKED_NAME, name_rules

RoleName = Literal["owner", "manager", "barista"]
# Every name a person sees (staff, members; the program's own are in domain.program).
Name = Annotated[str, name_rules(max_length=100), CHECKED_NAME]
LocationId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]


class _Schema(BaseModel):
    # Each model is built on first use, not at import: the scheduled and delivery
    # Lambdas import app but validate no request (16 ms of their cold starts).
    model_config = ConfigDict(defer_build=True)


class _In(_Schema):
    model_config = ConfigDict(strict=True, extra="forbid")


class FieldErrorOut(_Schema):
    field: str | None = Field(description="The refused field's dotted path; null: the body")
    message: str


class ErrorDetail(_Schema):
    code: str
    message: str
    field: str | None = Field(
        default=None, description="422: the dotted path of the (first) refused field"
    )
    errors: list[FieldErrorOut] | None = Field(
        default=None, description="422 of a body or query: every refusal, the first included"
    )


class ErrorBody(_Schema):
    error: ErrorDetail


# --- sign-in and staff -------------------------------------------------------


class LoginIn(_In):
    email: Annotated[str, StringConstraints(min_length=3, max_length=254)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class StaffOut(_Schema):
    staff_id: str
    merchant_id: str
    email: str
    name: str
    role: RoleName
    location_id: str | None
    daily_stamp_cap: int | None = Field(
        default=None, description="Stamps this account may issue per local day; none when null"
    )
    daily_points_cap: int | None = Field(
        default=None, description="Points this account may issue per local day; none when null"
    )


class LoginOut(_Schema):
    token: str
    expires_at: str
    staff: StaffOut


class StaffIn(_In):
    email: Email
    name: Name
    role: RoleName
    location_id: LocationId | None = None
    daily_stamp_cap: int | None = Field(default=None, ge=1, le=10_000)
    daily_points_cap: int | None = Field(default=None, ge=1, le=10_000_000)


class StaffPatch(_In):
    """Change an account's name, role, location or daily caps (null removes a cap)."""

    name: Name | None = None
    role: RoleName | None = None
    location_id: LocationId | None = None
    daily_stamp_cap: int | None = Field(default=None, ge=1, le=10_000)
    daily_points_cap: int | None = Field(default=None, ge=1, le=10_000_000)


class StaffCreated(StaffOut):
    password: str = Field(description="Shown once; stored only as a slow salted hash")


class StaffList(_Schema):
    items: list[StaffOut]
    next_cursor: str | None


class TokenIn(_In):
    ttl_seconds: int = Field(default=12 * 3600, ge=60, le=24 * 3600)


class TokenOut(_Schema):
    token: str
    expires_at: str


# --- programs ----------------------------------------------------------------

ProgramIn = Program


class ProgramPatch(_Schema):
    """A JSON merge patch (RFC 7396) of the program document; the result is validated whole."""

    model_config = ConfigDict(extra="allow")


class PassUpdatesOut(_Schema):
    job_id: str
    members: int


class ProgramOut(Program):
    model_config = ConfigDict(extra="ignore")
    program_id: str
    version: int
    created_at: str
    updated_at: str
    pass_updates: PassUpdatesOut | None = Field(
        default=None, description="After a change that shows on the pass: the job updating them"
    )


class PreviewGoogle(_Schema):
    loyalty_class: dict[str, Any] = Field(description="The LoyaltyClass body Google would get")
    loyalty_object: dict[str, Any] = Field(description="A sample member's LoyaltyObject body")


class PreviewImages(_Schema):
    icon: str = Field(description="data: URL of the pass's icon (PNG, 2x)")
    logo: str = Field(description="data: URL of the pass's logo (PNG, 2x)")
    strip: str = Field(description="data: URL of the store card's strip (PNG, 2x)")
    barcode: str = Field(description="data: URL of the sample's QR code (SVG)")


class ProgramPreviewOut(_Schema):
    """What the program's passes would show for a sample member; nothing is stored."""

    apple: dict[str, Any] = Field(description="The sample member's pass.json")
    google: PreviewGoogle
    images: PreviewImages


class JobOut(_Schema):
    job_id: str
    kind: str
    program_id: str
    status: Literal["running", "done"]
    members: int
    devices_done: int
    created_at: str
    updated_at: str


class ProgramList(_Schema):
    items: list[ProgramOut]
    next_cursor: str | None


class ListQuery(_Schema):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = None


class ProgramListQuery(ListQuery):
    include: Literal["closed"] | None = Field(
        default=None, description="`closed`: list closed programs too"
    )


# --- members -----------------------------------------------------------------


class Consent(_In):
    # StrictBool first: Literal[True] alone takes 1 and 1.0 (1 == True in Python).
    terms: Annotated[StrictBool, Field(description="The member accepted the program's terms")]
    marketing: StrictBool = False
    leaderboard: Annotated[
        StrictBool, Field(description="Shown by first name and initial on challenge leaderboards")
    ] = False

    @field_validator("terms")
    @classmethod
    def _accepted(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError("the member must accept the terms")
        return value


class EnrolmentIn(_In):
    name: Annotated[str, name_rules(max_length=200), CHECKED_NAME]
    email: Email
    birthday: str | None = Field(default=None, description="MM-DD or YYYY-MM-DD")
    consent: Consent
    language: str | None = Field(
        default=None,
        description="The member's language (BCP 47, one the service speaks): their emails"
        " are in it. Absent: the request's Accept-Language, else the program's language.",
    )

    @field_validator("language")
    @classmethod
    def _spoken(cls, value: str | None) -> str | None:
        return None if value is None else languages.check(value)

    @field_validator("birthday")
    @classmethod
    def _real_date(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            # The shape first: fromisoformat also takes week dates ("2000-W01-1").
            if re.fullmatch(r"[0-9]{2}-[0-9]{2}", value):
                date.fromisoformat(f"2000-{value}")  # a leap year: 02-29 is a birthday
            elif re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
                day = date.fromisoformat(value)
                if not date(1900, 1, 1) <= day <= datetime.now(UTC).date():
                    raise ValueError
            else:
                raise ValueError
        except ValueError as exc:
            raise ValueError("birthday must be a real date as MM-DD or YYYY-MM-DD") from exc
        return value


class Balances(_Schema):
    stamps: int
    points: int


class RewardOut(_Schema):
    reward_id: str
    name: str
    expires_at: str | None


class ConsentView(_Schema):
    marketing: bool = Field(description="Offers may be sent to this member")
    leaderboard: bool


class MemberView(_Schema):
    member_id: str
    program_id: str
    name: str | None
    card_number: str | None = Field(
        description="The 12-symbol number under the QR code; null only for a member enrolled "
        "before card numbers, until a staff read gives them one"
    )
    balances: Balances
    tier: str | None
    rewards: list[RewardOut]
    consent: ConsentView
    updated_at: str


class MemberList(_Schema):
    items: list[MemberView]
    next_cursor: str | None


class MemberRow(MemberView):
    email: str | None = Field(description="Absent (null) once the member is erased")
    created_at: str


class MemberRowList(_Schema):
    items: list[MemberRow]
    next_cursor: str | None


class Passes(_Schema):
    apple_url: str | None = Field(description="Download link for the Apple Wallet pass")
    google_save_url: str | None = Field(description="Save to Google Wallet link")


class EnrolmentOut(_Schema):
    member_id: str
    barcode: str
    card_number: str = Field(description="The number under the QR code, typed at the counter")
    member: MemberView
    passes: Passes


class AlreadyEnrolledOut(_Schema):
    """The answer for an address already enrolled: nothing of the card, which goes by email."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    status: Literal["already_enrolled"]
    message: str


class CardEmailOut(_Schema):
    status: Literal["sent"]
    message: str


class MemberSearch(_Schema):
    email: Annotated[str, StringConstraints(min_length=3, max_length=254)]


class ScanIn(_In):
    """The QR code's string as the camera read it, or the card number as typed: one of them."""

    barcode: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    card_number: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = Field(
        default=None,
        description="As shown under the QR code; any case, spaces and dashes ignored",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> ScanIn:
        if (self.barcode is None) == (self.card_number is None):
            raise ValueError("send either barcode or card_number")
        return self


# --- the ledger --------------------------------------------------------------

IdempotencyKey = Annotated[
    str,
    StringConstraints(pattern=r"^[\x20-\x7E]{1,128}$"),
    Field(description="1-128 printable characters; a retry sends the same key"),
]


class StampsIn(_In):
    count: int = Field(ge=1, le=250, description="1 to 5 x the card's required stamps")
    idempotency_key: IdempotencyKey


class Money(_In):
    amount: Annotated[str, StringConstraints(min_length=1, max_length=32)] = Field(
        description='A decimal string, e.g. "4.50"'
    )
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class PurchaseIn(_In):
    amount: Money
    idempotency_key: IdempotencyKey


class RedemptionIn(_In):
    reward_id: str | None = None
    catalog_item_id: str | None = None
    idempotency_key: IdempotencyKey

    @model_validator(mode="after")
    def _exactly_one(self) -> RedemptionIn:
        if (self.reward_id is None) == (self.catalog_item_id is None):
            raise ValueError("send either reward_id or catalog_item_id")
        return self


class VoidIn(_In):
    idempotency_key: IdempotencyKey | None = None
    # Shown to people in the console and its CSV: a name's rules (no control characters).
    reason: Annotated[str, name_rules(max_length=200), CHECKED_NAME] | None = None


class GivenOut(_Schema):
    source: str = Field(description="Why: `base` (the program's rate) or `tier`")
    stamps: int
    points: int


class TransactionOut(_Schema):
    transaction_id: str
    type: Literal[
        "stamp", "purchase", "redemption", "welcome", "birthday", "expiry", "void", "adjustment"
    ]
    stamps: int = Field(description="Signed change of the stamps balance")
    points: int = Field(description="Signed change of the points balance")
    stamps_added: int = Field(
        description="Stamps given, before a full card's stamps left the balance (0 for a void)"
    )
    points_added: int = Field(description="Points given (0 for a spend, an expiry or a void)")
    breakdown: list[GivenOut] = Field(description="The parts of what was given, by source")
    created_at: str
    staff_id: str | None
    location_id: str | None
    voided: bool
    rewards_unlocked: list[RewardOut]
    reward: RewardOut | None
    voids: str | None
    voided_by: str | None
    # Added later: a replayed answer stored before them may lack them.
    member_id: str | None = None
    reason: str | None = Field(default=None, description="A void's reason, as the manager gave it")
    staff_name: str | None = Field(
        default=None,
        description="In ledger lists: the name of the account that made it (null for the"
        " scheduled jobs' entries)",
    )


class BalanceChangeOut(_Schema):
    member: MemberView
    transaction: TransactionOut
    rewards_unlocked: list[RewardOut]


class TransactionList(_Schema):
    items: list[TransactionOut]
    next_cursor: str | None


class StatsQuery(_Schema):
    model_config = ConfigDict(populate_by_name=True)
    from_: date | None = Field(
        default=None,
        alias="from",
        description="First day, YYYY-MM-DD (merchant's local days); 29 days before `to` if absent",
    )
    to: date | None = Field(
        default=None, description="Last day, at most 366 days after `from`; today if absent"
    )
    location_id: LocationId | None = Field(
        default=None, description="Only what staff of this location did (a program location's id)"
    )


class DayStats(_Schema):
    day: str
    enrolments: int
    active_members: int
    stamps_issued: int
    stamps_redeemed: int
    points_issued: int
    points_redeemed: int
    rewards_unlocked: int
    rewards_redeemed: int


class StatsOut(_Schema):
    program_id: str
    location_id: str | None = Field(default=None, description="The location asked for, if any")
    members: int = Field(description="Enrolments in the period")
    days: list[DayStats]


class StaffActivity(_Schema):
    stamps: int
    points: int
    scans: int


class Alert(_Schema):
    staff_id: str
    name: str | None
    today: StaffActivity
    usual_stamps: float = Field(description="Average stamps per working day over the last 28 days")
    ratio: float | None


class AlertList(_Schema):
    items: list[Alert]
    next_cursor: str | None
