"""Reproducers from a call log: normalised steps, and a boto3 script that runs as written."""

from __future__ import annotations

import ast
import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from conformance import reproducer_runtime as rt
from conformance.emulator.behaviour import Behaviour
from conformance.emulator.server import EmulatorServer
from conformance.images import face_image
from conformance.reproducer import script, steps_text, write_files
from conformance.results import FindingRecord

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

ALLOWED_IMPORTS = {"__future__", "argparse", "base64", "hashlib", "json", "os", "sys",
                   "threading", "uuid", "typing", "boto3", "botocore"}


def imported_modules(text: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add((node.module or "").split(".")[0])
    return found


def test_script_needs_only_boto3_and_the_standard_library() -> None:
    text = script(call_log(), endpoint_url="http://127.0.0.1:9", region="eu-west-1",
                  clause="AF-DIFF-USER", message="a face moved")
    assert imported_modules(text) <= ALLOWED_IMPORTS
    assert "conformance" not in imported_modules(text)
    assert "face_image(" not in text.split("IMAGES = {", 1)[1].split("}", 1)[0]


def test_script_embeds_the_images_of_the_persons_it_uses_only() -> None:
    text = script(call_log(), endpoint_url=None, region="us-east-1")
    namespace: dict[str, Any] = {"__name__": "not_main"}
    exec(compile(text, "<reproducer>", "exec"), namespace)
    assert sorted(namespace["IMAGES"]) == [2, 5]
    assert base64.b64decode(namespace["IMAGES"][2]) == face_image(2)


def test_script_names_faces_collections_and_tokens_not_the_run_ids() -> None:
    calls = call_log()
    calls[6]["params"]["ClientRequestToken"] = "tok-0123456789"
    calls.insert(7, entry("AssociateFaces", {"CollectionId": "cfr-7f3a9c-nosuch", "UserId": "u1",
                                             "FaceIds": [FACE_A]},
                          error="ResourceNotFoundException"))
    text = script(calls, endpoint_url=None, region="us-east-1", message="m")
    for run_id in (FACE_A, FACE_B, FACE_C, COLLECTION_ID, "cfr-7f3a9c-nosuch", "tok-0123456789"):
        assert run_id not in text
    assert f"'{NEVER_INDEXED}'" in text  # never handed out: sent as recorded
    steps = text.split("STEPS = [", 1)[1].split("\n]\n", 1)[0]
    assert "'FaceIds': [Face(1), Face(2)]" in steps
    assert "'ClientRequestToken': Token(0, 14)" in steps
    assert "{'CollectionId': Coll(1), " in steps  # the unknown collection: a fresh name too
    assert "binds=[3]" in steps
    assert "'ListFaces', {'CollectionId': COLLECTION, 'UserId': 'u2', 'MaxResults': 10}, " \
        "raw=True" in steps


def test_script_sends_a_collection_id_no_pattern_reading_takes_as_recorded() -> None:
    """AF-INPUT's "!!!": renamed to a fresh valid name, it would ask another question."""
    calls = call_log()
    calls.append(entry("AssociateFaces", {"CollectionId": "!!!", "UserId": "u1",
                                          "FaceIds": [FACE_A]},
                       error="ResourceNotFoundException"))
    text = script(calls, endpoint_url=None, region="us-east-1", message="m")
    steps = text.split("STEPS = [", 1)[1].split("\n]\n", 1)[0]
    assert "{'CollectionId': '!!!', " in steps
    assert "Coll(1)" not in steps


def test_script_states_the_clause_the_spec_and_the_finding() -> None:
    text = script(call_log(), endpoint_url="http://127.0.0.1:9", region="us-east-1",
                  clause="AF-DIFF-USER", message="face X owned by 'u1' was associated for 'u2'")
    assert "# Reproducer for AF-DIFF-USER" in text
    assert "ASSOCIATED_TO_A_DIFFERENT_USER" in text.split("\n\n", 1)[0]  # the clause's text
    assert "--endpoint-url http://127.0.0.1:9" in text  # an example, not a default
    assert "endpoint_url='http" not in text
    compile(text, "<reproducer>", "exec")


def test_long_runs_of_one_call_become_a_loop() -> None:
    calls = [entry("CreateCollection", {"CollectionId": COLLECTION_ID})]
    calls += [index(COLLECTION_ID, f"{i:08x}-0000-4000-8000-000000000000", 1) for i in range(100)]
    calls += [entry("CreateUser", {"CollectionId": COLLECTION_ID, "UserId": "u"})] * 2
    calls += [entry("AssociateFaces", {"CollectionId": COLLECTION_ID, "UserId": "u",
                                       "FaceIds": ["00000063-0000-4000-8000-000000000000"]},
                    body={"AssociatedFaces": []})]
    text = script(calls, endpoint_url=None, region="us-east-1")
    steps = [line.strip() for line in text.split("STEPS = [", 1)[1].split("\n]\n", 1)[0]
             .strip().splitlines()]
    assert steps == [
        "Step('CreateCollection', {'CollectionId': COLLECTION}),",
        "Step('IndexFaces', {'CollectionId': COLLECTION, 'Image': {'Bytes': Image(1)}}, "
        "binds=[1], repeat=100),",
        "Step('CreateUser', {'CollectionId': COLLECTION, 'UserId': 'u'}),",  # two: no loop
        "Step('CreateUser', {'CollectionId': COLLECTION, 'UserId': 'u'}),",
        "Step('AssociateFaces', {'CollectionId': COLLECTION, 'UserId': 'u', "
        "'FaceIds': [Face(100)]}),",
    ]


def test_calls_of_one_concurrent_group_become_one_concurrent_step() -> None:
    calls = conc_log()
    text = script(calls, endpoint_url=None, region="us-east-1")
    steps = text.split("STEPS = [", 1)[1].split("\n]\n", 1)[0]
    assert steps.count("Concurrently(") == 1
    assert steps.rstrip().endswith("),") and "Concurrently(\n" in steps


def test_the_judged_call_may_be_marked() -> None:
    calls = call_log()
    calls[6]["deviation"] = True
    text = script(calls, endpoint_url=None, region="us-east-1")
    steps = text.split("STEPS = [", 1)[1].split("\n]\n", 1)[0].strip().splitlines()
    assert len(steps) == 7 and steps[-1].strip().startswith("Step('AssociateFaces'")


def test_normalise_drops_volatile_fields_maps_ids_and_ignores_order() -> None:
    symbols = {FACE_A: "face_1", FACE_B: "face_2", COLLECTION_ID: "COLLECTION"}
    one = {"FaceModelVersion": "7.0", "ResponseMetadata": {"RequestId": "x"},
           "FaceRecords": [{"Face": {"FaceId": FACE_A, "Confidence": 99.1, "ImageId": "i"}}],
           "UnsuccessfulFaceAssociations": [
               {"FaceId": FACE_B, "Confidence": 40.04, "Reasons": ["LOW_MATCH_CONFIDENCE"]},
               {"FaceId": FACE_A, "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"]}]}
    assert rt.normalise(one, symbols) == {
        "FaceRecords": [{"Face": {"FaceId": "face_1"}}],
        "UnsuccessfulFaceAssociations": [  # sorted by their JSON: "Confidence" < "FaceId"
            {"Confidence": 40.0, "FaceId": "face_2", "Reasons": ["LOW_MATCH_CONFIDENCE"]},
            {"FaceId": "face_1", "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"]}]}
    assert rt.normalise_outcome({"error": "X", "message": "about " + FACE_A}, symbols) == \
        {"error": "X"}


@pytest.mark.parametrize(("expectation", "holds"), [
    ({"path": "body.AssociatedFaces[*].FaceId", "op": "excludes", "value": "face_1"}, False),
    ({"path": "body.AssociatedFaces[*]", "op": "includes", "value": {"FaceId": "face_1"}}, True),
    ({"path": "body.UserStatus", "op": "one_of", "value": ["UPDATING", "ACTIVE"]}, True),
    ({"path": "body.UserStatus", "op": "equals", "value": "ACTIVE"}, False),
    ({"path": "error", "op": "equals", "value": None}, True),
    ({"path": "[*].body.AssociatedFaces[*].FaceId", "op": "at_most", "value": "face_1", "n": 1},
     False),
])
def test_expectations(expectation: dict[str, Any], holds: bool) -> None:
    answer = {"body": {"AssociatedFaces": [{"FaceId": "face_1"}], "UserStatus": "UPDATING"}}
    subject: Any = [answer, answer] if expectation["path"].startswith("[*]") else answer
    assert rt.check(subject, expectation) is holds


def test_files_are_named_per_clause(tmp_path: Path) -> None:
    findings = [FindingRecord(clause=c, message="m", steps="", calls=[], reproducer=f"# {c}\n",
                              seed=1, replay_command="") for c in ("AF-DIFF-USER", "CONC",
                                                                   "AF-DIFF-USER")]
    paths = write_files(findings, tmp_path / "reproducers")
    assert [p.name for p in paths] == ["AF-DIFF-USER-1.py", "CONC-1.py", "AF-DIFF-USER-2.py"]
    assert paths[2].read_text(encoding="utf-8") == "# AF-DIFF-USER\n"
    assert write_files([], tmp_path / "none") == []
    assert not (tmp_path / "none").exists()


# --------------------------------------------------------------------------- against servers


def diff_user_log(collection: str = COLLECTION_ID) -> list[dict[str, Any]]:
    """A face of u1's associated again for u2: the move-owned-face deviation, as recorded."""
    return [
        entry("CreateCollection", {"CollectionId": collection}, body={"StatusCode": 200}),
        entry("CreateUser", {"CollectionId": collection, "UserId": "u1"}),
        entry("CreateUser", {"CollectionId": collection, "UserId": "u2"}),
        index(collection, FACE_A, 0),
        entry("AssociateFaces", {"CollectionId": collection, "UserId": "u1", "FaceIds": [FACE_A]},
              body={"AssociatedFaces": [{"FaceId": FACE_A}], "UnsuccessfulFaceAssociations": [],
                    "UserStatus": "UPDATING"}),
        entry("AssociateFaces", {"CollectionId": collection, "UserId": "u2",
                                 "FaceIds": [FACE_A, NEVER_INDEXED]},
              body={"AssociatedFaces": [{"FaceId": FACE_A}], "UnsuccessfulFaceAssociations": [
                  {"FaceId": NEVER_INDEXED, "Reasons": ["FACE_NOT_FOUND"]}],
                    "UserStatus": "UPDATING"}),
    ]


def conc_log(collection: str = COLLECTION_ID) -> list[dict[str, Any]]:
    """Two users asking for one face at once, and both getting it: a CONC finding."""
    calls = [
        entry("CreateCollection", {"CollectionId": collection}, body={"StatusCode": 200}),
        entry("CreateUser", {"CollectionId": collection, "UserId": "u0"}),
        entry("CreateUser", {"CollectionId": collection, "UserId": "u1"}),
        index(collection, FACE_B, 3),
    ]
    for user in ("u0", "u1"):
        call = entry("AssociateFaces", {"CollectionId": collection, "UserId": user,
                                        "FaceIds": [FACE_B], "UserMatchThreshold": 0.0},
                     body={"AssociatedFaces": [{"FaceId": FACE_B}],
                           "UnsuccessfulFaceAssociations": [], "UserStatus": "UPDATING"})
        call["concurrent_group"] = 1
        calls.append(call)
    return calls


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, EmulatorServer]]:
    with EmulatorServer() as reference, \
            EmulatorServer(Behaviour(deviations=frozenset({"move-owned-face"}))) as buggy:
        yield {"reference": reference, "buggy": buggy}


def run_script(text: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "reproduce.py"
    path.write_text(text, encoding="utf-8")
    # No AWS settings and no PYTHONPATH: the script must find credentials and code alone.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k != "PYTHONPATH"}
    env.update({"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true"})
    return subprocess.run([sys.executable, "-I", str(path), *args], capture_output=True,
                          text=True, timeout=RUN_TIMEOUT, env=env, cwd=tmp_path, check=False)


def client_for(server: EmulatorServer) -> Any:
    return boto3.session.Session().client(
        "rekognition", endpoint_url=server.url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}))


@pytest.mark.parametrize("log", [diff_user_log, conc_log], ids=["AF-DIFF-USER", "CONC"])
def test_reproducer_exits_1_on_the_buggy_server_and_0_on_the_reference(
        servers: dict[str, EmulatorServer], tmp_path: Path, log: Any) -> None:
    text = script(log(), endpoint_url="http://127.0.0.1:9", region="us-east-1",
                  clause="AF-DIFF-USER", message="a face moved")
    for name, want in (("buggy", 1), ("reference", 0)):
        for _ in range(2):  # twice in a row: fresh collections each time
            done = run_script(text, tmp_path, "--endpoint-url", servers[name].url)
            assert done.returncode == want, (name, done.stdout, done.stderr)
        assert client_for(servers[name]).list_collections()["CollectionIds"] == []
    assert "DEVIATION SHOWS" in run_script(text, tmp_path, "--endpoint-url",
                                           servers["buggy"].url).stdout


def test_reproducer_prints_each_request_and_answer(servers: dict[str, EmulatorServer],
                                                   tmp_path: Path) -> None:
    text = script(conc_log(), endpoint_url=None, region="us-east-1", clause="CONC",
                  message="two owners")
    done = run_script(text, tmp_path, "--endpoint-url", servers["reference"].url,
                      "--collection", "my-repro")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "collection: my-repro" in out and "deleted collection my-repro" in out
    assert "spec:     concurrent requests never give one face two owners" in out
    assert "[4] IndexFaces(Image={\"Bytes\": \"<face_image(3)>\"})" in out
    assert "[5] at once, from 2 threads:" in out
    assert out.count('AssociateFaces(UserId="u0", FaceIds=["face_1"]') == 1
    assert out.count('AssociateFaces(UserId="u1", FaceIds=["face_1"]') == 1
    assert "ASSOCIATED_TO_A_DIFFERENT_USER" in out  # the loser of the race, on the reference


def test_reproducer_sends_concurrent_calls_at_once(tmp_path: Path) -> None:
    """Both calls of a group are in the server at the same time (a slow server shows it)."""
    import threading
    import time

    inside, peak, lock = [0], [0], threading.Lock()
    with EmulatorServer() as server:
        backend = server.backend
        original = backend.associate_faces

        def slow(*args: Any, **kwargs: Any) -> Any:
            with lock:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            time.sleep(0.3)
            try:
                return original(*args, **kwargs)
            finally:
                with lock:
                    inside[0] -= 1

        backend.associate_faces = slow  # type: ignore[method-assign]
        done = run_script(script(conc_log(), endpoint_url=None, region="us-east-1"), tmp_path,
                          "--endpoint-url", server.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert peak[0] == 2


def test_reproducer_deletes_its_collection_when_a_step_fails(tmp_path: Path) -> None:
    calls = diff_user_log()
    calls.insert(1, entry("CreateCollection", {"CollectionId": "cfr-7f3a9c-c1"}))
    text = script(calls, endpoint_url=None, region="us-east-1")
    with EmulatorServer() as server:
        url = server.url
        # A step that cannot be sent (a photo that is not there): exit 2, cleanup all the same.
        text = text.replace("Step('CreateUser', {'CollectionId': COLLECTION, 'UserId': 'u2'}),",
                            "Step('CreateUser', {'CollectionId': COLLECTION, 'UserId': 'u2'}),\n"
                            "    Step('IndexFaces', {'CollectionId': COLLECTION, "
                            "'Image': {'Bytes': Photo('/nonexistent/photo.jpg')}}),")
        done = run_script(text, tmp_path, "--endpoint-url", url, "--collection", "c-fail")
        assert done.returncode == 2, done.stdout + done.stderr
        assert "deleted collection c-fail" in done.stdout
        assert "deleted collection c-fail-1" in done.stdout
        assert client_for(server).list_collections()["CollectionIds"] == []


def test_raw_steps_reach_the_server_unvalidated(servers: dict[str, EmulatorServer],
                                                tmp_path: Path) -> None:
    calls = [*diff_user_log()[:3],
             entry("AssociateFaces", {"CollectionId": COLLECTION_ID, "UserId": "u1",
                                      "FaceIds": []},
                   error="InvalidParameterException", raw_client=True)]
    # Recorded as refused by the server; a client-side refusal would be ParamValidationError.
    done = run_script(script(calls, endpoint_url=None, region="us-east-1"), tmp_path,
                      "--endpoint-url", servers["reference"].url)
    assert "ParamValidationError" not in done.stdout
    assert done.returncode in (0, 1), done.stderr


def test_expectations_decide_when_given(servers: dict[str, EmulatorServer],
                                        tmp_path: Path) -> None:
    expect: list[dict[str, Any]] = [
              {"path": "body.AssociatedFaces[*].FaceId", "op": "excludes", "value": "face_1",
               "says": "face_1 is not associated to u2"},
              {"path": "body.UnsuccessfulFaceAssociations[*]", "op": "includes",
               "value": {"FaceId": "face_1", "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"]},
               "says": "face_1 is refused as another user's"}]
    calls = diff_user_log()
    calls[-1]["outcome"] = {"body": {"AssociatedFaces": [{"FaceId": FACE_A}],
                                     "UserStatus": "ACTIVE"}}  # not what the buggy server says
    text = script(calls, endpoint_url=None, region="us-east-1", expect=expect)
    buggy = run_script(text, tmp_path, "--endpoint-url", servers["buggy"].url)
    assert buggy.returncode == 1, buggy.stdout + buggy.stderr
    assert "FAILS: face_1 is not associated to u2" in buggy.stdout
    reference = run_script(text, tmp_path, "--endpoint-url", servers["reference"].url)
    assert reference.returncode == 0, reference.stdout + reference.stderr
    assert "holds: face_1 is refused as another user's" in reference.stdout


def test_write_reports_writes_one_reproducer_file_per_finding(tmp_path: Path) -> None:
    from conformance.report.write import write_reports
    from conformance.results import RunResult

    text = script(diff_user_log(), endpoint_url=None, region="us-east-1", clause="AF-DIFF-USER")
    finding = FindingRecord(clause="AF-DIFF-USER", message="m", steps="", calls=diff_user_log(),
                            reproducer=text, seed=1, replay_command="")
    result = RunResult(run_id="r", target={}, profile="dev", strictness="spec", seed=1,
                       started="", duration_seconds=0.0, verdict="does-not-conform", clauses=[],
                       findings=[finding, finding], errors=[], behaviour_profile={},
                       hard_states={}, calls={}, examples=0)
    write_reports(result, tmp_path)
    files = sorted(p.name for p in (tmp_path / "reproducers").iterdir())
    assert files == ["AF-DIFF-USER-1.py", "AF-DIFF-USER-2.py"]
    assert (tmp_path / "reproducers" / "AF-DIFF-USER-1.py").read_text(encoding="utf-8") == text
    assert text in (tmp_path / "report.md").read_text(encoding="utf-8")
