"""Blocking by need (issue 18): a deviation blocks only the cases whose set-up needs the step
it breaks, and a half-built emulator gets a full verdict on everything else."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from conformance.checks import FacesRequest
from conformance.clauses import C
from conformance.directed import DIRECTED
from conformance.driver import Driver
from conformance.emulator.backend import Backend
from conformance.emulator.behaviour import Behaviour
from conformance.emulator.inprocess import inprocess_client_pair
from conformance.errors import Failure
from conformance.harness import Harness, RunContext
from conformance.images import synthetic_faces
from conformance.ledger import Ledger
from conformance.mutants import BY_NAME, MultiMutant
from conformance.needs import Broken, Need, NeedBroken, blocker
from conformance.results import RunResult
from conformance.runner import run_suite
from conformance.targets import BUILTIN_EMBEDDED
from conformance.verdicts import blocking_clauses

NO_FACE = Broken(Need.FACE, C.SCHEMA, "IndexFaces indexes no face from an image of one face")

# The clauses issue 18 asks a stub that indexes nothing to pass: none of their cases needs a face.
JUDGED_WITHOUT_A_FACE = {C.CU_CONFLICT, C.CU_CREATED, C.DU_NOT_FOUND, C.AF_COLL_EXISTS,
                         C.AF_USER_EXISTS, C.AF_NOT_FOUND, C.DF_USER_EXISTS, C.DF_NOT_FOUND}


def test_a_case_is_blocked_only_by_a_need_it_has() -> None:
    broken = {Need.FACE: NO_FACE}
    assert blocker([Need.FACE, Need.SETTLES], broken) == (
        "blocked by SCHEMA (IndexFaces indexes no face from an image of one face)")
    assert blocker([Need.SETTLES], broken) is None
    assert blocker([], broken) is None
    assert blocking_clauses(blocker([Need.FACE], broken) or "") == {C.SCHEMA}


def test_a_case_that_runs_into_a_need_it_does_not_declare_is_blocked_by_that_one() -> None:
    """The runner's one decision for a ``NeedBroken`` raised mid-case: the declared needs'
    breakers when any is broken, else the need the case ran into."""
    unsettled = Broken(Need.SETTLES, C.AF_STATUS, "a user never settles")
    broken = {Need.FACE: NO_FACE, Need.SETTLES: unsettled}
    assert blocker([], broken, unsettled) == "blocked by AF-STATUS (a user never settles)"
    assert blocker([Need.FACE], broken, unsettled) == (
        "blocked by SCHEMA (IndexFaces indexes no face from an image of one face)")


def test_the_cases_issue_18_names_need_no_face() -> None:
    needs = {(d.clause, d.case): d.needs for d in DIRECTED}
    for clause in JUDGED_WITHOUT_A_FACE | {C.AF_INPUT, C.AF_CAP_REQUEST, C.AF_THRESHOLD_RANGE,
                                           C.CU_INPUT, C.CU_TOKEN_REPLAY, C.CU_TOKEN_MISMATCH,
                                           C.DU_TOKEN_REPLAY, C.DU_TOKEN_MISMATCH}:
        cases = {case: n for (c, case), n in needs.items() if c == clause}
        assert cases, clause
        assert all(Need.FACE not in n for n in cases.values()), (clause, cases)
    assert Need.FACE not in needs[(C.DEL_FACES, "a FaceId not in the collection")]
    assert Need.FACE not in needs[(C.AF_TOKEN_MISMATCH, "other FaceIds")]
    assert not needs[(C.SUBI_NO_FACE, "an image in which IndexFaces finds no face")]
    assert Need.FACE in needs[(C.AF_ASSOC, "an unowned face")]


@pytest.fixture(scope="module")
def stub_run() -> RunResult:
    entry = BY_NAME["stub-indexes-nothing"]
    target = dataclasses.replace(BUILTIN_EMBEDDED, name=entry.name, behaviour=entry.behaviour)
    return run_suite(target, profile="dev", seed=0)


def test_a_stub_that_indexes_nothing_is_judged_on_everything_else(stub_run: RunResult) -> None:
    entry = BY_NAME["stub-indexes-nothing"]
    assert isinstance(entry, MultiMutant)
    states = {c.clause: c for c in stub_run.clauses}
    assert not [e for e in stub_run.errors if e.kind == "suite"], stub_run.errors
    assert {c for c, s in states.items() if s.status == "passed"} >= JUDGED_WITHOUT_A_FACE
    # Each deviation under its own clause, and no other clause failed.
    assert {c for c, s in states.items() if s.status == "failed"} == set(entry.clauses())
    per_case = Counter((f.clause, f.case) for f in stub_run.findings)
    assert max(per_case.values()) == 1, per_case
    # What is not judged is blocked by the missing face, and only by it (SU-NOT-FOUND is
    # judged on an unknown collection, user and FaceId: only its deleted FaceId is blocked).
    for state in states.values():
        if state.status not in ("passed", "failed"):
            assert state.status == ("partly-checked" if state.clause == C.SU_NOT_FOUND
                                    else "blocked"), state
            assert blocking_clauses(state.reason) == {C.SCHEMA}, state
            assert "IndexFaces indexes no face" in state.reason
    # A blocked case costs no call: only the check that found it sent IndexFaces.
    assert stub_run.calls["IndexFaces"] == 1


def test_a_paging_bug_blocks_nothing_else() -> None:
    entry = BY_NAME["list-users-ignores-max-results"]
    target = dataclasses.replace(BUILTIN_EMBEDDED, name=entry.name, behaviour=entry.behaviour)
    result = run_suite(target, profile="dev", seed=0)
    assert [f.clause for f in result.findings] == [C.LIST_USERS]
    assert all(c.status == "passed" for c in result.clauses if c.clause != C.LIST_USERS)


# ------------------------------------------------------------- a target that never settles


def test_after_one_settle_timeout_no_wait_waits_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 19: the first wait that times out is AF-STATUS's one finding and breaks
    Need.SETTLES; every later settle looks once (no poll), and the cases that need a settled
    user are blocked by AF-STATUS. Counted in polls and listings, not in seconds."""
    from conformance.harness import observe

    waits: list[bool] = []  # each settle wait, and whether the users settled in it
    real_poll = observe.poll

    def counted_poll(*args: object, **kwargs: object) -> bool:
        waits.append(real_poll(*args, **kwargs))  # type: ignore[arg-type]
        return waits[-1]

    monkeypatch.setattr(observe, "poll", counted_poll)
    entry = BY_NAME["status-never-settles"]
    # A short timeout keeps the one wait short; the counts do not depend on it.
    target = dataclasses.replace(BUILTIN_EMBEDDED, name=entry.name, behaviour=entry.behaviour,
                                 settle_timeout=0.3)
    result = run_suite(target, profile="dev", seed=0, shrink=False)
    assert not result.errors, result.errors
    assert [f.clause for f in result.findings] == [C.AF_STATUS]
    # Waits before the first user that changed are all settled (new users list CREATED);
    # exactly one times out, and none comes after it.
    assert waits.count(False) == 1, waits
    assert waits[-1] is False, waits
    states = {c.clause: c for c in result.clauses}
    blocked = [s for s in states.values() if s.status == "blocked"]
    assert blocked and all(blocking_clauses(s.reason) == {C.AF_STATUS} for s in blocked)
    assert all("after the settle timeout of 0.3 s" in s.reason for s in blocked)
    # Clauses none of whose cases needs a settled user are still judged, and pass.
    assert {s.clause for s in states.values() if s.status == "passed"} >= JUDGED_WITHOUT_A_FACE


def test_a_later_settle_looks_once_and_stops_the_case() -> None:
    """The settle that times out fails AF-STATUS and breaks Need.SETTLES; a later settle of a
    user still UPDATING sends one ListUsers and stops with NeedBroken: no wait, no finding."""
    backend = Backend(Behaviour(deviations=frozenset({"status-never-settles"})))
    checked, raw = inprocess_client_pair(backend)
    prefix = "cfs-abcdef-"
    ctx = RunContext(Driver(checked, raw, resource_prefix=prefix), Ledger(), synthetic_faces(2),
                     settle_timeout=0.3, resource_prefix=prefix)
    h = Harness(ctx)
    users = [h.new_user_id("u"), h.new_user_id("u")]
    for user_id in users:
        h.add_user(user_id)
        h.send_associate(FacesRequest(user_id, [h.index_face(0)], 0.0))

    def listings() -> int:
        return sum(c["operation"] == "ListUsers" for c in h.call_log())

    before = listings()
    with pytest.raises(Failure) as first:
        h.settle(users[:1], C.AF_STATUS)
    assert first.value.clause == C.AF_STATUS
    assert listings() - before > 1  # the one wait: listed until the timeout
    assert ctx.broken[Need.SETTLES].clause == C.AF_STATUS
    before, raised = listings(), ctx.ledger.failures_raised
    with pytest.raises(NeedBroken, match="AF-STATUS"):
        h.settle(users[1:], C.AF_STATUS)
    assert listings() - before == 1
    assert ctx.ledger.failures_raised == raised
