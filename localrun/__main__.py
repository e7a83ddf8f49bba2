"""`python -m localrun serve|merchant|job`: the Makefile's run, merchant and job targets."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
log = logging.getLogger("localrun")


def _environment(port: int) -> None:
    """The local stage's settings, unless the caller set them."""
    os.environ.setdefault("STAGE", "local")
    os.environ.setdefault("SECRETS_DIR", str(LOCAL / "secrets"))
    os.environ.setdefault("APPLE_CERTS_DIR", str(LOCAL / "certs"))
    os.environ.setdefault("GOOGLE_SERVICE_ACCOUNT_FILE", str(LOCAL / "google-service-account.json"))
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    # The embedded server accepts any credentials; boto3 insists on some.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    # Mail goes to the embedded SES (serve starts it); GET /dev/mail lists it.
    os.environ.setdefault("MAIL_FROM", "cards@demo.cafe")


def _prepare() -> None:
    from chalicelib import root, secrets
    from chalicelib.store import db
    from localrun import devcerts, devkeys

    LOCAL.mkdir(exist_ok=True)
    if secrets.generate(Path(os.environ["SECRETS_DIR"])):
        log.info("generated dev secrets in %s", os.environ["SECRETS_DIR"])
    # The root of the environment set above; app.py installs its own when imported.
    config = root.install(root.build()).settings
    if config.apple_certs_dir and devcerts.generate_dev_chain(
        Path(config.apple_certs_dir), config.pass_type_identifier, config.team_identifier
    ):
        log.info("generated a dev Apple pass-signing chain in %s", config.apple_certs_dir)
    if config.google_service_account_file and devkeys.generate_dev_service_account(
        Path(config.google_service_account_file), "https://oauth2.googleapis.com/token"
    ):
        log.info(
            "generated a dev Google service-account key in %s", config.google_service_account_file
        )
    db.bind(config)
    created = db.create_tables()
    log.info("tables ready (%d created)", len(created))


def serve(_: argparse.Namespace) -> int:
    started = time.monotonic()
    port = int(os.environ.get("PORT", "8000"))
    _environment(port)
    from chalicelib.logs import configure_logging

    configure_logging()
    embedded = None
    if not os.environ.get("DYNAMODB_ENDPOINT"):
        from localrun.embedded_dynamodb import EmbeddedDynamoDB

        embedded = EmbeddedDynamoDB()
        os.environ["DYNAMODB_ENDPOINT"] = embedded.start()
        log.info("embedded DynamoDB (moto) on %s", os.environ["DYNAMODB_ENDPOINT"])
    ses = None
    if not os.environ.get("SES_ENDPOINT"):
        from localrun.embedded_dynamodb import EmbeddedService

        ses = EmbeddedService("sesv2")
        os.environ["SES_ENDPOINT"] = ses.start()
        log.info("embedded SES (moto) on %s; sent mail at /dev/mail", os.environ["SES_ENDPOINT"])
    s3 = None
    if not os.environ.get("S3_ENDPOINT"):
        from localrun.embedded_dynamodb import EmbeddedService

        s3 = EmbeddedService("s3")
        os.environ["S3_ENDPOINT"] = s3.start()
        log.info("embedded S3 (moto) on %s, for the brand images", os.environ["S3_ENDPOINT"])
    _prepare()
    if ses is not None:
        from chalicelib import mail

        # moto's SES refuses an unverified sender; a real SES is the owner's to verify.
        mail.verify_sender()
    if s3 is not None:
        from chalicelib import blobs

        blobs.create_bucket()  # a deployed stage's bucket is the template's

    from app import app
    from localrun.seed import seed
    from localrun.wsgi import serve as make_server

    server = make_server(app, "127.0.0.1", port)
    worker = DeliveryWorker()
    worker.start()
    base_url = f"http://127.0.0.1:{port}"
    demo = seed(LOCAL, base_url, os.environ["DYNAMODB_ENDPOINT"])
    (LOCAL / "demo.json").write_text(json.dumps(demo, indent=2) + "\n")
    log.info("demo merchant seeded; tokens and logins in %s", LOCAL / "demo.json")
    log.info("serving on %s (ready in %.1f s)", base_url, time.monotonic() - started)

    def stop(*_: object) -> None:
        # Leave the server's loop the way Ctrl-C does; closing its sockets from a
        # signal handler would pull them out from under select().
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        worker.stop()
        server.close()
        if s3 is not None:
            s3.stop()
        if ses is not None:
            ses.stop()
        if embedded is not None:
            embedded.stop()
    return 0


class DeliveryWorker(threading.Thread):
    """The local run's outbox delivery: the deployed sweeper's code, every half second."""

    def __init__(self, interval: float = 0.5) -> None:
        super().__init__(name="outbox-delivery", daemon=True)
        self._interval = interval
        self._stopping = threading.Event()

    def run(self) -> None:
        from chalicelib.services import delivery

        while not self._stopping.wait(self._interval):
            try:
                outcomes = delivery.sweep()
            except Exception:
                log.exception("outbox sweep failed; trying again")
                continue
            if outcomes:
                log.info("outbox: %s", outcomes)

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=10)


def _use_running_store() -> None:
    """Without DYNAMODB_ENDPOINT, reach the store of the running `make run`."""
    if os.environ.get("DYNAMODB_ENDPOINT"):
        return
    demo = LOCAL / "demo.json"
    if not demo.exists():
        sys.exit("No store configured: set DYNAMODB_ENDPOINT, or start `make run` first.")
    os.environ["DYNAMODB_ENDPOINT"] = json.loads(demo.read_text())["dynamodb_endpoint"]


def merchant(args: argparse.Namespace) -> int:
    _environment(int(os.environ.get("PORT", "8000")))
    _use_running_store()
    _prepare()
    from chalicelib.errors import LoyaltyError
    from chalicelib.services.staff import create_merchant

    try:
        account = create_merchant(args.name, args.owner_email, args.timezone)
    except LoyaltyError as exc:
        sys.exit(f"error: {exc.message}")
    print(f"merchant_id: {account.staff.merchant_id}")
    print(f"owner:       {account.staff.email}")
    print(f"password:    {account.password}   (shown once: keep it safe)")
    return 0


def job(args: argparse.Namespace) -> int:
    """A scheduled job, the Lambda's own code, on the configured or running store.

    `--today` pretends the run happens at noon UTC that day (each merchant's local
    day follows from it, as in production).
    """
    _environment(int(os.environ.get("PORT", "8000")))
    _use_running_store()
    _prepare()
    import importlib
    from datetime import UTC, datetime, time

    module = importlib.import_module(f"chalicelib.jobs.{args.name}")
    now = None
    if args.today:
        now = datetime.combine(datetime.strptime(args.today, "%Y-%m-%d").date(), time(12), UTC)
    outcomes = module.run(now)
    print(f"{args.name}: {dict(outcomes) or 'nothing due'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from chalicelib.logs import configure_logging

    # The Lambdas' set-up for every command: botocore's "Found credentials" line,
    # once per client a job makes, is not what a person running `make job` wants.
    configure_logging()
    parser = argparse.ArgumentParser(prog="localrun")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the API locally").set_defaults(func=serve)
    add = commands.add_parser("merchant", help="create a merchant and its owner")
    add.add_argument("--name", required=True)
    add.add_argument("--owner-email", required=True)
    add.add_argument("--timezone", default="UTC")
    add.set_defaults(func=merchant)
    run_job = commands.add_parser("job", help="run a scheduled job once")
    run_job.add_argument("--name", required=True, choices=("expiry", "birthday", "tiers"))
    run_job.add_argument("--today", help="YYYY-MM-DD: pretend the date")
    run_job.set_defaults(func=job)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
