"""The app's current request belongs to the thread serving it (the local run is threaded)."""

from __future__ import annotations

import threading

from chalicelib.web.application import Chalice


def test_a_request_set_in_one_thread_is_not_seen_by_another():
    app = Chalice(app_name="test")
    app.current_request = "request of thread A"
    seen = []

    thread = threading.Thread(target=lambda: seen.append(app.current_request))
    thread.start()
    thread.join()

    assert seen == [None]
    assert app.current_request == "request of thread A"


def test_each_thread_keeps_its_own_lambda_context():
    app = Chalice(app_name="test")
    barrier = threading.Barrier(2)
    seen = {}

    def serve(name: str) -> None:
        app.lambda_context = name
        barrier.wait()
        seen[name] = app.lambda_context

    threads = [threading.Thread(target=serve, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert seen == {"a": "a", "b": "b"}
