"""The generated JSON Schemas: in sync with botocore, and strict where the model is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from conformance import schema_compile, schemas
from conformance.schemas import (
    OPERATIONS,
    check_schemas,
    generate_schemas,
    main,
    model_fingerprint,
    schema_dir,
    validate_request,
    validate_response,
    write_schemas,
)

REPO = Path(__file__).resolve().parent.parent
FACE_1 = "11111111-2222-3333-4444-555555555555"
FACE_2 = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
FACE_3 = "01234567-89ab-cdef-0123-456789abcdef"

# AWS's published AssociateFaces example (JavaScript SDK v3 and the developer guide).
AWS_EXAMPLE: dict[str, Any] = {
    "AssociatedFaces": [{"FaceId": FACE_1}],
    "UnsuccessfulFaceAssociations": [
        {"FaceId": FACE_2, "Confidence": 0.9375, "Reasons": ["LOW_MATCH_CONFIDENCE"]},
        {"FaceId": FACE_3, "UserId": "demoUser2", "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"]},
    ],
    "UserStatus": "UPDATING",
}


def with_change(path: list[str | int], value: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(json.dumps(AWS_EXAMPLE))
    node: Any = body
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return body


# --------------------------------------------------------------------------- in sync


def test_committed_schemas_equal_freshly_generated_ones() -> None:
    assert schema_dir() == REPO / "schemas"
    differ = check_schemas(REPO / "schemas")
    assert differ == [], f"schemas out of date: {', '.join(differ)}; {schemas.REGENERATE}"


def test_every_schema_is_a_valid_2020_12_schema() -> None:
    files = generate_schemas()
    assert set(files) == {"index.json"} | {f"{op}.{d}.json" for op in OPERATIONS
                                           for d in ("request", "response")}
    # Not check_schema(): its "regex" format check compiles patterns with Python's re,
    # which rejects the ECMA-262 \p{L} of TagKey; patterns are checked below instead.
    meta = Draft202012Validator(Draft202012Validator.META_SCHEMA)
    for name, schema in files.items():
        if name != "index.json":
            assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
            meta.validate(schema)
            for shape in schema.get("$defs", {}).values():
                if "pattern" in shape:
                    schema_compile.python_regex(shape["pattern"])


def test_index_records_the_model() -> None:
    import botocore

    index = generate_schemas()["index.json"]
    assert index["generated_with_botocore"] == botocore.__version__
    assert len(index["model_sha256"]) == 64
    assert model_fingerprint() == index["model_sha256"]
    assert set(index["operations"]) == set(OPERATIONS)
    assert "ServiceQuotaExceededException" in index["operations"]["AssociateFaces"]["errors"]


def test_generation_is_deterministic() -> None:
    assert generate_schemas() == generate_schemas()
    text = (REPO / "schemas" / "AssociateFaces.request.json").read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert text.splitlines()[1].startswith('  "$defs"')


def test_requests_are_closed_and_responses_open() -> None:
    files = generate_schemas()
    request = files["AssociateFaces.request.json"]["$defs"]["AssociateFacesRequest"]
    response = files["AssociateFaces.response.json"]["$defs"]["AssociateFacesResponse"]
    assert request["additionalProperties"] is False
    assert request["required"] == ["CollectionId", "UserId", "FaceIds"]
    assert response["additionalProperties"] is True


@pytest.mark.parametrize(("pattern", "anchored"), [
    ("[a-zA-Z0-9_.\\-]+", "^(?:[a-zA-Z0-9_.\\-]+)$"),
    ("^[a-zA-Z0-9-_]+$", "^[a-zA-Z0-9-_]+$"),
    ("^a|b$", "^(?:^a|b$)$"),
    ("^a(b|c)$", "^a(b|c)$"),
    ("^a\\$", "^(?:^a\\$)$"),
])
def test_patterns_are_anchored_once(pattern: str, anchored: str) -> None:
    assert schemas._anchored(pattern) == anchored


# --------------------------------------------------------------------------- responses


def test_the_aws_example_validates() -> None:
    assert validate_response("AssociateFaces", AWS_EXAMPLE) == []


@pytest.mark.parametrize(("operation", "body"), [
    ("CreateUser", {}),
    ("DeleteUser", {}),
    ("DisassociateFaces", {"DisassociatedFaces": [{"FaceId": FACE_1}],
                           "UnsuccessfulFaceDisassociations": [
                               {"FaceId": FACE_2, "UserId": "demoUser1",
                                "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"]}],
                           "UserStatus": "UPDATING"}),
    ("ListUsers", {"Users": [{"UserId": "demoUser4", "UserStatus": "CREATED"}],
                   "NextToken": "MGYZLAHX1T5a"}),
    ("DescribeCollection", {"FaceCount": 3, "FaceModelVersion": "7.0", "UserCount": 1,
                            "CollectionARN": "arn:aws:rekognition:us-east-1:1:collection/c",
                            "CreationTimestamp": 1700000000.123}),
    ("DeleteFaces", {"DeletedFaces": [FACE_1], "UnsuccessfulFaceDeletions": [
        {"FaceId": FACE_2, "UserId": "u", "Reasons": ["ASSOCIATED_TO_AN_EXISTING_USER"]}]}),
    # A member added by a newer API version is not a deviation.
    ("AssociateFaces", {**AWS_EXAMPLE, "SomethingNew": {"x": 1}}),
])
def test_known_good_responses_validate(operation: str, body: dict[str, Any]) -> None:
    assert validate_response(operation, body) == []


@pytest.mark.parametrize(("body", "where"), [
    (with_change(["UnsuccessfulFaceAssociations", 0, "Confidence"], "0.9375"),
     "$.UnsuccessfulFaceAssociations[0].Confidence: '0.9375' is not of type 'number'"),
    (with_change(["UnsuccessfulFaceAssociations", 0, "Confidence"], 100.5),
     "$.UnsuccessfulFaceAssociations[0].Confidence: 100.5 is greater than the maximum"),
    (with_change(["UserStatus"], "PENDING"), "$.UserStatus: 'PENDING' is not one of"),
    (with_change(["UnsuccessfulFaceAssociations", 1, "Reasons"],
                 ["ASSOCIATED_TO_A_DIFFERENT_IDENTITY"]),
     "$.UnsuccessfulFaceAssociations[1].Reasons[0]: 'ASSOCIATED_TO_A_DIFFERENT_IDENTITY'"),
    (with_change(["AssociatedFaces", 0, "FaceId"], "face-1"),
     "$.AssociatedFaces[0].FaceId: 'face-1' does not match"),
    (with_change(["AssociatedFaces", 0, "FaceId"], FACE_2.upper()),
     "$.AssociatedFaces[0].FaceId"),
    (with_change(["AssociatedFaces", 0, "FaceId"], FACE_1 + "\n"),
     "$.AssociatedFaces[0].FaceId"),
    (with_change(["AssociatedFaces"], [{"FaceId": FACE_1}] * 101),
     "$.AssociatedFaces: [{"),
    (with_change(["AssociatedFaces"], {"FaceId": FACE_1}), "$.AssociatedFaces: {"),
    (with_change(["UnsuccessfulFaceAssociations", 1, "UserId"], ""),
     "$.UnsuccessfulFaceAssociations[1].UserId: '' should be non-empty"),
])
def test_bad_responses_do_not_validate(body: dict[str, Any], where: str) -> None:
    errors = validate_response("AssociateFaces", body)
    assert any(e.startswith(where) for e in errors), errors
    path = where.split(":")[0]
    assert all(e.startswith(path + ":") for e in errors), errors
    assert all("\n" not in e and len(e) <= 300 for e in errors), errors


def test_several_errors_are_all_reported_in_path_order() -> None:
    body = {"AssociatedFaces": [{"FaceId": 7}], "UserStatus": 1}
    errors = validate_response("AssociateFaces", body)
    assert [e.split(":")[0] for e in errors] == ["$.AssociatedFaces[0].FaceId", "$.UserStatus",
                                                 "$.UserStatus"]


def test_a_response_that_is_not_an_object() -> None:
    assert validate_response("ListUsers", [1, 2]) == ["$: [1, 2] is not of type 'object'"]


def test_unknown_operation() -> None:
    with pytest.raises(ValueError, match="no schema for operation 'SearchFaces'"):
        validate_response("SearchFaces", {})


# --------------------------------------------------------------------------- requests


def test_a_good_request_validates() -> None:
    body = {"CollectionId": "conf-run.1", "UserId": "user:1", "FaceIds": [FACE_1, FACE_2],
            "UserMatchThreshold": 75, "ClientRequestToken": "tok-1_A"}
    assert validate_request("AssociateFaces", body) == []


@pytest.mark.parametrize(("change", "where"), [
    ({"Extra": 1}, "$: Additional properties are not allowed ('Extra' was unexpected)"),
    ({"FaceIds": []}, "$.FaceIds: [] should be non-empty"),
    ({"FaceIds": [FACE_1] * 101}, "$.FaceIds: ["),
    ({"UserMatchThreshold": 100.5}, "$.UserMatchThreshold: 100.5 is greater than the maximum"),
    ({"UserMatchThreshold": -1}, "$.UserMatchThreshold: -1 is less than the minimum"),
    ({"UserId": "a" * 129}, "$.UserId: 'aaaa"),
    ({"UserId": "bad user"}, "$.UserId: 'bad user' does not match"),
    ({"UserId": "user\n"}, "$.UserId: 'user\\n' does not match"),
    ({"CollectionId": "c/1"}, "$.CollectionId: 'c/1' does not match"),
    ({"ClientRequestToken": "tok en"}, "$.ClientRequestToken: 'tok en' does not match"),
    ({"ClientRequestToken": "t" * 65}, "$.ClientRequestToken: 'tttt"),
    ({"FaceIds": ["٠١٢٣٤٥٦٧-2222-3333-4444-555555555555"]}, "$.FaceIds[0]"),
])
def test_bad_requests_do_not_validate(change: dict[str, Any], where: str) -> None:
    body = {"CollectionId": "c", "UserId": "u", "FaceIds": [FACE_1], **change}
    errors = validate_request("AssociateFaces", body)
    assert len(errors) == 1, errors
    assert errors[0].startswith(where), errors


def test_missing_required_members() -> None:
    errors = validate_request("AssociateFaces", {"CollectionId": "c"})
    assert errors == ["$: 'FaceIds' is a required property",
                      "$: 'UserId' is a required property"]


def test_unicode_property_patterns_of_tags() -> None:
    # TagKey uses \p{L}\p{Z}\p{N}, which Python's re does not know.
    good = {"CollectionId": "c", "Tags": {"Équipe nº 7": "välue ٣", "team": ""}}
    assert validate_request("CreateCollection", good) == []
    bad = {"CollectionId": "c", "Tags": {"aws:reserved": "x", "semi;colon": "y"}}
    errors = validate_request("CreateCollection", bad)
    assert [e.split(" does not")[0] for e in errors] == ["$.Tags: 'aws:reserved'",
                                                         "$.Tags: 'semi;colon'"]


# --------------------------------------------------------------------------- write / check


def test_write_then_check(tmp_path: Path) -> None:
    written = write_schemas(tmp_path)
    assert len(written) == 2 * len(OPERATIONS) + 1
    assert write_schemas(tmp_path) == []
    assert check_schemas(tmp_path) == []

    (tmp_path / "ListUsers.response.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "CreateUser.request.json").unlink()
    (tmp_path / "Obsolete.response.json").write_text("{}\n", encoding="utf-8")
    assert check_schemas(tmp_path) == ["CreateUser.request.json", "ListUsers.response.json",
                                       "Obsolete.response.json"]
    assert write_schemas(tmp_path) == ["CreateUser.request.json", "ListUsers.response.json",
                                       "Obsolete.response.json"]
    assert not (tmp_path / "Obsolete.response.json").exists()
    assert check_schemas(tmp_path) == []


def test_a_new_botocore_with_the_same_model_is_not_drift(tmp_path: Path) -> None:
    write_schemas(tmp_path)
    index_path = tmp_path / "index.json"
    index = json.loads(index_path.read_text(encoding="utf-8"))
    index["generated_with_botocore"] = "0.0.1"
    index_path.write_text(json.dumps(index), encoding="utf-8")
    assert check_schemas(tmp_path) == []
    index["model_sha256"] = "0" * 64
    index_path.write_text(json.dumps(index), encoding="utf-8")
    assert check_schemas(tmp_path) == ["index.json"]


def test_command_check_reports_stale_files(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--dir", str(tmp_path)]) == 0
    assert main(["--check", "--dir", str(tmp_path)]) == 0
    (tmp_path / "AssociateFaces.response.json").write_text("{}\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["--check", "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "AssociateFaces.response.json" in err
    assert "run: python -m conformance.schemas" in err


def _emulator_bodies() -> list[tuple[str, dict[str, Any]]]:
    """Real response bodies of the reference emulator, one or more per operation."""
    from conformance.emulator.backend import Backend
    from conformance.emulator.behaviour import Behaviour
    from conformance.emulator.inprocess import inprocess_client
    from conformance.images import synthetic_faces

    client = inprocess_client(Backend(Behaviour()))
    bodies: list[tuple[str, dict[str, Any]]] = []
    client.meta.events.register("after-call.rekognition", lambda http_response, model, **_: (
        bodies.append((model.name, json.loads(http_response.content)))))
    images = synthetic_faces(3).images
    client.create_collection(CollectionId="c")
    faces = [client.index_faces(CollectionId="c", Image={"Bytes": image})["FaceRecords"][0]
             ["Face"]["FaceId"] for image in images]
    client.create_user(CollectionId="c", UserId="u")
    client.associate_faces(CollectionId="c", UserId="u", FaceIds=[faces[0], FACE_1])
    client.associate_faces(CollectionId="c", UserId="u", FaceIds=[faces[1]],
                           UserMatchThreshold=100.0)
    client.list_faces(CollectionId="c")
    client.list_faces(CollectionId="c", MaxResults=1)
    client.list_users(CollectionId="c")
    client.disassociate_faces(CollectionId="c", UserId="u", FaceIds=[faces[0], FACE_2])
    client.delete_faces(CollectionId="c", FaceIds=[faces[2], FACE_3])
    client.delete_user(CollectionId="c", UserId="u")
    return bodies


def _variants(body: Any) -> list[Any]:
    """``body`` with one member changed, dropped or added, at every path in it."""
    values = [None, 1, 1.0, 1.5, -1, 101, "", "x", "A" * 300, True, [], {}, [1], float("nan"),
              float("inf"), "UPDATING", FACE_1]
    out = []

    def walk(node: Any, rebuild: Any) -> None:
        items = list(node.items()) if isinstance(node, dict) else list(enumerate(node)) \
            if isinstance(node, list) else []
        for key, child in items:
            def put(value: Any, key: Any = key, child: Any = child) -> Any:
                copy = dict(node) if isinstance(node, dict) else list(node)
                copy[key] = value
                return rebuild(copy)
            out.extend(put(value) for value in values)
            if isinstance(node, dict):
                out.append(rebuild({k: v for k, v in node.items() if k != key}))
            walk(child, put)
        if isinstance(node, dict):
            out.append(rebuild({**node, "Extra": 1}))

    walk(body, lambda b: b)
    return out


def test_the_fast_check_never_passes_what_jsonschema_rejects() -> None:
    """The compiled check decides valid bodies alone: it must be exact on them, and only
    ever send a doubtful body on to jsonschema, never wave a bad one through."""
    bodies = _emulator_bodies()
    assert {op for op, _ in bodies} >= {"IndexFaces", "AssociateFaces", "ListFaces",
                                         "ListUsers", "DisassociateFaces", "DeleteFaces"}
    checked = 0
    for operation, body in bodies:
        fast = schemas._fast_check(operation, "response")
        assert fast(body), (operation, body)
        for variant in _variants(body):
            checked += 1
            if fast(variant):
                assert schemas._validate(operation, "response", variant) == [], \
                    (operation, variant)
            else:
                assert validate_response(operation, variant) == schemas._validate(
                    operation, "response", variant)
    assert checked > 1000


@pytest.mark.parametrize(("operation", "request_body"), [
    ("AssociateFaces", {"CollectionId": "c", "UserId": "u", "FaceIds": [FACE_1, FACE_2],
                        "UserMatchThreshold": 75.5, "ClientRequestToken": "tok-1_A"}),
    ("DisassociateFaces", {"CollectionId": "c", "UserId": "u", "FaceIds": [FACE_1]}),
    ("IndexFaces", {"CollectionId": "c", "Image": {"Bytes": "aGVsbG8="},
                    "MaxFaces": 1, "QualityFilter": "NONE"}),
    ("ListFaces", {"CollectionId": "c", "UserId": "u", "MaxResults": 2, "NextToken": "x"}),
    ("ListUsers", {"CollectionId": "c", "MaxResults": 1}),
    ("CreateUser", {"CollectionId": "c", "UserId": "u", "ClientRequestToken": "t"}),
    ("DeleteFaces", {"CollectionId": "c", "FaceIds": [FACE_3]}),
])
def test_the_fast_request_check_never_passes_what_the_request_validator_rejects(
        operation: str, request_body: dict[str, Any]) -> None:
    """The emulator skips jsonschema when the compiled check passes a request."""
    validator = schemas.request_validator(operation)
    assert schemas.request_is_valid(operation, request_body)
    for variant in _variants(request_body):
        if schemas.request_is_valid(operation, variant):
            assert list(validator.iter_errors(variant)) == [], variant


@pytest.mark.parametrize("tags", [{"ké": "v"}, {"k!": "v"}, {"aws:x": "v"}, {"": "v"},
                                  {"k": "v" * 300}, {"k" * 129: "v"}])
def test_the_fast_request_check_reads_tag_maps_as_the_validator_does(tags: dict[str, str]
                                                                     ) -> None:
    request = {"CollectionId": "c", "Tags": tags}
    valid = not list(schemas.request_validator("CreateCollection").iter_errors(request))
    assert schemas.request_is_valid("CreateCollection", request) == valid
