"""Reproducers from a call log: normalised steps, and a boto3 script that runs as written."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from conformance.emulator.server import EmulatorServer
from conformance.reproducer import script, steps_text

REPO = Path(__file__).resolve().parent.parent
RUN_TIMEOUT = 60  # seconds; the script takes about one

FACE_A = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
FACE_B = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
FACE_C = "c0ffee00-1234-4abc-8def-0123456789ab"
NEVER_INDEXED = "deadbeef-0000-4000-8000-00000000beef"
COLLECTION_ID = "cfr-7f3a9c-c0"


def entry(operation: str, params: dict[str, Any], *, body: dict[str, Any] | None = None,
          error: str | None = None, message: str = "", raw_client: bool = False,
          note: dict[str, Any] | None = None) -> dict[str, Any]:
    """One call as ``CallLogEntry.to_json()`` writes it."""
    outcome: dict[str, Any] = ({"error": error, "message": message} if error is not None
                               else {"body": body if body is not None else {}})
    return {"operation": operation, "params": params, "outcome": outcome,
            "raw_client": raw_client, "note": note or {}}


def index(collection: str, face_id: str | None, person: int) -> dict[str, Any]:
    image = f"face_image({person})"
    params = {"CollectionId": collection, "Image": {"Bytes": f"<{image}>"}}
    note = {"image": image, "person": person}
    if face_id is None:
        return entry("IndexFaces", params, error="InvalidImageFormatException",
                     message="bad image", note=note)
    body = {"FaceModelVersion": "7.0", "FaceRecords": [
        {"Face": {"FaceId": face_id, "ImageId": "11111111-1111-4111-8111-111111111111",
                  "Confidence": 99.9}}]}
    return entry("IndexFaces", params, body=body, note=note)


def call_log(collection: str = COLLECTION_ID, faces: tuple[str, str, str] = (FACE_A, FACE_B,
             FACE_C), create_body: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """A test case's calls: every one a success, so that its script runs to the end."""
    a, b, c = faces
    return [
        entry("CreateCollection", {"CollectionId": collection},
              body=create_body if create_body is not None else {"StatusCode": 200}),
        index(collection, a, 2),
        index(collection, b, 2),
        index(collection, c, 5),
        entry("CreateUser", {"CollectionId": collection, "UserId": "u1"}),
        entry("CreateUser", {"CollectionId": collection, "UserId": "u2"}),
        entry("AssociateFaces",
              {"CollectionId": collection, "UserId": "u1", "FaceIds": [a, b],
               "UserMatchThreshold": 80.0},
              body={"AssociatedFaces": [{"FaceId": a}, {"FaceId": b}],
                    "UnsuccessfulFaceAssociations": [], "UserStatus": "UPDATING"}),
        entry("AssociateFaces",
              {"CollectionId": collection, "UserId": "u2", "FaceIds": [a, c, NEVER_INDEXED]},
              body={"AssociatedFaces": [{"FaceId": c}],
                    "UnsuccessfulFaceAssociations": [
                        {"FaceId": a, "UserId": "u1",
                         "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"]},
                        {"FaceId": NEVER_INDEXED, "Reasons": ["FACE_NOT_FOUND"]}],
                    "UserStatus": "UPDATING"}),
        entry("DisassociateFaces", {"CollectionId": collection, "UserId": "u1", "FaceIds": [b]},
              body={"DisassociatedFaces": [{"FaceId": b}],
                    "UnsuccessfulFaceDisassociations": [], "UserStatus": "UPDATING"}),
        entry("ListFaces", {"CollectionId": collection, "UserId": "u2", "MaxResults": 10},
              body={"Faces": [{"FaceId": c, "UserId": "u2"}]}, raw_client=True),
        entry("DeleteFaces", {"CollectionId": collection, "FaceIds": [b]},
              body={"DeletedFaces": [b], "UnsuccessfulFaceDeletions": []}),
    ]


# --------------------------------------------------------------------------- steps_text


def test_steps_name_faces_in_index_order() -> None:
    lines = steps_text(call_log()).splitlines()
    assert len(lines) == len(call_log())
    assert lines[1] == "IndexFaces(Image=face_image(2)) -> face_1"
    assert lines[2] == "IndexFaces(Image=face_image(2)) -> face_2"
    assert lines[3] == "IndexFaces(Image=face_image(5)) -> face_3"


def test_steps_refer_to_faces_by_name_and_leave_the_collection_implicit() -> None:
    text = steps_text(call_log())
    lines = text.splitlines()
    assert lines[0].startswith("CreateCollection() -> ")
    assert lines[4] == 'CreateUser("UserId": "u1") -> {}'
    assert lines[6] == ('AssociateFaces("FaceIds": [face_1, face_2], "UserId": "u1", '
                        '"UserMatchThreshold": 80.0) -> {"AssociatedFaces": [{"FaceId": face_1}, '
                        '{"FaceId": face_2}], "UnsuccessfulFaceAssociations": [], '
                        '"UserStatus": "UPDATING"}')
    assert "face_3" in lines[7] and '"ASSOCIATED_TO_A_DIFFERENT_USER"' in lines[7]
    assert lines[10] == ('DeleteFaces("FaceIds": [face_2]) -> {"DeletedFaces": [face_2], '
                         '"UnsuccessfulFaceDeletions": []}')
    for face_id in (FACE_A, FACE_B, FACE_C):
        assert face_id not in text
    assert COLLECTION_ID not in text
    assert "CollectionId" not in text


def test_steps_keep_ids_the_target_never_handed_out() -> None:
    text = steps_text(call_log())
    assert f'"{NEVER_INDEXED}"' in text


def test_steps_show_refusals_by_code() -> None:
    calls = [
        entry("CreateCollection", {"CollectionId": COLLECTION_ID}, body={"StatusCode": 200}),
        index(COLLECTION_ID, None, 0),
        index(COLLECTION_ID, FACE_A, 1),
        entry("AssociateFaces",
              {"CollectionId": COLLECTION_ID, "UserId": "ghost", "FaceIds": [FACE_A]},
              error="ResourceNotFoundException", message="The user does not exist"),
    ]
    lines = steps_text(calls).splitlines()
    assert lines[1] == "IndexFaces(Image=face_image(0)) -> InvalidImageFormatException: bad image"
    # A failed IndexFaces handed out no id, so it takes no name.
    assert lines[2] == "IndexFaces(Image=face_image(1)) -> face_1"
    assert lines[3] == ('AssociateFaces("FaceIds": [face_1], "UserId": "ghost") -> '
                        "ResourceNotFoundException: The user does not exist")


def test_steps_are_the_same_for_two_runs_of_the_same_example() -> None:
    first = steps_text(call_log())
    other_faces = ("aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002",
                   "cccccccc-0000-4000-8000-000000000003")
    second = steps_text(call_log(collection="cfr-0b1d2e-c4", faces=other_faces))
    assert first == second


def test_steps_do_not_leak_the_collection_id_through_its_arn() -> None:
    arn = {"StatusCode": 200,
           "CollectionArn": f"aws:rekognition:us-east-1:123456789012:collection/{COLLECTION_ID}"}
    text = steps_text(call_log(create_body=arn))
    assert COLLECTION_ID not in text


def test_steps_of_an_empty_log() -> None:
    assert steps_text([]) == ""


# --------------------------------------------------------------------------- script


def test_script_is_python_and_binds_faces_in_order() -> None:
    text = script(call_log(), endpoint_url="http://127.0.0.1:9", region="eu-west-1")
    compile(text, "<reproducer>", "exec")
    lines = text.splitlines()
    assert "COLLECTION = 'conformance-repro'" in lines
    assert "response = call('create_collection', CollectionId=COLLECTION)" in lines
    bound = [line.split(" = ", 1)[0] for line in lines if " = client.index_faces(" in line]
    assert bound == ["face_1", "face_2", "face_3"]
    assert ("face_1 = client.index_faces(CollectionId=COLLECTION, Image={'Bytes': "
            "face_image(2)})['FaceRecords'][0]['Face']['FaceId']") in lines
    assert ("response = call('associate_faces', CollectionId=COLLECTION, UserId=\"u1\", "
            "FaceIds=[face_1, face_2], UserMatchThreshold=80.0)") in lines
    assert ("response = call('delete_faces', CollectionId=COLLECTION, FaceIds=[face_2])"
            in lines)
    assert "response = call('list_faces', CollectionId=COLLECTION, UserId=\"u2\", MaxResults=10)" \
        in lines
    for face_id in (FACE_A, FACE_B, FACE_C):
        assert face_id not in text
    assert COLLECTION_ID not in text
    assert f'"{NEVER_INDEXED}"' in text  # never handed out: stays a literal
    assert "region_name='eu-west-1'" in text
    assert "endpoint_url='http://127.0.0.1:9'" in text
    assert "AWS_ACCESS_KEY_ID=testing" in text


def test_script_for_live_aws_names_no_endpoint() -> None:
    text = script(call_log(), endpoint_url=None, region="us-east-1")
    compile(text, "<reproducer>", "exec")
    assert "endpoint_url" not in text
    assert "testing" not in text
    assert "parameter_validation=False" in text  # raw-client calls must reach the server


def test_script_reads_photos_by_path() -> None:
    calls = [entry("CreateCollection", {"CollectionId": COLLECTION_ID}),
             entry("IndexFaces", {"CollectionId": COLLECTION_ID,
                                  "Image": {"Bytes": "</photos/alice.jpg>"}},
                   body={"FaceRecords": [{"Face": {"FaceId": FACE_A}}]},
                   note={"image": "/photos/alice.jpg", "person": 0})]
    text = script(calls, endpoint_url=None, region="us-east-1")
    compile(text, "<reproducer>", "exec")
    assert "Image={'Bytes': open('/photos/alice.jpg', 'rb').read()}" in text


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as running:
        yield running


def run_script(text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "reproduce.py"
    path.write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true",
                "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH"))
                                              if p)})
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          timeout=RUN_TIMEOUT, env=env, cwd=tmp_path, check=False)


def test_script_reproduces_the_calls_against_the_emulator(server: EmulatorServer,
                                                          tmp_path: Path) -> None:
    server.reset()
    text = script(call_log(), endpoint_url=server.url, region="us-east-1")
    done = run_script(text, tmp_path)
    assert done.returncode == 0, done.stderr
    printed = [line.split(" ", 1)[0] for line in done.stdout.splitlines()]
    assert printed == ["CreateUser", "CreateUser", "AssociateFaces", "AssociateFaces",
                       "DisassociateFaces", "ListFaces", "DeleteFaces"]

    # The emulator is now in the state the calls lead to.
    client = boto3.session.Session().client(
        "rekognition", endpoint_url=server.url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}))
    faces = client.list_faces(CollectionId="conformance-repro", MaxResults=100)["Faces"]
    assert len(faces) == 2  # three indexed, one deleted
    owners = sorted(f.get("UserId", "") for f in faces)
    assert owners == ["u1", "u2"]  # u1 kept face_1, u2 took face_3
    users = client.list_users(CollectionId="conformance-repro")["Users"]
    assert sorted(u["UserId"] for u in users) == ["u1", "u2"]


def test_script_runs_past_a_refused_call(server: EmulatorServer, tmp_path: Path) -> None:
    server.reset()
    calls = call_log()
    calls.insert(5, entry("AssociateFaces",
                          {"CollectionId": COLLECTION_ID, "UserId": "ghost", "FaceIds": [FACE_A]},
                          error="ResourceNotFoundException", message="no such user"))
    done = run_script(script(calls, endpoint_url=server.url, region="us-east-1"), tmp_path)
    assert done.returncode == 0, done.stderr


def test_script_survives_a_multi_line_error_message() -> None:
    calls = [entry("CreateCollection", {"CollectionId": COLLECTION_ID}),
             entry("CreateUser", {"CollectionId": COLLECTION_ID, "UserId": "u1"},
                   error="InternalServerError", message="boom\nTraceback (most recent call)")]
    compile(script(calls, endpoint_url=None, region="us-east-1"), "<reproducer>", "exec")
