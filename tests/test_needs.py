"""Blocking by need (issue 18): a deviation blocks only the cases whose set-up needs the step
it breaks, and a half-built emulator gets a full verdict on everything else."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from conformance.clauses import C
from conformance.directed import DIRECTED
from conformance.mutants import BY_NAME, MultiMutant
from conformance.needs import Broken, Need, blocker
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
    # What is not judged is blocked by the missing face, and only by it.
    for state in states.values():
        if state.status not in ("passed", "failed"):
            assert state.status == "blocked", state
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
