"""The in-process transport answers exactly as the HTTP server does, through all of botocore."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conformance.emulator import Backend, Behaviour, EmulatorServer
from conformance.emulator.inprocess import attach, inprocess_client, inprocess_client_pair
from conformance.images import face_image

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Headers the HTTP server adds that say nothing about the answer.
_TRANSPORT_HEADERS = {"date", "server", "connection", "keep-alive"}

Call = Callable[[Any], Any]

CALLS: list[Call] = [
    lambda c: c.create_collection(CollectionId="coll"),
    lambda c: c.create_collection(CollectionId="coll"),  # ResourceAlreadyExistsException
    lambda c: c.create_user(CollectionId="coll", UserId="u1"),
    lambda c: c.create_user(CollectionId="coll", UserId="u2", ClientRequestToken="t-1"),
    lambda c: c.index_faces(CollectionId="coll", Image={"Bytes": face_image(0)}),
    lambda c: c.index_faces(CollectionId="coll", Image={"Bytes": face_image(0)},
                            ExternalImageId="second"),
    lambda c: c.index_faces(CollectionId="coll", Image={"Bytes": face_image(7)}),
    lambda c: c.index_faces(CollectionId="coll", Image={"Bytes": b"not an image"}),
    lambda c: c.list_faces(CollectionId="coll"),
    lambda c: c.associate_faces(CollectionId="coll", UserId="u1",
                                FaceIds=_faces(c)[:2], ClientRequestToken="tok"),
    lambda c: c.associate_faces(CollectionId="coll", UserId="u1",
                                FaceIds=_faces(c)[:2], ClientRequestToken="tok"),  # replay
    lambda c: c.associate_faces(CollectionId="coll", UserId="u2", FaceIds=_faces(c),
                                UserMatchThreshold=0),
    lambda c: c.associate_faces(CollectionId="nope", UserId="u1", FaceIds=_faces(c)[:1]),
    lambda c: c.associate_faces(CollectionId="coll", UserId="ghost", FaceIds=_faces(c)[:1]),
    lambda c: c.list_faces(CollectionId="coll", UserId="u1"),
    lambda c: c.list_faces(CollectionId="coll", MaxResults=1),
    lambda c: c.list_users(CollectionId="coll"),
    lambda c: c.search_users(CollectionId="coll", UserId="u1"),
    lambda c: c.disassociate_faces(CollectionId="coll", UserId="u1", FaceIds=_faces(c)[:1]),
    lambda c: c.delete_faces(CollectionId="coll", FaceIds=_faces(c)),
    lambda c: c.delete_user(CollectionId="coll", UserId="ghost"),  # ResourceNotFoundException
    lambda c: c.list_collections(),
    lambda c: c.delete_collection(CollectionId="coll"),
    lambda c: c.describe_collection(CollectionId="coll"),
]


def _faces(client: Any) -> list[str]:
    return [f["FaceId"] for f in client.list_faces(CollectionId="coll")["Faces"]]


def _outcome(call: Call, client: Any) -> dict[str, Any]:
    try:
        answer = call(client)
    except ClientError as error:
        answer = error.response
    return answer  # type: ignore[no-any-return]


def _normalised(answer: dict[str, Any], ids: dict[str, str]) -> Any:
    """``answer`` with generated ids replaced by stable references, transport data left out."""
    meta = dict(answer.pop("ResponseMetadata"))
    headers = {k: v for k, v in meta["HTTPHeaders"].items()
               if k not in _TRANSPORT_HEADERS and k != "x-amzn-requestid"}
    kept = {"HTTPStatusCode": meta["HTTPStatusCode"], "HTTPHeaders": headers,
            "RetryAttempts": meta["RetryAttempts"]}
    text = json.dumps([answer, kept], sort_keys=True, default=str)
    return json.loads(_UUID.sub(lambda m: ids.setdefault(m.group(), f"id-{len(ids)}"), text))


def _http_client(url: str, **config: Any) -> Any:
    return boto3.session.Session().client(
        "rekognition", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
        config=Config(**config))


def test_in_process_and_http_answer_alike() -> None:
    with EmulatorServer() as server:
        over_http = _http_client(server.url)
        in_process = inprocess_client(Backend())
        http_ids: dict[str, str] = {}
        local_ids: dict[str, str] = {}
        for number, call in enumerate(CALLS):
            expected = _normalised(_outcome(call, over_http), http_ids)
            got = _normalised(_outcome(call, in_process), local_ids)
            assert got == expected, f"call {number}"

def test_the_sequence_reaches_errors() -> None:
    client = inprocess_client(Backend())
    found = {str(_outcome(call, client).get("Error", {}).get("Code")) for call in CALLS}
    assert {"ResourceNotFoundException", "ResourceAlreadyExistsException",
            "InvalidImageFormatException"} <= found


def test_errors_carry_code_message_and_status() -> None:
    client = inprocess_client(Backend())
    with pytest.raises(ClientError) as caught:
        client.delete_user(CollectionId="nope", UserId="u")
    error = caught.value.response
    assert error["Error"] == {"Code": "ResourceNotFoundException",
                              "Message": "The collection id: nope does not exist"}
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_throttling_and_faults_are_retried_by_botocore() -> None:
    for behaviour in (Behaviour(throttle_every=3), Behaviour(fault_every=3)):
        backend = Backend(behaviour)
        client = inprocess_client(backend, config=Config(retries={"mode": "standard",
                                                                   "total_max_attempts": 5}))
        client.create_collection(CollectionId="coll")
        retried = 0
        for _ in range(6):
            answer = client.list_collections()
            assert answer["CollectionIds"] == ["coll"]
            retried += answer["ResponseMetadata"]["RetryAttempts"]
        assert retried >= 2
        assert backend._served == 7 + retried


def test_unretried_client_sees_the_injected_fault() -> None:
    backend = Backend(Behaviour(throttle_every=1))
    client = inprocess_client(backend, config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError) as caught:
        client.list_collections()
    assert caught.value.response["Error"]["Code"] == "ThrottlingException"


def test_after_call_sees_the_raw_body() -> None:
    client = inprocess_client(Backend())
    bodies: list[bytes] = []

    def record(http_response: Any, **_: Any) -> None:
        bodies.append(http_response.content)

    client.meta.events.register("after-call.rekognition", record)
    client.create_collection(CollectionId="coll")
    client.list_faces(CollectionId="coll")
    assert json.loads(bodies[0])["CollectionArn"].endswith(":collection/coll")
    assert json.loads(bodies[1]) == {"Faces": [], "FaceModelVersion": "7.0"}


def test_the_pair_shares_one_backend_and_raw_skips_client_validation() -> None:
    backend = Backend()
    client, raw = inprocess_client_pair(backend)
    client.create_collection(CollectionId="coll")
    assert raw.list_collections()["CollectionIds"] == ["coll"]
    with pytest.raises(ClientError) as caught:
        raw.create_user(CollectionId="coll", UserId="a b")
    assert caught.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "UserId" in caught.value.response["Error"]["Message"]


def test_attach_to_an_existing_client() -> None:
    backend = Backend()
    client = _http_client("http://127.0.0.1:9")  # nothing listens there
    attach(client, backend)
    client.create_collection(CollectionId="coll")
    assert backend.handle("ListCollections", {})["CollectionIds"] == ["coll"]
