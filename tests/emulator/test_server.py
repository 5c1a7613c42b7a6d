"""The HTTP server: lifecycle, reset, and the foreground CLI entry."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from conformance.emulator import Behaviour, EmulatorServer, serve_forever_cli
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


def test_cli_announces_one_line_and_exits_cleanly_on_interrupt() -> None:
    code = ("from conformance.emulator import Behaviour, serve_forever_cli; "
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
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
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
