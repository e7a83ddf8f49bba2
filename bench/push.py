"""A design change fanned out to 20,000 registered devices, end to end.

The real path: PATCH the program (the service call), then the outbox sweeper
delivers the fan-out job a page of registrations at a time, over one HTTP/2
connection to a local APNs peer running in its own process (it requires our dev
Pass Type ID certificate, as Apple requires the real one). The store is the
embedded DynamoDB. Target (the push issue): at least 1,700 pushes/s on this
2-core machine (100,000 devices in 60 s or less), memory flat.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

DEVICES = 20_000
TARGET = 1_700
ROOT = Path(__file__).resolve().parent.parent


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    """This process's CPU time: less swayed than the wall clock by a busy machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-push-"))
    os.environ.update(
        STAGE="bench",
        SECRETS_DIR=str(folder / "secrets"),
        APPLE_CERTS_DIR=str(folder / "certs"),
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="eu-west-1",
        LOG_LEVEL="WARNING",
        PASSWORD_MEMORY_KIB="1024",
        PASSWORD_TIME_COST="1",
    )
    from chalicelib import root, secrets
    from localrun import devcerts
    from tests.peers.apns_peer import make_test_pki

    secrets.generate(folder / "secrets")
    config = root.install(root.build()).settings
    devcerts.generate_dev_chain(
        folder / "certs", config.pass_type_identifier, config.team_identifier
    )
    # The peer serves with a test CA's certificate and trusts our dev root for clients.
    make_test_pki(folder / "pki", config.pass_type_identifier)
    shutil.copy(folder / "pki" / "ca.pem", folder / "server-ca.pem")
    shutil.copy(folder / "certs" / "root.pem", folder / "pki" / "ca.pem")
    peer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.peers.apns_peer",
            "--pki",
            str(folder / "pki"),
            "--topic",
            config.pass_type_identifier,
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert peer.stdin is not None and peer.stdout is not None
    port = int(peer.stdout.readline().split()[1])
    os.environ.update(
        APNS_ENDPOINT=f"https://127.0.0.1:{port}", APNS_CA_FILE=str(folder / "server-ca.pem")
    )
    try:
        _run(config.pass_type_identifier)
    finally:
        peer.stdin.close()
        print(f"  peer: {peer.stdout.read().strip()}")
        peer.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def _run(pass_type: str) -> None:
    from chalicelib import clock
    from chalicelib.domain.program import Program
    from chalicelib.services import auth, delivery, programs, staff
    from chalicelib.store import db
    from chalicelib.store.models import JobItem, RegistrationItem
    from localrun.embedded_dynamodb import EmbeddedDynamoDB

    dynamodb = EmbeddedDynamoDB()
    os.environ["DYNAMODB_ENDPOINT"] = dynamodb.start()
    from chalicelib import root

    # The root of the environment as set above: the APNs peer's endpoint and our table.
    db.bind(root.install(root.build()).settings)
    db.create_tables()
    owner = staff.create_merchant("Bench Café", f"owner-{uuid.uuid4().hex[:8]}@bench.example")
    principal = auth.principal_of(owner.staff)
    program = programs.create_program(
        principal,
        Program.model_validate(
            {"name": "Bench", "kind": "stamps", "stamps": {"required": 10, "reward": {"name": "C"}}}
        ),
    )
    delivery.sweep()  # the class item
    started = time.perf_counter()
    now = clock.iso(clock.now())
    with RegistrationItem.batch_write() as batch:
        for _ in range(DEVICES):
            serial = uuid.uuid4().hex
            batch.save(
                RegistrationItem(
                    uuid.uuid4().hex,
                    f"{pass_type}#{serial}",
                    serial=serial,
                    pass_type=pass_type,
                    program_id=program.program_id,
                    push_token=uuid.uuid4().hex * 2,
                    created_at=now,
                    updated_at=now,
                )
            )
    print(f"registered {DEVICES:,} devices in {time.perf_counter() - started:.1f} s (setup)")
    delivery.pusher().push_many([uuid.uuid4().hex * 2])  # warm up: the TLS connection
    rss_before = _rss_mib()

    started, cpu_started = time.perf_counter(), _cpu_seconds()
    _, updates = programs.patch_program(
        principal, program.program_id, {"design": {"background_color": "#101010"}}
    )
    assert updates is not None
    while JobItem.get(updates.job_id).status != "done":
        delivery.sweep(now=clock.now() + _ahead())
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    job = JobItem.get(updates.job_id)
    rate = int(job.devices_done) / seconds
    client = delivery.pusher()
    print(
        f"design change fanned out to {int(job.devices_done):,} devices in {seconds:.1f} s: "
        f"{rate:,.0f} pushes/s over {client.stats['connections']} connection(s)"
    )
    print(f"projected for 100,000 devices: {100_000 / rate:.0f} s")
    per_push = cpu / int(job.devices_done) * 1e6
    print(
        f"CPU in this process (service, DynamoDB, APNs client): {cpu:.1f} s, "
        f"{per_push:.0f} us per push; load average {os.getloadavg()[0]:.1f}"
    )
    print(f"peak RSS: {rss_before:.0f} MiB before the fan-out, {_rss_mib():.0f} MiB after")
    verdict = "meets" if rate >= TARGET else "MISSES"
    print(f"{rate:,.0f} pushes/s {verdict} the target of {TARGET:,} pushes/s")
    client.close()
    dynamodb.stop()


def _ahead():
    from datetime import timedelta

    return timedelta(seconds=5)  # past the coalescing window


if __name__ == "__main__":
    main()
