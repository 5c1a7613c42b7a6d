"""The suite end to end against its own reference emulator: it passes the reference and fails
broken configurations, naming the clause each breaks."""

from __future__ import annotations

import dataclasses

import pytest

from conformance.clauses import CLAUSES, REPLAY_GONE, TOKEN_MISMATCH
from conformance.emulator.behaviour import DEFAULT_READINGS, Behaviour
from conformance.known import KnownDeviation
from conformance.results import RunResult
from conformance.runner import run_suite
from conformance.targets import BUILTIN_EMBEDDED, Target


def embedded(**behaviour: object) -> Target:
    return dataclasses.replace(BUILTIN_EMBEDDED, name="under-test",
                               behaviour=Behaviour(**behaviour))  # type: ignore[arg-type]


def failed_clauses(result: RunResult) -> set[str]:
    return {c.clause for c in result.clauses if c.status == "failed"}


@pytest.fixture(scope="module")
def reference_run() -> RunResult:
    return run_suite(BUILTIN_EMBEDDED, profile="dev", seed=11)


def test_reference_emulator_conforms(reference_run: RunResult) -> None:
    assert reference_run.verdict == "conforms", [f.message for f in reference_run.findings]
    assert not reference_run.errors
    statuses = {c.status for c in reference_run.clauses}
    assert statuses <= {"passed", "not-checked"}
    for clause in reference_run.clauses:
        # "passed" is earned by checks that ran, never by default.
        assert (clause.status == "passed") == (clause.checks > 0), clause
        if clause.status == "not-checked":
            assert clause.reason
    assert [c.clause for c in reference_run.clauses] == list(CLAUSES)


def test_every_run_reaches_the_cap(reference_run: RunResult) -> None:
    # The directed scenario runs in every profile: at 99, at 100, and across 100.
    for state in ("user-at-99", "user-at-100", "request-crossing-cap", "request-at-cap"):
        assert reference_run.hard_states.get(state, 0) >= 1, state


def test_the_behaviour_profile_records_the_readings(reference_run: RunResult) -> None:
    profile = reference_run.behaviour_profile
    assert set(profile["AMB-STATUS-NOW"]) == {"UPDATING"}
    assert set(profile["AMB-CAP"]) == {"exception"}
    assert set(profile["AMB-FACE-USERID"]) == {"listed"}
    # The directed token checks ask every operation's token questions in every run.
    for amb in (*TOKEN_MISMATCH.values(), *REPLAY_GONE.values()):
        assert set(profile[amb]) == {DEFAULT_READINGS[amb]}, amb


@pytest.mark.parametrize(("deviation", "clause"), [
    ("move-owned-face", "AF-DIFF-USER"),
    ("report-already-associated", "AF-IGNORE-SAME"),
    ("accept-unknown-user", "AF-USER-EXISTS"),
])
def test_a_broken_emulator_fails_naming_the_clause(deviation: str, clause: str) -> None:
    result = run_suite(embedded(deviations=frozenset({deviation})), profile="dev", seed=3)
    assert result.verdict == "does-not-conform"
    assert clause in failed_clauses(result)
    finding = next(f for f in result.findings if f.clause == clause)
    # What a user pastes into a bug report: the calls, a script, the replay command.
    assert finding.steps and "AssociateFaces" in finding.steps
    compile(finding.reproducer, "reproducer.py", "exec")
    assert "--seed 3" in finding.replay_command and "--target under-test" in finding.replay_command


def test_the_reference_emulator_conforms_under_strictness_aws() -> None:
    # The reference shows no reading AWS's published examples contradict: nothing to fail.
    result = run_suite(dataclasses.replace(BUILTIN_EMBEDDED, strictness="aws"),
                       profile="dev", seed=13)
    assert result.verdict == "conforms", [f.message for f in result.findings]
    assert result.strictness == "aws"


def test_strictness_aws_fails_a_reading_aws_contradicts() -> None:
    target = dataclasses.replace(embedded(readings={"AMB-OWNER-ID": "requested"}),
                                 strictness="aws")
    result = run_suite(target, profile="dev", seed=5)
    assert "AF-DIFF-USER" in failed_clauses(result)
    assert any("AMB-OWNER-ID" in f.message for f in result.findings)


def test_a_legal_reading_passes_under_spec() -> None:
    target = embedded(readings={"AMB-OWNER-ID": "requested", "AMB-STATUS-NOW": "ACTIVE"})
    result = run_suite(target, profile="dev", seed=5)
    assert result.verdict == "conforms", [f.message for f in result.findings]
    assert set(result.behaviour_profile["AMB-OWNER-ID"]) == {"requested"}


def test_the_other_token_readings_pass_and_are_recorded_per_operation() -> None:
    """N3 and N4 of docs/audit.md: the first response again for a token reused with other
    parameters (S0.24), ResourceNotFoundException for a token naming a user that is gone
    (M.DU.3, M.DF.2); each operation's reading is its own ambiguity."""
    others = {**{amb: "first-response" for amb in TOKEN_MISMATCH.values()},
              **{amb: "not-found" for amb in REPLAY_GONE.values()}}
    result = run_suite(embedded(readings=others), profile="dev", seed=4)
    assert result.verdict == "conforms", [f.message for f in result.findings]
    for amb, reading in others.items():
        assert set(result.behaviour_profile[amb]) == {reading}, amb


def test_throttling_is_absorbed_and_counted_not_reported_as_a_finding() -> None:
    # Every 151st request: enough throttling to need the retries, without minutes of back-off.
    result = run_suite(embedded(throttle_every=151), profile="dev", seed=2)
    assert result.verdict == "conforms"
    assert result.calls.get("retries", 0) > 0


def test_expected_failures_do_not_fail_the_run() -> None:
    target = dataclasses.replace(embedded(deviations=frozenset({"report-already-associated"})),
                                 expected_failures=(KnownDeviation("AF-IGNORE-SAME"),))
    result = run_suite(target, profile="dev", seed=3)
    statuses = {c.clause: c.status for c in result.clauses}
    assert statuses["AF-IGNORE-SAME"] == "expected-failure"
    assert result.verdict == "conforms"


@pytest.mark.parametrize("deviations", [frozenset(), frozenset({"df-no-release"})],
                         ids=["reference", "df-no-release"])
def test_in_process_and_http_give_the_same_verdicts(deviations: frozenset[str]) -> None:
    """The embedded target's two transports: the same clauses pass and fail, the same calls."""
    results = [run_suite(dataclasses.replace(embedded(deviations=deviations), transport=t),
                         profile="dev", seed=3, shrink=not deviations)
               for t in ("in-process", "http")]
    statuses = [{c.clause: c.status for c in r.clauses} for r in results]
    assert statuses[0] == statuses[1]
    assert [f.clause for f in results[0].findings] == [f.clause for f in results[1].findings]
    assert bool(deviations) == (results[0].verdict == "does-not-conform")


def test_a_seed_replays_exactly_and_two_runs_of_one_target_do_not_drift() -> None:
    """The same seed against the same deterministic target: the same calls, the same
    profile, the same findings (by identity), and ``conformance diff`` sees no change."""
    from conformance.report.diff import diff_results

    target = embedded(deviations=frozenset({"df-drop-unknown-face"}))
    first, second = (run_suite(target, profile="dev", seed=9) for _ in range(2))
    assert first.calls == second.calls
    # The same readings; how often each was observed may differ by one where an
    # observation waits on the clock (a listing that finds a user settled or not yet).
    assert {a: set(r) for a, r in first.behaviour_profile.items()} == \
        {a: set(r) for a, r in second.behaviour_profile.items()}
    assert [(f.clause, f.case, f.identity) for f in first.findings] == \
           [(f.clause, f.case, f.identity) for f in second.findings]
    assert first.findings and not diff_results(first, second).changed
