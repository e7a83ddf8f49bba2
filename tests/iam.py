"""IAM's Allow check, enough to test the policy documents deploy/policy.py writes."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any


def allowed(document: dict[str, Any], action: str, resource: str) -> bool:
    """Whether some Allow statement names `action` on `resource` (no Deny, no conditions).

    IAM's `*` and `?` wildcards match as fnmatch's do; IAM has no `[...]`, and
    none of our documents uses brackets.
    """
    for statement in document["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        actions = statement["Action"]
        resources = statement["Resource"]
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        # Action names are case-insensitive in IAM; ARNs are not.
        if any(fnmatchcase(action.lower(), a.lower()) for a in actions) and any(
            fnmatchcase(resource, r) for r in resources
        ):
            return True
    return False
