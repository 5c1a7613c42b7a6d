"""The HTTP server: lifecycle, reset, and the foreground CLI entry."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from conformance.emulator import Behaviour, EmulatorServer, serve_forever_cli
from conformance.emulator import server as server_module
from conformance.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def list_collections(url: str) -> dict[str, object]:
    request = urllib.request.Request(url, data=b"{}", method="POST", headers={
        "X-Amz-Target": "RekognitionService.ListCollections",
        "Content-Type": "application/x-amz-json-1.1"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        result: dict[str, object] = json.loads(answer.read())
        return result


def test_context_manager_serves_on_loopback_and_stops() -> None:
    with EmulatorServer(Behaviour()) as server:
        assert server.url == f"http://127.0.0.1:{server.port}" and server.port > 0
        assert list_collections(server.url) == {"CollectionIds": [], "FaceModelVersions": []}
        url = server.url
    with pytest.raises(OSError):
        list_collections(url)


def test_reset_forgets_state_and_can_change_behaviour() -> None:
    server = EmulatorServer().start()
    try:
        server.backend.handle("CreateCollection", {"CollectionId": "c"})
        old = server.backend
        fresh = server.reset(Behaviour(settle_seconds=5))
        assert fresh is server.backend and fresh is not old
        assert fresh.behaviour.settle_seconds == 5
        assert list_collections(server.url)["CollectionIds"] == []
    finally:
        server.stop()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_cli_announces_one_line_and_exits_cleanly_on_interrupt(stop: int) -> None:
    # On a hang, SIGUSR1 dumps every thread's stack into the failure message. SIGINT
    # starts out ignored, as in a background job of a shell script: the server must still
    # stop on it.
    code = ("import faulthandler, signal; "
            "faulthandler.register(signal.SIGUSR1, all_threads=True); "
            "signal.signal(signal.SIGINT, signal.SIG_IGN); "
            "from conformance.emulator import Behaviour, serve_forever_cli; "
            "serve_forever_cli(0, Behaviour())")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:") and line.endswith("\n")
        url = line.split()[-1]
        assert list_collections(url)["CollectionIds"] == []
        process.send_signal(stop)
        try:
            out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGUSR1)
            time.sleep(1)
            process.kill()
            raise AssertionError(f"no exit 30 s after {stop!r}: "
                                 f"{process.communicate()[1]}") from None
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert out == "" and "Traceback" not in err


def test_cli_on_a_busy_port_is_a_config_error() -> None:
    with EmulatorServer() as server, pytest.raises(ConfigError) as caught:
        serve_forever_cli(server.port, Behaviour())
    assert str(server.port) in str(caught.value)


def _post(sock: socket.socket, body: bytes, target: str = "ListCollections") -> bytes:
    sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: RekognitionService." +
                 target.encode() + b"\r\nContent-Type: application/x-amz-json-1.1\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(65536)
    head, _, rest = answer.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
    while len(rest) < length:
        rest += sock.recv(65536)
    return head + b"\r\n\r\n" + rest


def test_keep_alive_answers_many_requests_on_one_connection_quickly() -> None:
    with EmulatorServer() as server, socket.create_connection(("127.0.0.1", server.port)) as sock:
        started = time.monotonic()
        for _ in range(20):
            answer = _post(sock, b"{}")
            assert answer.startswith(b"HTTP/1.1 200 ")
            assert answer.endswith(b'{"CollectionIds": [], "FaceModelVersions": []}')
        # With a Nagle/delayed-ACK stall each answer would take ~40 ms.
        assert time.monotonic() - started < 0.6


def test_each_answer_is_one_write_on_a_nodelay_socket() -> None:
    writes: list[bytes] = []
    options: list[tuple[int, int, object]] = []
    original_setup = server_module._Handler.setup

    def setup(handler: Any) -> None:
        original_setup(handler)
        options.append((socket.IPPROTO_TCP, socket.TCP_NODELAY,
                        handler.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)))
        write = handler.wfile.write

        def recording(data: bytes) -> int:
            writes.append(bytes(data))
            return int(write(data))

        handler.wfile.write = recording

    with (mock.patch.object(server_module._Handler, "setup", setup), EmulatorServer() as server,
          socket.create_connection(("127.0.0.1", server.port)) as sock):
        _post(sock, b"{}")
        _post(sock, b'{"CollectionId": "nope"}', "DescribeCollection")
    assert options and all(value for *_, value in options)
    assert len(writes) == 2
    assert writes[0].startswith(b"HTTP/1.1 200 ") and writes[0].endswith(b"}")
    assert writes[1].startswith(b"HTTP/1.1 400 ") and b"ResourceNotFoundException" in writes[1]
