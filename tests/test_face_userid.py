"""AMB-FACE-USERID (docs/audit.md N16): ListFaces may leave Face.UserId out (M.LF.4).

Ownership is then read through the UserId filter, and every ownership clause is still
judged; a target that names owners costs no extra call.
"""

from __future__ import annotations

import dataclasses

import pytest

from conformance.checks import FacesRequest
from conformance.clauses import A, C
from conformance.driver import Driver
from conformance.emulator.backend import Backend
from conformance.emulator.behaviour import DEFAULT_READINGS, Behaviour
from conformance.emulator.inprocess import inprocess_client_pair
from conformance.errors import Failure
from conformance.harness import Harness, RunContext
from conformance.images import synthetic_faces
from conformance.ledger import Ledger
from conformance.runner import run_suite
from conformance.targets import BUILTIN_EMBEDDED

PREFIX = "cfs-abcdef-"
FILTER_ONLY = {**DEFAULT_READINGS, "AMB-FACE-USERID": "filter-only"}


def harness(readings: dict[str, str] | None = None, *deviations: str) -> Harness:
    backend = Backend(Behaviour(readings=readings or dict(DEFAULT_READINGS),
                                deviations=frozenset(deviations)))
    checked, raw = inprocess_client_pair(backend)
    ctx = RunContext(Driver(checked, raw, resource_prefix=PREFIX), Ledger(),
                     synthetic_faces(3), settle_timeout=2.0, resource_prefix=PREFIX)
    return Harness(ctx)


def owned_face(h: Harness, user_id: str = "u1") -> str:
    h.add_user(user_id)
    face = h.index_face(0)
    h.send_associate(FacesRequest(user_id, [face], 0.0))
    h.confirm_state([user_id])
    return face


def list_faces_calls(h: Harness) -> list[dict[str, object]]:
    return [c["params"] for c in h.call_log() if c["operation"] == "ListFaces"]


def test_the_emulator_leaves_face_user_id_out_under_filter_only() -> None:
    h = harness(FILTER_ONLY)
    face = owned_face(h)
    assert [f.get("UserId") for f in h.list_faces(FaceIds=[face])] == [None]
    assert [f["FaceId"] for f in h.list_faces(UserId="u1")] == [face]


@pytest.mark.parametrize(("readings", "reading"), [(None, "listed"),
                                                   (FILTER_ONLY, "filter-only")])
def test_owners_are_read_either_way_and_the_reading_recorded(
        readings: dict[str, str] | None, reading: str) -> None:
    h = harness(readings)
    face = owned_face(h)
    free = h.index_face(1)
    h.add_user("u2")
    assert h.owners_of(h.list_faces()) == {face: "u1", free: None}
    h.check_state(1)
    assert set(h.ledger.readings[A.AMB_FACE_USERID]) == {reading}


def test_a_target_that_names_owners_costs_no_filtered_listing() -> None:
    h = harness()
    owned_face(h)
    h.add_user("u2")
    before = len(list_faces_calls(h))
    h.owners_of(h.list_faces())
    assert len(list_faces_calls(h)) == before + 1


def test_a_face_kept_by_a_deleted_user_fails_du_release_under_filter_only() -> None:
    h = harness(FILTER_ONLY, "du-keeps-faces-owned")
    owned_face(h)
    with pytest.raises(Failure) as failed:
        h.remove_user("u1")
    assert failed.value.clause == C.DU_RELEASE
    assert "still name a user" in failed.value.message


def test_the_face_listing_reads_owners_through_the_filter_under_filter_only() -> None:
    # A release the answer claimed and the target did not make, not yet verified: the
    # listing check finds the face still owned, and blames the change, not LIST-FACES.
    h = harness(FILTER_ONLY, "df-no-release")
    face = owned_face(h)
    assert h.call("DisassociateFaces", {"UserId": "u1", "FaceIds": [face]}).ok
    h.model.disassociate("u1", [face])
    with pytest.raises(Failure) as failed:
        h.check_face_listing(None)
    assert failed.value.clause == C.DF_RELEASE


def test_a_filter_that_lets_faces_through_is_list_faces_once_owners_are_named() -> None:
    h = harness(None, "list-faces-ignores-userid")
    owned_face(h)
    h.index_face(1)
    h.add_user("u2")
    with pytest.raises(Failure) as failed:
        h.check_user_faces("u2", None)
    assert failed.value.clause == C.LIST_FACES
    assert h.face_user_id_reading() == "listed"


@pytest.mark.slow
def test_the_filter_only_variant_conforms_with_every_ownership_clause_judged() -> None:
    target = dataclasses.replace(BUILTIN_EMBEDDED, name="under-test",
                                 behaviour=Behaviour(readings=FILTER_ONLY))
    result = run_suite(target, profile="dev", seed=0)
    assert result.verdict == "conforms", [f.message for f in result.findings]
    assert set(result.behaviour_profile[A.AMB_FACE_USERID]) == {"filter-only"}
    status = {c.clause: c.status for c in result.clauses}
    for clause in (C.AF_ASSOC, C.AF_DIFF_USER, C.DF_RELEASE, C.DF_DIFF_USER, C.DU_RELEASE,
                   C.DEL_OWNED, C.LIST_FACES, C.CONC, C.AF_INPUT):
        assert status[clause] == "passed", clause
