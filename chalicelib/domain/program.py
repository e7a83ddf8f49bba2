"""The program document (API.md "Documents"): validated once, then read by the rules.

Counts and days are JSON integers; rates and multipliers are decimal strings.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from chalicelib.domain import colours
from chalicelib.domain.currencies import MINOR_UNITS, default_max_purchase
from chalicelib.domain.text import CHECKED_NAME, name_rules

NAME_LENGTH = 100
Name = Annotated[str, name_rules(max_length=NAME_LENGTH), CHECKED_NAME]
# A decimal string: digits, at most one point, no sign or exponent ("1", "0.5", "1.25").
# [0-9], not \d: the pattern engine's \d also matches other scripts' digits (U+0661).
DecimalString = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,6}(\.[0-9]{1,4})?$")]
Colour = Annotated[str, StringConstraints(pattern=colours.PATTERN)]
Days = Annotated[int, Field(ge=1, le=3650)]


class _Strict(BaseModel):
    # strict: "1", 1.5 and true are not integers; forbid: a misspelt field is an error.
    model_config = ConfigDict(strict=True, extra="forbid")


class RewardSpec(_Strict):
    name: Name


class StampRules(_Strict):
    required: int = Field(ge=1, le=50, description="Stamps that fill a card")
    reward: RewardSpec


class CatalogItem(_Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    name: Name
    cost: int = Field(ge=1, le=1_000_000, description="Points it costs")


class PointRules(_Strict):
    per_unit: DecimalString = Field(description='Points per unit of currency, e.g. "1"')
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    catalog: list[CatalogItem] = Field(default_factory=list, max_length=50)
    max_purchase: DecimalString | None = Field(
        default=None,
        description="The largest purchase a barista records alone; above it a manager must. "
        "Absent: about 200 euros' worth in the program's currency (domain.currencies)",
    )

    @model_validator(mode="after")
    def _check(self) -> PointRules:
        if self.currency not in MINOR_UNITS:
            raise ValueError(f"currency {self.currency!r} is not an ISO 4217 code")
        if Decimal(self.per_unit) <= 0:
            raise ValueError("per_unit must be greater than 0")
        if self.max_purchase is not None and Decimal(self.max_purchase) <= 0:
            raise ValueError("max_purchase must be greater than 0")
        ids = [item.id for item in self.catalog]
        if len(ids) != len(set(ids)):
            raise ValueError("catalog item ids must be unique")
        return self

    @property
    def purchase_limit(self) -> Decimal:
        """The largest purchase a barista may record without a manager."""
        if self.max_purchase is not None:
            return Decimal(self.max_purchase)
        return default_max_purchase(self.currency)


class Tier(_Strict):
    name: Annotated[str, name_rules(max_length=50), CHECKED_NAME]
    threshold: int = Field(ge=0, le=100_000_000)
    multiplier: DecimalString = "1"

    @model_validator(mode="after")
    def _check(self) -> Tier:
        if not Decimal(1) <= Decimal(self.multiplier) <= Decimal(10):
            raise ValueError("multiplier must be between 1 and 10")
        return self


class Expiry(_Strict):
    mode: Literal["never", "after_days", "inactivity_days", "end_of_month", "end_of_year"]
    days: Days | None = None
    # Days ahead that the pass warns of points about to expire (7 when absent).
    warning_days: int | None = Field(default=None, ge=0, le=365)

    @model_validator(mode="after")
    def _check(self) -> Expiry:
        needs_days = self.mode in ("after_days", "inactivity_days")
        if needs_days and self.days is None:
            raise ValueError(f"expiry mode {self.mode} needs days")
        if not needs_days and self.days is not None:
            raise ValueError(f"expiry mode {self.mode} takes no days")
        return self


class Welcome(_Strict):
    stamps: int | None = Field(default=None, ge=1, le=50)
    points: int | None = Field(default=None, ge=1, le=100_000)

    @model_validator(mode="after")
    def _check(self) -> Welcome:
        if (self.stamps is None) == (self.points is None):
            raise ValueError("welcome gives either stamps or points")
        return self


class Birthday(_Strict):
    reward: RewardSpec
    valid_days: int = Field(default=30, ge=1, le=365)


class Limits(_Strict):
    cooldown_seconds: int = Field(default=0, ge=0, le=86_400)
    max_per_day: int | None = Field(default=None, ge=1, le=1_000)


class Design(_Strict):
    background_color: Colour | None = None
    foreground_color: Colour | None = None
    label_color: Colour | None = None
    logo_text: Annotated[str, name_rules(max_length=30, min_length=0), CHECKED_NAME] | None = None


# A location's id: what a staff account's `location_id` names (the same alphabet).
LocationId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
MAX_LOCATIONS = 10  # Apple's limit on a pass's `locations`, and Google's on a class's


class Location(_Strict):
    """A shop of the program: the pass shows `relevant_text` on the lock screen nearby."""

    id: LocationId | None = Field(
        default=None, description="Unique in the program; made from the name when absent"
    )
    name: Name
    # allow_inf_nan: Python's JSON reader takes NaN and Infinity, which no place is at.
    latitude: float = Field(ge=-90, le=90, allow_inf_nan=False)
    longitude: float = Field(ge=-180, le=180, allow_inf_nan=False)
    relevant_text: Annotated[str, name_rules(max_length=100), CHECKED_NAME] | None = Field(
        default=None, description='The lock-screen hint near the shop ("Your card is ready")'
    )


def slug(name: str) -> str:
    """A location id from its name: ASCII letters and digits joined by dashes."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:56] or "location"


class Program(_Strict):
    """A loyalty program: how members earn, what they get, and how the pass looks.

    The checks across sections are field validators, not one model validator, so
    that a refusal names the field to change ("welcome: ...", not "body: ...").
    """

    name: Name
    kind: Literal["stamps", "points"]
    # validate_default: a missing section is checked too (is it the kind's own?).
    stamps: StampRules | None = Field(default=None, validate_default=True)
    points: PointRules | None = Field(default=None, validate_default=True)
    tiers: list[Tier] = Field(default_factory=list, max_length=10)
    tier_window_days: Days | None = None
    expiry: Expiry | None = None
    reward_valid_days: Days | None = None
    welcome: Welcome | None = None
    birthday: Birthday | None = None
    limits: Limits | None = None
    design: Design | None = None
    status: Literal["active", "closed"] = Field(
        default="active", description="A closed program enrols nobody; its cards keep working"
    )
    locations: list[Location] = Field(default_factory=list, max_length=MAX_LOCATIONS)

    @field_validator("locations")
    @classmethod
    def _locations_have_ids(cls, locations: list[Location]) -> list[Location]:
        given = [location.id for location in locations if location.id is not None]
        if len(set(given)) != len(given):
            raise ValueError("location ids must be unique in the program")
        taken, named = set(given), []
        for location in locations:
            if location.id is None:
                base = candidate = slug(location.name)
                n = 2
                while candidate in taken:
                    candidate, n = f"{base}-{n}", n + 1
                taken.add(candidate)
                location = location.model_copy(update={"id": candidate})
            named.append(location)
        return named

    def location(self, location_id: str) -> Location | None:
        return next((place for place in self.locations if place.id == location_id), None)

    @field_validator("stamps", "points")
    @classmethod
    def _kind_has_its_section(cls, section: object, info: ValidationInfo) -> object:
        # `kind` is declared before the sections, so it is in info.data when valid.
        if section is None and info.data.get("kind") == info.field_name:
            raise ValueError(f"a {info.field_name} program needs its {info.field_name} section")
        return section

    @field_validator("tiers")
    @classmethod
    def _tiers_differ(cls, tiers: list[Tier]) -> list[Tier]:
        thresholds = [tier.threshold for tier in tiers]
        if len(set(thresholds)) != len(thresholds):
            raise ValueError("tier thresholds must differ")
        names = [tier.name for tier in tiers]
        if len(set(names)) != len(names):
            raise ValueError("tier names must differ")
        return tiers

    @field_validator("welcome")
    @classmethod
    def _welcome_fits_the_kind(
        cls, welcome: Welcome | None, info: ValidationInfo
    ) -> Welcome | None:
        kind = info.data.get("kind")
        if welcome is not None:
            if kind == "stamps" and welcome.stamps is None:
                raise ValueError("a stamps program welcomes with stamps")
            if kind == "points" and welcome.points is None:
                raise ValueError("a points program welcomes with points")
        return welcome

    def document(self) -> dict[str, Any]:
        """The JSON document as stored and returned: absent sections left out."""
        return self.model_dump(mode="json", exclude_none=True)

    @property
    def tiers_by_threshold(self) -> list[Tier]:
        return sorted(self.tiers, key=lambda tier: tier.threshold)
