"""Three readings of issue 9 (docs/audit.md N2, N10, N11): the checks accept each, record
which one the target showed, and still fail what no sentence allows; the emulator takes
each under its variant, and a run of that variant passes and records it."""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Iterator
from typing import Any

import pytest

from conformance.checks import FacesRequest, judge_associate, judge_disassociate
from conformance.driver import Driver
from conformance.emulator.backend import Backend
from conformance.emulator.behaviour import Behaviour
from conformance.emulator.inprocess import inprocess_client_pair
from conformance.errors import Failure
from conformance.harness import Harness, RunContext
from conformance.images import synthetic_faces
from conformance.ledger import Ledger
from conformance.model import CollectionModel
from conformance.mutants import BY_NAME, Variant
from conformance.runner import run_suite
from conformance.targets import BUILTIN_EMBEDDED
from tests.test_checks import (
    ABSENT,
    CAND,
    COLL,
    OTHER,
    OWN,
    assoc,
    diff_user,
    disassoc,
    fails,
    full_user,
    make_model,
    not_found,
    refused,
)

CAP_ENTRY = {"Reasons": []}  # the cap's refusal: no reason of the enum


@pytest.fixture
def ledger() -> Ledger:
    return Ledger()


@pytest.fixture
def model() -> CollectionModel:
    return make_model()


# --------------------------------------------------------------------------- AMB-CAP-PRECEDENCE


def test_at_100_an_own_other_or_absent_face_may_get_the_cap_refusal(
        ledger: Ledger, model: CollectionModel) -> None:
    full_user(model, "u1", 99)  # u1 holds OWN and 99 more
    request = FacesRequest("u1", [OWN, OTHER, ABSENT], 0.0)
    entries = [{"FaceId": f, **CAP_ENTRY} for f in (OWN, OTHER, ABSENT)]
    verdict = judge_associate(ledger, model, request, assoc(request, [], entries, "ACTIVE"))
    assert verdict.associated == []
    assert ledger.readings["AMB-CAP-PRECEDENCE"] == {"cap-first": 3}


def test_at_100_the_specific_outcomes_are_the_other_reading(
        ledger: Ledger, model: CollectionModel) -> None:
    full_user(model, "u1", 99)
    request = FacesRequest("u1", [OWN, OTHER, ABSENT], 0.0)
    judge_associate(ledger, model, request,
                    assoc(request, [], [diff_user(OTHER), not_found(ABSENT)], "ACTIVE"))
    assert ledger.readings["AMB-CAP-PRECEDENCE"] == {"specific-first": 3}


def test_below_100_a_cap_refusal_of_an_own_or_absent_face_still_fails(
        ledger: Ledger, model: CollectionModel) -> None:
    full_user(model, "u1", 98)  # 99 faces: "already 100" does not hold
    request = FacesRequest("u1", [OWN], 0.0)
    with fails("AF-IGNORE-SAME"):
        judge_associate(ledger, model, request,
                        assoc(request, [], [{"FaceId": OWN, **CAP_ENTRY}], "ACTIVE"))
    request = FacesRequest("u1", [ABSENT], 0.0)
    with fails("AF-NOT-FOUND"):
        judge_associate(ledger, model, request,
                        assoc(request, [], [{"FaceId": ABSENT, **CAP_ENTRY}], "ACTIVE"))
    assert "AMB-CAP-PRECEDENCE" not in ledger.readings


def test_at_100_a_face_taken_or_given_a_wrong_reason_still_fails(
        ledger: Ledger, model: CollectionModel) -> None:
    full_user(model, "u1", 99)
    request = FacesRequest("u1", [OTHER], 0.0)
    with fails("AF-DIFF-USER"):  # moved to u1 (mutant move-owned-face)
        judge_associate(ledger, model, request, assoc(request, [OTHER], [], "UPDATING"))
    request = FacesRequest("u1", [ABSENT], 0.0)
    with fails("AF-NOT-FOUND"):  # a reason of the enum, but not its own
        judge_associate(ledger, model, request, assoc(request, [], [
            {"FaceId": ABSENT, "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"]}], "ACTIVE"))


def test_cap_precedence_pinned_specific_first_fails_a_cap_first_target(
        model: CollectionModel) -> None:
    ledger = Ledger(pinned={"AMB-CAP-PRECEDENCE": "specific-first"})
    full_user(model, "u1", 99)
    request = FacesRequest("u1", [ABSENT], 0.0)
    with fails("AF-CAP-USER"):
        judge_associate(ledger, model, request,
                        assoc(request, [], [{"FaceId": ABSENT, **CAP_ENTRY}], "ACTIVE"))


# --------------------------------------------------------------------------- AMB-BUSY


def conflict(request: FacesRequest, operation: str = "AssociateFaces") -> object:
    return refused(operation, request.params(COLL), "ConflictException")


def test_busy_because_the_user_is_updating_is_recorded_user(
        ledger: Ledger, model: CollectionModel) -> None:
    model.users["u3"].had_face = True  # emptied again: UPDATING, not being created
    model.users["u3"].settling = True
    request = FacesRequest("u3", [CAND], 0.0)
    verdict = judge_associate(ledger, model, request,
                              refused("AssociateFaces", request.params(COLL),
                                      "ConflictException"))
    assert verdict.busy and verdict.rejected
    assert ledger.readings["AMB-BUSY"] == {"user": 1}


def test_busy_because_a_face_owner_or_releaser_is_updating_is_recorded_face(
        ledger: Ledger, model: CollectionModel) -> None:
    model.users["u2"].settling = True  # OTHER's owner
    request = FacesRequest("u3", [OTHER], 0.0)
    assert judge_associate(ledger, model, request, refused(
        "AssociateFaces", request.params(COLL), "ConflictException")).busy
    model.users["u2"].settling = False
    model.disassociate("u1", [OWN])  # u1 released OWN and is settling
    for operation, judge in (("AssociateFaces", judge_associate),
                             ("DisassociateFaces", judge_disassociate)):
        request = FacesRequest("u3", [OWN], 0.0 if operation == "AssociateFaces" else None)
        assert judge(ledger, model, request,  # type: ignore[operator]
                     refused(operation, request.params(COLL), "ConflictException")).busy
    assert ledger.readings["AMB-BUSY"] == {"face": 3}


def test_busy_with_both_causes_is_accepted_but_not_recorded(
        ledger: Ledger, model: CollectionModel) -> None:
    model.users["u1"].settling = True
    request = FacesRequest("u1", [OWN])
    assert judge_disassociate(ledger, model, request, refused(
        "DisassociateFaces", request.params(COLL), "ConflictException")).busy
    assert "AMB-BUSY" not in ledger.readings


def test_busy_with_nothing_settling_still_fails(ledger: Ledger, model: CollectionModel) -> None:
    model.disassociate("u1", [OWN])
    model.users["u1"].settling = False  # seen settled since
    request = FacesRequest("u3", [OWN], 0.0)
    with fails("AF-ASSOC"):
        judge_associate(ledger, model, request, refused(
            "AssociateFaces", request.params(COLL), "ConflictException"))
    request = FacesRequest("u2", [OTHER])
    with fails("DF-RELEASE"):
        judge_disassociate(ledger, model, request, refused(
            "DisassociateFaces", request.params(COLL), "ConflictException"))
    # A releaser that no longer exists makes nothing busy.
    model.users["u1"].settling = True
    model.delete_user("u1")
    request = FacesRequest("u3", [OWN], 0.0)
    with fails("AF-ASSOC"):
        judge_associate(ledger, model, request, refused(
            "AssociateFaces", request.params(COLL), "ConflictException"))


def test_an_ordinary_answer_to_a_busy_request_is_judged_as_usual(
        ledger: Ledger, model: CollectionModel) -> None:
    model.users["u2"].settling = True
    request = FacesRequest("u3", [OTHER], 0.0)
    judge_associate(ledger, model, request, assoc(request, [], [diff_user(OTHER)], "CREATED"))
    request = FacesRequest("u1", [OWN])
    judge_disassociate(ledger, model, request, disassoc(request, [OWN], [], "UPDATING"))
    assert "AMB-BUSY" not in ledger.readings


# --------------------------------------------------------------------------- the harness


def harness(behaviour: Behaviour, settle_timeout: float = 5.0) -> Harness:
    checked, raw = inprocess_client_pair(Backend(behaviour))
    driver = Driver(checked, raw, resource_prefix="cfs-settle-")
    return Harness(RunContext(driver, Ledger(), synthetic_faces(3),
                              settle_timeout=settle_timeout, resource_prefix="cfs-settle-"))


@pytest.fixture
def eventual() -> Iterator[Harness]:
    h = harness(Behaviour(readings={"AMB-DU-SETTLE": "eventual"}, settle_seconds=0.2))
    yield h
    h.close()


def test_an_eventual_deletion_is_waited_for_and_recorded(eventual: Harness) -> None:
    h = eventual
    h.add_user("u1")
    h.add_user("u2")
    face = h.index_face(0)
    h.send_associate(FacesRequest("u1", [face], 0.0))
    h.remove_user("u1")
    assert h.ledger.readings["AMB-DU-SETTLE"] == {"eventual": 1}
    # By then the face is free: it joins another user.
    assert h.send_associate(FacesRequest("u2", [face], 0.0)).associated == [face]
    h.check_state(None)


def test_create_user_of_a_just_deleted_id_is_retried_and_recorded(eventual: Harness) -> None:
    h = eventual
    h.add_user("u1", h.new_token("cu"))
    # DeleteUser sent directly, so that CreateUser comes while the deletion is under way.
    assert h.call("DeleteUser", {"UserId": "u1"}).ok
    h.model.delete_user("u1")
    h.deleted_at["u1"] = time.monotonic()
    h.add_user("u1", h.new_token("cu"))
    assert h.ledger.readings["AMB-DU-SETTLE"] == {"eventual": 1}
    assert "u1" in h.model.users
    h.check_state(None)


def test_an_immediate_deletion_is_recorded_and_one_that_never_happens_fails() -> None:
    h = harness(Behaviour())
    h.add_user("u1")
    h.remove_user("u1")
    assert h.ledger.readings["AMB-DU-SETTLE"] == {"immediate": 1}
    h.close()
    h = harness(Behaviour(deviations=frozenset({"du-keeps-faces-owned"})), settle_timeout=0.3)
    h.add_user("u1")
    face = h.index_face(0)
    h.send_associate(FacesRequest("u1", [face], 0.0))
    with pytest.raises(Failure) as failed:
        h.remove_user("u1")
    assert failed.value.clause == "DU-RELEASE"
    assert "settle timeout" in failed.value.message
    h.close()


def test_a_busy_request_is_sent_again_once_settled() -> None:
    h = harness(Behaviour(readings={"AMB-BUSY": "face"}, settle_seconds=0.2,
                          busy_conflicts=True))
    h.add_user("u1")
    h.add_user("u2")
    h.settle(["u2"])  # a new user may still be settling: a busy refusal would be both
    face = h.index_face(0)
    h.send_associate(FacesRequest("u1", [face], 0.0))
    h.send_disassociate(FacesRequest("u1", [face]))  # u1 settling: its face is busy
    verdict = h.send_associate(FacesRequest("u2", [face], 0.0, h.new_token("t")))
    assert verdict.associated == [face]
    assert h.ledger.readings["AMB-BUSY"] == {"face": 1}
    calls = [c["operation"] for c in h.call_log()]
    assert calls.count("AssociateFaces") == 3
    h.close()


# --------------------------------------------------------------------------- CREATING


def creating_harness(creating_reads: int, settle_timeout: float = 5.0, **kwargs: Any
                     ) -> Harness:
    """An emulator that lists a new user as CREATING for ``creating_reads`` reads of its
    clock after CreateUser, whatever the wall clock does: each read advances it by 1 s."""
    ticks = itertools.count()
    backend = Backend(Behaviour(creating_seconds=creating_reads, **kwargs),
                      clock=lambda: float(next(ticks)))
    checked, raw = inprocess_client_pair(backend)
    driver = Driver(checked, raw, resource_prefix="cfs-settle-")
    return Harness(RunContext(driver, Ledger(), synthetic_faces(3),
                              settle_timeout=settle_timeout, resource_prefix="cfs-settle-"))


def listed_status(h: Harness, user_id: str) -> str | None:
    return {u["UserId"]: u["UserStatus"] for u in h.list_users()}.get(user_id)


def test_a_listing_of_a_user_still_creating_is_not_a_failure() -> None:
    h = creating_harness(10**6)
    h.add_user("u1")  # CU-CREATED's own listing shows CREATING
    h.add_user("u2")
    assert listed_status(h, "u1") == "CREATING"
    h.check_user_listing(None)  # LIST-USERS "unpaged" lists them before any settle
    h.check_user_listing(1)
    assert not h.ledger.known
    h.close()


def test_settle_waits_while_a_new_user_is_creating() -> None:
    h = creating_harness(4)
    h.add_user("u1")
    h.settle(["u1"])
    assert not h.model.users["u1"].settling
    assert listed_status(h, "u1") == "CREATED"
    # The settle looked more than once: CREATING was not taken as settled.
    assert h.ctx.settling_seen
    h.check_state(None)
    h.close()


def test_a_user_still_creating_after_the_settle_timeout_fails_cu_created() -> None:
    h = creating_harness(10**6, settle_timeout=0.3)
    h.add_user("u1")
    with pytest.raises(Failure) as failed:
        h.settle(["u1"])
    assert failed.value.clause == "CU-CREATED"
    assert "CREATING" in failed.value.message and "settle timeout" in failed.value.message
    h.close()


def test_a_user_creating_may_be_associated_and_then_settles_active() -> None:
    h = creating_harness(10**6)
    h.add_user("u1")
    face = h.index_face(0)
    assert h.send_associate(FacesRequest("u1", [face], 0.0)).associated == [face]
    h.settle(["u1"])
    assert listed_status(h, "u1") == "ACTIVE"
    h.close()


def test_creating_is_never_accepted_after_a_change(model: CollectionModel) -> None:
    # Nothing changes (OTHER is u2's), and u1, settling, held a face: never CREATING.
    request = FacesRequest("u1", [OTHER], 0.0)
    model.users["u1"].settling = True
    with fails("AF-STATUS"):
        judge_associate(Ledger(), model, request,
                        assoc(request, [], [diff_user(OTHER)], "CREATING"))


def test_a_busy_refusal_of_a_user_still_creating_is_accepted_and_not_recorded(
        ledger: Ledger) -> None:
    model = make_model()
    model.create_user("u4")  # just created: it may still be CREATING
    request = FacesRequest("u4", [CAND], 0.0)
    assert judge_associate(ledger, model, request, conflict(request)).busy
    model.users["u1"].settling = True  # OWN's owner settles too: still nothing recorded
    request = FacesRequest("u4", [OWN], 0.0)
    assert judge_associate(ledger, model, request, conflict(request)).busy
    assert "AMB-BUSY" not in ledger.readings
    # Once seen settled it is CREATED, and a refusal with nothing settling fails.
    model.users["u4"].settling = model.users["u1"].settling = False
    request = FacesRequest("u4", [CAND], 0.0)
    with fails("AF-ASSOC"):
        judge_associate(ledger, model, request, conflict(request))


# --------------------------------------------------------------------------- whole runs


def run_variant(variant: Variant, seed: int) -> dict[str, dict[str, int]]:
    target = dataclasses.replace(BUILTIN_EMBEDDED, name=variant.name,
                                 behaviour=variant.behaviour)
    result = run_suite(target, profile="dev", seed=seed)
    assert result.verdict == "conforms", [f.message for f in result.findings]
    return result.behaviour_profile


@pytest.mark.slow
@pytest.mark.parametrize(("name", "ambiguity", "reading"), [
    ("cap-precedence-cap-first", "AMB-CAP-PRECEDENCE", "cap-first"),
    ("busy-user", "AMB-BUSY", "user"),
    ("busy-face", "AMB-BUSY", "face"),
    ("du-settle-eventual", "AMB-DU-SETTLE", "eventual"),
])
def test_the_variant_passes_a_dev_run_and_its_reading_is_recorded(
        name: str, ambiguity: str, reading: str) -> None:
    variant = BY_NAME[name]
    assert isinstance(variant, Variant)
    profile = run_variant(variant, seed=1)
    assert set(profile[ambiguity]) == {reading}, profile[ambiguity]


def test_a_deletion_seen_done_at_once_is_also_what_an_eventual_target_shows() -> None:
    from conformance.clauses import A, shown
    from conformance.errors import Failure
    from conformance.ledger import Ledger

    # An eventual target whose deletion was over by the first look shows one reading.
    assert shown("AMB-DU-SETTLE", {"immediate": 3, "eventual": 2}) == {"eventual": 5}
    assert shown("AMB-DU-SETTLE", {"immediate": 3}) == {"immediate": 3}
    assert shown("AMB-CAP", {"exception": 1, "unsuccessful-entries": 1}) == {
        "exception": 1, "unsuccessful-entries": 1}
    eventual = Ledger(pinned={"AMB-DU-SETTLE": "eventual"})
    eventual.observe(A.AMB_DU_SETTLE, "immediate", "DeleteUser 'u'")  # no failure
    immediate = Ledger(pinned={"AMB-DU-SETTLE": "immediate"})
    with pytest.raises(Failure):
        immediate.observe(A.AMB_DU_SETTLE, "eventual", "DeleteUser 'u'")
