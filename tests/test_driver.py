"""The driver against a real reference emulator: safety, cleanup, transport, budget, bodies."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.config import Config

from conformance.driver import Driver, OperationMissing, RunAborted
from conformance.emulator.backend import UnknownOperationException
from conformance.emulator.behaviour import Behaviour
from conformance.emulator.server import EmulatorServer
from conformance.errors import (
    BudgetExhausted,
    SafetyViolation,
    TargetUnreachable,
    TargetUnsupported,
    TransportError,
)
from conformance.faultproxy import FaultProxy, FaultRates
from conformance.images import face_image
from conformance.targets import BUILTIN_EMBEDDED, Clients, make_clients

PREFIX = "cfr-test-"
# Bounds a call that must fail fast; far above what it takes, far below a hang.
DEADLINE = 15.0


_SESSION = boto3.session.Session(aws_access_key_id="testing",
                                 aws_secret_access_key="testing", region_name="us-east-1")


def plain_client(url: str, *, validate: bool = True) -> Any:
    """A boto3 client that retries nothing, outside any driver."""
    return _SESSION.client(
        "rekognition", endpoint_url=url,
        config=Config(parameter_validation=validate, retries={"total_max_attempts": 1},
                      connect_timeout=2, read_timeout=10))


class Served:
    """Counts the requests that reach the backend (patched onto each fresh backend)."""

    def __init__(self) -> None:
        self.operations: list[str] = []
        self.responses: list[dict[str, Any]] = []


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as running:
        yield running


def fresh_backend(server: EmulatorServer, behaviour: Behaviour | None = None) -> Served:
    backend = server.reset(behaviour if behaviour is not None else Behaviour())
    served = Served()
    serve = backend.handle

    def counting(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        served.operations.append(operation)
        response = serve(operation, request)
        served.responses.append(response)
        return response

    backend.handle = counting  # type: ignore[method-assign]
    return served


@pytest.fixture(scope="module")
def clients(server: EmulatorServer) -> Clients:
    """The suite's own clients for the emulator (standard retries), built once: it is slow."""
    return make_clients(BUILTIN_EMBEDDED, server.url)


@pytest.fixture(scope="module")
def direct(server: EmulatorServer) -> Any:
    """A client that goes around the driver, as someone else in the account would."""
    return plain_client(server.url)


@pytest.fixture
def served(server: EmulatorServer) -> Served:
    return fresh_backend(server)


@pytest.fixture
def make_driver(clients: Clients) -> Callable[..., Driver]:
    def make(**kwargs: Any) -> Driver:
        return Driver(clients.checked, clients.raw, resource_prefix=PREFIX, **kwargs)

    return make


@pytest.fixture
def driver(make_driver: Callable[..., Driver], served: Served) -> Driver:
    return make_driver()


def aborted_with(error_type: type, call: Any) -> RunAborted:
    with pytest.raises(RunAborted) as caught:
        call()
    assert isinstance(caught.value.error, error_type), caught.value.error
    return caught.value


# --------------------------------------------------------------------------- safety guard


@pytest.mark.parametrize("collection", ["someone-elses", "cfr-test", "x" + PREFIX, None])
def test_a_collection_outside_the_prefix_is_refused_and_nothing_is_sent(
        driver: Driver, served: Served, collection: str | None) -> None:
    params: dict[str, Any] = {"UserId": "u1"}
    if collection is not None:
        params["CollectionId"] = collection
    aborted_with(SafetyViolation, lambda: driver.call("CreateUser", params))
    assert served.operations == []
    assert driver.log == []
    assert driver.calls.total() == 0


def test_creating_a_collection_outside_the_prefix_is_refused(driver: Driver,
                                                             served: Served) -> None:
    aborted_with(SafetyViolation, lambda: driver.create_collection("production-faces"))
    assert served.operations == []
    assert driver.created_collections == []


def test_a_raw_client_call_is_guarded_too(driver: Driver, served: Served) -> None:
    aborted_with(SafetyViolation, lambda: driver.call(
        "AssociateFaces", {"CollectionId": "prod", "UserId": "u", "FaceIds": ["x"]},
        raw_client=True))
    assert served.operations == []


def test_deleting_a_prefixed_collection_the_run_did_not_create_is_refused(
        direct: Any, driver: Driver, served: Served) -> None:
    outsider = PREFIX + "made-by-someone-else"
    direct.create_collection(CollectionId=outsider)
    sent = len(served.operations)
    aborted_with(SafetyViolation,
                 lambda: driver.call("DeleteCollection", {"CollectionId": outsider}))
    assert len(served.operations) == sent
    assert driver.log == []
    listed = direct.list_collections()["CollectionIds"]
    assert outsider in listed


def test_a_collection_id_no_reading_of_the_pattern_takes_is_sent_but_never_created(
        driver: Driver, served: Served) -> None:
    """AF-INPUT's probe of a server that checks no pattern: "!!!" names no collection
    anyone can have made, so it goes out without the prefix; nothing else does."""
    outcome = driver.call("AssociateFaces", {"CollectionId": "!!!", "UserId": "u",
                                             "FaceIds": [str(uuid.UUID(int=1))]},
                          raw_client=True)
    assert outcome.error == "InvalidParameterException"
    for operation in ("CreateCollection", "DeleteCollection"):
        aborted_with(SafetyViolation, lambda op=operation: driver.call(  # type: ignore[misc]
            op, {"CollectionId": "!!!"}))
    aborted_with(SafetyViolation, lambda: driver.call(
        "AssociateFaces", {"CollectionId": "!!!x", "UserId": "u", "FaceIds": ["x"]},
        raw_client=True))
    assert served.operations == ["AssociateFaces"]


def test_list_collections_is_refused(driver: Driver, served: Served) -> None:
    aborted_with(SafetyViolation, lambda: driver.call("ListCollections", {}))
    aborted_with(SafetyViolation,
                 lambda: driver.call("ListCollections", {"CollectionId": PREFIX + "c"}))
    assert served.operations == []
    assert driver.log == []


def test_a_prefixed_collection_of_the_run_is_served(driver: Driver, served: Served) -> None:
    driver.create_collection(PREFIX + "c0")
    outcome = driver.call("CreateUser", {"CollectionId": PREFIX + "c0", "UserId": "u1"})
    assert outcome.ok, outcome
    assert served.operations == ["CreateCollection", "CreateUser"]
    assert driver.created_collections == [PREFIX + "c0"]
    assert [e.operation for e in driver.log] == ["CreateCollection", "CreateUser"]


def test_cleanup_deletes_exactly_what_the_run_created(direct: Any, driver: Driver,
                                                      served: Served) -> None:
    direct.create_collection(CollectionId="unrelated")
    direct.create_collection(CollectionId=PREFIX + "outside-the-driver")
    driver.create_collection(PREFIX + "c0")
    driver.create_collection(PREFIX + "c1")
    driver.create_collection(PREFIX + "c2")
    assert driver.delete_collection(PREFIX + "c1") is None  # deleted during the run
    served.operations.clear()

    assert driver.cleanup() == []

    assert sorted(served.operations) == ["DeleteCollection", "DeleteCollection"]
    deleted = [e.params["CollectionId"] for e in driver.log[-2:]]
    assert deleted == [PREFIX + "c0", PREFIX + "c2"]
    assert driver.created_collections == []
    left = direct.list_collections()["CollectionIds"]
    assert sorted(left) == sorted(["unrelated", PREFIX + "outside-the-driver"])
    # A second cleanup has nothing left to do.
    served.operations.clear()
    assert driver.cleanup() == []
    assert served.operations == []


def test_cleanup_ignores_the_budget_and_tolerates_a_collection_already_gone(
        direct: Any, make_driver: Callable[..., Driver], served: Served) -> None:
    driver = make_driver(call_budget=2)
    driver.create_collection(PREFIX + "c0")
    driver.create_collection(PREFIX + "c1")
    direct.delete_collection(CollectionId=PREFIX + "c1")
    assert driver.cleanup() == []
    assert driver.created_collections == []
    assert driver.call_budget == 2
    assert direct.list_collections()["CollectionIds"] == []


# --------------------------------------------------------------------------- transport


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_an_unreachable_endpoint_aborts_with_target_unreachable() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    driver = Driver(plain_client(url), plain_client(url, validate=False),
                    resource_prefix=PREFIX)
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(driver.create_collection, PREFIX + "c0")
        with pytest.raises(RunAborted) as caught:
            future.result(timeout=DEADLINE)
    assert isinstance(caught.value.error, TargetUnreachable), caught.value.error
    assert caught.value.error.exit_code == 3
    # Kept for cleanup: an unanswered CreateCollection may still have created it.
    assert driver.created_collections == [PREFIX + "c0"]
    assert driver.log == []


def test_unknown_operation_aborts_with_target_unsupported(
        server: EmulatorServer, make_driver: Callable[..., Driver], served: Served) -> None:
    def unsupported(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        raise UnknownOperationException(f"operation {operation!r} is not supported")

    server.backend.handle = unsupported  # type: ignore[method-assign]
    driver = make_driver()
    aborted = aborted_with(TargetUnsupported, lambda: driver.call(
        "CreateCollection", {"CollectionId": PREFIX + "c0"}))
    assert "CreateCollection" in str(aborted.error)
    assert driver.log == []


def test_another_missing_operation_is_named_and_the_run_goes_on(
        server: EmulatorServer, make_driver: Callable[..., Driver], served: Served) -> None:
    real = server.backend.handle

    def no_disassociate(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        if operation == "DisassociateFaces":
            raise UnknownOperationException(f"operation {operation!r} is not supported")
        return real(operation, request)

    server.backend.handle = no_disassociate  # type: ignore[method-assign]
    driver = make_driver()
    driver.create_collection(PREFIX + "c0")
    with pytest.raises(OperationMissing) as missing:
        driver.call("DisassociateFaces", {"CollectionId": PREFIX + "c0", "UserId": "u",
                                          "FaceIds": ["11111111-2222-3333-4444-555555555555"]})
    assert missing.value.operation == "DisassociateFaces"
    assert driver.missing == {"DisassociateFaces": "UnknownOperationException"}
    assert driver.call("ListUsers", {"CollectionId": PREFIX + "c0"}).ok


def test_a_persistent_server_error_is_an_answer_for_the_clause_to_judge(
        server: EmulatorServer, make_driver: Callable[..., Driver]) -> None:
    server.reset(Behaviour(fault_every=1))
    driver = make_driver()
    outcome = driver.call("ListUsers", {"CollectionId": PREFIX + "c0"})
    assert outcome.error == "InternalServerError" and outcome.http_status == 500
    assert "after the client's retries" in outcome.message


def test_throttling_is_absorbed_by_the_clients_retries(
        server: EmulatorServer, make_driver: Callable[..., Driver]) -> None:
    served = fresh_backend(server, Behaviour(throttle_every=3))
    driver = make_driver()
    driver.create_collection(PREFIX + "c0")  # request 1
    for user in ("u1", "u2"):  # requests 2 and 3 (throttled, retried as 4)
        outcome = driver.call("CreateUser", {"CollectionId": PREFIX + "c0", "UserId": user})
        assert outcome.ok, outcome
    assert driver.calls["retries"] > 0
    assert driver.calls["CreateUser"] == 2
    assert driver.calls["throttled"] == 0
    # The server saw the throttled request and its retry; the log has one entry per call.
    assert served.operations == ["CreateCollection", "CreateUser", "CreateUser", "CreateUser"]
    assert [e.outcome for e in driver.log[1:]] == [{"body": {}}, {"body": {}}]


# --------------------------------------------------------------------------- budget


def test_the_call_budget_aborts_the_fourth_call(make_driver: Callable[..., Driver],
                                                served: Served) -> None:
    driver = make_driver(call_budget=3)
    driver.create_collection(PREFIX + "c0")
    driver.call("CreateUser", {"CollectionId": PREFIX + "c0", "UserId": "u1"})
    driver.call("CreateUser", {"CollectionId": PREFIX + "c0", "UserId": "u2"})
    aborted = aborted_with(BudgetExhausted, lambda: driver.call(
        "CreateUser", {"CollectionId": PREFIX + "c0", "UserId": "u3"}))
    assert "3" in str(aborted.error)
    assert len(served.operations) == 3
    assert driver.calls.total() == 3
    assert len(driver.log) == 3


def test_refusals_count_against_the_budget(make_driver: Callable[..., Driver],
                                           served: Served) -> None:
    driver = make_driver(call_budget=1)
    outcome = driver.call("DeleteUser", {"CollectionId": PREFIX + "missing", "UserId": "u1"})
    assert outcome.error == "ResourceNotFoundException"
    aborted_with(BudgetExhausted, lambda: driver.call(
        "DeleteUser", {"CollectionId": PREFIX + "missing", "UserId": "u1"}))


# --------------------------------------------------------------------------- outcomes


def test_the_body_is_the_servers_json(driver: Driver, served: Served) -> None:
    driver.create_collection(PREFIX + "c0")
    outcome = driver.call("IndexFaces", {"CollectionId": PREFIX + "c0",
                                         "Image": {"Bytes": face_image(1)}},
                          note={"image": "face_image(1)", "person": 1})
    assert outcome.ok and outcome.http_status == 200
    assert outcome.body is not None
    assert "ResponseMetadata" not in outcome.body
    assert outcome.body == json.loads(json.dumps(served.responses[-1]))
    entry = driver.log[-1].to_json()
    assert entry["params"]["Image"] == {"Bytes": "<face_image(1)>"}
    assert entry["note"] == {"image": "face_image(1)", "person": 1}
    assert entry["outcome"] == {"body": outcome.body}
    assert entry["raw_client"] is False


def test_the_body_keeps_what_botocore_would_drop(server: EmulatorServer, driver: Driver,
                                                 served: Served) -> None:
    backend = server.backend
    serve = backend.handle

    def with_extra(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        return {**serve(operation, request), "NotInTheModel": [1, 2]}

    backend.handle = with_extra  # type: ignore[method-assign]
    driver.create_collection(PREFIX + "c0")
    outcome = driver.call("CreateUser", {"CollectionId": PREFIX + "c0", "UserId": "u1"})
    assert outcome.body == {"NotInTheModel": [1, 2]}


def answered_with(server: EmulatorServer, operation: str, body: bytes) -> Any:
    """A proxy that answers every success of ``operation`` with ``body``."""
    return FaultProxy(server.url, FaultRates(), substitute=lambda op, status, _: (
        (status, body) if op == operation and status == 200 else None))


@pytest.mark.parametrize(("body", "expected", "malformed"), [
    # botocore's parser trips over these (a list where its model has a structure, a string
    # where it has a list): the driver still hands the checks what the server sent.
    (b'{"FaceRecords": "a string"}', {"FaceRecords": "a string"}, ""),
    (b'{"FaceRecords": [7, null]}', {"FaceRecords": [7, None]}, ""),
    (b"[]", {}, "a JSON list where an object is expected: '[]'"),
    (b"null", {}, "a JSON NoneType where an object is expected: 'null'"),
    (b"", {}, ""),
])
def test_a_success_of_any_json_is_an_answer_to_judge(
        server: EmulatorServer, served: Served, body: bytes, expected: dict[str, Any],
        malformed: str) -> None:
    with answered_with(server, "IndexFaces", body) as proxy:
        driver = Driver(*_clients_of(proxy.url), resource_prefix=PREFIX)
        driver.create_collection(PREFIX + "c0")
        outcome = driver.call("IndexFaces", {"CollectionId": PREFIX + "c0",
                                             "Image": {"Bytes": face_image(1)}})
    assert outcome.ok and outcome.body == expected and outcome.malformed == malformed
    assert driver.log[-1].outcome.get("malformed", "") == malformed


def test_a_success_whose_body_is_not_json_is_a_transport_error(
        server: EmulatorServer, served: Served) -> None:
    with answered_with(server, "CreateUser", b"<html>502</html>") as proxy:
        driver = Driver(*_clients_of(proxy.url), resource_prefix=PREFIX)
        driver.create_collection(PREFIX + "c0")
        aborted = aborted_with(TransportError, lambda: driver.call(
            "CreateUser", {"CollectionId": PREFIX + "c0", "UserId": "u1"}))
    assert "not JSON: '<html>502</html>'" in str(aborted.error)


def _clients_of(url: str) -> tuple[Any, Any]:
    clients = make_clients(BUILTIN_EMBEDDED, url)
    return clients.checked, clients.raw


def test_a_refusal_is_an_outcome_with_its_code(driver: Driver, served: Served) -> None:
    driver.create_collection(PREFIX + "c0")
    outcome = driver.call("AssociateFaces", {
        "CollectionId": PREFIX + "c0", "UserId": "nobody",
        "FaceIds": ["11111111-2222-3333-4444-555555555555"]})
    assert not outcome.ok
    assert outcome.error == "ResourceNotFoundException"
    assert outcome.body is None
    assert outcome.http_status == 400
    assert outcome.message
    assert driver.log[-1].outcome == {"error": "ResourceNotFoundException",
                                      "message": outcome.message}


def test_the_raw_client_reaches_the_servers_own_validation(driver: Driver,
                                                           served: Served) -> None:
    driver.create_collection(PREFIX + "c0")
    params = {"CollectionId": PREFIX + "c0", "UserId": "u1",
              "FaceIds": ["11111111-2222-3333-4444-555555555555"], "UserMatchThreshold": 101.0}
    outcome = driver.call("AssociateFaces", params, raw_client=True)
    assert outcome.error in ("InvalidParameterException", "ValidationException")
    assert driver.log[-1].raw_client is True


def test_max_rps_holds_concurrent_calls_to_the_rate(make_driver: Callable[..., Driver],
                                                    server: EmulatorServer) -> None:
    backend = server.reset(Behaviour())
    serve = backend.handle
    arrived: list[float] = []

    def timed(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        arrived.append(time.monotonic())
        return serve(operation, request)

    backend.handle = timed  # type: ignore[method-assign]
    driver = make_driver(max_rps=20.0)
    driver.create_collection(PREFIX + "c0")
    with ThreadPoolExecutor(max_workers=4) as pool:  # the race checks send from threads
        outcomes = list(pool.map(lambda _: driver.call("ListUsers", {
            "CollectionId": PREFIX + "c0"}), range(40)))
    assert all(o.ok for o in outcomes)
    assert len(arrived) == 41
    # 20 a second, with room for network jitter; a slow machine only sends fewer.
    busiest = max(sum(1 for t in arrived if start <= t < start + 1.0) for start in arrived)
    assert busiest <= 25, busiest
