"""Google's callbacks when the store fails: a callback is answered 200 only once it is
recorded (or is a redelivery, or names no member), so that Google delivers it again."""

from __future__ import annotations

import json
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib.config import settings
from chalicelib.store import db
from tests.e2e.helpers import create_program, enrol
from tests.e2e.test_google_wallet import _saved, _signed_callback, google  # noqa: F401
from tests.peers.conftest import google_peer  # noqa: F401 - the fixture


class ThrottlingDynamoDB:
    """A proxy in front of the embedded DynamoDB that answers chosen operations as
    DynamoDB does when a partition is over its throughput."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.throttled: set[str] = set()  # X-Amz-Target operations, e.g. "PutItem"
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                operation = self.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
                if operation in proxy.throttled:
                    answer = json.dumps(
                        {
                            "__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
                            "message": "Rate of requests exceeds the allowed throughput.",
                        }
                    ).encode()
                    status, kind = 400, "application/x-amz-json-1.0"
                else:
                    headers = {
                        k: v
                        for k, v in self.headers.items()
                        if k.lower() not in ("host", "content-length", "connection")
                    }
                    request = urllib.request.Request(  # noqa: S310 - our own server
                        proxy.upstream, data=body, headers=headers, method="POST"
                    )
                    try:
                        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                            status, answer = response.status, response.read()
                            kind = response.headers.get("Content-Type", "")
                    except urllib.error.HTTPError as error:
                        status, answer = error.code, error.read()
                        kind = error.headers.get("Content-Type", "")
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def throttling(dynamodb_url, new_root) -> Iterator[ThrottlingDynamoDB]:
    """The whole process (the app included) on the store through the proxy."""
    proxy = ThrottlingDynamoDB(dynamodb_url)
    before = settings()
    db.bind(new_root(DYNAMODB_ENDPOINT=proxy.url).settings)
    yield proxy
    db.bind(before)
    proxy.stop()


def test_a_callback_the_store_could_not_record_is_refused_so_that_google_sends_it_again(
    client,
    merchant,
    google,  # noqa: F811 - the fixture
    throttling,
):
    program = create_program(client, merchant)
    member_id = enrol(client, program["program_id"])["member_id"]
    save = _signed_callback(google, member_id, nonce=str(uuid.uuid4()))

    throttling.throttled = {"PutItem", "UpdateItem", "TransactWriteItems"}
    refused = client.post("/google/callbacks", content=save)
    throttling.throttled = set()
    redelivered = client.post("/google/callbacks", content=save)

    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "unavailable"
    assert redelivered.status_code == 200
    assert _saved(member_id) is True


def test_a_callback_for_an_unknown_member_is_answered_and_changes_nothing(
    client,
    google,  # noqa: F811 - the fixture
):
    unknown = uuid.uuid4().hex

    answered = client.post("/google/callbacks", content=_signed_callback(google, unknown))

    assert answered.status_code == 200
    from chalicelib.store.models import MemberItem

    assert MemberItem.count(unknown) == 0
