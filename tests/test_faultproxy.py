"""The fault proxy itself, seen by a plain boto3 client with retries off: each fault kind,
where it happens (before or after the server), and the seeded reproducibility."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from conformance.emulator.server import EmulatorServer
from conformance.faultproxy import FaultProxy, FaultRates


@pytest.fixture()
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as emulator:
        yield emulator


def client(url: str) -> Any:
    return boto3.client("rekognition", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(retries={"total_max_attempts": 1}, connect_timeout=2,
                                      read_timeout=5))


def collections(server: EmulatorServer) -> list[str]:
    return list(client(server.url).list_collections()["CollectionIds"])


@pytest.mark.parametrize(("rates", "code", "status"), [
    (FaultRates(throttle=1.0), "ThrottlingException", 400),
    (FaultRates(error=1.0), "InternalServerError", 500),
])
def test_throttling_and_server_errors_are_answered_without_reaching_the_server(
        server: EmulatorServer, rates: FaultRates, code: str, status: int) -> None:
    with FaultProxy(server.url, rates) as proxy, pytest.raises(ClientError) as refused:
        client(proxy.url).create_collection(CollectionId="c1")
    assert refused.value.response["Error"]["Code"] == code
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert collections(server) == []


def test_a_reset_before_the_request_leaves_the_server_untouched(server: EmulatorServer) -> None:
    with FaultProxy(server.url, FaultRates(reset_before=1.0)) as proxy:
        with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
            client(proxy.url).create_collection(CollectionId="c1")
        assert proxy.counts["reset-before"] == 1
    assert collections(server) == []


def test_a_reset_after_the_request_took_effect_hides_its_answer(server: EmulatorServer) -> None:
    with FaultProxy(server.url, FaultRates(reset_after=1.0)) as proxy:
        with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
            client(proxy.url).create_collection(CollectionId="c1")
        assert [(e.operation, e.fault) for e in proxy.events] == [
            ("CreateCollection", "reset-after")]
    assert collections(server) == ["c1"]


def test_without_faults_answers_pass_through_unchanged(server: EmulatorServer) -> None:
    with FaultProxy(server.url, FaultRates()) as proxy:
        through = client(proxy.url)
        assert through.create_collection(CollectionId="c1")["StatusCode"] == 200
        with pytest.raises(ClientError) as exists:
            through.create_collection(CollectionId="c1")
        assert exists.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"
        assert through.list_collections()["CollectionIds"] == ["c1"]
        assert proxy.counts["forward"] == 3


def run_mixed(server: EmulatorServer, seed: int, requests: int = 60) -> list[str]:
    rates = FaultRates(throttle=0.2, error=0.1, reset_before=0.1, reset_after=0.1)
    with FaultProxy(server.url, rates, seed=seed) as proxy:
        through = client(proxy.url)
        for n in range(requests):
            with contextlib.suppress(ClientError, ConnectionClosedError, EndpointConnectionError):
                through.describe_collection(CollectionId=f"absent{n}")
        return [e.fault for e in proxy.events]


def test_the_same_seed_gives_the_same_faults_in_the_same_order(server: EmulatorServer) -> None:
    first, again, other = (run_mixed(server, 7), run_mixed(server, 7), run_mixed(server, 8))
    assert first == again
    assert first != other
    assert {"forward", "throttle", "error", "reset-before", "reset-after"} <= set(first)


def test_max_faults_bounds_what_is_injected(server: EmulatorServer) -> None:
    with FaultProxy(server.url, FaultRates(error=1.0), max_faults=2) as proxy:
        through = client(proxy.url)
        codes = []
        for _ in range(4):
            try:
                through.list_collections()
                codes.append("ok")
            except ClientError as error:
                codes.append(error.response["Error"]["Code"])
    assert codes == ["InternalServerError", "InternalServerError", "ok", "ok"]


def test_rates_are_checked() -> None:
    with pytest.raises(ValueError, match="more than 1"):
        FaultRates(throttle=0.6, error=0.6)
    with pytest.raises(ValueError, match="between 0 and 1"):
        FaultRates(reset_after=-0.1)
    with pytest.raises(ValueError, match="http://host:port"):
        FaultProxy("ftp://x", FaultRates())


def test_the_proxy_command_announces_one_line_and_forwards(server: EmulatorServer) -> None:
    import signal
    import subprocess
    import sys

    command = [sys.executable, "-m", "conformance.cli", "proxy", "--to", server.url,
               "--throttle", "0", "--seed", "3"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), line
        url = line.split()[2].rstrip(",")
        assert client(url).list_collections()["CollectionIds"] == []
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "1 requests: forwarded 1" in err


def test_the_proxy_command_refuses_a_bad_rate_in_one_line() -> None:
    from conformance.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["proxy", "--to", "http://127.0.0.1:1", "--throttle", "1.5"])
    assert exited.value.code == 2
    assert main(["proxy", "--to", "http://127.0.0.1:1", "--throttle", "0.6",
                 "--error", "0.6"]) == 2
