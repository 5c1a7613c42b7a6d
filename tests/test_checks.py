"""The checks, fed hand-built responses: a correct one passes, each departure fails its clause.

Every body goes through the real schema validation, so FaceIds are lowercase UUIDs.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from conformance.checks import (
    AssociateVerdict,
    DisassociateVerdict,
    FacesRequest,
    check_repeats,
    check_schema,
    check_validation_error,
    finite,
    judge_associate,
    judge_delete_faces,
    judge_disassociate,
    listing_problem,
)
from conformance.clauses import A, C
from conformance.driver import Outcome
from conformance.errors import Failure, failure_class
from conformance.ledger import Ledger
from conformance.model import CollectionModel, Learned
from conformance.spec import USER_FACE_CAP as CAP
from conformance.targets import BUILTIN_EMBEDDED

COLL = "run-coll"


def pinned_ledger(strictness: str, readings: dict[str, str]) -> Ledger:
    """A ledger with the pins and strictness a target of this strictness and these readings
    has, as the runner makes it."""
    target = dataclasses.replace(BUILTIN_EMBEDDED, strictness=strictness, readings=readings)
    return Ledger(pinned=target.pinned_readings, strictness=target.strictness)


def fid(n: int) -> str:
    return str(uuid.UUID(int=n))


OWN = fid(1)  # u1's, person 1
OTHER = fid(2)  # u2's, person 2
CAND = fid(3)  # unowned, person 3
CAND_SAME = fid(4)  # unowned, person 1 (the same person as u1's face)
CAND_B = fid(5)  # unowned, person 5
ABSENT = fid(99)  # never in the collection


def make_model() -> CollectionModel:
    """u1 holds OWN, u2 holds OTHER, u3 holds nothing; CAND, CAND_SAME and CAND_B unowned."""
    model = CollectionModel(COLL)
    model.add_face(OWN, 1)
    model.add_face(OTHER, 2)
    model.add_face(CAND, 3)
    model.add_face(CAND_SAME, 1)
    model.add_face(CAND_B, 5)
    for user in ("u1", "u2", "u3"):
        model.create_user(user)
    model.associate("u1", [OWN])
    model.associate("u2", [OTHER])
    for settled in model.users.values():
        settled.settling = False
    return model


def full_user(model: CollectionModel, user_id: str, held: int) -> None:
    """Give ``user_id`` ``held`` more faces of person 1, settled."""
    ids = [fid(1000 + i) for i in range(held)]
    for face_id in ids:
        model.add_face(face_id, 1)
    model.associate(user_id, ids)
    model.users[user_id].settling = False


def ok(operation: str, params: dict[str, Any], body: dict[str, Any]) -> Outcome:
    return Outcome(operation, params, body, None, "", 200)


def refused(operation: str, params: dict[str, Any], code: str, status: int = 400) -> Outcome:
    return Outcome(operation, params, None, code, f"{code} message", status)


def assoc(request: FacesRequest, associated: list[str] | None = None,
          unsuccessful: list[dict[str, Any]] | None = None,
          status: str | None = "UPDATING") -> Outcome:
    body: dict[str, Any] = {"AssociatedFaces": [{"FaceId": f} for f in associated or []],
                            "UnsuccessfulFaceAssociations": unsuccessful or []}
    if status is not None:
        body["UserStatus"] = status
    return ok("AssociateFaces", request.params(COLL), body)


def disassoc(request: FacesRequest, released: list[str] | None = None,
             unsuccessful: list[dict[str, Any]] | None = None,
             status: str = "UPDATING") -> Outcome:
    body = {"DisassociatedFaces": [{"FaceId": f} for f in released or []],
            "UnsuccessfulFaceDisassociations": unsuccessful or [], "UserStatus": status}
    return ok("DisassociateFaces", request.params(COLL), body)


def diff_user(face_id: str, user_id: str = "u2") -> dict[str, Any]:
    return {"FaceId": face_id, "UserId": user_id, "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"]}


def not_found(face_id: str) -> dict[str, Any]:
    return {"FaceId": face_id, "Reasons": ["FACE_NOT_FOUND"]}


def low_match(face_id: str, confidence: float) -> dict[str, Any]:
    return {"FaceId": face_id, "Confidence": confidence, "Reasons": ["LOW_MATCH_CONFIDENCE"]}


@contextmanager
def fails(clause: str) -> Iterator[None]:
    with pytest.raises(Failure) as caught:
        yield
    assert caught.value.clause == clause, str(caught.value)
    assert isinstance(caught.value, failure_class(clause))


@pytest.fixture
def ledger() -> Ledger:
    return Ledger()


@pytest.fixture
def model() -> CollectionModel:
    return make_model()


# =========================================================================== AssociateFaces


def test_associate_correct_mixed_response_passes(ledger: Ledger,
                                                 model: CollectionModel) -> None:
    request = FacesRequest("u1", [OWN, OTHER, CAND, ABSENT], threshold=80.0)
    outcome = assoc(request, [CAND], [diff_user(OTHER), not_found(ABSENT)])
    verdict = judge_associate(ledger, model, request, outcome)
    # The user is settled and holds a face: what the answer says of CAND is learned.
    assert verdict == AssociateVerdict([CAND], {}, rejected=False,
                                       learned=Learned(CAND, accepted_at=80.0))
    for clause in ("AF-ASSOC", "AF-SHAPE", "AF-IGNORE-SAME", "AF-DIFF-USER", "AF-NOT-FOUND",
                   "AF-CAP-USER", "AF-STATUS"):
        assert ledger.checks[clause] > 0, clause
    assert ledger.readings["AMB-OWNER-ID"] == {"owner": 1}
    assert ledger.readings["AMB-STATUS-NOW"] == {"UPDATING": 1}
    # The checks never change the model.
    assert model.classify("u1", CAND) == "candidate"


def test_associate_active_status_now_is_a_legal_reading(ledger: Ledger,
                                                        model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND_SAME], threshold=50.0)
    judge_associate(ledger, model, request, assoc(request, [CAND_SAME], status="ACTIVE"))
    assert ledger.readings["AMB-STATUS-NOW"] == {"ACTIVE": 1}


def test_associate_nothing_new_keeps_the_settled_status(ledger: Ledger,
                                                        model: CollectionModel) -> None:
    request = FacesRequest("u1", [OWN])
    verdict = judge_associate(ledger, model, request, assoc(request, status="ACTIVE"))
    assert verdict.associated == []
    assert ledger.checks["AF-IGNORE-SAME"] == 1
    assert ledger.checks["AF-STATUS"] == 1
    assert "AMB-STATUS-NOW" not in ledger.readings


def test_associate_face_of_another_user_associated(ledger: Ledger,
                                                   model: CollectionModel) -> None:
    request = FacesRequest("u1", [OTHER], threshold=80.0)
    with fails("AF-DIFF-USER"):
        judge_associate(ledger, model, request, assoc(request, [OTHER]))


def test_associate_face_of_another_user_without_its_reason(ledger: Ledger,
                                                           model: CollectionModel) -> None:
    request = FacesRequest("u1", [OTHER], threshold=80.0)
    with fails("AF-DIFF-USER"):
        judge_associate(ledger, model, request, assoc(request, [], [not_found(OTHER)],
                                                      status="ACTIVE"))


def test_associate_diff_user_entry_naming_a_third_user(ledger: Ledger,
                                                       model: CollectionModel) -> None:
    request = FacesRequest("u1", [OTHER], threshold=80.0)
    with fails("AF-DIFF-USER"):
        judge_associate(ledger, model, request,
                        assoc(request, [], [diff_user(OTHER, "u3")], status="ACTIVE"))


def test_associate_own_face_listed(ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("u1", [OWN], threshold=80.0)
    with fails("AF-IGNORE-SAME"):
        judge_associate(ledger, model, request, assoc(request, [OWN]))


def test_associate_own_face_listed_as_unsuccessful(ledger: Ledger,
                                                   model: CollectionModel) -> None:
    request = FacesRequest("u1", [OWN], threshold=80.0)
    with fails("AF-IGNORE-SAME"):
        judge_associate(ledger, model, request,
                        assoc(request, [], [diff_user(OWN, "u1")], status="ACTIVE"))


def test_associate_absent_face_missing_from_unsuccessful(ledger: Ledger,
                                                         model: CollectionModel) -> None:
    request = FacesRequest("u1", [ABSENT], threshold=80.0)
    with fails("AF-NOT-FOUND"):
        judge_associate(ledger, model, request, assoc(request, status="ACTIVE"))


def test_associate_absent_face_associated(ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("u1", [ABSENT], threshold=80.0)
    with fails("AF-NOT-FOUND"):
        judge_associate(ledger, model, request, assoc(request, [ABSENT]))


def test_associate_unowned_face_in_neither_list(ledger: Ledger,
                                                model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND], threshold=80.0)
    with fails("AF-ASSOC"):
        judge_associate(ledger, model, request, assoc(request, status="ACTIVE"))


def test_associate_valid_request_refused(ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND], threshold=80.0)
    with fails("AF-ASSOC"):
        judge_associate(ledger, model, request,
                        refused("AssociateFaces", request.params(COLL),
                                "InvalidParameterException"))


def test_associate_busy_user_may_refuse_with_conflict(ledger: Ledger,
                                                      model: CollectionModel) -> None:
    model.users["u1"].settling = True
    request = FacesRequest("u1", [CAND], threshold=80.0)
    verdict = judge_associate(ledger, model, request,
                              refused("AssociateFaces", request.params(COLL),
                                      "ConflictException"))
    assert verdict.busy and verdict.rejected
    # A settled user has no excuse.
    model.users["u1"].settling = False
    with fails("AF-ASSOC"):
        judge_associate(ledger, model, request,
                        refused("AssociateFaces", request.params(COLL), "ConflictException"))


# --- threshold -------------------------------------------------------------------------------


def test_associate_low_match_below_threshold_passes(ledger: Ledger,
                                                    model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND], threshold=80.0)
    verdict = judge_associate(ledger, model, request,
                              assoc(request, [], [low_match(CAND, 12.5)], status="ACTIVE"))
    assert verdict == AssociateVerdict([], {CAND: 12.5}, rejected=False,
                                       learned=Learned(CAND, refused_with=12.5))
    # Threshold above 0, Confidence below it; that the Confidence is a number is AF-SHAPE's.
    assert ledger.checks["AF-THRESHOLD"] >= 2
    assert ledger.checks["AF-SHAPE"] >= 1
    assert "AF-THRESHOLD-DEFAULT" not in ledger.checks


def test_associate_low_match_with_confidence_at_threshold_is_the_rounded_reading(
        ledger: Ledger, model: CollectionModel) -> None:
    # S0.38 does not say the reported Confidence is the exact value compared.
    request = FacesRequest("u1", [CAND], threshold=80.0)
    verdict = judge_associate(ledger, model, request,
                              assoc(request, [], [low_match(CAND, 80.0)], status="ACTIVE"))
    assert verdict.refusals == {CAND: 80.0}
    assert ledger.readings["AMB-CONF-ROUNDING"] == {"rounded": 1}


def test_associate_low_match_below_threshold_records_no_rounding(
        ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND], threshold=80.0)
    judge_associate(ledger, model, request,
                    assoc(request, [], [low_match(CAND, 79.9)], status="ACTIVE"))
    assert "AMB-CONF-ROUNDING" not in ledger.readings
    assert ledger.readings["AMB-LOW-CONF-FIELD"] == {"present": 1}


def test_associate_low_match_beyond_rounding_fails(ledger: Ledger,
                                                   model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND], threshold=80.0)
    with fails("AF-THRESHOLD"):
        judge_associate(ledger, model, request,
                        assoc(request, [], [low_match(CAND, 80.5)], status="ACTIVE"))


def test_associate_rounding_pinned_exact_fails() -> None:
    pinned = pinned_ledger("spec", {"AMB-CONF-ROUNDING": "exact"})
    request = FacesRequest("u1", [CAND], threshold=80.0)
    with fails("AF-THRESHOLD"):
        judge_associate(pinned, make_model(), request,
                        assoc(request, [], [low_match(CAND, 80.2)], status="ACTIVE"))


def test_associate_low_match_with_confidence_above_threshold(ledger: Ledger,
                                                             model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND], threshold=80.0)
    with fails("AF-THRESHOLD"):
        judge_associate(ledger, model, request,
                        assoc(request, [], [low_match(CAND, 95.0)], status="ACTIVE"))


def test_associate_low_match_without_confidence_is_a_reading(ledger: Ledger,
                                                             model: CollectionModel) -> None:
    # M.9: Confidence is an optional member; nothing is learned from such an entry.
    request = FacesRequest("u1", [CAND], threshold=80.0)
    entry = {"FaceId": CAND, "Reasons": ["LOW_MATCH_CONFIDENCE"]}
    verdict = judge_associate(ledger, model, request,
                              assoc(request, [], [entry], status="ACTIVE"))
    assert verdict == AssociateVerdict([], {}, rejected=False)
    assert ledger.readings["AMB-LOW-CONF-FIELD"] == {"absent": 1}


def test_associate_low_match_without_confidence_at_threshold_zero(
        ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND], threshold=0.0)
    entry = {"FaceId": CAND, "Reasons": ["LOW_MATCH_CONFIDENCE"]}
    with fails("AF-THRESHOLD"):
        judge_associate(ledger, model, request, assoc(request, [], [entry], status="ACTIVE"))


def test_associate_low_match_with_a_non_numeric_confidence(ledger: Ledger,
                                                           model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND], threshold=80.0)
    entry = {"FaceId": CAND, "Confidence": None, "Reasons": ["LOW_MATCH_CONFIDENCE"]}
    entry["Confidence"] = "12"
    with fails("AF-SHAPE"):
        judge_associate(ledger, model, request, assoc(request, [], [entry], status="ACTIVE"))


def test_associate_low_match_confidence_pinned_present_fails() -> None:
    pinned = pinned_ledger("aws", {})
    request = FacesRequest("u1", [CAND], threshold=80.0)
    entry = {"FaceId": CAND, "Reasons": ["LOW_MATCH_CONFIDENCE"]}
    with fails("AF-THRESHOLD"):
        judge_associate(pinned, make_model(), request,
                        assoc(request, [], [entry], status="ACTIVE"))


def test_associate_low_match_at_threshold_zero(ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND], threshold=0.0)
    with fails("AF-THRESHOLD"):
        judge_associate(ledger, model, request,
                        assoc(request, [], [low_match(CAND, 0.0)], status="ACTIVE"))


def test_associate_low_match_for_the_first_face_of_an_empty_user(
        ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("u3", [CAND], threshold=80.0)
    with fails("AF-THRESHOLD"):
        judge_associate(ledger, model, request,
                        assoc(request, [], [low_match(CAND, 10.0)], status="CREATED"))


def test_associate_low_match_for_a_later_face_of_a_first_batch_is_a_reading(
        ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("u3", [CAND, CAND_B], threshold=80.0)
    verdict = judge_associate(ledger, model, request,
                              assoc(request, [CAND], [low_match(CAND_B, 10.0)]))
    assert verdict.associated == [CAND]
    assert verdict.refusals == {CAND_B: 10.0}
    assert ledger.readings["AMB-FIRST-BATCH"] == {"matched-in-request": 1}


def test_associate_first_face_of_a_first_batch_refused_is_the_any_order_reading(
        ledger: Ledger, model: CollectionModel) -> None:
    # S0.3 gives no order: the later face may be taken first, the first matched against it.
    request = FacesRequest("u3", [CAND, CAND_B], threshold=80.0)
    verdict = judge_associate(ledger, model, request,
                              assoc(request, [CAND_B], [low_match(CAND, 10.0)]))
    assert verdict.associated == [CAND_B]
    assert ledger.readings["AMB-FIRST-BATCH"] == {"matched-in-request": 1}
    assert ledger.readings["AMB-BATCH-ORDER"] == {"any-order": 1}


def test_associate_first_batch_all_refused_fails(ledger: Ledger,
                                                 model: CollectionModel) -> None:
    request = FacesRequest("u3", [CAND, CAND_B], threshold=80.0)
    with fails("AF-THRESHOLD"):
        judge_associate(ledger, model, request,
                        assoc(request, [], [low_match(CAND, 10.0), low_match(CAND_B, 10.0)],
                              status="CREATED"))


def test_batch_order_pinned_request_order_fails() -> None:
    pinned = pinned_ledger("spec", {"AMB-BATCH-ORDER": "request-order"})
    request = FacesRequest("u3", [CAND, CAND_B], threshold=80.0)
    with fails("AF-THRESHOLD"):
        judge_associate(pinned, make_model(), request,
                        assoc(request, [CAND_B], [low_match(CAND, 10.0)]))


def test_associate_refused_again_with_another_confidence_blames_the_confidence(
        ledger: Ledger, model: CollectionModel) -> None:
    # A server reporting the threshold as the Confidence looks like rounding at first
    # (AMB-CONF-ROUNDING); its next refusal contradicts it under AF-THRESHOLD.
    model.learn("u1", Learned(CAND, refused_with=100.0))
    request = FacesRequest("u1", [CAND])
    with fails("AF-THRESHOLD"):
        judge_associate(ledger, model, request,
                        assoc(request, [], [low_match(CAND, 75.0)], status="ACTIVE"))


def test_associate_predictions_only_for_a_request_of_one_candidate(
        ledger: Ledger, model: CollectionModel) -> None:
    # The first candidate may be matched against a later one of the same request.
    model.learn("u1", Learned(CAND, refused_with=40.0))
    request = FacesRequest("u1", [CAND, CAND_B], threshold=60.0)
    verdict = judge_associate(ledger, model, request, assoc(request, [CAND, CAND_B]))
    assert verdict.associated == [CAND, CAND_B]
    assert verdict.learned is None


def test_associate_first_batch_of_two_people_at_100_is_the_no_threshold_reading(
        ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("u3", [CAND, CAND_B], threshold=100.0)
    verdict = judge_associate(ledger, model, request, assoc(request, [CAND, CAND_B]))
    assert verdict.associated == [CAND, CAND_B]
    assert ledger.readings["AMB-FIRST-BATCH"] == {"no-threshold": 1}


def test_associate_omitted_threshold_refusing_at_80(ledger: Ledger,
                                                    model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND])  # 75 applies
    with fails("AF-THRESHOLD-DEFAULT"):
        judge_associate(ledger, model, request,
                        assoc(request, [], [low_match(CAND, 80.0)], status="ACTIVE"))


def test_associate_omitted_threshold_refusing_at_70_passes(ledger: Ledger,
                                                           model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND])
    assert "UserMatchThreshold" not in request.params(COLL)
    verdict = judge_associate(ledger, model, request,
                              assoc(request, [], [low_match(CAND, 70.0)], status="ACTIVE"))
    assert verdict.refusals == {CAND: 70.0}
    assert ledger.checks["AF-THRESHOLD-DEFAULT"] >= 2


def test_associate_accepting_another_person_at_threshold_100(ledger: Ledger,
                                                             model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND], threshold=100.0)
    with fails("AF-THRESHOLD"):
        judge_associate(ledger, model, request, assoc(request, [CAND]))


def test_associate_accepting_the_same_person_at_threshold_100_passes(
        ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND_SAME], threshold=100.0)
    verdict = judge_associate(ledger, model, request, assoc(request, [CAND_SAME]))
    assert verdict.associated == [CAND_SAME]


def test_associate_must_keep_to_a_reported_confidence(ledger: Ledger,
                                                      model: CollectionModel) -> None:
    model.learn("u1", Learned(CAND, refused_with=40.0))
    request = FacesRequest("u1", [CAND], threshold=60.0)
    with fails("AF-THRESHOLD"):
        judge_associate(ledger, model, request, assoc(request, [CAND]))
    # And an earlier acceptance at 60 predicts an acceptance at 50.
    model.learn("u1", Learned(CAND_B, accepted_at=60.0))
    request = FacesRequest("u1", [CAND_B], threshold=50.0)
    with fails("AF-THRESHOLD"):
        judge_associate(ledger, model, request,
                        assoc(request, [], [low_match(CAND_B, 45.0)], status="ACTIVE"))


# --- cap -------------------------------------------------------------------------------------


def test_associate_over_the_cap(ledger: Ledger, model: CollectionModel) -> None:
    full_user(model, "u3", CAP - 1)
    request = FacesRequest("u3", [CAND, CAND_B], threshold=0.0)
    with fails("AF-CAP-USER"):
        judge_associate(ledger, model, request, assoc(request, [CAND, CAND_B]))


def test_associate_filling_to_exactly_the_cap_passes(ledger: Ledger,
                                                     model: CollectionModel) -> None:
    full_user(model, "u3", CAP - 1)
    request = FacesRequest("u3", [CAND_SAME], threshold=0.0)
    verdict = judge_associate(ledger, model, request, assoc(request, [CAND_SAME]))
    assert verdict.associated == [CAND_SAME]
    assert ledger.hard_states["user-at-100"] == 1


def test_associate_quota_exception_when_not_crossing(ledger: Ledger,
                                                     model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND], threshold=80.0)
    with fails("AF-CAP-USER"):
        judge_associate(ledger, model, request,
                        refused("AssociateFaces", request.params(COLL),
                                "ServiceQuotaExceededException"))


def test_associate_quota_exception_at_the_cap_adding_nothing_is_a_reading(
        ledger: Ledger, model: CollectionModel) -> None:
    # S1.7: "If more API calls are made after the limit is reached, a
    # ServiceQuotaExceededException will result" (issue 9: six of eight servers).
    full_user(model, "u3", CAP)
    own = model.faces_of("u3")[0]
    request = FacesRequest("u3", [own, ABSENT, OTHER], threshold=0.0)
    verdict = judge_associate(ledger, model, request,
                              refused("AssociateFaces", request.params(COLL),
                                      "ServiceQuotaExceededException"))
    assert verdict == AssociateVerdict([], {}, rejected=True)
    assert ledger.readings["AMB-CAP-CALL"] == {"exception-whole-call": 1}
    assert "AMB-CAP" not in ledger.readings


def test_associate_at_the_cap_adding_nothing_answered_is_face_by_face(
        ledger: Ledger, model: CollectionModel) -> None:
    full_user(model, "u3", CAP)
    own = model.faces_of("u3")[0]
    request = FacesRequest("u3", [own, ABSENT], threshold=0.0)
    judge_associate(ledger, model, request,
                    assoc(request, [], [not_found(ABSENT)], status="ACTIVE"))
    assert ledger.readings["AMB-CAP-CALL"] == {"face-by-face": 1}


def test_associate_quota_exception_below_the_cap_adding_nothing_fails(
        ledger: Ledger, model: CollectionModel) -> None:
    full_user(model, "u3", CAP - 1)
    request = FacesRequest("u3", [ABSENT], threshold=0.0)
    with fails("AF-CAP-USER"):
        judge_associate(ledger, model, request,
                        refused("AssociateFaces", request.params(COLL),
                                "ServiceQuotaExceededException"))


def test_cap_call_pinned_face_by_face_fails() -> None:
    pinned = pinned_ledger("spec", {"AMB-CAP-CALL": "face-by-face"})
    model = make_model()
    full_user(model, "u3", CAP)
    request = FacesRequest("u3", [ABSENT], threshold=0.0)
    with fails("AF-CAP-USER"):
        judge_associate(pinned, model, request,
                        refused("AssociateFaces", request.params(COLL),
                                "ServiceQuotaExceededException"))


def test_associate_quota_exception_at_the_cap_is_the_exception_reading(
        ledger: Ledger, model: CollectionModel) -> None:
    full_user(model, "u3", CAP)
    request = FacesRequest("u3", [CAND], threshold=80.0)
    verdict = judge_associate(ledger, model, request,
                              refused("AssociateFaces", request.params(COLL),
                                      "ServiceQuotaExceededException"))
    assert verdict.rejected
    assert ledger.checks["AF-CAP-USER"] == 1
    assert ledger.readings["AMB-CAP"] == {"exception": 1}
    assert "AMB-CAP-CROSS" not in ledger.readings  # at the cap, nothing to cross
    assert ledger.hard_states["request-at-cap"] == 1


def test_associate_quota_exception_crossing_is_refused_whole(
        ledger: Ledger, model: CollectionModel) -> None:
    full_user(model, "u3", CAP - 1)
    request = FacesRequest("u3", [CAND, CAND_B], threshold=80.0)
    judge_associate(ledger, model, request,
                    refused("AssociateFaces", request.params(COLL),
                            "ServiceQuotaExceededException"))
    # Crossing from below is AMB-CAP-CROSS's question alone; AMB-CAP asks about a user at 100.
    assert not ledger.readings.get("AMB-CAP")
    assert ledger.readings["AMB-CAP-CROSS"] == {"refused-whole": 1}
    assert ledger.hard_states["request-crossing-cap"] == 1


def test_associate_entries_at_the_cap_are_the_other_reading(
        ledger: Ledger, model: CollectionModel) -> None:
    full_user(model, "u3", CAP)
    request = FacesRequest("u3", [CAND], threshold=80.0)
    outcome = assoc(request, [], [{"FaceId": CAND, "Reasons": []}], status="ACTIVE")
    verdict = judge_associate(ledger, model, request, outcome)
    assert verdict.associated == [] and not verdict.rejected
    assert ledger.readings["AMB-CAP"] == {"unsuccessful-entries": 1}
    assert ledger.hard_states["cap-refusal"] == 1


def test_a_repeated_face_the_cap_refuses_says_nothing_of_repeats(
        ledger: Ledger, model: CollectionModel) -> None:
    # A candidate is taken once and its repeat ignored (S0.9) before the cap refuses it:
    # one reasonless entry under either reading of AMB-DUP-IDS.
    full_user(model, "u3", CAP)
    request = FacesRequest("u3", [CAND, CAND], threshold=80.0)
    outcome = assoc(request, [], [{"FaceId": CAND, "Reasons": []}], status="ACTIVE")
    judge_associate(ledger, model, request, outcome)
    assert ledger.readings["AMB-CAP"] == {"unsuccessful-entries": 1}
    assert not ledger.readings.get("AMB-DUP-IDS")


def test_associate_entries_filling_to_the_cap(ledger: Ledger, model: CollectionModel) -> None:
    full_user(model, "u3", CAP - 1)
    request = FacesRequest("u3", [CAND_SAME, CAND_B], threshold=0.0)
    outcome = assoc(request, [CAND_SAME], [{"FaceId": CAND_B, "Reasons": []}])
    judge_associate(ledger, model, request, outcome)
    # Filling to 100 leaves entries for the rest whatever the answer at 100: not AMB-CAP.
    assert not ledger.readings.get("AMB-CAP")
    assert ledger.readings["AMB-CAP-CROSS"] == {"filled-to-cap": 1}


def test_associate_reasonless_refusal_below_the_cap(ledger: Ledger,
                                                    model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND], threshold=80.0)
    outcome = assoc(request, [], [{"FaceId": CAND, "Reasons": []}], status="ACTIVE")
    with fails("AF-ASSOC"):
        judge_associate(ledger, model, request, outcome)


# --- shape and status ------------------------------------------------------------------------


def test_associate_unrequested_face_listed(ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND], threshold=80.0)
    with fails("AF-SHAPE"):
        judge_associate(ledger, model, request, assoc(request, [CAND, CAND_B]))


def test_associate_face_in_both_lists(ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND], threshold=80.0)
    with fails("AF-SHAPE"):
        judge_associate(ledger, model, request,
                        assoc(request, [CAND], [low_match(CAND, 10.0)]))


def test_associate_face_listed_twice(ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND], threshold=80.0)
    with fails("AF-SHAPE"):
        judge_associate(ledger, model, request, assoc(request, [CAND, CAND]))


def test_associate_body_outside_the_schema(ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND], threshold=80.0)
    outcome = ok("AssociateFaces", request.params(COLL),
                 {"AssociatedFaces": [{"FaceId": CAND}], "UserStatus": "BUSY"})
    with fails("AF-SHAPE"):
        judge_associate(ledger, model, request, outcome)


def test_associate_body_that_is_no_object_breaks_the_shape(ledger: Ledger,
                                                             model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND], threshold=80.0)
    outcome = dataclasses.replace(ok("AssociateFaces", request.params(COLL), {}),
                                  malformed="a JSON list where an object is expected: '[]'")
    with fails("AF-SHAPE"):
        judge_associate(ledger, model, request, outcome)


@pytest.mark.parametrize("body", [
    {"AssociatedFaces": 7, "UnsuccessfulFaceAssociations": "a string", "UserStatus": []},
    {"AssociatedFaces": [{"FaceId": []}, "x", None], "UserStatus": {}},
    {"UnsuccessfulFaceAssociations": [{"FaceId": {}}], "UserStatus": 7},
])
def test_associate_members_of_another_type_are_knock_ons_once_the_shape_deviated(
        ledger: Ledger, model: CollectionModel, body: dict[str, Any]) -> None:
    ledger.found(C.AF_SHAPE)
    request = FacesRequest("u1", [CAND], threshold=80.0)
    verdict = judge_associate(ledger, model, request, ok("AssociateFaces",
                                                         request.params(COLL), body))
    assert verdict.associated == [] and ledger.knock_ons[C.AF_SHAPE] > 0
    assert ledger.state_in_doubt


def test_disassociate_members_of_another_type_are_knock_ons_once_the_shape_deviated(
        ledger: Ledger, model: CollectionModel) -> None:
    ledger.found(C.DF_SHAPE)
    request = FacesRequest("u1", [OWN])
    verdict = judge_disassociate(ledger, model, request, ok(
        "DisassociateFaces", request.params(COLL),
        {"DisassociatedFaces": [{"FaceId": 7}], "UnsuccessfulFaceDisassociations": {},
         "UserStatus": None}))
    # Nothing is read from lists that cannot be read: the harness re-reads the state.
    assert verdict.released == [] and ledger.knock_ons[C.DF_SHAPE] > 0
    assert ledger.state_in_doubt


@pytest.mark.parametrize(("operation", "body", "doubted"), [
    # A face's Confidence as a string: the face IndexFaces made is read from the answer.
    ("IndexFaces", {"FaceRecords": [{"Face": {"FaceId": str(uuid.uuid4()),
                                              "Confidence": "99.9"}}]}, False),
    ("ListUsers", {"Users": [{"UserId": 7}]}, False),
    # What a DeleteFaces did cannot be told from a misshapen answer: read the state back.
    ("DeleteFaces", {"DeletedFaces": "all of them"}, True),
])
def test_a_schema_knock_on_puts_the_state_in_doubt_only_where_the_answer_tells_the_state(
        ledger: Ledger, operation: str, body: dict[str, Any], doubted: bool) -> None:
    ledger.found(C.SCHEMA)
    check_schema(ledger, C.SCHEMA, ok(operation, {"CollectionId": COLL}, body))
    assert ledger.knock_ons[C.SCHEMA] == 1
    assert ledger.state_in_doubt is doubted


def test_associate_reasons_and_status_of_another_type_are_judged_as_absent(
        ledger: Ledger, model: CollectionModel) -> None:
    ledger.found(C.AF_SHAPE)
    request = FacesRequest("u1", [ABSENT], threshold=80.0)
    with fails("AF-NOT-FOUND"):  # a reason that is no string is no FACE_NOT_FOUND
        judge_associate(ledger, model, request, ok(
            "AssociateFaces", request.params(COLL),
            {"UnsuccessfulFaceAssociations": [{"FaceId": ABSENT, "Reasons": [{}, 7]}],
             "UserStatus": []}))


def test_associate_status_created_after_a_change(ledger: Ledger,
                                                 model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND_SAME], threshold=50.0)
    with fails("AF-STATUS"):
        judge_associate(ledger, model, request, assoc(request, [CAND_SAME], status="CREATED"))


def test_associate_status_missing_after_a_change(ledger: Ledger,
                                                 model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND_SAME], threshold=50.0)
    # A member the operation always returns is missing: the response's shape is wrong.
    with fails("AF-SHAPE"):
        judge_associate(ledger, model, request, assoc(request, [CAND_SAME], status=None))


def test_associate_status_updating_without_a_change_is_the_noop_reading(
        ledger: Ledger, model: CollectionModel) -> None:
    # S0.11: "the status of an operation which updates a UserID": this call's own.
    request = FacesRequest("u1", [OWN], threshold=50.0)
    verdict = judge_associate(ledger, model, request, assoc(request, status="UPDATING"))
    assert verdict.noop_updating
    assert ledger.readings["AMB-STATUS-NOOP"] == {"UPDATING": 1}


def test_associate_status_current_without_a_change_is_recorded(
        ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("u1", [OWN], threshold=50.0)
    verdict = judge_associate(ledger, model, request, assoc(request, status="ACTIVE"))
    assert not verdict.noop_updating
    assert ledger.readings["AMB-STATUS-NOOP"] == {"current": 1}


def test_associate_status_created_without_a_change_for_a_user_with_faces(
        ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("u1", [OWN], threshold=50.0)
    with fails("AF-STATUS"):
        judge_associate(ledger, model, request, assoc(request, status="CREATED"))


def test_status_noop_pinned_current_fails() -> None:
    pinned = pinned_ledger("spec", {"AMB-STATUS-NOOP": "current"})
    request = FacesRequest("u1", [OWN], threshold=50.0)
    with fails("AF-STATUS"):
        judge_associate(pinned, make_model(), request, assoc(request, status="UPDATING"))


def test_disassociate_noop_status_is_its_own_ambiguity(ledger: Ledger,
                                                       model: CollectionModel) -> None:
    request = FacesRequest("u1", [ABSENT])
    verdict = judge_disassociate(ledger, model, request,
                                 disassoc(request, [], [not_found(ABSENT)], status="UPDATING"))
    assert verdict.noop_updating
    assert ledger.readings["AMB-DF-STATUS-NOOP"] == {"UPDATING": 1}
    assert "AMB-STATUS-NOOP" not in ledger.readings


# --- unknown user ----------------------------------------------------------------------------


def test_associate_unknown_user_refused_passes(ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("ghost", [CAND], threshold=80.0)
    verdict = judge_associate(ledger, model, request,
                              refused("AssociateFaces", request.params(COLL),
                                      "ResourceNotFoundException"))
    assert verdict == AssociateVerdict([], {}, rejected=True)
    assert ledger.checks["AF-USER-EXISTS"] == 1


def test_associate_unknown_user_accepted(ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("ghost", [CAND], threshold=80.0)
    with fails("AF-USER-EXISTS"):
        judge_associate(ledger, model, request, assoc(request, [CAND]))


def test_associate_unknown_user_wrong_code(ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("ghost", [CAND], threshold=80.0)
    with fails("AF-USER-EXISTS"):
        judge_associate(ledger, model, request,
                        refused("AssociateFaces", request.params(COLL),
                                "InvalidParameterException"))


# --- readings --------------------------------------------------------------------------------


def test_owner_id_requested_reading_is_recorded(ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("u1", [OTHER], threshold=80.0)
    judge_associate(ledger, model, request,
                    assoc(request, [], [diff_user(OTHER, "u1")], status="ACTIVE"))
    assert ledger.readings["AMB-OWNER-ID"] == {"requested": 1}


def test_owner_id_pinned_by_aws_strictness_fails_on_requested(model: CollectionModel) -> None:
    ledger = pinned_ledger("aws", {})
    assert ledger.allowed(A.AMB_OWNER_ID) == ("owner",)
    request = FacesRequest("u1", [OTHER], threshold=80.0)
    judge_associate(ledger, model, request,
                    assoc(request, [], [diff_user(OTHER, "u2")], status="ACTIVE"))
    with fails("AF-DIFF-USER"):
        judge_associate(ledger, model, request,
                        assoc(request, [], [diff_user(OTHER, "u1")], status="ACTIVE"))
    assert ledger.readings["AMB-OWNER-ID"] == {"owner": 1, "requested": 1}


def test_a_pin_overrides_the_aws_reading(model: CollectionModel) -> None:
    ledger = pinned_ledger("aws", {"AMB-OWNER-ID": "requested"})
    request = FacesRequest("u1", [OTHER], threshold=80.0)
    judge_associate(ledger, model, request,
                    assoc(request, [], [diff_user(OTHER, "u1")], status="ACTIVE"))
    with fails("AF-DIFF-USER"):
        judge_associate(ledger, model, request,
                        assoc(request, [], [diff_user(OTHER, "u2")], status="ACTIVE"))


def test_status_now_pinned_by_aws_strictness(model: CollectionModel) -> None:
    ledger = pinned_ledger("aws", {})
    request = FacesRequest("u1", [CAND_SAME], threshold=50.0)
    with fails("AF-STATUS"):
        judge_associate(ledger, model, request, assoc(request, [CAND_SAME], status="ACTIVE"))


def test_spec_strictness_pins_nothing() -> None:
    ledger = pinned_ledger("spec", {})
    assert ledger.pinned == {}
    assert ledger.allowed(A.AMB_OWNER_ID) == ("owner", "requested", "absent")
    ledger.observe(A.AMB_DUP_IDS, "per-occurrence", "a repeat answered twice")
    assert ledger.readings["AMB-DUP-IDS"] == {"per-occurrence": 1}


def test_aws_strictness_fails_a_reading_aws_contradicts_and_names_the_source() -> None:
    ledger = pinned_ledger("aws", {})
    # AWS contradicts one reading of three: the other two still pass.
    assert ledger.allowed(A.AMB_DUP_IDS) == ("once", "rejected")
    ledger.observe(A.AMB_DUP_IDS, "once", "a repeat answered once")
    ledger.observe(A.AMB_DUP_IDS, "rejected", "a repeat refused")
    with pytest.raises(Failure) as failure:
        ledger.observe(A.AMB_DUP_IDS, "per-occurrence", "a repeat answered twice")
    assert failure.value.clause == "AF-SHAPE"
    assert "differs from AWS" in str(failure.value)
    assert "AssociateFacesCommand" in str(failure.value)
    with fails("LIST-FACES"):
        ledger.observe(A.AMB_FACE_USERID, "filter-only", "no Face.UserId")
    # A target's own pin is more specific than what AWS has published.
    pinned = pinned_ledger("aws", {"AMB-DUP-IDS": "per-occurrence"})
    pinned.observe(A.AMB_DUP_IDS, "per-occurrence", "a repeat answered twice")
    assert pinned.readings["AMB-DUP-IDS"] == {"per-occurrence": 1}


# =========================================================================== DisassociateFaces


def test_disassociate_correct_response_passes(ledger: Ledger, model: CollectionModel) -> None:
    model.associate("u1", [CAND_SAME])
    model.users["u1"].settling = False
    request = FacesRequest("u1", [OWN, OTHER, ABSENT, CAND])
    outcome = disassoc(request, [OWN],
                       [diff_user(OTHER), not_found(ABSENT), not_found(CAND)])
    verdict = judge_disassociate(ledger, model, request, outcome)
    assert verdict == DisassociateVerdict([OWN], rejected=False)
    for clause in ("DF-RELEASE", "DF-SHAPE", "DF-DIFF-USER", "DF-NOT-FOUND", "AF-STATUS"):
        assert ledger.checks[clause] > 0, clause
    assert ledger.readings["AMB-DF-OWNER-ID"] == {"owner": 1}
    assert "AMB-OWNER-ID" not in ledger.readings
    assert ledger.readings["AMB-DF-STATUS-NOW"] == {"UPDATING": 1}
    assert "AMB-STATUS-NOW" not in ledger.readings
    assert ledger.readings["AMB-DF-UNOWNED"] == {"face-not-found": 1}


def test_status_now_per_operation_never_mixed(ledger: Ledger, model: CollectionModel) -> None:
    """UPDATING from AssociateFaces and ACTIVE from DisassociateFaces is one behaviour."""
    pinned = pinned_ledger("spec", {"AMB-STATUS-NOW": "UPDATING", "AMB-DF-STATUS-NOW": "ACTIVE"})
    request = FacesRequest("u1", [CAND_SAME], threshold=50.0)
    judge_associate(pinned, model, request, assoc(request, [CAND_SAME], status="UPDATING"))
    model.associate("u1", [CAND_SAME])
    model.users["u1"].settling = False
    release = FacesRequest("u1", [CAND_SAME])
    judge_disassociate(pinned, model, release, disassoc(release, [CAND_SAME], status="ACTIVE"))
    assert pinned.readings["AMB-STATUS-NOW"] == {"UPDATING": 1}
    assert pinned.readings["AMB-DF-STATUS-NOW"] == {"ACTIVE": 1}


@pytest.mark.parametrize(("named", "reading"), [("u2", "owner"), ("u1", "requested"),
                                                (None, "absent")])
def test_disassociate_owner_id_readings(ledger: Ledger, model: CollectionModel,
                                        named: str | None, reading: str) -> None:
    request = FacesRequest("u1", [OTHER])
    entry = diff_user(OTHER)
    if named is None:
        del entry["UserId"]
    else:
        entry["UserId"] = named
    judge_disassociate(ledger, model, request, disassoc(request, [], [entry], status="ACTIVE"))
    assert ledger.readings["AMB-DF-OWNER-ID"] == {reading: 1}


def test_associate_owner_id_absent_is_a_reading(ledger: Ledger, model: CollectionModel) -> None:
    # S0.34: "metadata *like* FaceId, UserID, and Reasons": UserId may be left out.
    request = FacesRequest("u1", [OTHER], threshold=50.0)
    entry = {"FaceId": OTHER, "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"]}
    judge_associate(ledger, model, request, assoc(request, [], [entry], status="ACTIVE"))
    assert ledger.readings["AMB-OWNER-ID"] == {"absent": 1}


def test_disassociate_unowned_face_ignored_is_a_reading(ledger: Ledger,
                                                        model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND])
    judge_disassociate(ledger, model, request, disassoc(request, status="ACTIVE"))
    assert ledger.readings["AMB-DF-UNOWNED"] == {"ignored": 1}


def test_disassociate_emptying_may_answer_created(ledger: Ledger,
                                                  model: CollectionModel) -> None:
    request = FacesRequest("u1", [OWN])
    verdict = judge_disassociate(ledger, model, request, disassoc(request, [OWN],
                                                                  status="CREATED"))
    assert verdict.released == [OWN]
    assert ledger.checks["AF-STATUS"] == 1


def test_disassociate_created_while_faces_remain(ledger: Ledger,
                                                 model: CollectionModel) -> None:
    model.associate("u1", [CAND_SAME])
    model.users["u1"].settling = False
    request = FacesRequest("u1", [OWN])
    with fails("AF-STATUS"):
        judge_disassociate(ledger, model, request, disassoc(request, [OWN], status="CREATED"))


def test_disassociate_own_face_not_released(ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("u1", [OWN])
    with fails("DF-RELEASE"):
        judge_disassociate(ledger, model, request, disassoc(request, status="ACTIVE"))


def test_disassociate_face_of_another_user_released(ledger: Ledger,
                                                    model: CollectionModel) -> None:
    request = FacesRequest("u1", [OTHER])
    with fails("DF-DIFF-USER"):
        judge_disassociate(ledger, model, request, disassoc(request, [OTHER]))


def test_disassociate_absent_face_missing(ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("u1", [ABSENT])
    with fails("DF-NOT-FOUND"):
        judge_disassociate(ledger, model, request, disassoc(request, status="ACTIVE"))


def test_disassociate_unowned_face_reported_released(ledger: Ledger,
                                                     model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND])
    with fails("DF-NOT-FOUND"):
        judge_disassociate(ledger, model, request, disassoc(request, [CAND]))


def test_disassociate_unrequested_face(ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("u1", [OWN])
    with fails("DF-SHAPE"):
        judge_disassociate(ledger, model, request, disassoc(request, [OWN, CAND]))


def test_disassociate_unknown_user(ledger: Ledger, model: CollectionModel) -> None:
    request = FacesRequest("ghost", [OWN])
    verdict = judge_disassociate(ledger, model, request,
                                 refused("DisassociateFaces", request.params(COLL),
                                         "ResourceNotFoundException"))
    assert verdict.rejected
    with fails("DF-USER-EXISTS"):
        judge_disassociate(ledger, model, request, disassoc(request, status="ACTIVE"))


# =========================================================================== DeleteFaces


def deleted(face_ids: list[str], gone: list[str],
            unsuccessful: list[dict[str, Any]]) -> Outcome:
    return ok("DeleteFaces", {"CollectionId": COLL, "FaceIds": face_ids},
              {"DeletedFaces": gone, "UnsuccessfulFaceDeletions": unsuccessful})


def owned_entry(face_id: str, user_id: str = "u1") -> dict[str, Any]:
    return {"FaceId": face_id, "UserId": user_id, "Reasons": ["ASSOCIATED_TO_AN_EXISTING_USER"]}


def test_delete_faces_correct_response_passes(ledger: Ledger, model: CollectionModel) -> None:
    faces = [OWN, CAND, ABSENT]
    gone = judge_delete_faces(ledger, model, faces,
                              deleted(faces, [CAND], [owned_entry(OWN), not_found(ABSENT)]))
    assert gone == [CAND]
    assert ledger.checks["DEL-OWNED"] == 2
    assert ledger.checks["DEL-FACES"] >= 3
    assert ledger.checks["SCHEMA"] == 1
    assert ledger.readings["AMB-DEL-UNKNOWN"] == {"face-not-found": 1}


def test_delete_faces_absent_face_ignored_is_a_reading(ledger: Ledger,
                                                       model: CollectionModel) -> None:
    assert judge_delete_faces(ledger, model, [ABSENT], deleted([ABSENT], [], [])) == []
    assert ledger.readings["AMB-DEL-UNKNOWN"] == {"ignored": 1}


def test_delete_faces_deleting_an_owned_face(ledger: Ledger, model: CollectionModel) -> None:
    with fails("DEL-OWNED"):
        judge_delete_faces(ledger, model, [OWN], deleted([OWN], [OWN], []))


def test_delete_faces_owned_face_without_its_reason(ledger: Ledger,
                                                    model: CollectionModel) -> None:
    with fails("DEL-OWNED"):
        judge_delete_faces(ledger, model, [OWN], deleted([OWN], [], [not_found(OWN)]))


def test_delete_faces_unowned_face_not_deleted(ledger: Ledger, model: CollectionModel) -> None:
    with fails("DEL-FACES"):
        judge_delete_faces(ledger, model, [CAND], deleted([CAND], [], []))


def test_delete_faces_absent_face_deleted(ledger: Ledger, model: CollectionModel) -> None:
    with fails("DEL-FACES"):
        judge_delete_faces(ledger, model, [ABSENT], deleted([ABSENT], [ABSENT], []))


def test_delete_faces_refused(ledger: Ledger, model: CollectionModel) -> None:
    with fails("DEL-FACES"):
        judge_delete_faces(ledger, model, [CAND],
                           refused("DeleteFaces", {"CollectionId": COLL, "FaceIds": [CAND]},
                                   "InvalidParameterException"))


def test_delete_faces_body_outside_the_schema(ledger: Ledger, model: CollectionModel) -> None:
    with fails("SCHEMA"):
        # The face is deleted, and the body also lists an id outside FaceId's pattern.
        judge_delete_faces(ledger, model, [CAND], deleted([CAND], [CAND, "not-a-uuid"], []))


def test_delete_faces_ids_of_another_type_are_no_exception(ledger: Ledger,
                                                           model: CollectionModel) -> None:
    with fails("DEL-FACES"):  # CAND is not said to be deleted
        judge_delete_faces(ledger, model, [CAND], ok(
            "DeleteFaces", {"CollectionId": COLL, "FaceIds": [CAND]},
            {"DeletedFaces": [[CAND]], "UnsuccessfulFaceDeletions": [{"FaceId": [CAND]}]}))


@pytest.mark.parametrize(("key", "body", "clause"), [
    ("Faces", {"Faces": [{"FaceId": CAND, "UserId": "u1"}], "NextToken": "t"}, None),
    ("Faces", {}, None),
    ("Faces", {"Faces": "a string"}, C.SCHEMA),
    ("Faces", {"Faces": [CAND]}, C.SCHEMA),
    ("Faces", {"Faces": [{"FaceId": 7}]}, C.SCHEMA),
    ("Faces", {"Faces": [{"FaceId": CAND, "UserId": []}]}, C.SCHEMA),
    ("Faces", {"Faces": [], "NextToken": 7}, C.SCHEMA),
    ("Faces", {"Faces": [{"UserId": "u1"}]}, C.LIST_FACES),
    ("Users", {"Users": [{"UserId": "u1", "UserStatus": None}]}, None),
    ("Users", {"Users": [{"UserId": "u1", "UserStatus": 7}]}, C.SCHEMA),
    ("Users", {"Users": [{"UserStatus": "ACTIVE"}]}, C.LIST_USERS),
])
def test_a_listing_that_cannot_be_read_names_whose_deviation_that_is(
        key: str, body: dict[str, Any], clause: C | None) -> None:
    operation = "ListFaces" if key == "Faces" else "ListUsers"
    problem = listing_problem(ok(operation, {"CollectionId": COLL}, body), key)
    assert (problem[0] if problem else None) == clause


def test_a_listing_that_is_no_object_cannot_be_read() -> None:
    outcome = dataclasses.replace(ok("ListUsers", {"CollectionId": COLL}, {}),
                                  malformed="a JSON NoneType where an object is expected")
    assert listing_problem(outcome, "Users") == (
        C.SCHEMA, "the body is a JSON NoneType where an object is expected")


def test_delete_faces_entries_are_judged_before_the_schema(ledger: Ledger,
                                                           model: CollectionModel) -> None:
    # The unowned face is missing from DeletedFaces and the body also breaks the schema:
    # the missed deletion is the finding that says what went wrong.
    with fails("DEL-FACES"):
        judge_delete_faces(ledger, model, [CAND], deleted([CAND], ["not-a-uuid"], []))


# =========================================================================== validation errors


@pytest.mark.parametrize("code", ["InvalidParameterException", "ValidationException"])
def test_validation_error_either_code_passes(ledger: Ledger, code: str) -> None:
    outcome = refused("AssociateFaces", {"CollectionId": COLL}, code)
    check_validation_error(ledger, "AF-THRESHOLD-RANGE", outcome, "threshold 101")
    assert ledger.checks["AF-THRESHOLD-RANGE"] == 1
    assert ledger.readings["AMB-INVALID-CODE"] == {code: 1}


def test_validation_error_accepted_fails_the_clause(ledger: Ledger) -> None:
    outcome = ok("AssociateFaces", {"CollectionId": COLL}, {"AssociatedFaces": []})
    with fails("AF-INPUT"):
        check_validation_error(ledger, "AF-INPUT", outcome, "a malformed FaceId")
    assert "AMB-INVALID-CODE" not in ledger.readings


def test_validation_error_with_another_code_fails_the_clause(ledger: Ledger) -> None:
    outcome = refused("AssociateFaces", {"CollectionId": COLL}, "ResourceNotFoundException")
    with fails("AF-CAP-REQUEST"):
        check_validation_error(ledger, "AF-CAP-REQUEST", outcome, "101 FaceIds")


def test_validation_error_code_pinned(ledger: Ledger) -> None:
    pinned = pinned_ledger("spec", {"AMB-INVALID-CODE": "ValidationException"})
    outcome = refused("AssociateFaces", {"CollectionId": COLL}, "InvalidParameterException")
    with fails("AF-INPUT"):
        check_validation_error(pinned, "AF-THRESHOLD-RANGE", outcome, "threshold -1")


# =========================================================================== repeats


def test_repeats_absent_means_nothing_to_judge(ledger: Ledger) -> None:
    request = FacesRequest("u1", [CAND, CAND_B])
    outcome = refused("AssociateFaces", request.params(COLL), "InvalidParameterException")
    assert check_repeats(ledger, C.AF_SHAPE, request, outcome) is False
    assert not ledger.readings


@pytest.mark.parametrize("code", ["InvalidParameterException", "ValidationException"])
def test_repeats_rejected_is_a_reading(ledger: Ledger, code: str) -> None:
    request = FacesRequest("u1", [CAND, CAND])
    outcome = refused("AssociateFaces", request.params(COLL), code)
    assert check_repeats(ledger, C.AF_SHAPE, request, outcome) is True
    assert ledger.readings["AMB-DUP-IDS"] == {"rejected": 1}
    assert ledger.checks["AF-SHAPE"] == 1  # a legal answer: the shape clause was judged


def test_repeats_answered_are_judged_by_their_listing(ledger: Ledger) -> None:
    request = FacesRequest("u1", [CAND, CAND])
    outcome = assoc(request, [CAND])
    assert check_repeats(ledger, C.AF_SHAPE, request, outcome) is False
    assert not ledger.readings  # a candidate taken once says nothing of the reading


def test_repeats_with_one_entry_are_the_once_reading(ledger: Ledger,
                                                     model: CollectionModel) -> None:
    request = FacesRequest("u1", [ABSENT, ABSENT], threshold=50.0)
    judge_associate(ledger, model, request, assoc(request, [], [not_found(ABSENT)],
                                                  status="ACTIVE"))
    assert ledger.readings["AMB-DUP-IDS"] == {"once": 1}


def test_repeats_with_an_entry_per_occurrence_are_a_reading(ledger: Ledger,
                                                            model: CollectionModel) -> None:
    # S0.10 read per element of FaceIds: each occurrence is "a given face".
    request = FacesRequest("u1", [ABSENT, OTHER, ABSENT], threshold=50.0)
    judge_associate(ledger, model, request,
                    assoc(request, [], [not_found(ABSENT), diff_user(OTHER), not_found(ABSENT)],
                          status="ACTIVE"))
    assert ledger.readings["AMB-DUP-IDS"] == {"per-occurrence": 1}


def test_repeats_listed_more_often_than_requested_fail(ledger: Ledger,
                                                       model: CollectionModel) -> None:
    request = FacesRequest("u1", [ABSENT, ABSENT], threshold=50.0)
    with fails("AF-SHAPE"):
        judge_associate(ledger, model, request,
                        assoc(request, [], [not_found(ABSENT)] * 3, status="ACTIVE"))


def test_unrepeated_face_listed_twice_as_unsuccessful_fails(ledger: Ledger,
                                                            model: CollectionModel) -> None:
    request = FacesRequest("u1", [ABSENT], threshold=50.0)
    with fails("AF-SHAPE"):
        judge_associate(ledger, model, request,
                        assoc(request, [], [not_found(ABSENT)] * 2, status="ACTIVE"))


def test_repeats_refused_otherwise_records_nothing(ledger: Ledger) -> None:
    request = FacesRequest("u1", [CAND, CAND])
    outcome = refused("AssociateFaces", request.params(COLL), "ResourceNotFoundException")
    assert check_repeats(ledger, C.AF_SHAPE, request, outcome) is False
    assert not ledger.readings


def test_repeats_pinned_reading_fails_af_shape() -> None:
    pinned = pinned_ledger("spec", {"AMB-DUP-IDS": "once"})
    request = FacesRequest("u1", [CAND, CAND])
    with fails("AF-SHAPE"):
        check_repeats(pinned, C.AF_SHAPE, request,
                      refused("AssociateFaces", request.params(COLL), "ValidationException"))


def test_associate_with_repeats_listed_once_passes(ledger: Ledger,
                                                   model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND_SAME, CAND_SAME], threshold=50.0)
    verdict = judge_associate(ledger, model, request, assoc(request, [CAND_SAME]))
    assert verdict.associated == [CAND_SAME]


def test_associate_with_repeats_listed_twice_fails(ledger: Ledger,
                                                   model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND_SAME, CAND_SAME], threshold=50.0)
    with fails("AF-SHAPE"):
        judge_associate(ledger, model, request, assoc(request, [CAND_SAME, CAND_SAME]))


def test_associate_with_repeats_rejected_is_done_with(ledger: Ledger,
                                                      model: CollectionModel) -> None:
    request = FacesRequest("u1", [CAND, CAND], threshold=50.0)
    verdict = judge_associate(ledger, model, request,
                              refused("AssociateFaces", request.params(COLL),
                                      "InvalidParameterException"))
    assert verdict == AssociateVerdict([], {}, rejected=True)
    assert "AF-ASSOC" not in ledger.checks


def test_a_number_is_read_only_where_a_float_holds_it() -> None:
    # A JSON integer too large for a float would raise OverflowError in float().
    assert [finite(v) for v in (3, 2.5, 10**400, float("inf"), float("nan"), True, "7",
                                None)] == [3.0, 2.5, None, None, None, None, None, None]
