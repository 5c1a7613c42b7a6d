"""The state machine searches (issue 20, item 3): exploration alone, with no directed check,
catches a search that ignores the associations. (That a search meeting a wrong association
blames the association is tests/test_harness.py's.)"""

from __future__ import annotations

import dataclasses

import pytest

from conformance import parallel
from conformance.clauses import C
from conformance.emulator.behaviour import DEFAULT_READINGS, Behaviour
from conformance.results import RunResult
from conformance.runner import PROFILES, Job, run_part
from conformance.targets import BUILTIN_EMBEDDED

SEARCH_CLAUSES = {C.SU_FACE, C.SU_USER, C.SUBI_IMAGE, C.SU_THRESHOLD, C.SU_NOT_FOUND,
                  C.SU_RELEASE, C.SU_SHAPE, C.SUBI_NO_FACE}


def _explore(deviation: str | None, seed: int = 0) -> RunResult:
    """Exploration only, in the dev profile, against the reference or one mutant."""
    behaviour = Behaviour(readings=dict(DEFAULT_READINGS),
                          deviations=frozenset({deviation} if deviation else ()))
    target = dataclasses.replace(BUILTIN_EMBEDDED, name=f"explore-{deviation}",
                                 behaviour=behaviour)
    profile = PROFILES["dev"]
    job = Job(profile, seed, "", directed=False,
              batches=parallel.batches(profile.examples, seed, None), shrink=False)
    return run_part(target, job)


# Exploration's sequences depend on how its races came out, so that one seed's run is not
# the same run twice on a loaded machine: each property is held over two seeds' runs.
SEEDS = (0, 1)


def _explore_seeds(deviation: str | None) -> list[RunResult]:
    results = [_explore(deviation, seed) for seed in SEEDS]
    assert not [r.errors for r in results if r.errors]
    return results


def _failed(results: list[RunResult]) -> dict[str, list[str]]:
    """The clauses of the findings, with their messages (without directed checks, no clause
    is "passed")."""
    found: dict[str, list[str]] = {}
    for result in results:
        for finding in result.findings:
            found.setdefault(finding.clause, []).append(finding.message)
    return found


@pytest.mark.slow
@pytest.mark.parametrize(("deviation", "clause"), [
    ("su-face-finds-nobody", C.SU_FACE),
    ("subi-ignores-person", C.SUBI_IMAGE),
    ("su-threshold-ignored", C.SU_THRESHOLD),
])
def test_exploration_alone_catches_a_search_that_ignores_the_associations(
        deviation: str, clause: str) -> None:
    failed = _failed(_explore_seeds(deviation))
    assert set(failed) == {clause}, failed


@pytest.mark.slow
def test_exploration_searches_the_reference_and_finds_nothing() -> None:
    results = _explore_seeds(None)
    assert _failed(results) == {}
    # (A search that fails ends its run before it counts: only here is every one counted.)
    assert all(r.hard_states.get("searched", 0) > 0 for r in results)
    judged = {c.clause for r in results for c in r.clauses if c.checks > 0}
    assert {C.SU_FACE, C.SU_USER, C.SUBI_IMAGE, C.SU_THRESHOLD, C.SU_SHAPE} <= judged
