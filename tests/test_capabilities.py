"""The capability probe: one harmless request per operation, read as implemented, missing
or unclear; against the emulator, a server missing one operation, stub servers and moto."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

import pytest

from conformance.capabilities import OPERATIONS, missing, missing_operations_screen, probe
from conformance.emulator.errors import UnknownOperationException
from conformance.emulator.server import EmulatorServer
from conformance.targets import Target, make_clients

PREFIX = "cfs-0a1b2c-"


def clients_for(url: str) -> Any:
    return make_clients(Target(name="t", kind="endpoint", endpoint_url=url))


def test_the_emulator_implements_every_operation_and_keeps_nothing() -> None:
    with EmulatorServer() as server:
        result = probe(clients_for(server.url), PREFIX)
        assert list(result) == list(OPERATIONS)
        assert all(c.status == "implemented" for c in result.values()), result
        assert server.backend._store.collections == {}
    assert missing_operations_screen(result) == \
        "The target implements all 10 operations the suite calls."


def test_a_server_without_disassociatefaces_is_told_apart() -> None:
    with EmulatorServer() as server:
        serve = server.backend.handle

        def without(operation: str, request: dict[str, Any]) -> dict[str, Any]:
            if operation == "DisassociateFaces":
                raise UnknownOperationException(f"operation {operation!r} is not supported")
            return serve(operation, request)

        server.backend.handle = without  # type: ignore[method-assign]
        result = probe(clients_for(server.url), PREFIX)
    assert missing(result) == ["DisassociateFaces"]
    assert "UnknownOperationException" in result["DisassociateFaces"].detail
    screen = missing_operations_screen(result)
    assert screen.splitlines()[0] == ("The target does not implement 1 of the 10 operations "
                                      "the suite calls:")
    assert "missing  DisassociateFaces" in screen
    assert "the rest are judged" in screen


class _Stub(BaseHTTPRequestHandler):
    """Answers every request with the class's status and body."""

    protocol_version = "HTTP/1.1"
    status = 500
    body = b"<html><body>Internal Server Error</body></html>"
    content_type = "text/html"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(self.status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def stub(status: int, body: bytes, content_type: str) -> Iterator[str]:
    handler = type("Handler", (_Stub,), {"status": status, "body": body,
                                         "content_type": content_type})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize(("status", "body", "content_type", "expected"), [
    (500, b"<html><body>Internal Server Error</body></html>", "text/html", "missing"),
    (500, b'{"message": "The rekognition action is not yet implemented"}',
     "application/json", "missing"),
    (501, b"", "text/plain", "missing"),
    (404, b"Not Found", "text/plain", "missing"),
    (500, b'{"__type": "InternalServerError", "message": "boom"}', "application/json",
     "unclear"),
    (400, b'{"__type": "ResourceNotFoundException", "message": "no such collection"}',
     "application/x-amz-json-1.1", "implemented"),
])
def test_answers_are_read_by_status_code_and_body(status: int, body: bytes, content_type: str,
                                                  expected: str) -> None:
    started = time.monotonic()
    for url in stub(status, body, content_type):
        result = probe(clients_for(url), PREFIX)
    assert {c.status for c in result.values()} == {expected}, result
    assert time.monotonic() - started < 30  # few retries: seconds, not minutes


def moto_server() -> str | None:
    beside = Path(sys.executable).parent / "moto_server"  # the venv's, when not on PATH
    return str(beside) if beside.exists() else shutil.which("moto_server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.skipif(importlib.util.find_spec("moto") is None or moto_server() is None,
                    reason="moto[server] is not installed")
def test_moto_lacks_the_collection_and_user_vector_operations() -> None:
    port = free_port()
    process = subprocess.Popen([str(moto_server()), "-H", "127.0.0.1", "-p",
                                str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        result = probe(clients_for(f"http://127.0.0.1:{port}"), PREFIX)
    finally:
        process.terminate()
        process.wait(timeout=10)
    user_vector = {"CreateUser", "DeleteUser", "ListUsers", "AssociateFaces",
                   "DisassociateFaces"}
    assert user_vector <= set(missing(result)), result
    screen = missing_operations_screen(result)
    for operation in user_vector:
        assert f"missing  {operation}" in screen
    assert len(screen.splitlines()) <= 20
    # moto (5.x) serves none of the ten: each answers HTTP 500 with an HTML page.
    assert missing(result) == list(OPERATIONS), result
    assert "Nothing can be judged" in screen
