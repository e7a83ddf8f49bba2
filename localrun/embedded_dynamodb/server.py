"""moto's services over real HTTP on a loopback port, in a background thread."""

from __future__ import annotations

import threading

from moto.moto_server.werkzeug_app import MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from localrun.embedded_dynamodb.lock import Serialized


class _QuietHandler(MotoRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # one line per DynamoDB call drowns the service's own log


class EmbeddedService:
    """One of moto's services on a loopback port, in a background thread.

    Every service of the process shares moto's backends and the adapter's lock: a
    CloudFormation stack served beside the DynamoDB creates its tables there.
    """

    def __init__(self, service: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self._service = service
        self._host = host
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        # Looked up on the package at each start: the benchmark replaces it to
        # measure moto as it ships.
        from localrun import embedded_dynamodb

        embedded_dynamodb.install()
        app = Serialized(create_backend_app(self._service))
        self._server = make_server(
            self._host, self._port, app, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"embedded-{self._service}", daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None


class EmbeddedDynamoDB(EmbeddedService):
    """A DynamoDB-speaking HTTP server on a loopback port, in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__("dynamodb", host, port)
