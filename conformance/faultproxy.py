"""A fault-injecting HTTP proxy between the suite and a server, on 127.0.0.1 only.

Each request it receives is, by a seeded draw, either forwarded as is or met
with one fault:

``throttle``
    answered HTTP 400 ``ThrottlingException`` (AWS JSON 1.1) without being
    forwarded: the server never sees it.
``error``
    answered HTTP 500 ``InternalServerError`` without being forwarded.
``reset-before``
    the connection is reset (TCP RST) before the request reaches the server.
``reset-after``
    forwarded, the server's answer read and dropped, then the connection is reset:
    the request took effect, but the client cannot know.

The draws come from one ``random.Random(seed)`` in the order requests arrive, so a
run whose requests go one at a time meets the same faults again with the same seed.
It is bounded: ``max_faults`` caps the faults injected, every socket has a timeout,
and the server's threads are daemons.

A ``substitute`` function, if given, sees each answer the server gave
(``substitute(operation, status, body)``) and may return another ``(status, body)`` to
send in its place, as JSON with no other header: how a test answers one operation with
malformed bodies (tests/test_malformed_answers.py). It is for tests only (not on the
command line).

Use it in tests as a context manager (``with FaultProxy(url, FaultRates(...)) as p``)
or from the shell: ``conformance proxy --to URL --port N --throttle 0.1 ...``.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import random
import socket
import struct
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Literal
from urllib.parse import urlsplit

HOST = "127.0.0.1"
Fault = Literal["forward", "throttle", "error", "reset-before", "reset-after"]
FAULTS: tuple[Fault, ...] = ("throttle", "error", "reset-before", "reset-after")
# Seconds a client connection may stay idle, and the server may take to answer.
CLIENT_TIMEOUT = 60.0
UPSTREAM_TIMEOUT = 60.0
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "te", "trailer",
                         "transfer-encoding", "upgrade"})
_MAX_BODY = 16 * 1024 * 1024
_JSON = "application/x-amz-json-1.1"
# (operation, HTTP status, body) of the server's answer -> the (status, body) to send
# instead, or None to send it as it is.
Substitute = Callable[[str, int, bytes], tuple[int, bytes] | None]


@dataclass(frozen=True)
class FaultRates:
    """The probability of each fault per request; together at most 1."""

    throttle: float = 0.0
    error: float = 0.0
    reset_before: float = 0.0
    reset_after: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"fault rate {f.name} must be between 0 and 1, got {value}")
        if self.total > 1.0 + 1e-9:
            raise ValueError(f"the fault rates add up to {self.total:g}, more than 1")

    @property
    def total(self) -> float:
        return self.throttle + self.error + self.reset_before + self.reset_after

    def draw(self, rng: random.Random) -> Fault:
        x = rng.random()
        for fault, rate in zip(FAULTS, (self.throttle, self.error, self.reset_before,
                                        self.reset_after), strict=True):
            if x < rate:
                return fault
            x -= rate
        return "forward"


@dataclass(frozen=True)
class Event:
    operation: str  # from X-Amz-Target, "" when there is none
    fault: Fault


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    proxy: FaultProxy


class _Handler(BaseHTTPRequestHandler):
    _upstream: http.client.HTTPConnection | None = None
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = CLIENT_TIMEOUT
    server: _Server

    def do_POST(self) -> None:
        proxy = self.server.proxy
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= _MAX_BODY:
            self.close_connection = True
            self._answer(400, "SerializationException", "the fault proxy needs a "
                         f"Content-Length between 0 and {_MAX_BODY}")
            return
        body = self.rfile.read(length)
        operation = (self.headers.get("X-Amz-Target") or "").rpartition(".")[2]
        fault = proxy._decide(operation)
        if fault == "reset-before":
            self._reset()
        elif fault == "throttle":
            self._answer(400, "ThrottlingException", "Rate exceeded (injected by the fault proxy)")
        elif fault == "error":
            self._answer(500, "InternalServerError", "injected by the fault proxy")
        else:
            try:
                status, headers, answer = self._forward(body)
            except (OSError, http.client.HTTPException) as error:
                self._drop_upstream()
                self.close_connection = True
                self._answer(502, "BadGateway", f"the fault proxy could not reach "
                             f"{proxy.upstream}: {error}")
                return
            if fault == "reset-after":
                self._reset()
                return
            instead = proxy.substitute(operation, status, answer) if proxy.substitute else None
            if instead is not None:
                status, answer = instead
                # The server's headers described its own answer (x-amzn-ErrorType, say).
                headers = [("Content-Type", _JSON), ("x-amzn-RequestId", "fault-proxy")]
            self._send(status, headers, answer)

    def do_GET(self) -> None:
        self.close_connection = True
        self._answer(405, "MethodNotAllowed", "the AWS JSON 1.1 protocol uses POST")

    # --- upstream ---------------------------------------------------------------------

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        proxy = self.server.proxy
        connection = self._upstream
        reused = connection is not None
        if connection is None:
            connection = http.client.HTTPConnection(proxy._host, proxy._port,
                                                    timeout=UPSTREAM_TIMEOUT)
            self._upstream = connection
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        try:
            connection.request("POST", self.path, body=body, headers=headers)
            response = connection.getresponse()
        except (ConnectionError, http.client.RemoteDisconnected):
            if not reused:
                raise
            # A kept-alive connection the server had closed meanwhile: one fresh attempt.
            connection.close()
            connection.request("POST", self.path, body=body, headers=headers)
            response = connection.getresponse()
        answer = response.read()
        kept = [(k, v) for k, v in response.getheaders()
                if k.lower() not in _HOP_BY_HOP and k.lower() != "content-length"]
        if response.will_close:
            connection.close()
        return response.status, kept, answer

    def _drop_upstream(self) -> None:
        connection = self._upstream
        if connection is not None:
            connection.close()
            self._upstream = None

    # --- answers ----------------------------------------------------------------------

    def _reset(self) -> None:
        """Close the client's connection with a TCP RST, nothing answered."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _answer(self, status: int, code: str, message: str) -> None:
        body = json.dumps({"__type": code, "message": message}).encode()
        self._send(status, [("Content-Type", _JSON), ("x-amzn-ErrorType", code),
                            ("x-amzn-RequestId", "fault-proxy")], body)

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response_only(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def finish(self) -> None:
        self._drop_upstream()
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: object) -> None:
        pass


class FaultProxy:
    """Forwards to ``upstream`` (``http://host:port``) from ``url``, injecting faults."""

    def __init__(self, upstream: str, rates: FaultRates, *, seed: int = 0, port: int = 0,
                 max_faults: int | None = None, keep_events: int = 100_000,
                 substitute: Substitute | None = None) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"the fault proxy forwards to http://host:port, not {upstream!r}")
        self.upstream = upstream.rstrip("/")
        self._host = parts.hostname
        self._port = parts.port or 80
        self.rates = rates
        self.seed = seed
        self.max_faults = max_faults
        self.substitute = substitute
        self.counts: Counter[Fault] = Counter()
        self.events: deque[Event] = deque(maxlen=keep_events)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._httpd = _Server((HOST, port), _Handler)
        self._httpd.proxy = self
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def faults(self) -> int:
        return sum(n for fault, n in self.counts.items() if fault != "forward")

    def _decide(self, operation: str) -> Fault:
        with self._lock:
            fault = self.rates.draw(self._rng)
            if fault != "forward" and self.max_faults is not None \
                    and self.faults >= self.max_faults:
                fault = "forward"
            self.counts[fault] += 1
            self.events.append(Event(operation, fault))
            return fault

    def summary(self) -> str:
        total = sum(self.counts.values())
        parts = ", ".join(f"{fault} {self.counts[fault]}" for fault in FAULTS)
        return f"{total} requests: forwarded {self.counts['forward']}, {parts}"

    def start(self) -> FaultProxy:
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                            name=f"fault-proxy:{self.port}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
