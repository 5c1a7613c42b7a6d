"""Fixtures for the emulator's tests: one server per test process, a fresh backend per test.

Every test talks to the emulator through boto3, as the suite does: ``rig.client``
validates parameters like any SDK user, ``rig.raw`` does not, so that the
server's own validation can be reached.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conformance.emulator import Backend, Behaviour, EmulatorServer, match_confidence
from conformance.emulator.backend import output_violations
from conformance.emulator.behaviour import DEFAULT_READINGS
from conformance.images import face_image

COLLECTION = "coll"


def _client(url: str, validate: bool) -> Any:
    config = Config(parameter_validation=validate, retries={"total_max_attempts": 1},
                    connect_timeout=5, read_timeout=20)
    return boto3.session.Session().client(
        "rekognition", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing", config=config)


@dataclass
class Rig:
    """A fresh emulator behind two boto3 clients, with shortcuts for the usual set-up."""

    client: Any
    raw: Any
    backend: Backend

    def collection(self, collection_id: str = COLLECTION) -> str:
        self.client.create_collection(CollectionId=collection_id)
        return collection_id

    def face(self, person: int = 0, collection_id: str = COLLECTION) -> str:
        """Index one face of ``person``; the same person again gives another FaceId."""
        answer = self.client.index_faces(CollectionId=collection_id,
                                         Image={"Bytes": face_image(person)})
        face_id: str = answer["FaceRecords"][0]["Face"]["FaceId"]
        return face_id

    def faces(self, count: int, person: int = 0, collection_id: str = COLLECTION) -> list[str]:
        """``count`` faces of ``person``, indexed straight into the backend (set-up only)."""
        request = {"CollectionId": collection_id,
                   "Image": {"Bytes": base64.b64encode(face_image(person)).decode()}}
        made = [self.backend.handle("IndexFaces", request)["FaceRecords"][0]["Face"]["FaceId"]
                for _ in range(count)]
        return made

    def user(self, user_id: str = "u1", collection_id: str = COLLECTION) -> str:
        self.client.create_user(CollectionId=collection_id, UserId=user_id)
        return user_id

    def associate(self, user_id: str, face_ids: list[str], collection_id: str = COLLECTION,
                  **extra: Any) -> dict[str, Any]:
        return strip(self.client.associate_faces(CollectionId=collection_id, UserId=user_id,
                                                 FaceIds=face_ids, **extra))

    def disassociate(self, user_id: str, face_ids: list[str], collection_id: str = COLLECTION,
                     **extra: Any) -> dict[str, Any]:
        return strip(self.client.disassociate_faces(CollectionId=collection_id, UserId=user_id,
                                                    FaceIds=face_ids, **extra))

    def owners(self, collection_id: str = COLLECTION) -> dict[str, str | None]:
        """FaceId -> owning UserId (or None) of every face, read through ListFaces."""
        faces = self.client.list_faces(CollectionId=collection_id, MaxResults=4096)["Faces"]
        return {f["FaceId"]: f.get("UserId") for f in faces}

    def faces_of(self, user_id: str, collection_id: str = COLLECTION) -> list[str]:
        faces = self.client.list_faces(CollectionId=collection_id, UserId=user_id,
                                       MaxResults=4096)["Faces"]
        return [f["FaceId"] for f in faces]

    def status(self, user_id: str, collection_id: str = COLLECTION) -> str | None:
        users = self.client.list_users(CollectionId=collection_id, MaxResults=500)["Users"]
        return next((u["UserStatus"] for u in users if u["UserId"] == user_id), None)

    def users(self, collection_id: str = COLLECTION) -> list[str]:
        users = self.client.list_users(CollectionId=collection_id, MaxResults=500)["Users"]
        return [u["UserId"] for u in users]


def strip(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


@contextmanager
def aws_error(code: str) -> Iterator[None]:
    """Expect the call inside to fail with the AWS error ``code``."""
    with pytest.raises(ClientError) as caught:
        yield
    assert caught.value.response["Error"]["Code"] == code, caught.value.response["Error"]


def error_code(call: Callable[[], object]) -> str | None:
    """The AWS error code ``call`` fails with, or None when it succeeds."""
    try:
        call()
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return None


def person_matching(base: int, accept: Callable[[float], bool], start: int = 1) -> int:
    """The first person (from ``start``) whose match confidence against ``base`` passes."""
    for person in range(start, start + 5000):
        if accept(match_confidence(face_image(base), face_image(person))):
            return person
    raise AssertionError("no such person among 5000: widen the search")


def confidence(a: int, b: int) -> float:
    return match_confidence(face_image(a), face_image(b))


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


@pytest.fixture(scope="session")
def _clients(emulator_server: EmulatorServer) -> tuple[Any, Any]:
    return _client(emulator_server.url, True), _client(emulator_server.url, False)


RigFactory = Callable[..., Rig]


def _check_outputs(backend: Backend) -> None:
    """Make every answer of the reference emulator a check of its own output shape.

    A violation becomes an InternalServerError the test sees, with the details on stderr.
    """
    serve = backend.handle

    def checked(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        response = serve(operation, request)
        problems = output_violations(operation, response)
        assert not problems, f"{operation} answered outside its shape: {problems}"
        return response

    backend.handle = checked  # type: ignore[method-assign]


@pytest.fixture
def make_rig(emulator_server: EmulatorServer, _clients: tuple[Any, Any]) -> RigFactory:
    """``make_rig(readings={...}, deviations={...}, **behaviour_fields)``: a fresh emulator."""

    def make(readings: dict[str, str] | None = None, deviations: set[str] | None = None,
             **fields: Any) -> Rig:
        behaviour = Behaviour(readings={**DEFAULT_READINGS, **(readings or {})},
                              deviations=frozenset(deviations or ()), **fields)
        backend = emulator_server.reset(behaviour)
        if not deviations:
            _check_outputs(backend)
        return Rig(_clients[0], _clients[1], backend)

    return make


@pytest.fixture
def rig(make_rig: RigFactory) -> Rig:
    """The reference emulator (default behaviour) with one empty collection."""
    made = make_rig()
    made.collection()
    return made
