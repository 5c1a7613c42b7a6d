"""The Harness on its own, with no Hypothesis: against the in-process reference emulator, and
against a scripted fake client whose answers the test writes."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from conformance.checks import FacesRequest
from conformance.clauses import A, C
from conformance.driver import Driver
from conformance.emulator.backend import Backend
from conformance.emulator.behaviour import Behaviour
from conformance.emulator.inprocess import inprocess_client_pair
from conformance.errors import Failure
from conformance.harness import Harness, RunContext
from conformance.harness.listings import SetupDeviated
from conformance.images import synthetic_faces
from conformance.ledger import Ledger
from conformance.needs import Unjudgeable
from conformance.spec import (
    BAD_TOKENS,
    BAD_USER_IDS,
    INVALID_CASES,
    NOWHERE_MATCHED,
    SEARCH_MATCHED,
)

PREFIX = "cfs-abcdef-"


def context(checked: Any, raw: Any) -> RunContext:
    driver = Driver(checked, raw, resource_prefix=PREFIX)
    return RunContext(driver, Ledger(), synthetic_faces(3), settle_timeout=2.0,
                      resource_prefix=PREFIX)


@pytest.fixture
def emulated() -> Iterator[RunContext]:
    checked, raw = inprocess_client_pair(Backend(Behaviour()))
    yield context(checked, raw)


def emulator_context(*deviations: str) -> RunContext:
    return context(*inprocess_client_pair(Backend(Behaviour(deviations=frozenset(deviations)))))


def test_the_harness_module_does_not_import_hypothesis() -> None:
    code = ("import sys, conformance.harness, conformance.directed, conformance.race; "
            "print(any(m.split('.')[0] == 'hypothesis' for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "False"


def test_an_association_is_sent_judged_and_applied_to_the_model(emulated: RunContext) -> None:
    h = Harness(emulated)
    h.add_user("u1")
    face = h.index_face(0)
    verdict = h.send_associate(FacesRequest("u1", [face], 0.0))
    assert verdict.associated == [face]
    assert h.model.users["u1"].faces == {face}
    h.check_state(1)  # the listings, page by page, agree
    assert emulated.ledger.checks[C.AF_ASSOC] > 0 and emulated.ledger.checks[C.LIST_FACES] > 0
    calls = [c["operation"] for c in h.call_log()]
    assert calls[:3] == ["CreateCollection", "CreateUser", "ListUsers"]
    h.close()
    assert emulated.driver.created_collections == []


def test_a_deviation_raises_its_clause_with_the_calls_that_showed_it() -> None:
    h = Harness(emulator_context("move-owned-face"))
    h.add_user("owner")
    h.add_user("other")
    face = h.index_face(0)
    h.send_associate(FacesRequest("owner", [face], 0.0))
    h.confirm_state(["owner"])
    with pytest.raises(Failure) as failed:
        h.send_associate(FacesRequest("other", [face], 0.0))
    assert failed.value.clause == C.AF_DIFF_USER
    assert [c["operation"] for c in failed.value.calls][-1] == "AssociateFaces"
    assert h.failed


def test_a_known_deviation_is_a_knock_on_and_the_state_is_read_back() -> None:
    ctx = emulator_context("move-owned-face")
    ctx.ledger.found(C.AF_DIFF_USER)
    h = Harness(ctx)
    h.add_user("owner")
    h.add_user("other")
    face = h.index_face(0)
    h.send_associate(FacesRequest("owner", [face], 0.0))
    h.confirm_state(["owner"])
    h.send_associate(FacesRequest("other", [face], 0.0))  # moved: tolerated, not raised
    assert ctx.ledger.knock_ons[C.AF_DIFF_USER] >= 1
    h.check_state(None)  # the model took the moved face from the target: nothing else fails
    assert h.model.owner_of(face) == "other"
    assert h.adoptions == 1


def test_a_set_up_spoiled_by_a_known_deviation_is_blocked() -> None:
    ctx = emulator_context("df-no-release")
    ctx.ledger.found(C.DF_RELEASE)
    h = Harness(ctx)
    with pytest.raises(SetupDeviated) as blocked, h.setup():
        h.add_user("u1")
        face = h.index_face(0)
        h.send_associate(FacesRequest("u1", [face], 0.0))
        h.send_disassociate(FacesRequest("u1", [face]))
    assert blocked.value.clauses == [C.DF_RELEASE]


class ScriptedClient:
    """A stand-in for a boto3 client: answers each operation from a script, records calls."""

    def __init__(self, script: dict[str, list[dict[str, Any]]]) -> None:
        self.script = script
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.meta = self

    @property
    def events(self) -> ScriptedClient:
        return self

    def register(self, *_: Any) -> None:
        """The driver's raw-body hook: the scripted answers are the bodies."""

    def __getattr__(self, method: str) -> Any:
        operation = "".join(part.title() for part in method.split("_"))

        def call(**params: Any) -> dict[str, Any]:
            self.sent.append((operation, params))
            answers = self.script.get(operation) or [{}]
            return answers.pop(0) if len(answers) > 1 else answers[0]

        return call


def test_a_scripted_wrong_answer_is_judged_under_its_clause() -> None:
    face = "11111111-2222-4333-8444-555555555555"
    fake = ScriptedClient({
        "CreateUser": [{}],
        "ListUsers": [{"Users": [{"UserId": "u1", "UserStatus": "CREATED"}]}],
        "IndexFaces": [{"FaceRecords": [{"Face": {"FaceId": face, "Confidence": 99.0}}]}],
        # The face is unowned, and the answer lists it nowhere: AF-ASSOC.
        "AssociateFaces": [{"AssociatedFaces": [], "UnsuccessfulFaceAssociations": [],
                            "UserStatus": "CREATED"}],
    })
    h = Harness(context(fake, fake))
    h.add_user("u1")
    assert h.index_face(0) == face
    with pytest.raises(Failure) as failed:
        h.send_associate(FacesRequest("u1", [face], 0.0))
    assert failed.value.clause == C.AF_ASSOC
    assert "in neither list" in failed.value.message
    assert [op for op, _ in fake.sent] == ["CreateCollection", "CreateUser", "ListUsers",
                                          "IndexFaces", "AssociateFaces"]
    assert all(params["CollectionId"] == h.collection for _, params in fake.sent)


def test_a_check_explained_by_a_known_deviation_is_its_knock_on() -> None:
    ledger = Ledger()
    ledger.found(C.CU_CONFLICT)
    ledger.check(C.AF_STATUS, False, "user 'u0' lists as 'CREATED'",
                 explained_by=frozenset({C.CU_CONFLICT}))
    assert ledger.knock_ons == {C.CU_CONFLICT: 1} and ledger.failures_raised == 0
    with pytest.raises(Failure):  # unexplained, the same failure is AF-STATUS's finding
        ledger.check(C.AF_STATUS, False, "user 'u0' lists as 'CREATED'")


def test_users_a_knock_on_touched_are_explained_by_it_and_others_are_not() -> None:
    ctx = emulator_context("cu-overwrite-existing")
    ctx.ledger.found(C.CU_CONFLICT)
    h = Harness(ctx)
    h.add_user("u0")
    h.add_user("u1")
    face = h.index_face(0)
    h.send_associate(FacesRequest("u0", [face], 0.0))
    h.create_again("u0")  # succeeds and empties u0: tolerated, not raised
    assert ctx.ledger.knock_ons[C.CU_CONFLICT] >= 1
    h.check_state(None)
    assert h.model.explained_by("u0") == {C.CU_CONFLICT}
    assert h.model.explained_by("u1") == frozenset()


def test_faces_left_naming_a_deleted_user_are_knock_ons_when_its_id_is_created_again() -> None:
    ctx = emulator_context("du-keeps-faces-owned")
    ctx.ledger.found(C.DU_RELEASE)
    h = Harness(ctx)
    h.add_user("u0")
    face = h.index_face(0)
    h.send_associate(FacesRequest("u0", [face], 0.0))
    h.remove_user("u0")  # its face still names u0: tolerated, not raised
    h.add_user("u0")
    # ListFaces(UserId='u0') lists the face the old u0 kept: DU-RELEASE's, not LIST-FACES's.
    h.check_user_faces("u0", None)
    assert ctx.ledger.knock_ons[C.DU_RELEASE] >= 1 and ctx.ledger.failures_raised == 0


# --------------------------------------------------------------------------- pattern-blind servers


def _member_constraints(member: str) -> dict[str, Any]:
    """The botocore model's pattern, min and max of an id member (FaceId: FaceIds' member)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("rekognition")
    shape = model.operation_model("AssociateFaces").input_shape.members[
        "FaceIds" if member == "FaceId" else member]
    return dict((shape.member if member == "FaceId" else shape).metadata)  # type: ignore[attr-defined]


def _found_nowhere(member: str, value: str) -> bool:
    """No reading of the pattern takes ``value``, and only the pattern refuses it."""
    rules = _member_constraints(member)
    return (re.search(rules["pattern"], value) is None
            and rules.get("min", 0) <= len(value) <= rules.get("max", len(value)))


@pytest.mark.parametrize("member", ["UserId", "FaceId", "ClientRequestToken", "CollectionId"])
def test_every_id_member_has_a_value_no_reading_of_its_pattern_takes(member: str) -> None:
    """AF-INPUT: sent under every strictness (not full-match only) and whole (no prefix)."""
    cases = [c for c in INVALID_CASES if c.member == member and not c.full_match_only
             and not c.suffix and isinstance(c.value, str) and _found_nowhere(member, c.value)]
    assert cases, member


def test_create_user_sends_a_user_id_and_a_token_no_reading_takes() -> None:
    """CU-INPUT: of each member, a value sent under every strictness, and live too."""
    for member, values in (("UserId", BAD_USER_IDS), ("ClientRequestToken", BAD_TOKENS)):
        assert any(_found_nowhere(member, v) and v not in SEARCH_MATCHED for v, _ in values)
    assert _found_nowhere("UserId", NOWHERE_MATCHED)
    assert _found_nowhere("ClientRequestToken", BAD_TOKENS[0][0])  # the live profile's one


@pytest.mark.parametrize(("deviation", "member"), [
    ("userid-pattern-unchecked", "UserId"), ("collectionid-pattern-unchecked", "CollectionId"),
    ("faceid-pattern-unchecked", "FaceId"), ("token-pattern-unchecked", "ClientRequestToken")])
def test_a_server_checking_an_id_s_length_but_not_its_pattern_fails_af_input(
        deviation: str, member: str) -> None:
    case = next(c for c in INVALID_CASES if c.member == member and not c.full_match_only
                and not c.suffix and isinstance(c.value, str) and _found_nowhere(member, c.value))
    reference = Harness(emulator_context())
    reference.add_user("u1")
    reference.send_invalid("u1", case)  # refused: the reference checks the pattern
    h = Harness(emulator_context(deviation))
    h.add_user("u1")
    with pytest.raises(Failure) as failed:
        h.send_invalid("u1", case)
    assert failed.value.clause == C.AF_INPUT


@pytest.mark.parametrize("frugal", [False, True])
@pytest.mark.parametrize("deviation", ["cu-userid-pattern-unchecked",
                                       "cu-token-pattern-unchecked"])
def test_a_server_checking_create_user_s_lengths_but_not_patterns_fails_cu_input(
        deviation: str, frugal: bool) -> None:
    """Under strictness "spec" (both readings of AMB-PATTERN-ANCHOR allowed), live too."""
    ctx = emulator_context(deviation)
    ctx.frugal = frugal
    assert ctx.ledger.allowed(A.AMB_PATTERN_ANCHOR) == ("full-match", "search")
    with pytest.raises(Failure) as failed:
        Harness(ctx).create_invalid_users()
    assert failed.value.clause == C.CU_INPUT
    reference = emulator_context()
    reference.frugal = frugal
    Harness(reference).create_invalid_users()


def test_a_search_may_still_match_a_user_by_faces_it_released_within_the_settle_timeout(
        ) -> None:
    # SU-RELEASE allows a search to lag behind a DisassociateFaces that long (on live AWS,
    # the shared collection's later searches meet such users): no other clause fails on it.
    h = Harness(emulator_context("search-sees-released-faces"))
    h.add_user("was-owner")
    face = h.index_face(0)
    h.send_associate(FacesRequest("was-owner", [face], 0.0))
    h.confirm_state(["was-owner"])
    h.send_disassociate(FacesRequest("was-owner", [face]))
    h.confirm_state(["was-owner"])
    matches = h.search(h.by_image(0), C.SUBI_IMAGE)
    assert "was-owner" in {m.user_id for m in matches}  # the lag is there, and tolerated
    h.released_at["was-owner"] -= h.ctx.settle_timeout  # ... but not past the timeout
    with pytest.raises(Failure) as failed:
        h.search(h.by_image(0), C.SUBI_IMAGE)
    assert failed.value.clause == C.SUBI_IMAGE


@pytest.mark.parametrize("confirm_state", [True, False])
def test_a_search_that_meets_an_unconfirmed_wrong_association_blames_the_association(
        confirm_state: bool) -> None:
    # The state machine's searches (confirm_state): the association was answered as made
    # but never kept; no listing has read it back. The search that finds no one shows the
    # association's deviation, under AF-ASSOC, once the listings confirm it.
    h = Harness(emulator_context("assoc-not-persisted"))
    h.add_user("holder")
    face = h.index_face(0)
    h.send_associate(FacesRequest("holder", [face], 0.0))
    with pytest.raises(Failure) as failed:
        h.search(h.by_image(0), C.SUBI_IMAGE, confirm_state=confirm_state)
    assert failed.value.clause == (C.AF_ASSOC if confirm_state else C.SUBI_IMAGE)


def test_a_target_that_finds_a_face_in_every_image_is_not_judged_on_one_with_none(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # An emulator whose images are tokens searches by the grey square as by any image:
    # SUBI-NO-FACE is "not checked" for it, and the face it indexed from it is gone again.
    for module in ("conformance.emulator.faces", "conformance.emulator.users"):
        monkeypatch.setattr(f"{module}.shows_face", lambda image: True)
    h = Harness(emulator_context())
    h.add_user("holder")
    h.send_associate(FacesRequest("holder", [h.index_face(0)], 0.0))
    h.confirm_state(["holder"])
    with pytest.raises(Unjudgeable, match=r"finds a face in no_face_image\(\)"):
        h.search_no_face()
    assert h.ledger.checks[C.SUBI_NO_FACE] == 0
    h.check_state(None)  # the listings hold no face the model does not know


def test_a_search_that_ignores_an_image_with_no_face_fails_subi_no_face() -> None:
    h = Harness(emulator_context("subi-no-face-matches"))
    h.add_user("holder")
    h.send_associate(FacesRequest("holder", [h.index_face(0)], 0.0))
    h.confirm_state(["holder"])
    with pytest.raises(Failure) as failed:
        h.search_no_face()
    assert failed.value.clause == C.SUBI_NO_FACE
    # The reference: one call, no IndexFaces, and the clause judged.
    h = Harness(emulator_context())
    before = len(h.call_log())
    h.search_no_face()
    assert [c["operation"] for c in h.call_log()[before:]] == ["SearchUsersByImage"]
    assert h.ledger.checks[C.SUBI_NO_FACE] > 0


@pytest.mark.parametrize("threshold", [2.0, 0.0, 100.0, None])
def test_a_token_reused_with_other_parameters_never_sends_the_same_ones(
        threshold: float | None) -> None:
    # At threshold 2, halving and adding one gave 2 again: the "other" request was the
    # first one, replayed, and the reference showed AMB-TOKEN-MISMATCH "first-response".
    h = Harness(emulator_context())
    h.add_user("u")
    token = h.new_token("first")
    h.send_associate(FacesRequest("u", [h.index_face(0)], threshold, token))
    record = next(r for r in h.model.tokens if r.token == token)
    h.reuse_token(record, change_faces=False, other_face=str(uuid.uuid4()))
    assert dict(h.ledger.readings[A.AMB_TOKEN_MISMATCH]) == {"exception": 1}


def test_an_answer_cached_from_a_request_sent_by_another_path_is_af_token_auto_s() -> None:
    # A race or a probe sends AssociateFaces itself; a target that answers identical
    # requests from a cache may give that answer to a later one: with AF-TOKEN-AUTO known,
    # a knock-on of it, not AF-IGNORE-SAME's finding.
    ctx = emulator_context("dedupe-without-token")
    ctx.ledger.found(C.AF_TOKEN_AUTO)
    h = Harness(ctx)
    h.add_user("u")
    face = h.index_face(0)
    request = FacesRequest("u", [face], 0.0)
    h.call("AssociateFaces", request.params(h.collection))  # as the race harness does
    h.model.associate("u", [face])
    h.send_associate(request)  # the cached answer lists the face again: tolerated
    assert ctx.ledger.knock_ons[C.AF_TOKEN_AUTO] == 1
