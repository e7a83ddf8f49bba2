"""Validation errors in plain words, one per field: "Stamps to fill a card must be at most 50."

Built from the field's own `title` (the label the console's form shows) and
pydantic's error type and context, so that a field added to a model later is
named in its refusals without a table here. A rule of our own (a ValueError in a
validator) speaks for itself: its message is kept, capitalised.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails


@dataclass(frozen=True)
class FieldError:
    """One refusal: the dotted path of the field (None: the body itself) and why, in words."""

    field: str | None
    message: str


def plain_errors(
    exc: ValidationError, model: type[BaseModel] | None = None, prefix: str = ""
) -> list[FieldError]:
    """Every error of `exc`, in pydantic's order, named after its field's title in `model`."""
    found = []
    for error in exc.errors():
        loc = error["loc"]
        field = ".".join(str(part) for part in (*([prefix] if prefix else []), *loc))
        found.append(FieldError(field or None, _message(error, model)))
    return found


def _message(error: ErrorDetails, model: type[BaseModel] | None) -> str:
    kind, ctx, loc = error["type"], error.get("ctx") or {}, error["loc"]
    if kind in ("value_error", "assertion_error"):
        return _sentence(str(ctx.get("error") or error["msg"]))
    if kind == "extra_forbidden":
        return _sentence(f'There is no setting "{loc[-1]}" here: check its spelling')
    info = _field_info(model, loc)
    title = (info.title if info is not None else None) or _humanised(loc)
    where = _where(model, loc)
    phrase = _phrase(kind, ctx, info)
    text = f"{title} {phrase}" if phrase else f"{title}: {_lower_first(error['msg'])}"
    return _sentence(f"{where}{text}")


def _phrase(kind: str, ctx: dict[str, Any], info: FieldInfo | None) -> str | None:
    example = info.examples[0] if info is not None and info.examples else None
    phrases: dict[str, str] = {
        "missing": "is required",
        "greater_than_equal": f"must be at least {ctx.get('ge')}",
        "less_than_equal": f"must be at most {ctx.get('le')}",
        "greater_than": f"must be more than {ctx.get('gt')}",
        "less_than": f"must be less than {ctx.get('lt')}",
        "int_type": "must be a whole number",
        "int_parsing": "must be a whole number",
        "int_from_float": "must be a whole number",
        "float_type": "must be a number",
        "string_type": "must be text",
        "bool_type": "must be true or false",
        "bool_parsing": "must be true or false",
        "list_type": "must be a list",
        "model_type": "must be a group of settings (a JSON object)",
        "dict_type": "must be a group of settings (a JSON object)",
        "model_attributes_type": "must be a group of settings (a JSON object)",
        "literal_error": f"must be one of {ctx.get('expected')}",
        "enum": f"must be one of {ctx.get('expected')}",
        "string_too_short": (
            "cannot be empty"
            if ctx.get("min_length") == 1
            else f"must be at least {ctx.get('min_length')} characters long"
        ),
        "string_too_long": f"can be at most {ctx.get('max_length')} characters long",
        "too_short": f"needs at least {ctx.get('min_length')} entries",
        "too_long": f"can have at most {ctx.get('max_length')} entries",
        "string_pattern_mismatch": (
            f"is not in the expected form (for example {example})"
            if example is not None
            else "is not in the expected form"
        ),
    }
    return phrases.get(kind)


def _field_info(model: type[BaseModel] | None, loc: tuple[int | str, ...]) -> FieldInfo | None:
    """The FieldInfo of the last named field along `loc`, walking nested models and lists."""
    annotation: Any = model
    info: FieldInfo | None = None
    for part in loc:
        target = _unwrapped(annotation)
        origin = get_origin(target)
        if isinstance(part, int) and origin in (list, tuple):
            annotation = get_args(target)[0]
        elif origin is dict:
            annotation = get_args(target)[1]
        elif isinstance(target, type) and issubclass(target, BaseModel):
            info = target.model_fields.get(str(part))
            if info is None:
                return None
            annotation = info.annotation
        else:
            # A union member's tag in the path ("function-after[...]"): the same field.
            return info
    return info


def _where(model: type[BaseModel] | None, loc: tuple[int | str, ...]) -> str:
    """ "Tiers, number 2: " for a field inside a list's entry, else nothing."""
    for depth, part in enumerate(loc):
        if isinstance(part, int) and depth > 0 and depth < len(loc) - 1:
            info = _field_info(model, loc[:depth])
            title = (info.title if info is not None else None) or _humanised(loc[:depth])
            return f"{title}, number {part + 1}: "
    return ""


def _unwrapped(annotation: Any) -> Any:
    """`annotation` without Annotated[...] and without None in an Optional."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _humanised(loc: tuple[int | str, ...]) -> str:
    names = [part for part in loc if isinstance(part, str)]
    return names[-1].replace("_", " ").capitalize() if names else "The body"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else f"{text}."
