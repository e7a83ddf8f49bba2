"""APNs pushes per second over one connection, and the client's peak memory.

The local APNs (tests/peers/apns_peer.py) runs in its own process, with a fresh test CA,
server and client certificates, so that the client has this process's GIL to itself. The
client pushes 20,000 tokens in one push_many call, then the same from 4 threads at once,
then again against a peer that ends every connection with GOAWAY after 1,000 requests
(hypercorn's default, which httpx did not survive). Target (the APNs issue): at least 1,700
pushes/s on this 2-core machine.
"""

from __future__ import annotations

import logging
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from threading import Thread

from chalicelib.push.apns import ApnsClient, PushResult
from tests.peers.apns_peer import TestPki, make_test_pki

TOKENS = 20_000
THREADS = 4
TOPIC = "pass.com.example.bench"
TARGET = 1_700
ROOT = Path(__file__).resolve().parent.parent


def _rss_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def _tokens(n: int) -> list[str]:
    return [secrets.token_hex(32) for _ in range(n)]


def _report(label: str, results: list[PushResult], seconds: float, client: ApnsClient) -> float:
    counts = Counter(r.outcome.value for r in results)
    rate = len(results) / seconds
    print(
        f"{label:<40} {len(results):>6} pushes in {seconds:5.2f} s = {rate:5.0f} pushes/s"
        f"  {dict(counts)}  connections so far: {client.stats['connections']}"
    )
    return rate


@contextmanager
def _peer(folder: str, *args: str) -> Iterator[str]:
    """The peer in its own process; yields its URL, prints its summary when done."""
    command = [sys.executable, "-m", "tests.peers.apns_peer", "--pki", folder, "--topic", TOPIC]
    peer = subprocess.Popen(
        [*command, *args], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert peer.stdin is not None and peer.stdout is not None
    try:
        yield f"https://127.0.0.1:{int(peer.stdout.readline().split()[1])}"
    finally:
        peer.stdin.close()
        summary = peer.stdout.read().strip()
        peer.wait(timeout=30)
        print(f"  peer: {summary}")


def _client(url: str, pki: TestPki) -> ApnsClient:
    return ApnsClient(url, pki.client_cert, pki.client_key, TOPIC, ca_file=pki.ca_file)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        pki = make_test_pki(Path(folder), TOPIC)
        with _peer(folder) as url:
            client = _client(url, pki)
            client.push_many(_tokens(500))  # warm up: TLS handshake, first streams
            rss_before = _rss_mib(resource.RUSAGE_SELF)

            start = time.perf_counter()
            results = client.push_many(_tokens(TOKENS))
            rate = _report("one push_many call", results, time.perf_counter() - start, client)

            shares = [_tokens(TOKENS // THREADS) for _ in range(THREADS)]
            threaded: list[list[PushResult]] = [[] for _ in range(THREADS)]

            def run(i: int) -> None:
                threaded[i] = client.push_many(shares[i])

            threads = [Thread(target=run, args=(i,)) for i in range(THREADS)]
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            everything = [r for rs in threaded for r in rs]
            seconds = time.perf_counter() - start
            _report(f"{THREADS} threads sharing the client", everything, seconds, client)
            client.close()
        rss_after = _rss_mib(resource.RUSAGE_SELF)

        with _peer(folder, "--goaway-after", "1000") as url:
            client = _client(url, pki)
            start = time.perf_counter()
            results = client.push_many(_tokens(TOKENS))
            seconds = time.perf_counter() - start
            _report("GOAWAY every 1,000 requests", results, seconds, client)
            print(f"  streams resent after GOAWAY: {client.stats['resent']}")
            client.close()

        print(
            f"peak RSS: client process {rss_after:.0f} MiB "
            f"({rss_before:.0f} MiB before the first 20,000), "
            f"peer processes {_rss_mib(resource.RUSAGE_CHILDREN):.0f} MiB"
        )
        verdict = "meets" if rate >= TARGET else "MISSES"
        print(f"{rate:.0f} pushes/s {verdict} the target of {TARGET:,} pushes/s")


if __name__ == "__main__":
    main()
