"""Stamps per second and latency over HTTP, and DynamoDB calls per stamp.

The server runs in its own process exactly as the local run serves (embedded
DynamoDB, Chalice's gateway behind waitress), with a botocore event hook counting
every DynamoDB call by operation; 8 client threads in this process stamp members
over keep-alive connections. Target (the ledger issue): one TransactWriteItems and
at most two reads per stamp.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

CLIENTS = 8
STAMPS = 2_000
MEMBERS = 200
WARMUP = 100


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(port: int, ready_file: Path, counts_file: Path) -> None:
    """The server process: the local run's stack plus a call counter."""
    folder = Path(tempfile.mkdtemp(prefix="bench-ledger-"))
    os.environ.update(
        STAGE="bench",
        SECRETS_DIR=str(folder),
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="eu-west-1",
        LOG_LEVEL="WARNING",
    )
    import pynamodb.connection.base as pynamodb_base

    counts: Counter[str] = Counter()
    counting = threading.Event()
    make_session = pynamodb_base.get_session

    def on_call(model: object, **_: object) -> None:
        if counting.is_set():
            counts[model.name] += 1  # type: ignore[attr-defined]

    def counted_session():
        session = make_session()
        session.register("before-call.dynamodb", on_call)
        return session

    pynamodb_base.get_session = counted_session

    from chalicelib import root, secrets
    from chalicelib.store import db
    from localrun.embedded_dynamodb import EmbeddedDynamoDB

    secrets.generate(folder)
    dynamodb = EmbeddedDynamoDB()
    os.environ["DYNAMODB_ENDPOINT"] = dynamodb.start()
    db.bind(root.install(root.build()).settings)
    db.create_tables()

    from app import app
    from chalicelib.domain.program import Program
    from chalicelib.services import auth, members, programs, staff
    from localrun.wsgi import serve as make_server

    owner = staff.create_merchant("Bench Café", f"owner-{uuid.uuid4().hex[:8]}@bench.example")
    principal = auth.principal_of(owner.staff)
    program = programs.create_program(
        principal,
        Program.model_validate(
            {
                "name": "Bench",
                "kind": "stamps",
                "stamps": {"required": 10, "reward": {"name": "Coffee"}},
            }
        ),
    )
    member_ids = [
        members.enrol(program.program_id, "M", f"m{i}@bench.example", None, False).member.member_id
        for i in range(MEMBERS)
    ]
    server = make_server(app, "127.0.0.1", port, threads=8)

    def finish(*_: object) -> None:
        counts_file.write_text(json.dumps(counts))
        raise KeyboardInterrupt  # leaves server.run() as Ctrl-C does

    def start_counting(*_: object) -> None:
        counts.clear()
        counting.set()

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGUSR1, start_counting)
    ready_file.write_text(
        json.dumps({"token": auth.issue_token(owner.staff)[0], "members": member_ids})
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        dynamodb.stop()


def _stamp(client: httpx.Client, member_id: str) -> float:
    started = time.perf_counter()
    response = client.post(
        f"/v1/members/{member_id}/stamps", json={"count": 1, "idempotency_key": uuid.uuid4().hex}
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"stamp answered {response.status_code}: {response.text}")
    return elapsed


def main() -> None:
    port = _free_port()
    workdir = Path(tempfile.mkdtemp(prefix="bench-ledger-run-"))
    ready, counts_file = workdir / "ready.json", workdir / "counts.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.ledger", "--serve", str(port), str(ready), str(counts_file)]
    )
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the bench server did not start")
            time.sleep(0.1)
        setup = json.loads(ready.read_text())
        headers = {"Authorization": f"Bearer {setup['token']}"}
        local = threading.local()

        def one(i: int) -> float:
            if not hasattr(local, "client"):
                local.client = httpx.Client(
                    base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30
                )
            return _stamp(local.client, setup["members"][i % len(setup["members"])])

        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(one, range(WARMUP)))
            process.send_signal(signal.SIGUSR1)
            time.sleep(0.2)
            started = time.perf_counter()
            latencies = sorted(pool.map(one, range(STAMPS)))
            elapsed = time.perf_counter() - started
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    counts = json.loads(counts_file.read_text())
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(
        f"stamps over HTTP, {CLIENTS} clients: {STAMPS / elapsed:.0f} stamps/s  "
        f"p50 {p50:.1f} ms  p99 {p99:.1f} ms  ({STAMPS} stamps, {MEMBERS} members)"
    )
    per_stamp = {op: n / STAMPS for op, n in sorted(counts.items())}
    reads = sum(
        v
        for op, v in per_stamp.items()
        if op in ("GetItem", "TransactGetItems", "Query", "BatchGetItem")
    )
    writes = per_stamp.get("TransactWriteItems", 0)
    print("DynamoDB calls per stamp: " + ", ".join(f"{op} {v:.3f}" for op, v in per_stamp.items()))
    print(f"per stamp: {writes:.3f} TransactWriteItems (target 1), {reads:.3f} reads (target <= 2)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
    else:
        main()
