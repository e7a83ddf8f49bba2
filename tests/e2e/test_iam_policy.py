"""The stage's IAM policy and the code agree, both ways, over a broad run of the service.

Every DynamoDB call of the run is recorded on the client side, by botocore's
`before-parameter-build` event (it sees each call's parameters and changes
nothing), and turned into what IAM authorises: each item of a transaction on its
own table, a batch on each of its tables, a Query on an index as
`table/<t>/index/<i>`. Then nothing the code does may be refused by deploy/policy.py,
and nothing it grants may go unused.
"""

from __future__ import annotations

import io
import json
import threading
import uuid
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest
from botocore.session import Session

from chalicelib import clock, ids
from chalicelib.config import settings
from chalicelib.domain.program import Program
from chalicelib.domain.roles import Role
from chalicelib.services import auth, google_wallet, members, programs
from chalicelib.services import ledger as ledger_service
from chalicelib.store import db
from deploy import stage as stages
from deploy.policy import ACCESS, INDEX_QUERIES, policy
from tests.conftest import Merchant, pretending
from tests.e2e.helpers import (
    POINTS_CARD,
    STAMP_CARD,
    create_program,
    enrol,
    key,
    ledger,
    program_with_locations,
    stamp,
)
from tests.e2e.ledger_helpers import card, purchase, redeem, void
from tests.iam import allowed
from tests.peers.conftest import google_peer  # noqa: F401 - the fixture

if TYPE_CHECKING:
    from chalicelib.root import Root
from tests.peers.google_peer import GooglePeer
from tests.peers.google_signing import (
    DAY_MS,
    callback_body,
    callback_message,
    new_key,
    now_ms,
    root_keys_document,
)

# The permission IAM checks for each kind of item in a TransactWriteItems.
TRANSACT_WRITE = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
# A deployed stage's tables are the template's: its request path never looks a
# table up or makes one, and never reads a whole table.
FORBIDDEN = {
    "Scan",
    "CreateTable",
    "DeleteTable",
    "DescribeTable",
    "DescribeTimeToLive",
    "ListTables",
    "UpdateTable",
    "UpdateTimeToLive",
}
ISSUER = "3388000000000000001"  # the suite's Google issuer id (config's default)
PASS_TYPE = "pass.dev.walletloyalty"
DEPLOYED = ("dev", "prod")


class Recorder:
    """The (IAM action, resource) pairs of every DynamoDB call; resources by base name.

    A resource is a table's base name (`members`) or an index (`members/index/by_email`).
    Calls naming a table without the test's prefix are kept apart in `foreign`.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.calls: set[tuple[str, str]] = set()
        self.operations: set[str] = set()
        self.foreign: set[tuple[str, str]] = set()
        self._lock = threading.Lock()  # the app's request threads record too

    def __call__(self, params: dict[str, Any], event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        with self._lock:
            self.operations.add(operation)
            for action, table, index in authorised(operation, params):
                if not table.startswith(self.prefix):
                    self.foreign.add((action, table))
                    continue
                base = table.removeprefix(self.prefix)
                self.calls.add((action, f"{base}/index/{index}" if index else base))


def authorised(operation: str, params: dict[str, Any]) -> Iterator[tuple[str, str, str | None]]:
    """(action, table, index) for each permission IAM checks on one call."""
    if operation == "TransactWriteItems":
        for item in params["TransactItems"]:
            for kind, request in item.items():
                yield TRANSACT_WRITE[kind], request["TableName"], None
    elif operation == "TransactGetItems":
        for item in params["TransactItems"]:
            yield "GetItem", item["Get"]["TableName"], None
    elif operation in ("BatchGetItem", "BatchWriteItem"):
        for table in params["RequestItems"]:
            yield operation, table, None
    else:
        yield operation, params.get("TableName", "*"), params.get("IndexName")


def granted() -> set[tuple[str, str]]:
    """What ACCESS and INDEX_QUERIES grant, as the recorder names calls."""
    pairs = {(action, base) for base, actions in ACCESS.items() for action in actions}
    pairs |= {
        ("Query", f"{base}/index/{index}")
        for base, indexes in INDEX_QUERIES.items()
        for index in indexes
    }
    return pairs


def _rebind() -> None:
    db.bind(settings(), fresh=True)  # clients made by the session in place now


@pytest.fixture
def recorder(base_url: str) -> Iterator[Recorder]:
    """Every pynamodb connection made from here on records its calls, in any thread.

    pynamodb makes a botocore session per thread and connection with `get_session`
    (pynamodb/connection/base.py), and a session's handlers are copied into the
    clients it creates: a rebind gives every model and the transactions' connection
    such a client. Undone, and rebound to plain clients, afterwards.
    """
    import pynamodb.connection.base as pynamodb_base

    recorder = Recorder(settings().table_prefix)
    original = pynamodb_base.get_session

    def recording_session() -> Session:
        session = original()
        session.register("before-parameter-build.dynamodb", recorder)
        return session

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pynamodb_base, "get_session", recording_session)
        _rebind()
        try:
            yield recorder
        finally:
            patch.undo()
            _rebind()


@pytest.fixture
def google(
    google_peer: GooglePeer,  # noqa: F811 - the imported fixture
    new_root: Callable[..., Root],
) -> Iterator[GooglePeer]:
    """Google's Wallet API and callback signing keys at the peer, as deployed at Google."""
    new_root(
        GOOGLE_WALLET_API_URL=google_peer.api_url,
        GOOGLE_SERVICE_ACCOUNT_FILE=str(google_peer.service_account_file),
        GOOGLE_KEYS_URL=google_peer.keys_url,
    )
    google_wallet.client().backoff_base = 0.005  # milliseconds of backoff, not seconds
    root = new_key()
    google_peer.set_root_keys(root_keys_document((root, now_ms() + DAY_MS)))
    google_peer.signing_keys = (root, new_key())
    yield google_peer


# --- the run -----------------------------------------------------------------------------


def _operator_lambda() -> None:
    from chalice.test import Client

    from app import app

    email = f"owner-{uuid.uuid4().hex[:10]}@example.com"
    with Client(app, stage_name="local") as lambdas:
        made = lambdas.lambda_.invoke("create_merchant", {"name": "Café", "owner_email": email})
    assert "merchant_id" in made.payload, made.payload


def _staff_and_sign_in(client: httpx.Client, merchant: Merchant) -> None:
    owner = merchant.auth("owner")
    email = f"till-{uuid.uuid4().hex[:10]}@example.com"
    # A staff account's location is one of the merchant's programs' (a Query of them).
    program_with_locations(client, merchant, "bar")
    made = client.post(
        "/v1/staff",
        json={"email": email, "name": "Till", "role": "barista", "location_id": "bar"},
        headers=owner,
    )
    assert made.status_code == 201, made.text
    staff_id, password = made.json()["staff_id"], made.json()["password"]
    assert client.get("/v1/staff", params={"limit": 2}, headers=owner).status_code == 200
    changed = client.patch(f"/v1/staff/{staff_id}", json={"daily_stamp_cap": 50}, headers=owner)
    assert changed.status_code == 200, changed.text
    tablet = client.post(f"/v1/staff/{staff_id}/tokens", json={"ttl_seconds": 600}, headers=owner)
    assert tablet.status_code == 201, tablet.text
    good = client.post("/v1/auth/login", json={"email": email, "password": password})
    bad = client.post("/v1/auth/login", json={"email": email, "password": "x" + password})
    assert (good.status_code, bad.status_code) == (200, 401)
    reset = client.post(f"/v1/staff/{staff_id}/password", headers=owner)
    assert reset.status_code == 200, reset.text
    assert client.delete(f"/v1/staff/{staff_id}", headers=owner).status_code == 204


class Phone:
    """Wallet on an iPhone: the pass downloaded, then Apple's web service."""

    def __init__(self, client: httpx.Client, enrolment: dict) -> None:
        url = urlsplit(enrolment["passes"]["apple_url"])
        download = client.get(f"{url.path}?{url.query}")
        assert download.status_code == 200, download.text
        with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
            token = json.loads(archive.read("pass.json"))["authenticationToken"]
        self.client = client
        self.headers = {"Authorization": f"ApplePass {token}"}
        self.serial = enrolment["member_id"]
        self.registrations = f"/apple/v1/devices/{uuid.uuid4().hex}/registrations/{PASS_TYPE}"

    def register(self) -> int:
        token = uuid.uuid4().hex * 2
        return self.client.post(
            f"{self.registrations}/{self.serial}", json={"pushToken": token}, headers=self.headers
        ).status_code

    def list_and_fetch(self) -> tuple[int, int]:
        listed = self.client.get(self.registrations)
        fetched = self.client.get(
            f"/apple/v1/passes/{PASS_TYPE}/{self.serial}", headers=self.headers
        )
        return listed.status_code, fetched.status_code

    def unregister(self) -> int:
        return self.client.delete(
            f"{self.registrations}/{self.serial}", headers=self.headers
        ).status_code


def _stamp_card(client: httpx.Client, merchant: Merchant) -> tuple[str, dict, Phone]:
    """A stamp card with every section, a member with a phone, and the ledger's moves."""
    document = card(
        stamps={"required": 3, "reward": {"name": "Free coffee"}},
        welcome={"stamps": 1},
        birthday={"reward": {"name": "Cake"}, "valid_days": 14},
        expiry={"mode": "after_days", "days": 365},
        reward_valid_days=30,
        tiers=[{"name": "Bronze", "threshold": 0}, {"name": "Gold", "threshold": 20}],
        tier_window_days=90,
        limits={"cooldown_seconds": 0, "max_per_day": 20},
        design={"background_color": "#3B2A20", "logo_text": "Test Café"},
    )
    program_id = create_program(client, merchant, document)["program_id"]
    manager, barista = merchant.auth("manager"), merchant.auth("barista")
    assert client.get("/v1/programs", headers=manager).status_code == 200
    assert client.get(f"/v1/programs/{program_id}").status_code == 200
    assert client.get(f"/join/{program_id}").status_code == 200
    assert client.get(f"/v1/programs/{program_id}/images/logo.png").status_code == 200
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    first = enrol(client, program_id, email, birthday="1990-03-04")
    assert enrol(client, program_id, email)["status"] == "already_enrolled"
    member_id = first["member_id"]
    phone = Phone(client, first)
    assert (phone.register(), phone.register()) == (201, 200)  # the second: a new push token
    assert phone.list_and_fetch() == (200, 200)

    scanned = client.post("/v1/scans", json={"barcode": first["barcode"]}, headers=barista)
    assert scanned.status_code == 200, scanned.text
    typed = client.post("/v1/scans", json={"card_number": first["card_number"]}, headers=barista)
    assert typed.status_code == 200, typed.text
    assert client.get(f"/v1/members/{member_id}", headers=barista).status_code == 200
    found = client.get("/v1/members", params={"email": email}, headers=barista)
    assert [m["member_id"] for m in found.json()["items"]] == [member_id]
    assert client.get(f"/v1/programs/{program_id}/members", headers=manager).status_code == 200
    stamped = stamp(client, merchant, member_id, count=2)
    assert stamped.status_code == 200, stamped.text
    (reward,) = stamped.json()["rewards_unlocked"]
    redeemed = redeem(client, merchant, member_id, reward_id=reward["reward_id"])
    assert redeemed.status_code == 200, redeemed.text
    stamped_again = stamp(client, merchant, member_id, count=1)
    for receipt in (stamped_again, redeemed):
        voided = void(client, merchant, receipt.json()["transaction"]["transaction_id"])
        assert voided.status_code == 200, voided.text
    assert len(ledger(client, merchant, member_id)) >= 5

    changed = client.patch(
        f"/v1/programs/{program_id}",
        json={"design": {"background_color": "#112233"}},
        headers=merchant.auth("owner"),
    )
    assert changed.status_code == 200, changed.text
    job_id = changed.json()["pass_updates"]["job_id"]
    assert client.get(f"/v1/jobs/{job_id}", headers=manager).status_code == 200
    return program_id, first, phone


def _points_and_erasure(client: httpx.Client, merchant: Merchant) -> None:
    program = create_program(client, merchant, POINTS_CARD)
    member_id = enrol(client, program["program_id"])["member_id"]
    assert purchase(client, merchant, member_id, "80.00").status_code == 200
    resent = client.post(f"/v1/members/{member_id}/card-email", headers=merchant.auth("barista"))
    assert resent.status_code == 200, resent.text
    spent = redeem(client, merchant, member_id, catalog_item_id="espresso")
    assert spent.status_code == 200, spent.text
    erased = client.delete(f"/v1/members/{member_id}", headers=merchant.auth("owner"))
    assert erased.status_code == 204, erased.text


def _reports(client: httpx.Client, merchant: Merchant, program_id: str) -> None:
    """Statistics, and an alert: a new account's 60 stamps in a day flag it (by name)."""
    busy = create_program(client, merchant, STAMP_CARD)
    member_id = enrol(client, busy["program_id"])["member_id"]
    for _ in range(2):
        assert stamp(client, merchant, member_id, count=30).status_code == 200
    manager = merchant.auth("manager")
    today = date.today()
    days = {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}
    stats = client.get(f"/v1/programs/{program_id}/stats", params=days, headers=manager)
    assert stats.status_code == 200, stats.text
    alerts = client.get("/v1/alerts", headers=manager)
    assert alerts.status_code == 200, alerts.text
    assert merchant.staff_ids["barista"] in {a["staff_id"] for a in alerts.json()["items"]}
    barista = merchant.staff_ids["barista"]
    actions = client.get(f"/v1/staff/{barista}/transactions", headers=manager)
    assert len(actions.json()["items"]) >= 2, actions.text


def _google_callbacks(client: httpx.Client, google: GooglePeer, member_id: str) -> None:
    root, intermediate = google.signing_keys
    for event in ("save", "del"):
        message = callback_message(event, object_id=f"{ISSUER}.{member_id}")
        body = callback_body(root, intermediate, ISSUER, message)
        assert client.post("/google/callbacks", content=body).status_code == 200


def _deliver_everything(now: datetime | None = None) -> dict[str, int]:
    """The sweeper past the coalescing window (pushes logged, Google at the peer)."""
    from chalicelib.services import delivery

    now = now or clock.now() + timedelta(seconds=5)
    totals: dict[str, int] = {}
    for _ in range(3):
        for outcome, n in delivery.sweep(now=now).items():
            totals[outcome] = totals.get(outcome, 0) + n
    return totals


def _redrive(merchant: Merchant, program_id: str, member_id: str) -> str:
    """The operator's re-drive of a dead-lettered pass update, its message as delivery wrote it."""
    from chalicelib.services import delivery

    message = {
        "outbox_id": f"pass#{member_id}",
        "kind": "pass",
        "member_id": member_id,
        "program_id": program_id,
        "merchant_id": merchant.merchant_id,
        "reason": "stamp",
        "notify": False,
        "version": 1,
        "shard": 0,
        "created_at": clock.iso(clock.now()),
        "attempts": 10,
        "error": "APNs 500",
    }
    return delivery.redrive(json.dumps(message))


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


def _scheduled_jobs(merchant: Merchant) -> None:
    """The three jobs over a member of 2061 (a year no other test pretends), each finding it."""
    from chalicelib.jobs import birthday, expiry, tiers

    owner = auth.Principal(merchant.staff_ids["owner"], merchant.merchant_id, Role.owner, None)
    document = {
        "name": "Beans",
        "kind": "points",
        "points": {"per_unit": "1", "currency": "EUR"},
        "expiry": {"mode": "after_days", "days": 30},
        "birthday": {"reward": {"name": "Cake"}, "valid_days": 14},
        "tiers": [{"name": "Bronze", "threshold": 0}, {"name": "Silver", "threshold": 100}],
        "tier_window_days": 30,
    }
    program_id = programs.create_program(owner, Program.model_validate(document)).program_id
    claims = auth.decode_token(merchant.tokens["barista"])
    with pretending(_at("2061-09-01")):
        email = f"m-{ids.new_id().lower()}@example.com"
        member_id = members.enrol(program_id, "Ada", email, "09-17", False).member.member_id
        body = {"amount": {"amount": "150", "currency": "EUR"}}
        ledger_service.record_purchase(claims, member_id, "150", "EUR", key(), body)

    # The day of each is the rules': birthday 17 Sep, a warning 7 days before the points'
    # last day (1 Oct), the tier's earnings out of its 30-day window on 1 Oct.
    assert birthday.run(_at("2061-09-17"))["granted"] >= 1  # others of a 17 Sep too
    assert expiry.run(_at("2061-09-24"))["warned"] == 1
    assert tiers.run(_at("2061-10-02"))["changed"] == 1
    assert expiry.run(_at("2061-10-02"))["expired"] == 1
    # Their pass updates are due in 2061: delivered now, so no later test finds them pending.
    assert _deliver_everything(_at("2061-10-03")).get("delivered", 0) >= 1


def _run(client: httpx.Client, merchant: Merchant, google: GooglePeer) -> None:
    assert client.get("/v1/health").status_code == 200
    assert client.get("/v1/health/outbox", headers=merchant.auth("manager")).status_code == 200
    _operator_lambda()
    _staff_and_sign_in(client, merchant)
    program_id, enrolment, phone = _stamp_card(client, merchant)
    _points_and_erasure(client, merchant)
    _reports(client, merchant, program_id)
    _google_callbacks(client, google, enrolment["member_id"])
    assert _deliver_everything().get("delivered", 0) >= 3
    assert _redrive(merchant, program_id, enrolment["member_id"]) == "redriven"
    assert _deliver_everything().get("delivered", 0) >= 1
    assert phone.unregister() == 200
    _scheduled_jobs(merchant)


# --- the checks ----------------------------------------------------------------------------


def _refused(calls: set[tuple[str, str]]) -> list[str]:
    """The calls ACCESS, INDEX_QUERIES or a deployed stage's policy document would refuse."""
    problems = []
    for action, resource in sorted(calls):
        base, _, index = resource.partition("/index/")
        listed = index in INDEX_QUERIES.get(base, ()) if index else action in ACCESS.get(base, ())
        if not listed or (index and action != "Query"):
            problems.append(f"not in ACCESS/INDEX_QUERIES: {action} on {resource}")
    for name in DEPLOYED:
        stage = stages.load(name)
        document = policy(stage)
        for action, resource in sorted(calls):
            arn = f"arn:aws:dynamodb:eu-west-1:123456789012:table/{stage.table_prefix}{resource}"
            if not allowed(document, f"dynamodb:{action}", arn):
                problems.append(f"refused by policy-{name}.json: {action} on {arn}")
    return problems


def _policy_grants(name: str) -> set[tuple[str, str]]:
    """The (action, table or table/index/name) pairs a stage's policy grants on its tables."""
    stage = stages.load(name)
    tables = f"arn:aws:dynamodb:*:*:table/{stage.table_prefix}"
    pairs = set()
    for statement in policy(stage)["Statement"]:
        actions = statement["Action"]
        resources = statement["Resource"]
        for action in [actions] if isinstance(actions, str) else actions:
            for resource in [resources] if isinstance(resources, str) else resources:
                # The stream's grants serve Lambda's poller, not the code's calls.
                if resource.startswith(tables) and "/stream/" not in resource:
                    pairs.add((action.removeprefix("dynamodb:"), resource.removeprefix(tables)))
    return pairs


def test_every_dynamodb_call_is_allowed_and_every_grant_is_used(
    client: httpx.Client,
    merchant: Merchant,
    google: GooglePeer,
    recorder: Recorder,
) -> None:
    _run(client, merchant, google)

    forbidden = sorted(recorder.operations & FORBIDDEN)
    refused = _refused(recorder.calls)
    unused = sorted(granted() - recorder.calls)
    unused += [
        f"{name}: {pair}" for name in DEPLOYED for pair in _policy_grants(name) - recorder.calls
    ]
    assert not forbidden, f"the run called {forbidden}: Scans and table management are refused"
    assert not recorder.foreign, f"calls to tables of another prefix: {sorted(recorder.foreign)}"
    assert not refused, "\n".join(refused)
    assert not unused, f"granted but never used (extend the run or drop the grant): {unused}"
