"""The backend without HTTP: match confidence, validation from the botocore model, status timing."""

from __future__ import annotations

import base64
import itertools
from pathlib import Path
from typing import Any

import pytest

from conformance.clauses import AMBIGUITIES
from conformance.emulator import (
    DEFAULT_READINGS,
    OPERATIONS,
    Backend,
    Behaviour,
    pair_confidence,
)
from conformance.emulator import backend as backend_module
from conformance.emulator.backend import (
    EmulatorError,
    InternalServerError,
    InvalidParameterException,
    ResourceNotFoundException,
    UnknownOperationException,
    ValidationException,
    input_violations,
    person_of,
)
from conformance.emulator.validation import IMAGE_MAX_BYTES
from conformance.images import face_image

FACE = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def setup(backend: Backend, persons: list[int]) -> list[str]:
    backend.handle("CreateCollection", {"CollectionId": "c"})
    backend.handle("CreateUser", {"CollectionId": "c", "UserId": "u"})
    return [backend.handle("IndexFaces", {
        "CollectionId": "c",
        "Image": {"Bytes": base64.b64encode(face_image(p)).decode()}},
    )["FaceRecords"][0]["Face"]["FaceId"] for p in persons]


def test_every_operation_is_served() -> None:
    assert set(OPERATIONS) == {
        "CreateCollection", "DeleteCollection", "DescribeCollection", "ListCollections",
        "IndexFaces", "ListFaces", "DeleteFaces", "CreateUser", "DeleteUser", "ListUsers",
        "AssociateFaces", "DisassociateFaces", "SearchUsers", "SearchUsersByImage",
        "ListTagsForResource"}
    with pytest.raises(UnknownOperationException):
        Backend().handle("DetectFaces", {})


def test_pair_confidence_is_symmetric_deterministic_and_spread() -> None:
    persons = [person_of(face_image(p)) for p in range(40)]
    values = [pair_confidence(a, b) for a, b in itertools.combinations(persons, 2)]
    assert all(0 <= v < 99 for v in values)
    assert min(values) < 10 and max(values) > 90
    a, b = persons[:2]
    assert pair_confidence(a, b) == pair_confidence(b, a)
    assert pair_confidence(a, a) == 99.9


def test_errors_carry_code_message_and_status() -> None:
    error = ResourceNotFoundException("gone")
    assert isinstance(error, EmulatorError)
    assert (error.code, error.message, error.http_status) == ("ResourceNotFoundException",
                                                              "gone", 400)
    assert InternalServerError("x").http_status == 500


AF = {"CollectionId": "c", "UserId": "u", "FaceIds": [FACE]}


@pytest.mark.parametrize(("operation", "request_", "field", "constraint"), [
    ("AssociateFaces", {**AF, "CollectionId": "bad/id"}, "CollectionId", "pattern"),
    ("AssociateFaces", {**AF, "CollectionId": "c" * 256}, "CollectionId", "max"),
    ("AssociateFaces", {**AF, "UserId": "u" * 129}, "UserId", "max"),
    ("AssociateFaces", {**AF, "UserId": ""}, "UserId", "min"),
    ("AssociateFaces", {**AF, "UserId": "a b"}, "UserId", "pattern"),
    ("AssociateFaces", {**AF, "FaceIds": []}, "FaceIds", "min"),
    ("AssociateFaces", {**AF, "FaceIds": [FACE] * 101}, "FaceIds", "max"),
    ("AssociateFaces", {**AF, "FaceIds": ["not-a-face"]}, "FaceIds.member", "pattern"),
    ("AssociateFaces", {**AF, "FaceIds": [FACE.upper()]}, "FaceIds.member", "pattern"),
    ("AssociateFaces", {**AF, "FaceIds": [FACE + "0"]}, "FaceIds.member", "pattern"),
    ("AssociateFaces", {**AF, "UserMatchThreshold": 100.01}, "UserMatchThreshold", "max"),
    ("AssociateFaces", {**AF, "UserMatchThreshold": -0.01}, "UserMatchThreshold", "min"),
    ("AssociateFaces", {**AF, "UserMatchThreshold": float("nan")}, "UserMatchThreshold",
     "finite"),
    ("AssociateFaces", {**AF, "UserMatchThreshold": "high"}, "UserMatchThreshold", "type"),
    ("AssociateFaces", {**AF, "ClientRequestToken": "a.b"}, "ClientRequestToken", "pattern"),
    ("AssociateFaces", {**AF, "ClientRequestToken": "t" * 65}, "ClientRequestToken", "max"),
    ("AssociateFaces", {"CollectionId": "c", "UserId": "u"}, "FaceIds", "required"),
    ("ListUsers", {"CollectionId": "c", "MaxResults": 0}, "MaxResults", "min"),
    ("ListUsers", {"CollectionId": "c", "MaxResults": 501}, "MaxResults", "max"),
    ("ListFaces", {"CollectionId": "c", "MaxResults": 4097}, "MaxResults", "max"),
    ("ListFaces", {"CollectionId": "c", "NextToken": "n" * 256}, "NextToken", "max"),
    ("IndexFaces", {"CollectionId": "c", "Image": {"Bytes": "%%%"}}, "Image.Bytes", "type"),
    ("IndexFaces", {"CollectionId": "c", "Image": {"Bytes": ""}}, "Image.Bytes", "min"),
    ("IndexFaces", {"CollectionId": "c", "Image": {"Bytes": "AA=="}, "QualityFilter": "BEST"},
     "QualityFilter", "enum"),
])
def test_violations_come_from_the_botocore_model(operation: str, request_: dict[str, Any],
                                                  field: str, constraint: str) -> None:
    found = [(v.field, v.constraint) for v in input_violations(operation, request_)]
    assert (field, constraint) in found
    assert {f for f, _ in found} == {field}


@pytest.mark.parametrize("threshold", [0, 0.0, 100, 100.0, 75.5])
def test_thresholds_inside_the_range_are_valid(threshold: float) -> None:
    assert input_violations("AssociateFaces", {**AF, "UserMatchThreshold": threshold}) == []


def test_invalid_request_has_no_effect_and_uses_the_reading_code() -> None:
    for code, error in (("InvalidParameterException", InvalidParameterException),
                        ("ValidationException", ValidationException)):
        backend = Backend(Behaviour(readings={**DEFAULT_READINGS, "AMB-INVALID-CODE": code}))
        faces = setup(backend, [0])
        with pytest.raises(error) as caught:
            backend.handle("AssociateFaces", {"CollectionId": "c", "UserId": "u",
                                              "FaceIds": faces, "UserMatchThreshold": 101})
        assert "UserMatchThreshold" in caught.value.message
        listed = backend.handle("ListFaces", {"CollectionId": "c"})["Faces"]
        assert all("UserId" not in f for f in listed)


def test_status_settles_after_settle_seconds() -> None:
    clock = Clock()
    backend = Backend(Behaviour(settle_seconds=10), clock=clock)
    faces = setup(backend, [0, 0])

    def status() -> str:
        users = backend.handle("ListUsers", {"CollectionId": "c"})["Users"]
        return str(users[0]["UserStatus"])

    assert status() == "CREATED"
    backend.handle("AssociateFaces", {"CollectionId": "c", "UserId": "u", "FaceIds": faces})
    assert status() == "UPDATING"
    clock.now += 9.9
    assert status() == "UPDATING"
    clock.now += 0.2
    assert status() == "ACTIVE"
    backend.handle("DisassociateFaces", {"CollectionId": "c", "UserId": "u",
                                         "FaceIds": faces[:1]})
    assert status() == "UPDATING"
    clock.now += 11
    assert status() == "ACTIVE"
    backend.handle("DisassociateFaces", {"CollectionId": "c", "UserId": "u",
                                         "FaceIds": faces[1:]})
    clock.now += 11
    assert status() == "CREATED"  # AMB-EMPTY-AGAIN, default reading


def test_request_without_token_is_served_every_time() -> None:
    backend = Backend()
    setup(backend, [])
    with pytest.raises(EmulatorError) as caught:
        backend.handle("CreateUser", {"CollectionId": "c", "UserId": "u"})
    assert caught.value.code == "ConflictException"


def test_every_ambiguity_is_read_by_the_backend() -> None:
    # The backend is split by concern: its source is every module of the package.
    package = Path(backend_module.__file__).parent
    source = "".join(path.read_text() for path in sorted(package.glob("*.py")))
    assert [a for a in AMBIGUITIES if f'"{a}"' not in source] == []


def test_the_image_limit_is_the_models_in_bytes() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("rekognition")
    blob = model.operation_model("IndexFaces").input_shape.members["Image"].members["Bytes"]
    assert blob.metadata["max"] == IMAGE_MAX_BYTES
    # One byte over the limit is refused, though its base64 still fits the schema's length.
    over = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * (IMAGE_MAX_BYTES - 7)).decode()
    found = input_violations("IndexFaces", {"CollectionId": "c", "Image": {"Bytes": over}})
    assert [(v.field, v.constraint) for v in found] == [("Image.Bytes", "size")]
    assert found[0].message == (f"Image size {IMAGE_MAX_BYTES + 1} bytes exceeds the "
                                f"{IMAGE_MAX_BYTES} bytes limit")


# --------------------------------------------------------------------------- missing operations


def test_a_missing_operation_is_unknown_and_has_no_effect() -> None:
    backend = Backend(Behaviour(missing_operations=frozenset({"DisassociateFaces"})))
    backend.handle("CreateCollection", {"CollectionId": "c"})
    backend.handle("CreateUser", {"CollectionId": "c", "UserId": "u"})
    request = {"CollectionId": "c", "UserId": "u", "FaceIds": [FACE]}
    with pytest.raises(UnknownOperationException, match="DisassociateFaces") as caught:
        backend.handle("DisassociateFaces", request)
    assert caught.value.http_status == 400
    # The other operations are served as ever.
    assert backend.handle("AssociateFaces", request)["UnsuccessfulFaceAssociations"] == [
        {"FaceId": FACE, "Reasons": ["FACE_NOT_FOUND"]}]


def test_missing_operations_must_be_operations() -> None:
    with pytest.raises(ValueError, match="unknown operations \\['DisassociateFace'\\]"):
        Behaviour(missing_operations=frozenset({"DisassociateFace"}))
