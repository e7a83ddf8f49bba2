"""The program document (API.md "Documents"): validated once, then read by the rules.

Counts and days are JSON integers; rates and multipliers are decimal strings.
"""

from __future__ import annotations

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
from chalicelib.domain.currencies import MINOR_UNITS
from chalicelib.domain.text import CHECKED_NAME, name_rules

Name = Annotated[str, name_rules(max_length=100), CHECKED_NAME]
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

    @model_validator(mode="after")
    def _check(self) -> PointRules:
        if self.currency not in MINOR_UNITS:
            raise ValueError(f"currency {self.currency!r} is not an ISO 4217 code")
        if Decimal(self.per_unit) <= 0:
            raise ValueError("per_unit must be greater than 0")
        ids = [item.id for item in self.catalog]
        if len(ids) != len(set(ids)):
            raise ValueError("catalog item ids must be unique")
        return self


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
    # BCP 47 (a language the service speaks): the texts above are in it; absent is "en".
    language: str | None = None
    translations: dict[str, Translation] | None = Field(default=None, max_length=7)

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
