"""AssociateFaces and DisassociateFaces, clause by clause and reading by reading."""

from __future__ import annotations

import time

import pytest

from .conftest import (
    COLLECTION,
    Rig,
    RigFactory,
    aws_error,
    confidence,
    error_code,
    person_matching,
)

UNKNOWN = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def ids(entries: list[dict[str, str]]) -> list[str]:
    return [e["FaceId"] for e in entries]


# --- AssociateFaces: who owns what ------------------------------------------------------------


def test_unowned_faces_are_associated_and_owned(rig: Rig) -> None:
    faces = rig.faces(2)
    rig.user("u")
    answer = rig.associate("u", faces)
    assert ids(answer["AssociatedFaces"]) == faces
    assert answer["UnsuccessfulFaceAssociations"] == [] and answer["UserStatus"] == "UPDATING"
    assert rig.faces_of("u") == faces and rig.status("u") == "ACTIVE"


def test_face_already_this_users_is_ignored(rig: Rig) -> None:
    face = rig.face()
    rig.user("u")
    rig.associate("u", [face])
    answer = rig.associate("u", [face])
    assert answer["AssociatedFaces"] == [] and answer["UnsuccessfulFaceAssociations"] == []
    assert answer["UserStatus"] == "ACTIVE"  # nothing changed: the current status


@pytest.mark.parametrize(("reading", "reported"), [("owner", "a"), ("requested", "b")])
def test_face_of_another_user(make_rig: RigFactory, reading: str, reported: str) -> None:
    rig = make_rig(readings={"AMB-OWNER-ID": reading})
    rig.collection()
    face = rig.face()
    rig.user("a")
    rig.user("b")
    rig.associate("a", [face])
    answer = rig.associate("b", [face])
    assert answer["AssociatedFaces"] == []
    assert answer["UnsuccessfulFaceAssociations"] == [
        {"FaceId": face, "UserId": reported, "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"]}]
    assert rig.owners() == {face: "a"}
    assert answer["UserStatus"] == "CREATED"


def test_absent_face_is_face_not_found(rig: Rig) -> None:
    rig.user("u")
    answer = rig.associate("u", [UNKNOWN])
    assert answer["UnsuccessfulFaceAssociations"] == [
        {"FaceId": UNKNOWN, "Reasons": ["FACE_NOT_FOUND"]}]


def test_unknown_user_or_collection_is_resource_not_found(rig: Rig) -> None:
    face = rig.face()
    with aws_error("ResourceNotFoundException"):
        rig.associate("nobody", [face])
    with aws_error("ResourceNotFoundException"):
        rig.associate("u", [face], collection_id="elsewhere")
    assert rig.owners() == {face: None}


# --- thresholds -----------------------------------------------------------------------------


def test_low_match_confidence_reports_the_confidence(rig: Rig) -> None:
    stranger = person_matching(0, lambda c: c < 70)
    first, other = rig.face(0), rig.face(stranger)
    rig.user("u")
    rig.associate("u", [first])
    answer = rig.associate("u", [other], UserMatchThreshold=70)
    assert answer["UnsuccessfulFaceAssociations"] == [
        {"FaceId": other, "Confidence": pytest.approx(confidence(0, stranger)),
         "Reasons": ["LOW_MATCH_CONFIDENCE"]}]
    assert answer["UnsuccessfulFaceAssociations"][0]["Confidence"] < 70


def test_default_threshold_is_75(rig: Rig) -> None:
    between = person_matching(0, lambda c: 50 <= c < 75)
    first, other = rig.face(0), rig.face(between)
    rig.user("u")
    rig.associate("u", [first])
    refused = rig.associate("u", [other])
    assert refused["UnsuccessfulFaceAssociations"][0]["Reasons"] == ["LOW_MATCH_CONFIDENCE"]
    assert ids(rig.associate("u", [other], UserMatchThreshold=50)["AssociatedFaces"]) == [other]


def test_threshold_0_never_refuses(rig: Rig) -> None:
    farthest = min(range(1, 200), key=lambda p: confidence(0, p))
    first, other = rig.face(0), rig.face(farthest)
    rig.user("u")
    rig.associate("u", [first])
    assert ids(rig.associate("u", [other], UserMatchThreshold=0)["AssociatedFaces"]) == [other]


def test_threshold_100_refuses_even_the_same_person(rig: Rig) -> None:
    first, again = rig.faces(2, person=0)
    rig.user("u")
    rig.associate("u", [first])
    answer = rig.associate("u", [again], UserMatchThreshold=100)
    assert answer["UnsuccessfulFaceAssociations"] == [
        {"FaceId": again, "Confidence": 99.9, "Reasons": ["LOW_MATCH_CONFIDENCE"]}]


def test_user_with_no_face_accepts_anything(rig: Rig) -> None:
    faces = [rig.face(p) for p in range(5)]
    rig.user("u")
    assert ids(rig.associate("u", faces, UserMatchThreshold=100)["AssociatedFaces"]) == faces


def test_first_batch_matched_in_request(make_rig: RigFactory) -> None:
    rig = make_rig(readings={"AMB-FIRST-BATCH": "matched-in-request"})
    rig.collection()
    stranger = person_matching(0, lambda c: c < 75)
    first, far, near = rig.face(0), rig.face(stranger), rig.face(0)
    rig.user("u")
    answer = rig.associate("u", [first, far, near])
    assert ids(answer["AssociatedFaces"]) == [first, near]
    assert [(e["FaceId"], e["Reasons"]) for e in answer["UnsuccessfulFaceAssociations"]] == [
        (far, ["LOW_MATCH_CONFIDENCE"])]


@pytest.mark.parametrize("code", ["InvalidParameterException", "ValidationException"])
@pytest.mark.parametrize("threshold", [100.5, -1.0, float("inf")])
def test_threshold_outside_0_to_100_is_rejected(make_rig: RigFactory, code: str,
                                                threshold: float) -> None:
    rig = make_rig(readings={"AMB-INVALID-CODE": code})
    rig.collection()
    face = rig.face()
    rig.user("u")
    with aws_error(code):
        rig.raw.associate_faces(CollectionId=COLLECTION, UserId="u", FaceIds=[face],
                                UserMatchThreshold=threshold)
    assert rig.owners() == {face: None}


@pytest.mark.parametrize("threshold", [0, 100])
def test_threshold_bounds_are_accepted(rig: Rig, threshold: float) -> None:
    face = rig.face()
    rig.user("u")
    assert ids(rig.associate("u", [face], UserMatchThreshold=threshold)["AssociatedFaces"]) \
        == [face]


# --- request size, repeats, malformed input -------------------------------------------------


def test_1_to_100_face_ids_per_request(rig: Rig) -> None:
    rig.user("u")
    many = [f"{i:08x}-0000-4000-8000-000000000000" for i in range(101)]
    with aws_error("InvalidParameterException"):
        rig.raw.associate_faces(CollectionId=COLLECTION, UserId="u", FaceIds=many)
    with aws_error("InvalidParameterException"):
        rig.raw.associate_faces(CollectionId=COLLECTION, UserId="u", FaceIds=[])
    answer = rig.associate("u", many[:100])
    assert len(answer["UnsuccessfulFaceAssociations"]) == 100


@pytest.mark.parametrize(("field", "value"), [
    ("UserId", "u" * 129), ("UserId", "white space"), ("CollectionId", "a/b"),
    ("ClientRequestToken", "dots.are.out"), ("ClientRequestToken", "t" * 65),
    ("FaceIds", ["ABCDEF01-0000-4000-8000-000000000000"]), ("FaceIds", ["short"]),
])
def test_malformed_ids_are_rejected_by_the_server(rig: Rig, field: str,
                                                  value: object) -> None:
    face = rig.face()
    rig.user("u")
    request = {"CollectionId": COLLECTION, "UserId": "u", "FaceIds": [face], field: value}
    with aws_error("InvalidParameterException"):
        rig.raw.associate_faces(**request)
    assert rig.owners() == {face: None}


def test_repeated_face_id_treated_once(rig: Rig) -> None:
    face = rig.face()
    rig.user("u")
    assert ids(rig.associate("u", [face, face])["AssociatedFaces"]) == [face]
    assert ids(rig.disassociate("u", [face, face])["DisassociatedFaces"]) == [face]


def test_repeated_face_id_rejected(make_rig: RigFactory) -> None:
    rig = make_rig(readings={"AMB-DUP-IDS": "rejected"})
    rig.collection()
    face = rig.face()
    rig.user("u")
    with aws_error("InvalidParameterException"):
        rig.associate("u", [face, face])
    assert rig.owners() == {face: None}
    rig.associate("u", [face])
    with aws_error("InvalidParameterException"):
        rig.disassociate("u", [face, face])
    assert rig.owners() == {face: "u"}


# --- the 100-face cap -----------------------------------------------------------------------

CAP_READINGS = [(cap, cross) for cap in ("exception", "unsuccessful-entries")
                for cross in ("refused-whole", "filled-to-cap")]


def capped_rig(make_rig: RigFactory, cap: str, cross: str, held: int,
               spare: int) -> tuple[Rig, list[str]]:
    """A user "u" holding ``held`` faces of person 0, and ``spare`` more faces of person 0."""
    rig = make_rig(readings={"AMB-CAP": cap, "AMB-CAP-CROSS": cross})
    rig.collection()
    faces = rig.faces(held + spare)
    rig.user("u")
    if held:
        assert len(rig.associate("u", faces[:held])["AssociatedFaces"]) == held
    return rig, faces[held:]


@pytest.mark.parametrize(("cap", "cross"), CAP_READINGS)
def test_cap_reaching_100_is_fine(make_rig: RigFactory, cap: str, cross: str) -> None:
    rig, spare = capped_rig(make_rig, cap, cross, 99, 1)
    assert ids(rig.associate("u", spare)["AssociatedFaces"]) == spare
    assert len(rig.faces_of("u")) == 100


@pytest.mark.parametrize(("cap", "cross"), CAP_READINGS)
def test_cap_at_100_refuses_more(make_rig: RigFactory, cap: str, cross: str) -> None:
    rig, spare = capped_rig(make_rig, cap, cross, 100, 1)
    if cap == "exception":
        with aws_error("ServiceQuotaExceededException"):
            rig.associate("u", spare)
    else:
        answer = rig.associate("u", spare)
        assert answer["AssociatedFaces"] == []
        assert answer["UnsuccessfulFaceAssociations"] == [{"FaceId": spare[0], "Reasons": []}]
    assert len(rig.faces_of("u")) == 100


@pytest.mark.parametrize(("cap", "cross"), CAP_READINGS)
def test_cap_crossing_request(make_rig: RigFactory, cap: str, cross: str) -> None:
    rig, spare = capped_rig(make_rig, cap, cross, 99, 2)
    if (cap, cross) == ("exception", "refused-whole"):
        with aws_error("ServiceQuotaExceededException"):
            rig.associate("u", spare)
        assert len(rig.faces_of("u")) == 99
        return
    answer = rig.associate("u", spare)
    if cross == "refused-whole":
        assert answer["AssociatedFaces"] == []
        assert answer["UnsuccessfulFaceAssociations"] == [
            {"FaceId": f, "Reasons": []} for f in spare]
        assert len(rig.faces_of("u")) == 99
    else:
        assert ids(answer["AssociatedFaces"]) == spare[:1]
        assert answer["UnsuccessfulFaceAssociations"] == [{"FaceId": spare[1], "Reasons": []}]
        assert len(rig.faces_of("u")) == 100


def test_100_faces_in_one_request_to_an_empty_user(rig: Rig) -> None:
    faces = rig.faces(100)
    rig.user("u")
    assert len(rig.associate("u", faces)["AssociatedFaces"]) == 100


# --- status ---------------------------------------------------------------------------------


def test_status_now_active_reading(make_rig: RigFactory) -> None:
    rig = make_rig(readings={"AMB-STATUS-NOW": "ACTIVE"})
    rig.collection()
    face = rig.face()
    rig.user("u")
    assert rig.associate("u", [face])["UserStatus"] == "ACTIVE"
    # Each operation has its own reading (AMB-DF-STATUS-NOW).
    assert rig.disassociate("u", [face])["UserStatus"] == "UPDATING"


def test_df_status_now_active_reading(make_rig: RigFactory) -> None:
    rig = make_rig(readings={"AMB-DF-STATUS-NOW": "ACTIVE"})
    rig.collection()
    face = rig.face()
    rig.user("u")
    assert rig.associate("u", [face])["UserStatus"] == "UPDATING"
    assert rig.disassociate("u", [face])["UserStatus"] == "ACTIVE"


@pytest.mark.parametrize("ambiguity", ["AMB-STATUS-NOOP", "AMB-DF-STATUS-NOOP"])
def test_status_noop_updating_reading(make_rig: RigFactory, ambiguity: str) -> None:
    rig = make_rig(readings={ambiguity: "UPDATING"})
    rig.collection()
    face = rig.face()
    rig.user("u")
    rig.associate("u", [face])
    af = rig.associate("u", [face])["UserStatus"]
    df = rig.disassociate("u", [UNKNOWN])["UserStatus"]
    assert (af, df) == (("UPDATING", "ACTIVE") if ambiguity == "AMB-STATUS-NOOP"
                        else ("ACTIVE", "UPDATING"))


def test_status_updating_until_settled(make_rig: RigFactory) -> None:
    rig = make_rig(settle_seconds=0.2)
    rig.collection()
    face = rig.face()
    rig.user("u")
    assert rig.status("u") == "CREATED"
    assert rig.associate("u", [face])["UserStatus"] == "UPDATING"
    assert rig.status("u") == "UPDATING"
    time.sleep(0.25)
    assert rig.status("u") == "ACTIVE"


@pytest.mark.parametrize("reading", ["CREATED", "ACTIVE"])
def test_status_after_all_faces_are_disassociated(make_rig: RigFactory, reading: str) -> None:
    rig = make_rig(readings={"AMB-EMPTY-AGAIN": reading})
    rig.collection()
    face = rig.face()
    rig.user("u")
    rig.associate("u", [face])
    assert rig.disassociate("u", [face])["UserStatus"] == "UPDATING"
    assert rig.status("u") == reading


# --- DisassociateFaces ----------------------------------------------------------------------


def test_disassociate_releases_own_faces(rig: Rig) -> None:
    faces = rig.faces(3)
    rig.user("u")
    rig.associate("u", faces)
    answer = rig.disassociate("u", faces[:2])
    assert ids(answer["DisassociatedFaces"]) == faces[:2]
    assert answer["UnsuccessfulFaceDisassociations"] == []
    assert answer["UserStatus"] == "UPDATING"
    assert rig.faces_of("u") == faces[2:]


@pytest.mark.parametrize(("reading", "reported"), [("owner", "a"), ("requested", "b"),
                                                  ("absent", None)])
def test_disassociate_another_users_face(make_rig: RigFactory, reading: str,
                                         reported: str | None) -> None:
    rig = make_rig(readings={"AMB-DF-OWNER-ID": reading})
    rig.collection()
    face = rig.face()
    rig.user("a")
    rig.user("b")
    rig.associate("a", [face])
    answer = rig.disassociate("b", [face, UNKNOWN])
    assert answer["DisassociatedFaces"] == []
    entry = {"FaceId": face, "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"]}
    if reported is not None:
        entry["UserId"] = reported
    assert answer["UnsuccessfulFaceDisassociations"] == [
        entry, {"FaceId": UNKNOWN, "Reasons": ["FACE_NOT_FOUND"]}]
    assert answer["UserStatus"] == "CREATED"
    assert rig.owners() == {face: "a"}


@pytest.mark.parametrize(("reading", "entries"), [("face-not-found", 1), ("ignored", 0)])
def test_disassociate_an_unowned_face(make_rig: RigFactory, reading: str,
                                      entries: int) -> None:
    rig = make_rig(readings={"AMB-DF-UNOWNED": reading})
    rig.collection()
    face = rig.face()
    rig.user("u")
    answer = rig.disassociate("u", [face])
    assert answer["DisassociatedFaces"] == []
    assert answer["UnsuccessfulFaceDisassociations"] == [
        {"FaceId": face, "Reasons": ["FACE_NOT_FOUND"]}][:entries]


def test_disassociate_unknown_user_or_collection(rig: Rig) -> None:
    face = rig.face()
    with aws_error("ResourceNotFoundException"):
        rig.disassociate("nobody", [face])
    with aws_error("ResourceNotFoundException"):
        rig.disassociate("u", [face], collection_id="elsewhere")


# --- readings of issue 9 ------------------------------------------------------------------------


@pytest.mark.parametrize("reading", ["face-by-face", "exception-whole-call"])
def test_cap_call_adding_nothing(make_rig: RigFactory, reading: str) -> None:
    rig = make_rig(readings={"AMB-CAP-CALL": reading})
    rig.collection()
    faces = rig.faces(101)
    rig.user("u")
    rig.associate("u", faces[:100], UserMatchThreshold=0.0)
    if reading == "exception-whole-call":
        with aws_error("ServiceQuotaExceededException"):
            rig.associate("u", [faces[0], UNKNOWN])
    else:
        answer = rig.associate("u", [faces[0], UNKNOWN])
        assert answer["UnsuccessfulFaceAssociations"] == [
            {"FaceId": UNKNOWN, "Reasons": ["FACE_NOT_FOUND"]}]
    # A call that would add a face is the business of AMB-CAP, under either reading.
    with aws_error("ServiceQuotaExceededException"):
        rig.associate("u", [faces[100]], UserMatchThreshold=0.0)
    assert len(rig.faces_of("u")) == 100


def test_dup_ids_per_occurrence(make_rig: RigFactory) -> None:
    rig = make_rig(readings={"AMB-DUP-IDS": "per-occurrence"})
    rig.collection()
    mine, theirs, free = rig.faces(3)
    rig.user("a")
    rig.user("b")
    rig.associate("a", [mine])
    rig.associate("b", [theirs])
    answer = rig.associate("a", [UNKNOWN, free, theirs, UNKNOWN, free, theirs, mine, mine])
    assert ids(answer["AssociatedFaces"]) == [free]
    assert ids(answer["UnsuccessfulFaceAssociations"]) == [UNKNOWN, theirs, UNKNOWN, theirs]
    answer = rig.disassociate("a", [free, free, UNKNOWN, UNKNOWN])
    assert ids(answer["DisassociatedFaces"]) == [free]
    assert ids(answer["UnsuccessfulFaceDisassociations"]) == [UNKNOWN, UNKNOWN]


def test_batch_order_any_order_matches_backwards(make_rig: RigFactory) -> None:
    rig = make_rig(readings={"AMB-FIRST-BATCH": "matched-in-request",
                             "AMB-BATCH-ORDER": "any-order"})
    rig.collection()
    other = person_matching(0, lambda c: c < 50)
    first, last = rig.face(0), rig.face(other)
    rig.user("u")
    answer = rig.associate("u", [first, last], UserMatchThreshold=50.0)
    assert ids(answer["AssociatedFaces"]) == [last]
    assert ids(answer["UnsuccessfulFaceAssociations"]) == [first]


@pytest.mark.parametrize(("field", "rounding"), [("absent", "exact"), ("present", "rounded")])
def test_low_match_confidence_readings(make_rig: RigFactory, field: str, rounding: str) -> None:
    rig = make_rig(readings={"AMB-LOW-CONF-FIELD": field, "AMB-CONF-ROUNDING": rounding})
    rig.collection()
    other = person_matching(0, lambda c: c < 90)
    held, refused = rig.face(0), rig.face(other)
    rig.user("u")
    rig.associate("u", [held])
    [entry] = rig.associate("u", [refused], UserMatchThreshold=90.0)[
        "UnsuccessfulFaceAssociations"]
    if field == "absent":
        assert "Confidence" not in entry
    else:
        assert entry["Confidence"] == float(int(confidence(0, other) + 0.5))


@pytest.mark.parametrize("reading", ["full-match", "search"])
def test_pattern_anchor(make_rig: RigFactory, reading: str) -> None:
    rig = make_rig(readings={"AMB-PATTERN-ANCHOR": reading})
    rig.collection()
    face = rig.face()
    for user_id in ("bad user!", "user/1"):
        def call(user_id: str = user_id) -> object:
            return rig.raw.associate_faces(CollectionId=COLLECTION, UserId=user_id,
                                           FaceIds=[face])

        code = error_code(call)
        assert code == ("ResourceNotFoundException" if reading == "search"
                        else "InvalidParameterException")
    # An anchored pattern (ClientRequestToken's) is whole-value under either reading.
    with aws_error("InvalidParameterException"):
        rig.raw.associate_faces(CollectionId=COLLECTION, UserId="u", FaceIds=[face],
                                ClientRequestToken="bad token!")
