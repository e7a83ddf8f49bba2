"""DynamoDB request units per stamp, enrolment, redemption, pass download and push, and their cost.

Members' lives on the demo programs (localrun/seed.py; the stamp card gains a birthday
treat), run through the real code against the embedded DynamoDB:

    enrol -> its pass update delivered -> pass downloaded -> device registered
    10 visits: scan, stamp (the 10th unlocks the reward), the push delivered, the
               phone lists its updated passes and fetches the pass
    redeem the reward (+ push and refresh); a birthday treat granted by the job (+ the same)
    a member of the points program: enrolled with the welcome gift, a purchase
    fixed: a minute of the outbox sweeper, an hour of each scheduled job, nothing due

Each step runs as its Lambda would: HTTP routes through Chalice's local API Gateway
(what `make run` serves), deliveries through the outbox stream's handler (and the
REMOVE record a delivery's delete sends it), the sweeper and jobs through their
scheduled handlers. Every DynamoDB call is priced by bench/meter.py. Caches that
expire (programs 60 s, merchant zones 5 min) are emptied before each step: at a
café's pace a Lambda container seldom finds them warm. A member's visits with warm
caches give the busy-hour figure.

Timings: this machine's wall time per step, the median over the lives, the embedded
server included and the meter's read-backs excluded, rounded up to the millisecond as
Lambda bills; a stand-in for Lambda's billed duration. Log bytes: the lines the service
logs or prints (CloudWatch embedded metrics), the local stand-ins for APNs and Google
left out.

Then dollars at the us-east-1 on-demand prices below (docs/cost.md cites each), with
each function's memory from the prod stage of .chalice/config.json.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from bench.capacity import item_size
from bench.meter import Meter, Tally
from deploy import stage as stages

ROOT = Path(__file__).resolve().parent.parent
MEMBERS = 3  # lives run: the timings are their medians
VISITS = 10  # the demo card's `required`: the 10th stamp unlocks the reward
WARM_VISITS = 9  # below the reward: plain stamps

# --- prices: us-east-1, on demand, as published on the pages docs/cost.md cites ------------
WRU = 0.625 / 1e6  # DynamoDB write request unit
RRU = 0.125 / 1e6  # DynamoDB read request unit
STORAGE_GB_MONTH = 0.25  # DynamoDB Standard table class
PITR_GB_MONTH = 0.20  # continuous backups
LAMBDA_REQUEST = 0.20 / 1e6
LAMBDA_GB_SECOND = 0.0000166667  # x86, Chalice's default architecture
API_REQUEST = 3.50 / 1e6  # API Gateway REST API, first 333 million a month
LOGS_GB = 0.50  # CloudWatch Logs ingestion, standard class
TRANSFER_GB = 0.09  # data transfer out to the internet
SECRET_MONTH = 0.40
SECRET_CALL = 0.05 / 10_000
ALARM_MONTH = 0.10
METRIC_MONTH = 0.30  # a custom metric (embedded metric format included)
GB = 1024**3

# --- what the deployment has: deploy/template.py, handlers/outbox.py -----------------------
SECRETS = 3  # SECRETS_ID, APPLE_SECRET_ID, GOOGLE_SERVICE_ACCOUNT_SECRET_ID
ALARMS = 2  # dead letters, outbox age
METRICS = 2  # the sweeper's OutboxOldestAgeSeconds and OutboxPending, one stage

# --- estimated, not measured -------------------------------------------------------------------
PLATFORM_LOG_BYTES = 300  # Lambda's START, END and REPORT lines per invocation
# Cold starts are bounded by time rather than by requests: a container idle this long is
# gone (AWS states no figure), so the API and the stream functions start afresh at most
# this often while the café is open; the sweeper, run every minute, stays warm.
IDLE_MINUTES = 10
OPEN_HOURS = 12
DAYS = 30
JOBS = {"expiry": "expire_points", "birthday": "birthday_rewards", "tiers": "review_tiers"}


def memory_mb(function: str) -> int:
    """A function's memory in the prod stage (.chalice/config.json), as Chalice resolves it."""
    return stages.load("prod").memory_of(function)


# --- figures per run, and sums of them -------------------------------------------------------


@dataclass
class Cost:
    """One run of a step, or a weighted sum of steps (a visit, an enrolment)."""

    calls: dict[str, float] = field(default_factory=dict)
    rru: float = 0.0
    wru: float = 0.0
    index_wru: float = 0.0
    ms: float = 0.0
    gb_seconds: float = 0.0
    log_bytes: float = 0.0
    response_bytes: float = 0.0
    api_requests: float = 0.0
    invocations: float = 0.0

    @classmethod
    def of(cls, tally: Tally, function: str, invocation: bool = True) -> Cost:
        runs = tally.runs or 1
        # Lambda bills duration rounded up to the millisecond.
        ms = math.ceil(statistics.median(tally.seconds) * 1000) if tally.seconds else 0
        return cls(
            calls={op: n / runs for op, n in tally.calls.items()},
            rru=tally.rru / runs,
            wru=tally.wru / runs,
            index_wru=tally.index_wru / runs,
            ms=ms,
            gb_seconds=ms / 1000 * memory_mb(function) / 1024,
            log_bytes=tally.log_bytes / runs,
            response_bytes=tally.response_bytes / runs,
            api_requests=1.0 if function == "api_handler" else 0.0,
            invocations=1.0 if invocation else 0.0,
        )

    def __add__(self, other: Cost) -> Cost:
        calls = dict(self.calls)
        for op, n in other.calls.items():
            calls[op] = calls.get(op, 0.0) + n
        return Cost(calls, *(getattr(self, f) + getattr(other, f) for f in _SUMMED))

    def __mul__(self, weight: float) -> Cost:
        calls = {op: n * weight for op, n in self.calls.items()}
        return Cost(calls, *(getattr(self, f) * weight for f in _SUMMED))

    @property
    def requests(self) -> float:
        return sum(self.calls.values())

    def dollars(self) -> dict[str, float]:
        """What this costs, by service (the free tier ignored)."""
        log_bytes = self.log_bytes + self.invocations * PLATFORM_LOG_BYTES
        return {
            "DynamoDB reads": self.rru * RRU,
            "DynamoDB writes": (self.wru + self.index_wru) * WRU,
            "Lambda requests": self.invocations * LAMBDA_REQUEST,
            "Lambda duration": self.gb_seconds * LAMBDA_GB_SECOND,
            "API Gateway": self.api_requests * API_REQUEST,
            "CloudWatch Logs": log_bytes / GB * LOGS_GB,
            "data transfer out": self.response_bytes / GB * TRANSFER_GB,
        }

    def total(self) -> float:
        return sum(self.dollars().values())


_SUMMED = (
    "rru",
    "wru",
    "index_wru",
    "ms",
    "gb_seconds",
    "log_bytes",
    "response_bytes",
    "api_requests",
    "invocations",
)


def total(parts: Iterable[Cost]) -> Cost:
    result = Cost()
    for part in parts:
        result = result + part
    return result


# --- the service, in this process ------------------------------------------------------------


class Gateway:
    """HTTP requests through Chalice's local API Gateway, as `make run` serves them."""

    def __init__(self, app: Any, meter: Meter) -> None:
        from chalice.config import Config
        from chalice.local import LocalGateway

        config = Config.create(chalice_stage="bench", app_name=app.app_name, lambda_timeout=900)
        self._gateway = LocalGateway(app, config)
        self._meter = meter

    def call(
        self, method: str, path: str, body: dict | None = None, headers: dict | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        sent = {k.lower(): v for k, v in (headers or {}).items()}
        data = b""
        if body is not None:
            data = json.dumps(body).encode()
            sent["content-type"] = "application/json"
        response = self._gateway.handle_request(method=method, path=path, headers=sent, body=data)
        payload = response.get("body") or b""
        payload = payload if isinstance(payload, bytes) else payload.encode()
        if self._meter.label is not None:
            self._meter.tallies[self._meter.label].response_bytes += len(payload)
        status = response["statusCode"]
        if status >= 400:
            raise RuntimeError(f"{method} {path} answered {status}: {payload[:300]!r}")
        return status, {k.lower(): v for k, v in response["headers"].items()}, payload


# The local stand-ins for APNs and Google log what a deployed stage sends instead.
_STAND_INS = ("would push to", "google wallet (not sent)")


class LogBytes(logging.Handler):
    """Bytes the service logs under the meter's label: what Lambda ships to CloudWatch."""

    def __init__(self, meter: Meter) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        self._meter = meter

    def emit(self, record: logging.LogRecord) -> None:
        if self._meter.label is None or record.getMessage().startswith(_STAND_INS):
            return
        self._meter.tallies[self._meter.label].log_bytes += len(self.format(record).encode()) + 1


class PrintedBytes(io.TextIOBase):
    """stdout while a step runs: counted (embedded metrics are printed), not shown."""

    def __init__(self, meter: Meter, out: Any) -> None:
        self._meter, self._out = meter, out

    def write(self, text: str) -> int:
        if self._meter.label is None:
            return self._out.write(text)
        self._meter.tallies[self._meter.label].log_bytes += len(text.encode())
        return len(text)

    def flush(self) -> None:
        self._out.flush()


def forget_caches() -> None:
    """Start from a new root, as a new container does: no cached program or time zone."""
    from chalicelib import root

    root.install(root.build())


def scheduled_event() -> dict[str, Any]:
    """What EventBridge hands a scheduled function."""
    return {
        "version": "0",
        "id": uuid.uuid4().hex,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [],
        "detail": {},
    }


def stream_event(name: str, outbox_id: str, image: dict[str, Any] | None) -> dict[str, Any]:
    """What the outbox table's stream hands its function: one record (a quiet café's batch)."""
    dynamodb: dict[str, Any] = {
        "ApproximateCreationDateTime": time.time(),
        "Keys": {"outbox_id": {"S": outbox_id}},
        "SequenceNumber": "1",
        "SizeBytes": item_size(image),
        "StreamViewType": "NEW_IMAGE",
    }
    if image is not None:
        dynamodb["NewImage"] = image
    return {
        "Records": [
            {
                "eventID": uuid.uuid4().hex,
                "eventName": name,
                "eventSource": "aws:dynamodb",
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/outbox/stream/x",
                "awsRegion": "us-east-1",
                "dynamodb": dynamodb,
            }
        ]
    }


@dataclass
class Phone:
    """An iPhone holding one member's pass: what Wallet asks of the web service."""

    http: Gateway
    member_id: str
    auth: str
    pass_type: str
    device_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    tag: str | None = None
    last_modified: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"ApplePass {self.auth}"}

    def register(self) -> None:
        self.http.call(
            "POST",
            f"/apple/v1/devices/{self.device_id}/registrations/{self.pass_type}/{self.member_id}",
            {"pushToken": uuid.uuid4().hex * 2},
            self.headers,
        )

    def list_updated(self) -> None:
        path = f"/apple/v1/devices/{self.device_id}/registrations/{self.pass_type}"
        if self.tag:
            path += f"?passesUpdatedSince={quote(self.tag)}"
        status, _, body = self.http.call("GET", path)
        if status == 200:
            self.tag = json.loads(body)["lastUpdated"]

    def fetch(self) -> None:
        extra = {"If-Modified-Since": self.last_modified} if self.last_modified else {}
        _, headers, _ = self.http.call(
            "GET", f"/apple/v1/passes/{self.pass_type}/{self.member_id}", None, self.headers | extra
        )
        self.last_modified = headers.get("last-modified", self.last_modified)


# --- the scenario ----------------------------------------------------------------------------


@dataclass
class Run:
    meter: Meter
    http: Gateway
    barista: dict[str, str]
    pass_type: str
    cold: bool = True
    functions: dict[str, str] = field(default_factory=dict)  # step -> the Lambda it runs in

    def step(self, label: str, action: Callable[[], Any], function: str = "api_handler") -> Any:
        self.functions[label] = function
        if self.cold:
            forget_caches()
        with self.meter.measure(label):
            return action()

    def deliver(self, member_id: str, label: str) -> None:
        """The stream's MODIFY record delivers the pass update; then its REMOVE record."""
        from chalicelib.handlers.outbox import outbox_changed
        from chalicelib.services import delivery
        from chalicelib.store.models import OutboxItem

        outbox_id = f"pass#{member_id}"
        image = self.meter.stored_item(OutboxItem.Meta.table_name, {"outbox_id": {"S": outbox_id}})
        delivered = delivery.stats()["delivered"]
        self.step(
            label,
            lambda: outbox_changed(stream_event("MODIFY", outbox_id, image), None),
            "outbox_changed",
        )
        if delivery.stats()["delivered"] != delivered + 1:
            raise RuntimeError(f"{outbox_id} was not delivered")
        self.step(
            "stream: REMOVE record of a delivered item",
            lambda: outbox_changed(stream_event("REMOVE", outbox_id, None), None),
            "outbox_changed",
        )

    def refresh(self, phone: Phone, prefix: str = "") -> None:
        """What a pushed iPhone does: list its changed passes, fetch the pass."""
        self.step(f"{prefix}device: list updated passes", phone.list_updated)
        self.step(f"{prefix}device: fetch pass", phone.fetch)

    def enrol(self, program_id: str, label: str, birthday: str | None = None) -> dict:
        body = {
            "name": "Ada",
            "email": f"ada-{uuid.uuid4().hex[:10]}@example.com",
            "consent": {"terms": True},
            **({"birthday": birthday} if birthday else {}),
        }
        _, _, payload = self.step(
            label, lambda: self.http.call("POST", f"/v1/programs/{program_id}/enrollments", body)
        )
        return json.loads(payload)

    def visit(self, phone: Phone, barcode: str, unlocking: bool, prefix: str = "") -> dict:
        """The barista scans the card and stamps it; the push; the phone's refresh."""
        self.step(
            f"{prefix}scan",
            lambda: self.http.call("POST", "/v1/scans", {"barcode": barcode}, self.barista),
        )
        _, _, payload = self.step(
            f"{prefix}stamp unlocking a reward" if unlocking else f"{prefix}stamp",
            lambda: self.http.call(
                "POST",
                f"/v1/members/{phone.member_id}/stamps",
                {"count": 1, "idempotency_key": uuid.uuid4().hex},
                self.barista,
            ),
        )
        what = "reward unlocked" if unlocking else "stamp"
        self.deliver(phone.member_id, f"{prefix}outbox delivery: {what}")
        self.refresh(phone, prefix)
        return json.loads(payload)


def life(run: Run, stamps_id: str, points_id: str, birthday: date) -> None:
    """A stamp-card member from enrolment to a birthday treat, and a points member."""
    from chalicelib.services import pass_tokens, scheduled

    enrolment = run.enrol(stamps_id, "enrolment: stamp card", birthday.strftime("1990-%m-%d"))
    member_id = enrolment["member_id"]
    run.deliver(member_id, "outbox delivery: enrolment (no device yet)")
    url = urlsplit(enrolment["passes"]["apple_url"])
    run.step("pass download", lambda: run.http.call("GET", f"{url.path}?{url.query}"))
    phone = Phone(run.http, member_id, pass_tokens.auth_token(member_id), run.pass_type)
    run.step("device registration", phone.register)

    for n in range(1, VISITS + 1):
        answer = run.visit(phone, enrolment["barcode"], unlocking=n == VISITS)
    reward_id = answer["rewards_unlocked"][0]["reward_id"]

    run.step(
        "redemption",
        lambda: run.http.call(
            "POST",
            f"/v1/members/{member_id}/redemptions",
            {"reward_id": reward_id, "idempotency_key": uuid.uuid4().hex},
            run.barista,
        ),
    )
    run.deliver(member_id, "outbox delivery: redemption")
    run.refresh(phone)

    # The job's work for one member due, without the run around it (measured apart).
    at = datetime(birthday.year, birthday.month, birthday.day, 11, tzinfo=UTC)
    outcome = run.step(
        "birthday job: one member granted",
        lambda: scheduled.grant_birthday(member_id, birthday, at=at),
        "birthday_rewards",
    )
    if outcome != "granted":
        raise RuntimeError(f"birthday: {outcome}")
    run.deliver(member_id, "outbox delivery: birthday treat")
    run.refresh(phone)

    points = run.enrol(points_id, "enrolment: points card with welcome gift")
    run.deliver(points["member_id"], "outbox delivery: enrolment (no device yet)")
    run.step(
        "purchase (points)",
        lambda: run.http.call(
            "POST",
            f"/v1/members/{points['member_id']}/purchases",
            {"amount": {"amount": "4.50", "currency": "EUR"}, "idempotency_key": uuid.uuid4().hex},
            run.barista,
        ),
    )
    run.deliver(points["member_id"], "outbox delivery: purchase")


def busy_hour(run: Run, stamps_id: str) -> None:
    """A member's visits with the caches warm: a container serving a busy hour."""
    from chalicelib.services import pass_tokens

    enrolment = run.enrol(stamps_id, "(warm-up)")
    member_id = enrolment["member_id"]
    run.deliver(member_id, "(warm-up)")
    phone = Phone(run.http, member_id, pass_tokens.auth_token(member_id), run.pass_type)
    phone.register()
    run.cold = False
    for _ in range(WARM_VISITS):
        run.visit(phone, enrolment["barcode"], unlocking=False, prefix="warm: ")
    run.cold = True


def fixed_work(run: Run) -> None:
    """The work no member causes: the sweeper's minute and each job's hour, nothing due.

    Each job runs once first: that run checkpoints its catch-up days as done, as the
    runs of the days before would have.
    """
    from chalicelib.handlers import schedules as jobs
    from chalicelib.handlers.outbox import sweep_outbox

    run.step(
        "outbox sweeper run, nothing due",
        lambda: sweep_outbox(scheduled_event(), None),
        "sweep_outbox",
    )
    for name, function in JOBS.items():
        handler = getattr(jobs, function)
        handler(scheduled_event(), None)
        run.step(
            f"hourly job run: {name}, nothing due",
            lambda h=handler: h(scheduled_event(), None),
            function,
        )


# --- storage ----------------------------------------------------------------------------------


@dataclass
class Stored:
    items: int = 0
    bytes: int = 0  # with DynamoDB's 100 bytes of overhead per item and per index entry

    @property
    def average(self) -> float:
        return self.bytes / self.items if self.items else 0.0


def storage(meter: Meter, tables: dict[str, str]) -> dict[str, Stored]:
    """What each table holds after the scenario, index entries included."""
    found: dict[str, Stored] = {}
    for name, table in tables.items():
        shape = meter.shape(table)
        stored = Stored()
        for item in meter.stored(table):
            stored.items += 1
            stored.bytes += item_size(item) + 100
            for index in shape.indexes:
                entry = index.entry(item, shape.keys)
                if entry is not None:
                    stored.bytes += item_size(entry) + 100
        found[name] = stored
    return found


# --- printing -----------------------------------------------------------------------------

SHORT = {
    "GetItem": "Get",
    "BatchGetItem": "BatchGet",
    "TransactGetItems": "TxGet",
    "TransactWriteItems": "TxWrite",
    "PutItem": "Put",
    "UpdateItem": "Update",
    "DeleteItem": "Delete",
    "BatchWriteItem": "BatchWrite",
}
HEADER = (
    f"{'step':<44} {'runs':>4} {'reqs':>6}  {'RRU':>6} {'WRU':>6} {'+index':>6}"
    f" {'ms':>5} {'log B':>6} {'resp B':>7}  DynamoDB requests per run"
)


def calls_text(calls: dict[str, float]) -> str:
    return ", ".join(f"{SHORT.get(op, op)} {round(n, 2):g}" for op, n in sorted(calls.items()) if n)


def row(label: str, cost: Cost, runs: int | str = "") -> str:
    return (
        f"{label:<44} {runs!s:>4} {cost.requests:>6.2f}  {cost.rru:>6.2f} {cost.wru:>6.2f}"
        f" {cost.index_wru:>6.2f} {cost.ms:>5.0f} {cost.log_bytes:>6.0f}"
        f" {cost.response_bytes:>7.0f}  {calls_text(cost.calls)}"
    )


def money(value: float) -> str:
    """Dollars to the cent, or to three significant digits below a cent."""
    if value >= 0.01 or value == 0:
        return f"${value:,.2f}"
    return f"${value:.{2 - math.floor(math.log10(value))}f}"


def app_import_seconds(times: int = 3) -> float:
    """`import app` in fresh interpreters, the median: most of a cold start's INIT, here."""
    code = "import time; t = time.perf_counter(); import app; print(time.perf_counter() - t)"
    found = []
    for _ in range(times):
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "LOG_LEVEL": "WARNING"},
        )
        found.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(found)


@dataclass
class Figures:
    """The composites the report prices."""

    steps: dict[str, Cost]
    visit: Cost
    enrolment: Cost
    redemption: Cost
    push: Cost
    birthday: Cost
    composites: dict[str, Cost]


def figures(run: Run) -> Figures:
    steps = {
        label: Cost.of(tally, run.functions[label])
        for label, tally in run.meter.tallies.items()
        if not label.startswith("(")
    }
    remove = steps["stream: REMOVE record of a delivered item"]
    refresh = steps["device: list updated passes"] + steps["device: fetch pass"]
    plain, unlocking = 1 - 1 / VISITS, 1 / VISITS
    stamp = steps["stamp"] * plain + steps["stamp unlocking a reward"] * unlocking
    visit = (
        steps["scan"]
        + stamp
        + steps["outbox delivery: stamp"] * plain
        + steps["outbox delivery: reward unlocked"] * unlocking
        + remove
        + refresh
    )
    warm_visit = (
        steps["warm: scan"]
        + steps["warm: stamp"]
        + steps["warm: outbox delivery: stamp"]
        + remove
        + steps["warm: device: list updated passes"]
        + steps["warm: device: fetch pass"]
    )
    enrolment = (
        steps["enrolment: stamp card"]
        + steps["outbox delivery: enrolment (no device yet)"]
        + remove
        + steps["pass download"]
        + steps["device registration"]
    )
    redemption = steps["redemption"] + steps["outbox delivery: redemption"] + remove + refresh
    deliveries = [
        "outbox delivery: stamp",
        "outbox delivery: reward unlocked",
        "outbox delivery: redemption",
        "outbox delivery: birthday treat",
    ]
    push = total(steps[d] for d in deliveries) * (1 / len(deliveries)) + remove + refresh
    # The grant runs inside the job's hourly invocation: no invocation of its own.
    grant = steps["birthday job: one member granted"] * 1
    grant.invocations = 0
    birthday = grant + steps["outbox delivery: birthday treat"] + remove + refresh
    composites = {
        "a visit: scan + stamp + push + phone refresh": visit,
        "  its stamp request alone (mean of 10)": stamp,
        "  the same visit with warm caches": warm_visit,
        "an enrolment: + push + download + register": enrolment,
        "a redemption: + push + phone refresh": redemption,
        "a pass download": steps["pass download"],
        "a push delivered: delivery + phone refresh": push,
        "a birthday treat: grant + push + refresh": birthday,
    }
    return Figures(steps, visit, enrolment, redemption, push, birthday, composites)


def report(run: Run, stored: dict[str, Stored], init_seconds: float) -> None:
    found = figures(run)
    print(HEADER)
    for label, cost in found.steps.items():
        print(row(label, cost, run.meter.tallies[label].runs))
    print("\nper ...")
    print(HEADER.replace("step", "what", 1))
    for label, cost in found.composites.items():
        print(row(label, cost))

    print("\nstored, bytes with 100 B of overhead per item and per index entry:")
    for name, s in stored.items():
        if s.items:
            print(f"  {name:<14} {s.items:>4} items {s.average:>7.0f} B average")
    member_bytes = (
        stored["members"].average
        + stored["registrations"].average
        + stored["uniques"].average  # the enrolment claim
        + stored["idempotency"].average  # about one alive: a 7-day TTL, 4 visits a month
        + 48 * stored["transactions"].average  # a year of visits
    )
    print(f"  a member with a year of visits (48 ledger entries): {member_bytes:,.0f} B")

    print("\nus-east-1 on demand, free tier ignored; Lambda x86, memory as in the prod stage")
    breakdown = (found.visit * 1e6).dollars()
    print("  per million stamps, each a visit as above:")
    for service, dollars in breakdown.items():
        print(f"    {service:<20} {money(dollars):>10}")
    print(f"    {'total':<20} {money(sum(breakdown.values())):>10}")
    for what, cost in (
        ("enrolments", found.enrolment),
        ("redemptions", found.redemption),
        ("pass downloads", found.composites["a pass download"]),
        ("pushes delivered, with the phone's refresh", found.push),
    ):
        print(f"  per million {what}: {money(cost.total() * 1e6)}")

    month = found.visit * 4 + found.redemption * 0.4 + found.birthday * (1 / 12)
    storage_dollars = member_bytes / GB * (STORAGE_GB_MONTH + PITR_GB_MONTH)
    active = month.total() + storage_dollars
    print(
        "  per active member-month (4 visits, 0.4 redemptions, 1/12 birthday treat, "
        f"a year of ledger stored): {money(active)}, storage and PITR {money(storage_dollars)}"
    )

    # A cold start: INIT (billed since August 2025), this machine's full core scaled to
    # Lambda's share (a whole vCPU at 1,769 MB), and the secrets a new container fetches.
    def cold_start(function: str) -> float:
        gb = memory_mb(function) / 1024
        init = init_seconds * 1769 / memory_mb(function)
        return init * gb * LAMBDA_GB_SECOND + SECRETS * SECRET_CALL

    minutes = DAYS * 24 * 60
    sweeps = found.steps["outbox sweeper run, nothing due"] * minutes
    jobs = total(found.steps[f"hourly job run: {name}, nothing due"] for name in JOBS)
    openings = DAYS * OPEN_HOURS * 60 / IDLE_MINUTES
    floor = {
        "outbox sweeper, every minute": sweeps.total(),
        "3 scheduled jobs, hourly": (jobs * (minutes / 60)).total(),
        "  a cold start each": sum(cold_start(f) for f in JOBS.values()) * minutes / 60,
        "API and stream cold starts, at most": openings
        * (cold_start("api_handler") + cold_start("outbox_changed")),
        f"Secrets Manager, {SECRETS} secrets": SECRETS * SECRET_MONTH,
        f"CloudWatch alarms, {ALARMS}": ALARMS * ALARM_MONTH,
        f"CloudWatch custom metrics, {METRICS}": METRICS * METRIC_MONTH,
    }
    api_init = init_seconds * 1769 / memory_mb("api_handler")
    print(
        f"  a cold start of the API: INIT ~{api_init * 1000:.0f} ms (`import app` here,"
        f" {init_seconds * 1000:.0f} ms, x 1769 MB / memory)"
        f" + {SECRETS} GetSecretValue: {money(cold_start('api_handler'))}"
    )
    print(f"  fixed per month ({DAYS} days):")
    for name, value in floor.items():
        print(f"    {name:<38} {money(value):>8}")
    fixed = sum(floor.values())
    print(f"    {'total':<38} {money(fixed):>8}")
    print("  a café's month, every member active; PassKit's plan: $39.50 for 250 passes")
    for members in (250, 2_000, 20_000):
        bill = fixed + members * active
        print(
            f"    {members:>6,} members: {money(bill):>8} a month, "
            f"{money(bill / members)} per member-month"
        )


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-units-"))
    for name in ("DYNAMODB_ENDPOINT", "APNS_ENDPOINT", "GOOGLE_WALLET_API_URL", "SECRETS_ID"):
        os.environ.pop(name, None)
    os.environ.update(
        STAGE="bench",
        SECRETS_DIR=str(folder / "secrets"),
        APPLE_CERTS_DIR=str(folder / "certs"),
        GOOGLE_SERVICE_ACCOUNT_FILE=str(folder / "google.json"),
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="eu-west-1",
        LOG_LEVEL="INFO",  # the deployed stages' level: what CloudWatch receives
        PASSWORD_MEMORY_KIB="1024",
        PASSWORD_TIME_COST="1",
        PUBLIC_BASE_URL="http://127.0.0.1:8000",
        # Every enrolment comes from 127.0.0.1 here.
        ENROLMENT_LIMIT_PER_ADDRESS="0",
    )
    meter = Meter()
    meter.install()  # before pynamodb makes its first session
    # Ours first: with a handler on the root logger, the app adds none that prints.
    logging.getLogger().addHandler(LogBytes(meter))
    from chalicelib import root, secrets
    from chalicelib.store import db
    from chalicelib.store.models import ALL_MODELS
    from localrun import devcerts, devkeys
    from localrun.embedded_dynamodb import EmbeddedDynamoDB

    secrets.generate(folder / "secrets")
    config = root.install(root.build()).settings
    devcerts.generate_dev_chain(
        folder / "certs", config.pass_type_identifier, config.team_identifier
    )
    devkeys.generate_dev_service_account(
        folder / "google.json", "https://oauth2.googleapis.com/token"
    )
    dynamodb = EmbeddedDynamoDB()
    os.environ["DYNAMODB_ENDPOINT"] = dynamodb.start()
    stdout = sys.stdout
    try:
        config = root.install(root.build()).settings
        db.bind(config)
        db.create_tables()
        meter.connect(os.environ["DYNAMODB_ENDPOINT"], config.region)
        sys.stdout = PrintedBytes(meter, stdout)
        run = scenario(meter, config.pass_type_identifier)
        tables = {
            m.Meta.table_name.removeprefix(config.table_prefix): m.Meta.table_name
            for m in ALL_MODELS
        }
        stored = storage(meter, tables)
    finally:
        sys.stdout = stdout
        dynamodb.stop()
        shutil.rmtree(folder, ignore_errors=True)
    report(run, stored, app_import_seconds())


def scenario(meter: Meter, pass_type: str) -> Run:
    from app import app
    from chalicelib.domain.program import Program
    from chalicelib.domain.roles import Role
    from chalicelib.services import auth, delivery, programs, staff
    from localrun.seed import DEMO_POINTS, DEMO_STAMPS

    owner = staff.create_merchant("Bench Café", "owner@bench-cafe.example.com", "Europe/Paris")
    principal = auth.principal_of(owner.staff)
    card = {**DEMO_STAMPS, "birthday": {"reward": {"name": "Birthday treat"}}}
    stamps_id = programs.create_program(principal, Program.model_validate(card)).program_id
    points_id = programs.create_program(principal, Program.model_validate(DEMO_POINTS)).program_id
    # After the programs: a barista's location is one of theirs (the demo's shops).
    barista = staff.create_staff(
        principal, "barista@bench-cafe.example.com", "Sam", Role.barista, "bastille"
    )
    delivery.sweep(now=datetime.now(UTC) + timedelta(minutes=1))  # the programs' class items

    token = auth.issue_token(barista.staff)[0]
    run = Run(meter, Gateway(app, meter), {"Authorization": f"Bearer {token}"}, pass_type)
    birthday = (datetime.now(UTC) + timedelta(days=3)).date()  # no job run reaches it
    for _ in range(MEMBERS):
        life(run, stamps_id, points_id, birthday)
    busy_hour(run, stamps_id)
    fixed_work(run)
    return run


if __name__ == "__main__":
    main()
