"""Shared fixtures: a real DynamoDB-speaking server, the app on a real port, merchants.

Each pytest-xdist worker gets its own embedded server, so tests in different
workers never share a table.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from chalicelib.root import Root

# Before anything imports chalicelib: the settings are read once.
os.environ.update(
    STAGE="test",
    AWS_ACCESS_KEY_ID="test",
    AWS_SECRET_ACCESS_KEY="test",
    AWS_DEFAULT_REGION="eu-west-1",
    PUBLIC_BASE_URL="http://127.0.0.1:1",
    # Cheap argon2id: the suite hashes hundreds of throwaway passwords.
    PASSWORD_MEMORY_KIB="1024",
    PASSWORD_TIME_COST="1",
    # The suite enrols hundreds of members from 127.0.0.1; the limit's own test sets it.
    ENROLMENT_LIMIT_PER_ADDRESS="0",
    # Mail goes to moto's SES, embedded beside the DynamoDB (dynamodb_url).
    MAIL_FROM="cards@loyalty.test",
)
os.environ.pop("DYNAMODB_ENDPOINT", None)
os.environ.pop("SES_ENDPOINT", None)
os.environ.pop("S3_ENDPOINT", None)


@pytest.fixture(scope="session")
def secrets_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from chalicelib import root, secrets
    from localrun import devcerts, devkeys

    folder = tmp_path_factory.mktemp("secrets")
    secrets.generate(folder)
    os.environ["SECRETS_DIR"] = str(folder)
    os.environ["APPLE_CERTS_DIR"] = str(folder / "certs")
    config = root.install(root.build()).settings
    devcerts.generate_dev_chain(
        folder / "certs", config.pass_type_identifier, config.team_identifier
    )
    # A dev Google key signs the save links; no GOOGLE_WALLET_API_URL: calls are logged.
    os.environ["GOOGLE_SERVICE_ACCOUNT_FILE"] = str(folder / "google.json")
    devkeys.generate_dev_service_account(
        folder / "google.json", "https://oauth2.googleapis.com/token"
    )
    root.install(root.build())  # the environment as set above, secrets and keys made afresh
    return folder


@pytest.fixture(scope="session")
def dynamodb_url(secrets_dir: Path) -> Iterator[str]:
    """A real DynamoDB-speaking HTTP server on a free loopback port, tables created.

    moto's SES is served beside it, the sender verified: every test that mails
    (an enrolment of an address already enrolled) sends there, never to AWS; and
    moto's S3, with the brand images' bucket.
    """
    from chalicelib import blobs, mail, root
    from chalicelib.store import db
    from deploy.stage import Stage
    from deploy.template import tables
    from localrun.embedded_dynamodb import EmbeddedDynamoDB, EmbeddedService
    from tests.cloudformation import create_stack

    server = EmbeddedDynamoDB()
    url = server.start()
    os.environ["DYNAMODB_ENDPOINT"] = url
    ses = EmbeddedService("sesv2")
    os.environ["SES_ENDPOINT"] = ses.start()
    # The brand images' bucket in moto's S3, reached through blobs.py as in production.
    s3 = EmbeddedService("s3")
    os.environ["S3_ENDPOINT"] = s3.start()
    # The app imported first (its import installs a root of its own), then the root of
    # the environment as set above, before any test sets a clock or a setting over it.
    import app  # noqa: F401

    config = root.install(root.build()).settings
    db.bind(config)
    mail.verify_sender()
    blobs.create_bucket()
    # The tables as the deploy template makes them, through CloudFormation: every
    # test then shows that the template and the code agree on names, keys and indexes.
    stage = Stage(config.stage, "wallet-loyalty", {"TABLE_PREFIX": config.table_prefix})
    cloudformation = EmbeddedService("cloudformation")
    create_stack(cloudformation.start(), "loyalty-tables", tables(stage), config.region)
    cloudformation.stop()
    yield url
    s3.stop()
    ses.stop()
    server.stop()


@pytest.fixture(scope="session")
def base_url(dynamodb_url: str) -> Iterator[str]:
    """The Chalice app behind the local run's real HTTP server, on a free port."""
    from app import app
    from localrun.wsgi import serve

    server = serve(app, "127.0.0.1", 0)
    port = server.socket.getsockname()[1]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.close()


@dataclass
class Merchant:
    """A merchant with one account and token per role, made through the services."""

    merchant_id: str
    tokens: dict[str, str]
    staff_ids: dict[str, str]
    emails: dict[str, str]
    passwords: dict[str, str]

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def make_merchant(name: str = "Test Café", zone: str = "Europe/Paris") -> Merchant:
    from chalicelib import ids
    from chalicelib.domain.roles import Role
    from chalicelib.services import auth, staff

    suffix = ids.new_id().lower().replace("_", "").replace("-", "")[:12]
    owner = staff.create_merchant(name, f"owner-{suffix}@example.com", zone)
    principal = auth.principal_of(owner.staff)
    manager = staff.create_staff(
        principal, f"manager-{suffix}@example.com", "Manager", Role.manager, None
    )
    barista = staff.create_staff(
        principal, f"barista-{suffix}@example.com", "Barista", Role.barista, None
    )
    accounts = {"owner": owner, "manager": manager, "barista": barista}
    return Merchant(
        merchant_id=owner.staff.merchant_id,
        tokens={role: auth.issue_token(a.staff)[0] for role, a in accounts.items()},
        staff_ids={role: a.staff.staff_id for role, a in accounts.items()},
        emails={role: a.staff.email for role, a in accounts.items()},
        passwords={role: a.password for role, a in accounts.items()},
    )


@pytest.fixture
def merchant(dynamodb_url: str) -> Merchant:
    return make_merchant()


@pytest.fixture
def other_merchant(dynamodb_url: str) -> Merchant:
    return make_merchant("Other Roasters")


@pytest.fixture
def new_root(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Root]]:
    """Install a root built from the environment with the given variables set (None
    unsets one): the settings and every resource made from them start afresh. The
    root installed before comes back after the test, as the environment does."""
    from chalicelib import root

    previous = root.current()

    def install(**environment: str | None) -> Root:
        for name, value in environment.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        return root.install(root.build())

    yield install
    root.install(previous)


@contextmanager
def pretending(when: datetime) -> Iterator[None]:
    """The installed root's clock at `when` inside the block (settings and resources kept)."""
    from chalicelib import root

    previous = root.current()
    root.install(previous.with_clock(lambda: when))
    try:
        yield
    finally:
        root.install(previous)


@pytest.fixture
def pretend_now() -> Iterator[Callable[[datetime], None]]:
    """Set the installed root's clock to an instant (settings and resources kept)."""
    from chalicelib import root

    previous = root.current()

    def at(when: datetime) -> None:
        root.install(previous.with_clock(lambda: when))

    yield at
    root.install(previous)


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """moto's server in a process of its own: every AWS service (Secrets Manager, SQS) on one port.

    Not in this process: moto's in-process mock resets every backend on exit,
    the embedded DynamoDB's tables included.
    """
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1)  # noqa: S310 - our server
            break
        except OSError:
            if time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.1)
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="session")
def secrets_manager_url(moto_url: str) -> str:
    """Secrets Manager: moto's one server, shared with the SQS tests."""
    return moto_url
