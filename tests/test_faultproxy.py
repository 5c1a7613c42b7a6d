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

    command = [sys.executable, "-m", "conformance", "proxy", "--to", server.url,
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


# ------------------------------------------------- the suite through the proxy: no false alarm


def through_proxy_harness(proxy: FaultProxy) -> Any:
    from conformance.driver import Driver
    from conformance.harness import Harness, RunContext
    from conformance.images import synthetic_faces
    from conformance.ledger import Ledger
    from conformance.targets import Target, make_clients

    clients = make_clients(Target(name="t", kind="endpoint", endpoint_url=proxy.url))
    driver = Driver(clients.checked, clients.raw, resource_prefix="cfs-test-")
    return Harness(RunContext(driver, Ledger(), synthetic_faces(3), settle_timeout=2.0,
                              resource_prefix="cfs-test-"))


def test_an_index_faces_sent_twice_after_a_reset_is_adopted_not_reported(
        server: EmulatorServer) -> None:
    """The reset comes after the server indexed the face; botocore sends the request again
    and a second face is indexed. The suite must not blame the target for the extra face."""
    with FaultProxy(server.url, FaultRates()) as proxy:
        h = through_proxy_harness(proxy)
        h.add_user("u0")
        proxy.rates = FaultRates(reset_after=1.0)
        proxy.max_faults = 1
        face_id = h.index_face(2)
        assert proxy.counts["reset-after"] == 1
        (entry,) = [e for e in h.ctx.driver.log if e.operation == "IndexFaces"]
        assert entry.outcome.get("uncertain") is True
        assert h.ctx.driver.calls["uncertain"] == 1
        h.check_state(None)  # re-reads first, then judges the listings: no Failure
        assert len(h.model.faces) == 2 and face_id in h.model.faces
        assert {f.person for f in h.model.faces.values()} == {2}
        assert h.model.unowned_faces() == list(h.model.faces)
        h.close()
    assert collections(server) == []


def test_a_lost_answer_to_a_change_is_not_judged_and_the_state_is_read_back(
        server: EmulatorServer) -> None:
    from conformance.checks import FacesRequest
    from conformance.harness.reread import OutcomeUnknown

    with FaultProxy(server.url, FaultRates()) as proxy:
        h = through_proxy_harness(proxy)
        h.add_user("u0")
        face_id = h.index_face(0)
        proxy.rates = FaultRates(reset_after=1.0)
        proxy.max_faults = 1
        # Sent again with the same token, a conforming server answers as before; a server
        # that refused the second copy would be blamed for nothing: neither is judged.
        with pytest.raises(OutcomeUnknown, match="AssociateFaces"):
            h.send_associate(FacesRequest("u0", [face_id], 0.0))
        h.check_state(None)
        assert h.model.users["u0"].faces == {face_id}
        assert h.ctx.ledger.failures_raised == 0
        h.close()


@pytest.mark.slow
def test_a_dev_run_through_the_fault_proxy_reports_no_finding(
        server: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's rates: 10% throttling, 5% HTTP 500, 1% resets before, 1% after. Faults
    may end the run as a transport error (exit 4), never as a finding."""
    from botocore.retries.standard import ExponentialBackoff

    from conformance.report.console import exit_code
    from conformance.runner import run_suite
    from conformance.targets import Target

    # Waiting out the client's back-off (half a second a retry, about 900 retries) is all the
    # run would otherwise do; what is tested is what the retries do, not how long they wait.
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.01)
    rates = FaultRates(throttle=0.1, error=0.05, reset_before=0.01, reset_after=0.01)
    with FaultProxy(server.url, rates, seed=5) as proxy:
        result = run_suite(Target(name="endpoint", kind="endpoint", endpoint_url=proxy.url),
                           profile="dev", seed=0)
        print(f"fault proxy: {proxy.summary()}; calls {result.calls}; "
              f"{result.duration_seconds} s; errors {[e.message for e in result.errors]}")
        assert proxy.counts["reset-after"] and proxy.counts["reset-before"]
    assert [f.message for f in result.findings] == []
    assert exit_code(result) in (0, 4)
    assert collections(server) == []


def test_substitute_replaces_the_answers_it_chooses_and_forwards_the_rest(
        server: EmulatorServer) -> None:
    seen: list[tuple[str, int]] = []

    def substitute(operation: str, status: int, body: bytes) -> tuple[int, bytes] | None:
        seen.append((operation, status))
        if operation == "ListCollections":
            return 400, b'{"__type": "BrandNewException", "message": "no client knows me"}'
        return None

    with FaultProxy(server.url, FaultRates(), substitute=substitute) as proxy:
        through = client(proxy.url)
        assert through.create_collection(CollectionId="c1")["StatusCode"] == 200
        with pytest.raises(ClientError) as refused:
            through.list_collections()
    assert refused.value.response["Error"]["Code"] == "BrandNewException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # The server acted on both requests; the proxy saw its answers before choosing.
    assert seen == [("CreateCollection", 200), ("ListCollections", 200)]
    assert collections(server) == ["c1"]
