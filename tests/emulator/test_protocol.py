"""The AWS JSON 1.1 layer, over raw HTTP: targets, malformed bodies, sizes, crashes."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest

from conformance.emulator import Backend, Behaviour, EmulatorServer, protocol

TARGET = "RekognitionService."


def post(server: EmulatorServer, body: bytes, target: str | None,
         **headers: str) -> tuple[int, dict[str, str], dict[str, Any]]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    try:
        sent = {"Content-Type": protocol.CONTENT_TYPE, **headers}
        if target is not None:
            sent["X-Amz-Target"] = target
        connection.request("POST", "/", body=body, headers=sent)
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), json.loads(answer.read())
    finally:
        connection.close()


@pytest.fixture
def server(emulator_server: EmulatorServer) -> EmulatorServer:
    emulator_server.reset()
    return emulator_server


def test_success_is_aws_json(server: EmulatorServer) -> None:
    status, headers, body = post(server, b'{"CollectionId": "c"}', TARGET + "CreateCollection")
    assert status == 200 and body["StatusCode"] == 200
    assert headers["Content-Type"] == "application/x-amz-json-1.1"
    assert headers["x-amzn-RequestId"]


@pytest.mark.parametrize("target", [TARGET + "DetectFaces", "OtherService.ListUsers",
                                    "RekognitionService", None])
def test_unknown_operation(server: EmulatorServer, target: str | None) -> None:
    status, headers, body = post(server, b"{}", target)
    assert status == 400 and body["__type"] == "UnknownOperationException"
    assert body["message"] and headers["x-amzn-ErrorType"] == "UnknownOperationException"


@pytest.mark.parametrize("raw", [b"{", b"[1, 2]", b'"text"', b"\xff\xfe{}", b"{'a': 1}"])
def test_malformed_json_is_a_serialization_error(server: EmulatorServer, raw: bytes) -> None:
    status, _, body = post(server, raw, TARGET + "ListCollections")
    assert (status, body["__type"]) == (400, "SerializationException")


def test_empty_body_is_an_empty_request(server: EmulatorServer) -> None:
    status, _, body = post(server, b"", TARGET + "ListCollections")
    assert status == 200 and body["CollectionIds"] == []


def test_errors_name_their_code_and_status(server: EmulatorServer) -> None:
    status, _, body = post(server, b'{"CollectionId": "nope"}', TARGET + "DescribeCollection")
    assert (status, body["__type"]) == (400, "ResourceNotFoundException")
    assert "nope" in body["message"]


def test_oversized_body_is_refused_cleanly(server: EmulatorServer) -> None:
    body = b'{"CollectionId": "' + b"x" * (protocol.MAX_BODY_BYTES + 10) + b'"}'
    status, _, answer = post(server, body, TARGET + "CreateCollection")
    assert (status, answer["__type"]) == (413, "RequestEntityTooLargeException")
    # The server is still serving.
    assert post(server, b"{}", TARGET + "ListCollections")[0] == 200


def test_oversized_body_through_handle() -> None:
    status, _, body = protocol.handle(Backend(), {"X-Amz-Target": TARGET + "ListCollections"},
                                      b" " * (protocol.MAX_BODY_BYTES + 1))
    assert (status, json.loads(body)["__type"]) == (413, "RequestEntityTooLargeException")


def test_emulator_bug_becomes_internal_server_error(
        server: EmulatorServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    def broken(request: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("seeded bug")

    monkeypatch.setattr(server.backend, "list_collections", broken)
    status, _, body = post(server, b"{}", TARGET + "ListCollections")
    assert (status, body["__type"]) == (500, "InternalServerError")
    assert "seeded bug" in capsys.readouterr().err
    assert post(server, b'{"CollectionId": "c"}', TARGET + "CreateCollection")[0] == 200


def test_headers_are_case_insensitive() -> None:
    status, headers, _ = protocol.handle(Backend(), {"x-amz-target": TARGET + "ListCollections"},
                                         b"{}")
    assert status == 200 and headers["Content-Type"] == protocol.CONTENT_TYPE


def test_a_missing_operation_answers_400_unknown_operation() -> None:
    backend = Backend(Behaviour(missing_operations=frozenset({"DeleteUser"})))
    status, headers, body = protocol.handle(
        backend, {"X-Amz-Target": "RekognitionService.DeleteUser"},
        b'{"CollectionId": "c", "UserId": "u"}')
    assert status == 400
    assert headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert json.loads(body)["__type"] == "UnknownOperationException"
