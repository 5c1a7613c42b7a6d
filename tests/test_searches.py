"""The searches (issue 20) on a target that implements neither: exactly their clauses are
"not checked: OP not implemented", everything else is judged as on the reference, and the
target conforms only where it declares the searches optional."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from conformance.clauses import CLAUSES, C
from conformance.emulator.behaviour import DEFAULT_READINGS, Behaviour
from conformance.errors import ConfigError
from conformance.results import RunResult
from conformance.runner import run_suite
from conformance.spec import SEARCHES
from conformance.targets import BUILTIN_EMBEDDED, load_targets
from conformance.verdicts import verdict

SEARCH_CLAUSES = {C.SU_FACE, C.SU_USER, C.SUBI_IMAGE, C.SU_THRESHOLD, C.SU_NOT_FOUND,
                  C.SU_RELEASE, C.SU_SHAPE, C.SUBI_NO_FACE}


@pytest.fixture(scope="module")
def no_search_run() -> RunResult:
    behaviour = Behaviour(readings=dict(DEFAULT_READINGS), missing_operations=SEARCHES)
    target = dataclasses.replace(BUILTIN_EMBEDDED, name="no-searches", behaviour=behaviour,
                                 optional_operations=SEARCHES)
    return run_suite(target, profile="dev", seed=0)


def test_a_target_without_the_searches_has_only_their_clauses_not_checked(
        no_search_run: RunResult) -> None:
    states = {c.clause: c for c in no_search_run.clauses}
    assert {c for c, s in states.items() if s.status != "passed"} == SEARCH_CLAUSES
    for clause in SEARCH_CLAUSES:
        state = states[clause]
        assert state.status == "not-checked", state
        assert all(o in ("not checked: SearchUsers not implemented",
                         "not checked: SearchUsersByImage not implemented")
                   for o in state.cases.values()), state.cases
    # Exploration ran all the same: the state machine searches only where it can.
    assert no_search_run.examples > 0
    assert not no_search_run.errors
    assert set(no_search_run.missing_operations) == SEARCHES
    assert set(CLAUSES) - SEARCH_CLAUSES <= {c for c, s in states.items()
                                             if s.status == "passed"}


def test_it_conforms_only_where_the_searches_are_optional(no_search_run: RunResult) -> None:
    assert no_search_run.verdict == "conforms"
    # The same record, judged for a target that does not declare them optional.
    assert verdict(no_search_run.clauses, no_search_run.errors) == "incomplete"
    # A failed search is never excused: optional means absent, not wrong.
    failed = [dataclasses.replace(c, status="failed") if c.clause == C.SU_FACE else c
              for c in no_search_run.clauses]
    assert verdict(failed, no_search_run.errors, SEARCHES) == "does-not-conform"


def test_only_the_searches_may_be_optional(tmp_path: Path) -> None:
    path = tmp_path / "targets.toml"
    path.write_text('[targets.a]\nkind = "embedded"\n'
                    'optional_operations = ["SearchUsers", "SearchUsersByImage"]\n')
    assert load_targets(path).targets["a"].optional_operations == SEARCHES
    path.write_text('[targets.a]\nkind = "embedded"\noptional_operations = ["ListFaces"]\n')
    with pytest.raises(ConfigError, match="only the searches may be optional"):
        load_targets(path)


@pytest.mark.slow
def test_a_target_with_one_search_is_judged_by_it_wherever_a_case_allows() -> None:
    # SearchUsersByImage alone: the cases that need SearchUsers are "not checked", each
    # naming it; SUBI's clauses and the unknown-collection case are judged by the one it has.
    behaviour = Behaviour(readings=dict(DEFAULT_READINGS),
                          missing_operations=frozenset({"SearchUsers"}))
    target = dataclasses.replace(BUILTIN_EMBEDDED, name="image-search-only",
                                 behaviour=behaviour, optional_operations=SEARCHES)
    result = run_suite(target, profile="dev", seed=0)
    assert result.verdict == "conforms" and not result.errors
    cases = {(c.clause, case): outcome for c in result.clauses
             for case, outcome in c.cases.items()}
    assert cases[(C.SU_NOT_FOUND, "an unknown collection")] == "passed"
    assert cases[(C.SUBI_IMAGE, "an image of a person a user holds")] == "passed"
    unchecked = {key for key, outcome in cases.items() if outcome != "passed"}
    assert unchecked and {clause for clause, _ in unchecked} <= SEARCH_CLAUSES
    assert all(cases[key] == "not checked: SearchUsers not implemented" for key in unchecked)
    # The directed checks found SearchUsers missing before exploration: the state machine
    # searched by image all the same.
    assert result.hard_states.get("searched", 0) > 0
    assert result.examples > 0
