"""Each seeded deviation really happens, and the reference emulator does not show it.

Every scenario runs twice: on the reference emulator and with its one
deviation, and states what each must answer. A mutant that behaved like the
reference would make the suite's mutation score meaningless.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.emulator.behaviour import DEVIATIONS
from conformance.images import face_image, no_face_image

from .conftest import COLLECTION, Rig, RigFactory, confidence, error_code, person_matching, strip
from .test_concurrency_and_faults import both_take_one_face

UNKNOWN = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

Scenario = Callable[[Rig, bool], None]
SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str) -> Callable[[Scenario], Scenario]:
    assert name in DEVIATIONS, name

    def register(check: Scenario) -> Scenario:
        SCENARIOS[name] = check
        return check

    return register


def faces_ids(entries: list[dict[str, Any]]) -> list[str]:
    return [e["FaceId"] for e in entries]


def with_owned_face(rig: Rig, owner: str = "a") -> str:
    face = rig.face()
    rig.user(owner)
    rig.associate(owner, [face])
    return face


def cap_setup(rig: Rig, held: int, spare: int) -> list[str]:
    faces = rig.faces(held + spare)
    rig.user("u")
    rig.associate("u", faces[:held])
    return faces[held:]


# --- AssociateFaces -------------------------------------------------------------------------


@scenario("move-owned-face")
def _(rig: Rig, deviated: bool) -> None:
    face = with_owned_face(rig, "a")
    rig.user("b")
    answer = rig.associate("b", [face])
    assert faces_ids(answer["AssociatedFaces"]) == ([face] if deviated else [])
    assert rig.owners()[face] == ("b" if deviated else "a")


@scenario("report-already-associated")
def _(rig: Rig, deviated: bool) -> None:
    face = with_owned_face(rig, "u")
    assert faces_ids(rig.associate("u", [face])["AssociatedFaces"]) == (
        [face] if deviated else [])


@scenario("accept-unknown-user")
def _(rig: Rig, deviated: bool) -> None:
    face = rig.face()
    code = error_code(lambda: rig.associate("ghost", [face]))
    assert code == (None if deviated else "ResourceNotFoundException")
    assert rig.owners()[face] == ("ghost" if deviated else None)


@scenario("unknown-collection-not-found-entries")
def _(rig: Rig, deviated: bool) -> None:
    def call() -> dict[str, Any]:
        return rig.associate("u", [UNKNOWN], collection_id="elsewhere")

    if deviated:
        assert call()["UnsuccessfulFaceAssociations"] == [
            {"FaceId": UNKNOWN, "Reasons": ["FACE_NOT_FOUND"]}]
    else:
        assert error_code(call) == "ResourceNotFoundException"


@scenario("drop-unknown-face")
def _(rig: Rig, deviated: bool) -> None:
    rig.user("u")
    entries = rig.associate("u", [UNKNOWN])["UnsuccessfulFaceAssociations"]
    assert faces_ids(entries) == ([] if deviated else [UNKNOWN])


@scenario("unknown-user-wrong-code")
def _(rig: Rig, deviated: bool) -> None:
    face = rig.face()
    assert error_code(lambda: rig.associate("ghost", [face])) == (
        "InvalidParameterException" if deviated else "ResourceNotFoundException")


def low_match(rig: Rig, **extra: Any) -> tuple[str, list[dict[str, Any]]]:
    """A user holding a face of person 0 is sent a face of a stranger (confidence < 60)."""
    stranger = person_matching(0, lambda c: c < 60)
    with_owned_face(rig, "u")
    face = rig.face(stranger)
    return face, rig.associate("u", [face], **extra)["UnsuccessfulFaceAssociations"]


@scenario("threshold-ignored")
def _(rig: Rig, deviated: bool) -> None:
    face, refused = low_match(rig)
    assert faces_ids(refused) == ([] if deviated else [face])


@scenario("threshold-on-empty-user")
def _(rig: Rig, deviated: bool) -> None:
    face = rig.face()
    rig.user("u")
    refused = rig.associate("u", [face])["UnsuccessfulFaceAssociations"]
    assert refused == ([{"FaceId": face, "Confidence": 0.0, "Reasons": ["LOW_MATCH_CONFIDENCE"]}]
                       if deviated else [])


@scenario("low-confidence-reports-threshold")
def _(rig: Rig, deviated: bool) -> None:
    _, refused = low_match(rig, UserMatchThreshold=60)
    stranger = person_matching(0, lambda c: c < 60)
    assert refused[0]["Confidence"] == (60 if deviated
                                        else pytest.approx(confidence(0, stranger)))


@scenario("default-threshold-50")
def _(rig: Rig, deviated: bool) -> None:
    between = person_matching(0, lambda c: 50 <= c < 75)
    with_owned_face(rig, "u")
    face = rig.face(between)
    assert faces_ids(rig.associate("u", [face])["AssociatedFaces"]) == (
        [face] if deviated else [])


@scenario("zero-threshold-is-default")
def _(rig: Rig, deviated: bool) -> None:
    face, refused = low_match(rig, UserMatchThreshold=0)
    assert faces_ids(refused) == ([face] if deviated else [])


@scenario("threshold-range-unchecked")
def _(rig: Rig, deviated: bool) -> None:
    face = rig.face()
    rig.user("u")
    code = error_code(lambda: rig.raw.associate_faces(
        CollectionId=COLLECTION, UserId="u", FaceIds=[face], UserMatchThreshold=150))
    assert code == (None if deviated else "InvalidParameterException")


@scenario("threshold-inverted")
def _(rig: Rig, deviated: bool) -> None:
    other = person_matching(0, lambda c: 10 < c < 90)
    for user_id, margin in (("above", 1), ("below", -1)):
        rig.user(user_id)
        rig.associate(user_id, [rig.face(0)])
        face = rig.face(other)
        answer = rig.associate(user_id, [face],
                               UserMatchThreshold=confidence(0, other) + margin)
        taken = margin < 0  # the confidence is below a threshold above it
        assert faces_ids(answer["AssociatedFaces"]) == ([face] if taken != deviated else [])


@scenario("cap-off-by-one")
def _(rig: Rig, deviated: bool) -> None:
    spare = cap_setup(rig, 100, 1)
    code = error_code(lambda: rig.associate("u", spare))
    assert code == (None if deviated else "ServiceQuotaExceededException")
    assert len(rig.faces_of("u")) == (101 if deviated else 100)


@scenario("cap-checked-per-request")
def _(rig: Rig, deviated: bool) -> None:
    spare = cap_setup(rig, 99, 2)
    code = error_code(lambda: rig.associate("u", spare))
    assert code == (None if deviated else "ServiceQuotaExceededException")
    assert len(rig.faces_of("u")) == (101 if deviated else 99)


@scenario("refusal-not-rolled-back")
def _(rig: Rig, deviated: bool) -> None:
    spare = cap_setup(rig, 99, 2)
    assert error_code(lambda: rig.associate("u", spare)) == "ServiceQuotaExceededException"
    assert len(rig.faces_of("u")) == (100 if deviated else 99)


@scenario("request-max-unchecked")
def _(rig: Rig, deviated: bool) -> None:
    rig.user("u")
    many = [f"{i:08x}-0000-4000-8000-000000000000" for i in range(101)]
    code = error_code(lambda: rig.raw.associate_faces(CollectionId=COLLECTION, UserId="u",
                                                      FaceIds=many))
    assert code == (None if deviated else "InvalidParameterException")


@scenario("faceid-pattern-unchecked")
def _(rig: Rig, deviated: bool) -> None:
    rig.user("u")

    def call() -> dict[str, Any]:
        return dict(rig.raw.associate_faces(CollectionId=COLLECTION, UserId="u",
                                            FaceIds=["not-a-face-id"]))

    if deviated:
        assert call()["UnsuccessfulFaceAssociations"] == [
            {"FaceId": "not-a-face-id", "Reasons": ["FACE_NOT_FOUND"]}]
    else:
        assert error_code(call) == "InvalidParameterException"


@scenario("userid-length-unchecked")
def _(rig: Rig, deviated: bool) -> None:
    long_id = "u" * 129
    face = rig.face()
    code = error_code(lambda: rig.raw.associate_faces(CollectionId=COLLECTION, UserId=long_id,
                                                      FaceIds=[face]))
    # Let through, the id is looked up, and no such user exists.
    assert code == ("ResourceNotFoundException" if deviated else "InvalidParameterException")
    # CreateUser still checks it: that is cu-userid-unchecked's.
    code = error_code(lambda: rig.raw.create_user(CollectionId=COLLECTION, UserId=long_id))
    assert code == "InvalidParameterException"


@scenario("cu-userid-unchecked")
def _(rig: Rig, deviated: bool) -> None:
    for user_id in ("u" * 129, "a b"):
        code = error_code(lambda u=user_id: rig.raw.create_user(  # type: ignore[misc]
            CollectionId=COLLECTION, UserId=u))
        assert code == (None if deviated else "InvalidParameterException"), user_id


@scenario("token-pattern-unchecked")
def _(rig: Rig, deviated: bool) -> None:
    face = rig.face()
    rig.user("u")
    code = error_code(lambda: rig.raw.associate_faces(CollectionId=COLLECTION, UserId="u",
                                                      FaceIds=[face],
                                                      ClientRequestToken="has.dots"))
    assert code == (None if deviated else "InvalidParameterException")
    # CreateUser still checks it (CU-INPUT's).
    code = error_code(lambda: rig.raw.create_user(CollectionId=COLLECTION, UserId="v",
                                                  ClientRequestToken="has.dots"))
    assert code == "InvalidParameterException"


@scenario("userid-pattern-unchecked")
def _(rig: Rig, deviated: bool) -> None:
    face = rig.face()
    for user_id in ("!!!", "a b"):
        code = error_code(lambda u=user_id: rig.raw.associate_faces(  # type: ignore[misc]
            CollectionId=COLLECTION, UserId=u, FaceIds=[face]))
        # Let through, the id is looked up, and no such user exists.
        assert code == ("ResourceNotFoundException" if deviated
                        else "InvalidParameterException"), user_id
    # The length is still checked, and CreateUser still checks the pattern.
    code = error_code(lambda: rig.raw.associate_faces(CollectionId=COLLECTION,
                                                      UserId="u" * 129, FaceIds=[face]))
    assert code == "InvalidParameterException"
    code = error_code(lambda: rig.raw.create_user(CollectionId=COLLECTION, UserId="!!!"))
    assert code == "InvalidParameterException"


@scenario("collectionid-pattern-unchecked")
def _(rig: Rig, deviated: bool) -> None:
    face = rig.face()
    rig.user("u")
    code = error_code(lambda: rig.raw.associate_faces(CollectionId="!!!", UserId="u",
                                                      FaceIds=[face]))
    assert code == ("ResourceNotFoundException" if deviated else "InvalidParameterException")
    code = error_code(lambda: rig.raw.associate_faces(CollectionId="c" * 256, UserId="u",
                                                      FaceIds=[face]))
    assert code == "InvalidParameterException"


@scenario("cu-userid-pattern-unchecked")
def _(rig: Rig, deviated: bool) -> None:
    for user_id in ("!!!", "a b"):
        code = error_code(lambda u=user_id: rig.raw.create_user(  # type: ignore[misc]
            CollectionId=COLLECTION, UserId=u))
        assert code == (None if deviated else "InvalidParameterException"), user_id
    code = error_code(lambda: rig.raw.create_user(CollectionId=COLLECTION, UserId="u" * 129))
    assert code == "InvalidParameterException"


@scenario("cu-token-pattern-unchecked")
def _(rig: Rig, deviated: bool) -> None:
    code = error_code(lambda: rig.raw.create_user(CollectionId=COLLECTION, UserId="v",
                                                  ClientRequestToken="has.dots"))
    assert code == (None if deviated else "InvalidParameterException")
    code = error_code(lambda: rig.raw.create_user(CollectionId=COLLECTION, UserId="w",
                                                  ClientRequestToken="t" * 65))
    assert code == "InvalidParameterException"
    # AssociateFaces still checks it (AF-INPUT's).
    face = rig.face()
    code = error_code(lambda: rig.raw.associate_faces(CollectionId=COLLECTION, UserId="v",
                                                      FaceIds=[face],
                                                      ClientRequestToken="has.dots"))
    assert code == "InvalidParameterException"


@scenario("creating-never-ends")
def _(rig: Rig, deviated: bool) -> None:
    rig.user("u")
    assert rig.status("u") == ("CREATING" if deviated else "CREATED")
    face = rig.face()
    rig.associate("u", [face])
    assert rig.status("u") == "ACTIVE"  # a change ends it


@scenario("assoc-not-persisted")
def _(rig: Rig, deviated: bool) -> None:
    face = rig.face()
    rig.user("u")
    assert rig.associate("u", [face]) == {"AssociatedFaces": [{"FaceId": face}],
                                          "UnsuccessfulFaceAssociations": [],
                                          "UserStatus": "UPDATING"}
    assert rig.owners()[face] == (None if deviated else "u")
    assert rig.faces_of("u") == ([] if deviated else [face])


@scenario("missing-user-status")
def _(rig: Rig, deviated: bool) -> None:
    face = rig.face()
    rig.user("u")
    assert ("UserStatus" in rig.associate("u", [face])) is not deviated


@scenario("confidence-as-string")
def _(rig: Rig, deviated: bool) -> None:
    _, refused = low_match(rig)
    assert isinstance(refused[0]["Confidence"], str if deviated else float)


@scenario("echo-duplicate-face")
def _(rig: Rig, deviated: bool) -> None:
    face = rig.face()
    rig.user("u")
    assert faces_ids(rig.associate("u", [face, face])["AssociatedFaces"]) == (
        [face, face] if deviated else [face])


@scenario("status-never-settles")
def _(rig: Rig, deviated: bool) -> None:
    with_owned_face(rig, "u")
    assert rig.status("u") == ("UPDATING" if deviated else "ACTIVE")


@scenario("new-user-active")
def _(rig: Rig, deviated: bool) -> None:
    rig.user("u")
    assert rig.status("u") == ("ACTIVE" if deviated else "CREATED")


# --- tokens and concurrency -----------------------------------------------------------------


@scenario("token-replayed-against-today")
def _(rig: Rig, deviated: bool) -> None:
    face = rig.face()
    rig.user("u")
    rig.associate("u", [face], ClientRequestToken="tok")
    rig.disassociate("u", [face])
    rig.associate("u", [face], ClientRequestToken="tok")
    assert rig.owners()[face] == ("u" if deviated else None)


@scenario("dedupe-without-token")
def _(rig: Rig, deviated: bool) -> None:
    rig.user("u")
    face = rig.face(1)
    rig.associate("u", [face])
    rig.client.disassociate_faces(CollectionId=COLLECTION, UserId="u", FaceIds=[face])
    # The same AssociateFaces again, with the SDK's fresh token: it must act again.
    rig.associate("u", [face])
    held = [f["FaceId"] for f in rig.client.list_faces(CollectionId=COLLECTION,
                                                       UserId="u")["Faces"]]
    assert held == ([] if deviated else [face])


@scenario("mismatch-wrong-code")
def _(rig: Rig, deviated: bool) -> None:
    face = rig.face()
    rig.user("u")
    rig.associate("u", [face], ClientRequestToken="tok")
    code = error_code(lambda: rig.associate("u", [UNKNOWN], ClientRequestToken="tok"))
    assert code == ("ConflictException" if deviated else "IdempotentParameterMismatchException")
    # The other operations keep the right code.
    rig.client.create_user(CollectionId=COLLECTION, UserId="v", ClientRequestToken="cu")
    code = error_code(lambda: rig.client.create_user(CollectionId=COLLECTION, UserId="w",
                                                     ClientRequestToken="cu"))
    assert code == "IdempotentParameterMismatchException"


@scenario("no-lock")
def _(rig: Rig, deviated: bool) -> None:
    rounds = [both_take_one_face(rig) for _ in range(5)]
    if deviated:
        assert any(claims == 2 for claims, _ in rounds), rounds
    else:
        assert all(claims == 1 for claims, _ in rounds), rounds


# --- DisassociateFaces, users, DeleteFaces, listings ----------------------------------------


@scenario("df-releases-other-users-face")
def _(rig: Rig, deviated: bool) -> None:
    face = with_owned_face(rig, "a")
    rig.user("b")
    answer = rig.disassociate("b", [face])
    assert faces_ids(answer["DisassociatedFaces"]) == ([face] if deviated else [])
    assert rig.owners()[face] == (None if deviated else "a")


@scenario("df-drop-unknown-face")
def _(rig: Rig, deviated: bool) -> None:
    rig.user("u")
    entries = rig.disassociate("u", [UNKNOWN])["UnsuccessfulFaceDisassociations"]
    assert faces_ids(entries) == ([] if deviated else [UNKNOWN])


@scenario("df-no-release")
def _(rig: Rig, deviated: bool) -> None:
    face = with_owned_face(rig, "u")
    assert faces_ids(rig.disassociate("u", [face])["DisassociatedFaces"]) == [face]
    assert rig.owners()[face] == ("u" if deviated else None)


@scenario("df-missing-user-status")
def _(rig: Rig, deviated: bool) -> None:
    face = with_owned_face(rig, "u")
    answer = rig.disassociate("u", [face])
    assert faces_ids(answer["DisassociatedFaces"]) == [face]
    assert ("UserStatus" in answer) is not deviated


@scenario("df-token-ignored")
def _(rig: Rig, deviated: bool) -> None:
    face = rig.face()
    rig.user("u")
    rig.associate("u", [face], ClientRequestToken="assoc")
    rig.disassociate("u", [face], ClientRequestToken="dis")
    rig.associate("u", [face])
    rig.disassociate("u", [face], ClientRequestToken="dis")  # replay
    assert rig.owners()[face] == (None if deviated else "u")
    # AssociateFaces keeps its tokens: this replay has no effect either way.
    rig.associate("u", [face], ClientRequestToken="assoc")
    assert rig.owners()[face] == (None if deviated else "u")


@scenario("df-mismatch-ignored")
def _(rig: Rig, deviated: bool) -> None:
    a, b = rig.faces(2)
    rig.user("u")
    rig.associate("u", [a, b])
    rig.disassociate("u", [a], ClientRequestToken="tok")
    code = error_code(lambda: rig.disassociate("u", [b], ClientRequestToken="tok"))
    assert code == (None if deviated else "IdempotentParameterMismatchException")
    assert rig.owners()[b] == (None if deviated else "u")


@scenario("df-unknown-user-ok")
def _(rig: Rig, deviated: bool) -> None:
    face = rig.face()
    code = error_code(lambda: rig.disassociate("ghost", [face]))
    assert code == (None if deviated else "ResourceNotFoundException")


@scenario("cu-overwrite-existing")
def _(rig: Rig, deviated: bool) -> None:
    face = with_owned_face(rig, "u")
    assert error_code(lambda: rig.user("u")) == (None if deviated else "ConflictException")
    assert rig.owners()[face] == (None if deviated else "u")


@scenario("cu-replay-conflict")
def _(rig: Rig, deviated: bool) -> None:
    request = {"CollectionId": COLLECTION, "UserId": "u", "ClientRequestToken": "tok"}
    rig.client.create_user(**request)
    code = error_code(lambda: rig.client.create_user(**request))
    assert code == ("ConflictException" if deviated else None)


@scenario("cu-mismatch-ignored")
def _(rig: Rig, deviated: bool) -> None:
    rig.client.create_user(CollectionId=COLLECTION, UserId="u", ClientRequestToken="tok")
    code = error_code(lambda: rig.client.create_user(CollectionId=COLLECTION, UserId="v",
                                                     ClientRequestToken="tok"))
    assert code == (None if deviated else "IdempotentParameterMismatchException")
    assert rig.users() == (["u", "v"] if deviated else ["u"])


@scenario("du-keeps-faces-owned")
def _(rig: Rig, deviated: bool) -> None:
    face = with_owned_face(rig, "u")
    rig.client.delete_user(CollectionId=COLLECTION, UserId="u")
    assert rig.owners()[face] == ("u" if deviated else None)


@scenario("du-unknown-ok")
def _(rig: Rig, deviated: bool) -> None:
    code = error_code(lambda: rig.client.delete_user(CollectionId=COLLECTION, UserId="ghost"))
    assert code == (None if deviated else "ResourceNotFoundException")


@scenario("df-replay-executes")
def _(rig: Rig, deviated: bool) -> None:
    face = rig.face()
    rig.user("u")
    rig.associate("u", [face])
    rig.disassociate("u", [face], ClientRequestToken="dis")
    rig.associate("u", [face])
    rig.disassociate("u", [face], ClientRequestToken="dis")  # replay
    assert rig.owners()[face] == (None if deviated else "u")
    # The token is still remembered against other parameters.
    code = error_code(lambda: rig.disassociate("u", [UNKNOWN], ClientRequestToken="dis"))
    assert code == "IdempotentParameterMismatchException"


@scenario("du-replay-executes")
def _(rig: Rig, deviated: bool) -> None:
    rig.user("u")
    request = {"CollectionId": COLLECTION, "UserId": "u", "ClientRequestToken": "tok"}
    rig.client.delete_user(**request)
    rig.user("u")
    assert strip(rig.client.delete_user(**request)) == {}
    assert rig.users() == ([] if deviated else ["u"])


@scenario("du-mismatch-ignored")
def _(rig: Rig, deviated: bool) -> None:
    rig.user("u")
    rig.user("v")
    rig.client.delete_user(CollectionId=COLLECTION, UserId="u", ClientRequestToken="tok")
    code = error_code(lambda: rig.client.delete_user(CollectionId=COLLECTION, UserId="v",
                                                     ClientRequestToken="tok"))
    assert code == (None if deviated else "IdempotentParameterMismatchException")
    assert rig.users() == ([] if deviated else ["v"])


@scenario("delete-owned-face")
def _(rig: Rig, deviated: bool) -> None:
    face = with_owned_face(rig, "u")
    answer = rig.client.delete_faces(CollectionId=COLLECTION, FaceIds=[face])
    assert answer.get("DeletedFaces", []) == ([face] if deviated else [])
    assert (face in rig.owners()) is not deviated


@scenario("delete-unowned-kept")
def _(rig: Rig, deviated: bool) -> None:
    face = rig.face()
    answer = rig.client.delete_faces(CollectionId=COLLECTION, FaceIds=[face])
    assert answer["DeletedFaces"] == [face]
    assert (face in rig.owners()) is deviated


@scenario("index-faces-confidence-string")
def _(rig: Rig, deviated: bool) -> None:
    answer = rig.client.index_faces(CollectionId=COLLECTION, Image={"Bytes": face_image(0)})
    assert isinstance(answer["FaceRecords"][0]["Face"]["Confidence"], str if deviated else float)
    listed = rig.client.list_faces(CollectionId=COLLECTION)["Faces"]
    assert isinstance(listed[0]["Confidence"], float)  # only IndexFaces deviates


@scenario("list-faces-drops-page-edge")
def _(rig: Rig, deviated: bool) -> None:
    faces = rig.faces(5)
    seen, token = [], None
    for _ in range(10):
        page = rig.client.list_faces(CollectionId=COLLECTION, MaxResults=2,
                                     **({"NextToken": token} if token else {}))
        seen += faces_ids(page["Faces"])
        token = page.get("NextToken")
        if not token:
            break
    assert seen == ([faces[0], faces[1], faces[3]] if deviated else faces)


@scenario("list-faces-skips-with-pages-of-three")
def _(rig: Rig, deviated: bool) -> None:
    faces = rig.faces(7)
    seen, token = [], None
    for _ in range(10):
        page = rig.client.list_faces(CollectionId=COLLECTION, MaxResults=3,
                                     **({"NextToken": token} if token else {}))
        seen += faces_ids(page["Faces"])
        token = page.get("NextToken")
        if not token:
            break
    assert seen == ([*faces[:3], faces[4], faces[5]] if deviated else faces)


@scenario("list-users-repeats-page-edge")
def _(rig: Rig, deviated: bool) -> None:
    names = [rig.user(f"user-{i}") for i in range(4)]
    seen, token = [], None
    for _ in range(10):
        page = rig.client.list_users(CollectionId=COLLECTION, MaxResults=2,
                                     **({"NextToken": token} if token else {}))
        seen += [u["UserId"] for u in page["Users"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == (names[:2] + names[1:] if deviated else names)


@scenario("list-faces-ignores-userid")
def _(rig: Rig, deviated: bool) -> None:
    face = with_owned_face(rig, "u")
    other = rig.face()
    assert rig.faces_of("u") == ([face, other] if deviated else [face])


# --- a stub's set-up steps (issue 18) ------------------------------------------------------


@scenario("index-nothing")
def _(rig: Rig, deviated: bool) -> None:
    answer = rig.client.index_faces(CollectionId=COLLECTION, Image={"Bytes": face_image(0)})
    assert len(answer["FaceRecords"]) == (0 if deviated else 1)
    assert len(rig.client.list_faces(CollectionId=COLLECTION)["Faces"]) == (0 if deviated else 1)


@scenario("list-users-ignores-max-results")
def _(rig: Rig, deviated: bool) -> None:
    for i in range(3):
        rig.user(f"user-{i}")
    page = rig.client.list_users(CollectionId=COLLECTION, MaxResults=1)
    assert len(page["Users"]) == (3 if deviated else 1)
    assert ("NextToken" in page) is not deviated


@scenario("tokens-ignored")
def _(rig: Rig, deviated: bool) -> None:
    rig.client.create_user(CollectionId=COLLECTION, UserId="u", ClientRequestToken="t")
    replay = error_code(lambda: rig.client.create_user(CollectionId=COLLECTION, UserId="u",
                                                       ClientRequestToken="t"))
    assert replay == ("ConflictException" if deviated else None)
    face = rig.face()
    rig.associate("u", [face], ClientRequestToken="a")
    rig.disassociate("u", [face])
    rig.associate("u", [face], ClientRequestToken="a")  # a replay: no second effect
    assert rig.owners()[face] == ("u" if deviated else None)
    rig.client.delete_user(CollectionId=COLLECTION, UserId="u", ClientRequestToken="d")
    rig.user("u")
    rig.client.delete_user(CollectionId=COLLECTION, UserId="u", ClientRequestToken="d")
    assert ("u" in rig.users()) is not deviated


@scenario("validation-absent")
def _(rig: Rig, deviated: bool) -> None:
    rig.user("u")
    for params in ({"UserMatchThreshold": 150.0}, {"FaceIds": ["not-a-face-id"]},
                   {"FaceIds": [UNKNOWN] * 101}, {"UserId": "x" * 129}):
        request = {"CollectionId": COLLECTION, "UserId": "u", "FaceIds": [UNKNOWN], **params}
        code = error_code(lambda request=request: rig.raw.associate_faces(**request))
        assert code in ((None, "ResourceNotFoundException") if deviated
                        else ("InvalidParameterException",)), params
    code = error_code(lambda: rig.raw.create_user(CollectionId=COLLECTION, UserId="a b"))
    assert code == (None if deviated else "InvalidParameterException")


@scenario("delete-faces-bad-reason")
def _(rig: Rig, deviated: bool) -> None:
    answer = rig.client.delete_faces(CollectionId=COLLECTION, FaceIds=[UNKNOWN])
    reasons = answer["UnsuccessfulFaceDeletions"][0]["Reasons"]
    assert reasons == (["FACE_NOT_DELETED"] if deviated else ["FACE_NOT_FOUND"])


# --- the searches (issue 20) ------------------------------------------------------------


def search_image(rig: Rig, person: int = 0, **extra: Any) -> list[str]:
    answer = rig.client.search_users_by_image(CollectionId=COLLECTION,
                                              Image={"Bytes": face_image(person)}, **extra)
    return [m["User"]["UserId"] for m in answer["UserMatches"]]


def search(rig: Rig, **by: Any) -> list[str]:
    answer = rig.client.search_users(CollectionId=COLLECTION, **by)
    return [m["User"]["UserId"] for m in answer["UserMatches"]]


@scenario("su-face-finds-nobody")
def _(rig: Rig, deviated: bool) -> None:
    face = with_owned_face(rig, "a")
    assert search(rig, FaceId=face) == ([] if deviated else ["a"])


@scenario("su-user-finds-nobody")
def _(rig: Rig, deviated: bool) -> None:
    with_owned_face(rig, "a")
    with_owned_face(rig, "b")
    assert search(rig, UserId="a") == ([] if deviated else ["b"])


@scenario("subi-ignores-person")
def _(rig: Rig, deviated: bool) -> None:
    with_owned_face(rig, "a")
    rig.user("b")
    rig.associate("b", [rig.face(person=1)])  # person 1 matches person 0 at 62.508
    assert search_image(rig, 0) == (["a", "b"] if deviated else ["a"])


@scenario("subi-no-face-matches")
def _(rig: Rig, deviated: bool) -> None:
    with_owned_face(rig, "a")
    answer = rig.client.search_users_by_image(CollectionId=COLLECTION,
                                              Image={"Bytes": no_face_image()})
    assert [m["User"]["UserId"] for m in answer["UserMatches"]] == (["a"] if deviated else [])
    assert ("SearchedFace" in answer) == deviated


@scenario("su-threshold-ignored")
def _(rig: Rig, deviated: bool) -> None:
    with_owned_face(rig, "a")
    rig.user("b")
    rig.associate("b", [rig.face(person=1)])
    assert search_image(rig, 0, UserMatchThreshold=90) == (["a", "b"] if deviated else ["a"])


@scenario("su-max-users-ignored")
def _(rig: Rig, deviated: bool) -> None:
    with_owned_face(rig, "a")
    with_owned_face(rig, "b")
    assert search_image(rig, 0, MaxUsers=1) == (["a", "b"] if deviated else ["a"])


@scenario("su-absent-face-empty")
def _(rig: Rig, deviated: bool) -> None:
    code = error_code(lambda: rig.client.search_users(CollectionId=COLLECTION, FaceId=UNKNOWN))
    assert code == (None if deviated else "ResourceNotFoundException")


@scenario("search-sees-released-faces")
def _(rig: Rig, deviated: bool) -> None:
    face = with_owned_face(rig, "a")
    rig.disassociate("a", [face])
    assert search_image(rig, 0) == (["a"] if deviated else [])


def test_every_deviation_has_a_scenario() -> None:
    assert sorted(SCENARIOS) == sorted(DEVIATIONS)


@pytest.mark.parametrize("deviated", [False, True], ids=["reference", "deviated"])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_deviation(make_rig: RigFactory, name: str, deviated: bool) -> None:
    rig = make_rig(deviations={name} if deviated else set())
    rig.collection()
    SCENARIOS[name](rig, deviated)
