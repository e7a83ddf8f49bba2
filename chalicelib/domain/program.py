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

from chalicelib.domain import colours, languages
from chalicelib.domain.currencies import MINOR_UNITS, default_max_purchase
from chalicelib.domain.text import CHECKED_NAME, name_rules

NAME_LENGTH = 100
Name = Annotated[str, name_rules(max_length=NAME_LENGTH), CHECKED_NAME]
# A decimal string: digits, at most one point, no sign or exponent ("1", "0.5", "1.25").
# [0-9], not \d: the pattern engine's \d also matches other scripts' digits (U+0661).
DecimalString = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,6}(\.[0-9]{1,4})?$")]
# format "color": the console's form offers a colour picker (a JSON Schema annotation).
Colour = Annotated[
    str, StringConstraints(pattern=colours.PATTERN), Field(json_schema_extra={"format": "color"})
]
Days = Annotated[int, Field(ge=1, le=3650)]


class _Strict(BaseModel):
    # strict: "1", 1.5 and true are not integers; forbid: a misspelt field is an error.
    model_config = ConfigDict(strict=True, extra="forbid")


# Each field's `title` and `description` are its label and help text: in /openapi.json,
# in the console's form (drawn from that schema) and in refusals ("Stamps to fill a
# card must be at most 50"). Write them in the owner's words, not the code's.


class RewardSpec(_Strict):
    name: Name = Field(
        title="Reward name",
        description="As the pass and the counter show it, e.g. Free coffee.",
        examples=["Free coffee"],
    )


class StampRules(_Strict):
    required: int = Field(
        ge=1,
        le=50,
        title="Stamps to fill a card",
        description='A full card unlocks the reward. For "10 coffees, the 11th free", enter 10.',
    )
    reward: RewardSpec = Field(title="Reward", description="What a full card gives.")


class CatalogItem(_Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = Field(
        title="Item code",
        description="Letters, digits, - and _; unique in the catalog. Kept when the name changes.",
        examples=["latte"],
    )
    name: Name = Field(title="Item name", description="As the pass and the counter show it.")
    cost: int = Field(ge=1, le=1_000_000, title="Cost in points", description="Points it costs")


class PointRules(_Strict):
    per_unit: DecimalString = Field(
        title="Points per unit spent",
        description='Points earned for each 1 of the currency, e.g. "1" or "0.5".',
        examples=["1"],
    )
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = Field(
        title="Currency",
        description="The three-letter ISO 4217 code of the money counted, e.g. EUR.",
        examples=["EUR"],
    )
    catalog: list[CatalogItem] = Field(
        default_factory=list,
        max_length=50,
        title="Catalog",
        description="What members can spend their points on.",
    )
    max_purchase: DecimalString | None = Field(
        default=None,
        title="Largest purchase without a manager",
        description="A barista records purchases up to this amount alone; above it a manager "
        "must. Empty: about 200 euros' worth in the program's currency.",
    )

    # Field validators, not one model validator: the refusal names the field to change.
    @field_validator("per_unit")
    @classmethod
    def _positive(cls, per_unit: str) -> str:
        if Decimal(per_unit) <= 0:
            raise ValueError("points per unit spent must be more than 0")
        return per_unit

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, currency: str) -> str:
        if currency not in MINOR_UNITS:
            raise ValueError(f"{currency} is not a currency code (ISO 4217), e.g. EUR")
        return currency

    @field_validator("max_purchase")
    @classmethod
    def _positive_limit(cls, max_purchase: str | None) -> str | None:
        if max_purchase is not None and Decimal(max_purchase) <= 0:
            raise ValueError("the largest purchase without a manager must be more than 0")
        return max_purchase

    @field_validator("catalog")
    @classmethod
    def _unique_ids(cls, catalog: list[CatalogItem]) -> list[CatalogItem]:
        ids = [item.id for item in catalog]
        if len(ids) != len(set(ids)):
            raise ValueError("each catalog item needs its own item code")
        return catalog

    @property
    def purchase_limit(self) -> Decimal:
        """The largest purchase a barista may record without a manager."""
        if self.max_purchase is not None:
            return Decimal(self.max_purchase)
        return default_max_purchase(self.currency)


class Tier(_Strict):
    name: Annotated[str, name_rules(max_length=50), CHECKED_NAME] = Field(
        title="Tier name", description="As the pass shows it, e.g. Gold.", examples=["Gold"]
    )
    threshold: int = Field(
        ge=0,
        le=100_000_000,
        title="Reached at",
        description="Stamps or points earned (within the tier window, if set) to reach it.",
    )
    multiplier: DecimalString = Field(
        default="1",
        title="Earning multiplier",
        description='Members of this tier earn this many times as much: "1.5" is half again.',
        examples=["1.5"],
    )

    @field_validator("multiplier")
    @classmethod
    def _in_range(cls, multiplier: str) -> str:
        if not Decimal(1) <= Decimal(multiplier) <= Decimal(10):
            raise ValueError("the earning multiplier must be between 1 and 10")
        return multiplier


class Expiry(_Strict):
    mode: Literal["never", "after_days", "inactivity_days", "end_of_month", "end_of_year"] = Field(
        title="Balances expire",
        description="never; a number of days after they are earned (after_days); after days "
        "without a visit (inactivity_days); at the end of each month or of each year.",
    )
    days: Days | None = Field(
        default=None,
        title="Days",
        description="For after_days and inactivity_days only: how many days.",
    )
    # Days ahead that the pass warns of points about to expire (7 when absent).
    warning_days: int | None = Field(
        default=None,
        ge=0,
        le=365,
        title="Warn this many days before",
        description="The pass warns of points about to expire this many days ahead (7 if empty).",
    )

    @model_validator(mode="after")
    def _check(self) -> Expiry:
        needs_days = self.mode in ("after_days", "inactivity_days")
        if needs_days and self.days is None:
            raise ValueError(f"expiry {self.mode} needs a number of days")
        if not needs_days and self.days is not None:
            raise ValueError(f"expiry {self.mode} takes no number of days: leave days empty")
        return self


class Welcome(_Strict):
    stamps: int | None = Field(
        default=None,
        ge=1,
        le=50,
        title="Welcome stamps",
        description="Stamps a new member starts with (stamp cards).",
    )
    points: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        title="Welcome points",
        description="Points a new member starts with (points programs).",
    )

    @model_validator(mode="after")
    def _check(self) -> Welcome:
        if (self.stamps is None) == (self.points is None):
            raise ValueError("a welcome gift is either stamps or points, not both or neither")
        return self


class Birthday(_Strict):
    reward: RewardSpec = Field(title="Birthday reward", description="What the member gets.")
    valid_days: int = Field(
        default=30,
        ge=1,
        le=365,
        title="Valid for (days)",
        description="Days the birthday reward can be used.",
    )


class Limits(_Strict):
    cooldown_seconds: int = Field(
        default=0,
        ge=0,
        le=86_400,
        title="Cooldown (seconds)",
        description="Least time between two stamps or purchases on one card; 0 for none.",
    )
    max_per_day: int | None = Field(
        default=None,
        ge=1,
        le=1_000,
        title="Most per day",
        description="Most stamps or purchases on one card in a day; empty for no limit.",
    )


class Design(_Strict):
    background_color: Colour | None = Field(
        default=None,
        title="Background colour",
        description="The pass's and the join page's colour, #RRGGBB.",
        examples=["#7C2D12"],
    )
    foreground_color: Colour | None = Field(
        default=None,
        title="Text colour",
        description="The values on the pass, #RRGGBB; pick one that reads on the background.",
        examples=["#FFFFFF"],
    )
    label_color: Colour | None = Field(
        default=None,
        title="Label colour",
        description="The small labels above the values on the pass, #RRGGBB.",
        examples=["#FDE68A"],
    )
    logo_text: Annotated[str, name_rules(max_length=30, min_length=0), CHECKED_NAME] | None = Field(
        default=None,
        title="Logo text",
        description="Beside the logo at the top of the pass; the café's name when empty.",
    )


# A location's id: what a staff account's `location_id` names (the same alphabet).
LocationId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
MAX_LOCATIONS = 10  # Apple's limit on a pass's `locations`, and Google's on a class's


class Location(_Strict):
    """A shop of the program: the pass shows `relevant_text` on the lock screen nearby."""

    id: LocationId | None = Field(
        default=None,
        title="Shop code",
        description="What staff accounts name as their location; made from the name when empty.",
    )
    name: Name = Field(title="Shop name", examples=["Bastille"])
    # allow_inf_nan: Python's JSON reader takes NaN and Infinity, which no place is at.
    latitude: float = Field(
        ge=-90, le=90, allow_inf_nan=False, title="Latitude", examples=[48.8532]
    )
    longitude: float = Field(
        ge=-180, le=180, allow_inf_nan=False, title="Longitude", examples=[2.3692]
    )
    relevant_text: Annotated[str, name_rules(max_length=100), CHECKED_NAME] | None = Field(
        default=None,
        title="Lock-screen hint",
        description='Shown near the shop, e.g. "Your card is ready".',
    )


def slug(name: str) -> str:
    """A location id from its name: ASCII letters and digits joined by dashes."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:56] or "location"


class Translation(_Strict):
    """The program's own texts in one more language; what is left out stays in the default."""

    name: Name | None = None
    reward: Name | None = Field(default=None, description="The stamp card's reward")
    catalog: dict[str, Name] = Field(
        default_factory=dict, max_length=50, description="Catalog item id to its name"
    )
    tiers: dict[str, Annotated[str, name_rules(max_length=50), CHECKED_NAME]] = Field(
        default_factory=dict, max_length=10, description="Tier name to its name here"
    )


class Program(_Strict):
    """A loyalty program: how members earn, what they get, and how the pass looks.

    The checks across sections are field validators, not one model validator, so
    that a refusal names the field to change (`welcome`, not the whole body).
    """

    name: Name = Field(
        title="Program name",
        description="What the pass and the join page call it, e.g. Coffee card.",
        examples=["Coffee card"],
    )
    kind: Literal["stamps", "points"] = Field(
        title="Kind of card",
        description="stamps: a stamp per visit, a reward when the card is full. "
        "points: points per amount spent, spent on a catalog. It cannot change later.",
    )
    # validate_default: a missing section is checked too (is it the kind's own?).
    stamps: StampRules | None = Field(
        default=None,
        validate_default=True,
        title="Stamp card",
        description="How a stamp card fills and what it gives (stamp cards only).",
    )
    points: PointRules | None = Field(
        default=None,
        validate_default=True,
        title="Points",
        description="How points are earned and what they buy (points programs only).",
    )
    tiers: list[Tier] = Field(
        default_factory=list,
        max_length=10,
        title="Tiers",
        description="Levels members reach by earning; a higher tier earns more.",
    )
    tier_window_days: Days | None = Field(
        default=None,
        title="Tier window (days)",
        description="Place members in tiers by what they earned in this many days; "
        "empty counts everything.",
    )
    expiry: Expiry | None = Field(
        default=None, title="Expiry", description="When unused stamps or points lapse."
    )
    reward_valid_days: Days | None = Field(
        default=None,
        title="Rewards valid for (days)",
        description="Days a reward can be used once unlocked; empty: it never lapses.",
    )
    welcome: Welcome | None = Field(
        default=None, title="Welcome gift", description="Stamps or points given on joining."
    )
    birthday: Birthday | None = Field(
        default=None,
        title="Birthday treat",
        description="A reward on the member's birthday (if they gave it).",
    )
    limits: Limits | None = Field(
        default=None,
        title="Scan limits",
        description="Slow down repeated stamps or purchases on one card.",
    )
    design: Design | None = Field(
        default=None, title="Design", description="The pass's colours and logo text."
    )
    status: Literal["active", "closed"] = Field(
        default="active",
        title="Status",
        description="active: members can join. closed: nobody new joins; cards keep working.",
    )
    locations: list[Location] = Field(
        default_factory=list,
        max_length=MAX_LOCATIONS,
        title="Shops",
        description="Up to 10 shops; the pass reminds members on the lock screen nearby.",
    )

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

    # BCP 47 (a language the service speaks): the texts above are in it; absent is "en".
    language: str | None = Field(
        default=None,
        title="Language",
        description="The language the texts above are in (en, fr, de, es, it, nl or pt); "
        "empty is English.",
    )
    translations: dict[str, Translation] | None = Field(
        default=None,
        max_length=7,
        title="Translations",
        description="The program's own texts in other languages, by language code.",
    )

    @field_validator("language")
    @classmethod
    def _spoken(cls, language: str | None) -> str | None:
        return None if language is None else languages.check(language)

    @field_validator("translations")
    @classmethod
    def _translations_fit(
        cls, translations: dict[str, Translation] | None, info: ValidationInfo
    ) -> dict[str, Translation] | None:
        # Declared last, so every section is in info.data when it was valid.
        if translations is None:
            return None
        checked: dict[str, Translation] = {}
        for tag, translation in translations.items():
            language = languages.check(tag)
            if language in checked:
                raise ValueError(f"{tag!r} repeats the language {language!r}")
            stamps, points = info.data.get("stamps"), info.data.get("points")
            if translation.reward is not None and stamps is None:
                raise ValueError(f"{language}: only a stamps program has a reward to translate")
            items = {item.id for item in points.catalog} if points else set()
            if unknown := sorted(set(translation.catalog) - items):
                raise ValueError(f"{language}: no catalog item {', '.join(unknown)}")
            tiers = {tier.name for tier in info.data.get("tiers", [])}
            if unknown := sorted(set(translation.tiers) - tiers):
                raise ValueError(f"{language}: no tier {', '.join(unknown)}")
            checked[language] = translation
        return checked

    @field_validator("stamps", "points")
    @classmethod
    def _kind_has_its_section(cls, section: object, info: ValidationInfo) -> object:
        # `kind` is declared before the sections, so it is in info.data when valid.
        if section is None and info.data.get("kind") == info.field_name:
            raise ValueError(f"a {info.field_name} program needs its {info.field_name} settings")
        return section

    @field_validator("tiers")
    @classmethod
    def _tiers_differ(cls, tiers: list[Tier]) -> list[Tier]:
        thresholds = [tier.threshold for tier in tiers]
        if len(set(thresholds)) != len(thresholds):
            raise ValueError("two tiers cannot be reached at the same number")
        names = [tier.name for tier in tiers]
        if len(set(names)) != len(names):
            raise ValueError("two tiers cannot have the same name")
        return tiers

    @field_validator("welcome")
    @classmethod
    def _welcome_fits_the_kind(
        cls, welcome: Welcome | None, info: ValidationInfo
    ) -> Welcome | None:
        kind = info.data.get("kind")
        if welcome is not None:
            if kind == "stamps" and welcome.stamps is None:
                raise ValueError("a stamp card's welcome gift is stamps")
            if kind == "points" and welcome.points is None:
                raise ValueError("a points program's welcome gift is points")
        return welcome

    def document(self) -> dict[str, Any]:
        """The JSON document as stored and returned: absent sections left out."""
        return self.model_dump(mode="json", exclude_none=True)

    @property
    def default_language(self) -> str:
        return self.language or languages.DEFAULT

    def _translation(self, language: str) -> Translation | None:
        if language == self.default_language or not self.translations:
            return None
        return self.translations.get(language)

    def name_in(self, language: str) -> str:
        """The program's name in `language`, or in its default language if not translated."""
        translation = self._translation(language)
        return (translation.name if translation else None) or self.name

    def reward_in(self, language: str) -> str | None:
        """The stamp card's reward in `language` (None for a points program)."""
        if self.stamps is None:
            return None
        translation = self._translation(language)
        return (translation.reward if translation else None) or self.stamps.reward.name

    def reward_named(self, reward: str, language: str) -> str:
        """A reward's name (as kept on a member) in `language`: the stamp card's own
        reward is translated; others (welcome, birthday) keep the name they were given."""
        if self.stamps is not None and reward == self.stamps.reward.name:
            return self.reward_in(language) or reward
        return reward

    def tier_in(self, tier: str, language: str) -> str:
        """A tier's name (as stored on members) in `language`."""
        translation = self._translation(language)
        return (translation.tiers.get(tier) if translation else None) or tier

    def item_in(self, item: CatalogItem, language: str) -> str:
        """A catalog item's name in `language`."""
        translation = self._translation(language)
        return (translation.catalog.get(item.id) if translation else None) or item.name

    @property
    def tiers_by_threshold(self) -> list[Tier]:
        return sorted(self.tiers, key=lambda tier: tier.threshold)
