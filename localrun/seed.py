"""The demo data of the local run: idempotent, so that every start can run it.

Passwords are generated once and kept in `.local/demo-credentials.json`; an
account that exists already is reused and its password reset to the kept one.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from chalicelib import clock, ids
from chalicelib.domain.program import Program
from chalicelib.domain.roles import Role
from chalicelib.services import auth, programs
from chalicelib.services.staff import check_timezone
from chalicelib.store.models import MerchantItem, ProgramItem, StaffItem, UniqueItem

# The demo café's two shops: the seeded barista works at the first.
DEMO_LOCATIONS = [
    {
        "id": "bastille",
        "name": "Demo Café Bastille",
        "latitude": 48.8532,
        "longitude": 2.3692,
        "relevant_text": "Demo Café is around the corner: your card is ready",
    },
    {
        "id": "marais",
        "name": "Demo Café Marais",
        "latitude": 48.8590,
        "longitude": 2.3620,
        "relevant_text": "Demo Café Marais: your card is ready",
    },
]
DEMO_STAMPS = {
    "name": "Coffee card",
    "kind": "stamps",
    "stamps": {"required": 10, "reward": {"name": "Free coffee"}},
    "reward_valid_days": 90,
    "design": {
        "background_color": "#3B2A20",
        "foreground_color": "#FFFFFF",
        "label_color": "#E8C39E",
        "logo_text": "Demo Café",
    },
    "locations": DEMO_LOCATIONS,
}
DEMO_POINTS = {
    "name": "Demo Café points",
    "kind": "points",
    "points": {
        "per_unit": "1",
        "currency": "EUR",
        "catalog": [
            {"id": "espresso", "name": "Espresso", "cost": 50},
            {"id": "cake", "name": "Slice of cake", "cost": 120},
        ],
    },
    "tiers": [
        {"name": "Bean", "threshold": 0, "multiplier": "1"},
        {"name": "Roaster", "threshold": 500, "multiplier": "1.5"},
    ],
    "tier_window_days": 365,
    "welcome": {"points": 20},
    "design": {
        "background_color": "#1F4E5F",
        "foreground_color": "#FFFFFF",
        "logo_text": "Demo Café",
    },
    "locations": DEMO_LOCATIONS,
}


def _claim(key: str) -> str | None:
    try:
        return UniqueItem.get(key, consistent_read=True).owner_id
    except UniqueItem.DoesNotExist:
        return None


def _merchant(seed_key: str, name: str, timezone: str) -> str:
    existing = _claim(f"seed#{seed_key}")
    if existing:
        return existing
    merchant = MerchantItem(
        ids.new_id(),
        name=name,
        timezone=check_timezone(timezone),
        created_at=clock.iso(clock.now()),
    )
    merchant.save()
    UniqueItem(f"seed#{seed_key}", owner_id=merchant.merchant_id).save()
    return merchant.merchant_id


def _staff(merchant_id: str, email: str, name: str, role: Role, password: str) -> StaffItem:
    # A store seeded before claims were per merchant holds the global one.
    owner_id = _claim(auth.staff_email_key(merchant_id, email)) or _claim(
        auth.legacy_staff_email_key(email)
    )
    if owner_id:
        staff = StaffItem.get(owner_id)
        staff.update(actions=[StaffItem.password_hash.set(auth.hash_password(password))])
        return staff
    staff = StaffItem(
        ids.new_id(),
        merchant_id=merchant_id,
        email=email,
        name=name,
        role=role.name,
        location_id="bastille" if role == Role.barista else None,
        password_hash=auth.hash_password(password),
        status="active",
        created_at=clock.iso(clock.now()),
        tokens_valid_after=0,
    )
    staff.save()
    UniqueItem(auth.staff_email_key(merchant_id, email), owner_id=staff.staff_id).save()
    return staff


def _program(merchant_id: str, seed_key: str, document: dict[str, Any], owner: StaffItem) -> str:
    existing = _claim(f"seed#{seed_key}")
    if existing:
        return existing
    principal = auth.principal_of(owner)
    item: ProgramItem = programs.create_program(principal, Program.model_validate(document))
    UniqueItem(f"seed#{seed_key}", owner_id=item.program_id).save()
    return item.program_id


def _credentials(local_dir: Path) -> dict[str, str]:
    path = local_dir / "demo-credentials.json"
    if path.exists():
        return json.loads(path.read_text())
    creds = {role: secrets.token_urlsafe(12) for role in ("owner", "manager", "barista", "other")}
    path.write_text(json.dumps(creds, indent=2))
    path.chmod(0o600)
    return creds


def seed(local_dir: Path, base_url: str, dynamodb_endpoint: str | None) -> dict[str, Any]:
    """Seed the demo merchants; return the contents of `.local/demo.json`."""
    creds = _credentials(local_dir)
    merchant_id = _merchant("demo-merchant", "Demo Café", "Europe/Paris")
    owner = _staff(merchant_id, "owner@demo.cafe", "Olive Owner", Role.owner, creds["owner"])
    manager = _staff(
        merchant_id, "manager@demo.cafe", "Max Manager", Role.manager, creds["manager"]
    )
    barista = _staff(
        merchant_id, "barista@demo.cafe", "Bea Barista", Role.barista, creds["barista"]
    )
    stamps_id = _program(merchant_id, "demo-stamps", DEMO_STAMPS, owner)
    points_id = _program(merchant_id, "demo-points", DEMO_POINTS, owner)
    other_id = _merchant("other-merchant", "Other Roasters", "UTC")
    other = _staff(other_id, "owner@other.example", "Otto Other", Role.owner, creds["other"])
    _program(other_id, "other-stamps", {**DEMO_STAMPS, "name": "Other card"}, other)
    return {
        "base_url": base_url,
        "dynamodb_endpoint": dynamodb_endpoint,
        "merchant_id": merchant_id,
        "programs": {"stamps": stamps_id, "points": points_id},
        "tokens": {
            "owner": auth.issue_token(owner)[0],
            "manager": auth.issue_token(manager)[0],
            "barista": auth.issue_token(barista)[0],
        },
        "logins": {
            "owner": {"email": owner.email, "password": creds["owner"]},
            "manager": {"email": manager.email, "password": creds["manager"]},
            "barista": {"email": barista.email, "password": creds["barista"]},
        },
        "other_merchant": {
            "merchant_id": other_id,
            "tokens": {"owner": auth.issue_token(other)[0]},
        },
    }
