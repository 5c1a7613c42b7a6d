"""The reference emulator as an HTTP server on 127.0.0.1, in a thread or in the foreground."""

from __future__ import annotations

import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Protocol

from conformance.emulator import protocol
from conformance.emulator.backend import Backend
from conformance.emulator.behaviour import Behaviour
from conformance.errors import ConfigError

HOST = "127.0.0.1"
# A body this much over the limit is not even drained: the connection is just closed.
_DRAIN_LIMIT = 8 * protocol.MAX_BODY_BYTES


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    backend: Backend

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away mid-answer (a run stopped, a proxy's reset) is not an
        # error of the server; anything else is printed as socketserver does.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    # Keep-alive, as botocore expects: every answer carries Content-Length.
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY on every accepted socket: an answer goes out in one write, but with
    # Nagle a write after an unacknowledged one waits for the peer's delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    server: _HTTPServer

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            # The rest of the stream cannot be framed: answer, say so, and close.
            self.close_connection = True
            self._send(*protocol.error_answer("SerializationException",
                                              "bad Content-Length header", 400))
            return
        if length > protocol.MAX_BODY_BYTES:
            self.close_connection = True
            self._drain(length)
            self._send(*protocol.body_too_large(length))
            return
        body = self.rfile.read(length)
        self._send(*protocol.handle(self.server.backend, dict(self.headers.items()), body))

    def _drain(self, length: int) -> None:
        # Reading what the client still sends lets it read our answer instead of a reset.
        if length > _DRAIN_LIMIT:
            return
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 16))
            if not chunk:
                return
            length -= len(chunk)

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        # Status line, headers and body in one write (one sendall): two writes would let
        # the body wait on the ACK of the headers. Nothing is locked here: the backend's
        # lock is held only inside the backend call, never across socket I/O.
        self.log_request(status)
        lines = [f"{self.protocol_version} {status} {self.responses.get(status, ('',))[0]}",
                 f"Server: {self.version_string()}", f"Date: {self.date_time_string()}",
                 *(f"{name}: {value}" for name, value in headers.items())]
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "strict")
        self.wfile.write(head + body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # one line per request would drown the suite's own output


class EmulatorServer:
    """The emulator on ``url``; ``start()`` serves from a daemon thread, ``stop()`` ends it."""

    def __init__(self, behaviour: Behaviour | None = None, port: int = 0) -> None:
        self._httpd = _HTTPServer((HOST, port), _Handler)
        self._httpd.backend = Backend(behaviour if behaviour is not None else Behaviour())
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def backend(self) -> Backend:
        return self._httpd.backend

    def reset(self, behaviour: Behaviour | None = None) -> Backend:
        """Forget all state and serve from a fresh backend (with another behaviour, if given)."""
        self._httpd.backend = Backend(behaviour if behaviour is not None
                                      else self._httpd.backend.behaviour)
        return self._httpd.backend

    def start(self) -> EmulatorServer:
        if self._thread is None:
            # A short poll keeps stop() quick; the cost is a wake-up every 50 ms.
            self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                            name=f"emulator:{self.port}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def serve_forever_cli(port: int, behaviour: Behaviour) -> None:
    """Serve in the foreground until Ctrl-C, announcing the URL on one line."""
    try:
        server = EmulatorServer(behaviour, port)
    except OSError as error:
        raise ConfigError(f"cannot listen on {HOST}:{port}: {error.strerror}") from None
    print(f"listening on {server.url}", flush=True)
    serve_until_interrupted(server)


class Serving(Protocol):
    def start(self) -> object: ...
    def stop(self) -> None: ...


def serve_until_interrupted(server: Serving) -> None:
    """Serve until Ctrl-C, then stop.

    The server runs in its daemon thread and this thread only waits, so the interrupt
    lands here: raised inside socketserver's or threading's own code, it could leave a
    lock held, and the process then hung on its way out."""
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # Set here, not inherited: a server started in the background by a script ignores
    # SIGINT (POSIX shells do that to background jobs), and CI stops jobs with SIGTERM.
    before = {s: signal.signal(s, interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    server.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        for signum, handler in before.items():
            signal.signal(signum, handler)
