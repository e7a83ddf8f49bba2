"""JSON from outside the service: standard JSON only, nested at most MAX_DEPTH deep.

Python's json module recurses once per level: about a thousand `[` (2 KB) raise
RecursionError, which no caller expects. It also reads NaN, Infinity and -Infinity,
and turns 1e400 into inf, none of which is JSON (RFC 8259) or any amount a
loyalty program counts in; a NaN once reached a merge patch and deleted a section.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 32

# A JSON string (escapes included) or one bracket. Strings are matched first, so a
# bracket inside one is never counted; an unterminated string leaves its brackets
# counted, which only makes a refusal more likely for input that is not JSON anyway.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


class NotJson(ValueError):
    """The text is not standard JSON, or is nested deeper than MAX_DEPTH."""


def _no_constant(name: str) -> Any:
    raise NotJson(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NotJson(f"{text} is out of range")
    return value


def loads(raw: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """The value of `raw`; NotJson for anything but standard JSON nested within `max_depth`."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise NotJson("not UTF-8") from exc
    depth = 0
    # Checked before parsing: json's recursion is the thing to keep from happening.
    for token in _TOKENS.finditer(text):
        kind = token[0]
        if kind in "[{":
            depth += 1
            if depth > max_depth:
                raise NotJson(f"nested more than {max_depth} deep")
        elif kind in "]}":
            depth -= 1
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except NotJson:
        raise
    except (ValueError, RecursionError) as exc:
        raise NotJson("not valid JSON") from exc
