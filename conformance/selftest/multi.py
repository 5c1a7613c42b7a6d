"""Scoring a multi-fault mutant: one whole run, judged deviation by deviation and clause
by clause (``score_multi``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

from conformance import verdicts
from conformance.mutants import NEEDS_OPERATION, PARTLY_NEEDS_OPERATION, MultiMutant
from conformance.results import NOTICE_KINDS, RunResult

DeviationOutcome = Literal["caught", "duplicate", "missed"]


@dataclass(frozen=True)
class DeviationResult:
    """How one run reported one deviation of a multi-fault mutant."""

    deviation: str
    clause: str
    # caught: its clause failed with one finding; duplicate: with more than one.
    result: DeviationOutcome
    findings: int
    # The first finding's message; for a missed deviation, its clause's state and reason.
    detail: str = ""


@dataclass(frozen=True)
class ClauseProblem:
    """A clause a multi-fault mutant keeps right that the run did not end "passed"."""

    clause: str
    # knock-on: failed although no deviation was seeded on it (a knock-on or a wrong
    # cause); not-judged: not checked, blocked or partly checked, though the target's
    # operations allow it.
    kind: Literal["knock-on", "not-judged"]
    status: str
    findings: int
    detail: str = ""


@dataclass(frozen=True)
class MultiScore:
    deviations: list[DeviationResult]
    problems: list[ClauseProblem]
    # Errors of the run (transport, budget, suite): a run that stopped judged less.
    errors: list[str]

    @property
    def ok(self) -> bool:
        return (all(d.result == "caught" for d in self.deviations) and not self.problems
                and not self.errors)

    def summary(self) -> str:
        caught = sum(d.result == "caught" for d in self.deviations)
        parts = [f"{caught}/{len(self.deviations)} deviations caught once"]
        duplicates = sum(d.result == "duplicate" for d in self.deviations)
        if duplicates:
            parts.append(f"{duplicates} reported more than once")
        knock_ons = [p.clause for p in self.problems if p.kind == "knock-on"]
        if knock_ons:
            parts.append(f"{len(knock_ons)} other clauses failed")
        unjudged = [p.clause for p in self.problems if p.kind == "not-judged"]
        if unjudged:
            parts.append(f"{len(unjudged)} clauses not judged")
        if self.errors:
            parts.append(f"run error: {self.errors[0]}")
        return ", ".join(parts)


# A clause's states (DESIGN.md section 7) that count as failed, and as judged and held.
_FAILED = frozenset({"failed", "expected-failure"})
_HELD = frozenset({"passed", "unexpected-pass"})


def score_multi(entry: MultiMutant, result: RunResult) -> MultiScore:
    """Judge one full run against a multi-fault mutant, clause by clause.

    Each deviation must fail its own clause with exactly one finding (more is a
    duplicate). Every other clause must pass: one that fails is a knock-on or a wrong
    cause, one that ends in another state was not judged, unless it needs an operation
    the mutant leaves out (or, partly, has cases that need one and ends partly checked).
    """
    findings = Counter(f.clause for f in result.findings)
    # Two findings of one clause in two of its cases are two deviations (DESIGN.md
    # section 7: a finding is its clause, case and message); two in one case are one twice.
    per_case = Counter((f.clause, f.case) for f in result.findings)
    duplicated = {clause for (clause, _), n in per_case.items() if n > 1}
    first: dict[str, str] = {}
    for finding in result.findings:
        first.setdefault(finding.clause, first_line(finding.message))
    states = {c.clause: c for c in result.clauses}
    deviations = []
    for deviation, clause in entry.seeded():
        state = states.get(clause)
        seen = state.status if state is not None else "absent"
        if seen in _FAILED or findings[clause]:
            outcome: DeviationOutcome = "duplicate" if clause in duplicated else "caught"
            deviations.append(DeviationResult(deviation, clause, outcome, findings[clause],
                                              first.get(clause, "")))
        else:
            reason = state.reason if state is not None else "the run has no such clause"
            deviations.append(DeviationResult(deviation, clause, "missed", 0,
                                              f"{seen}: {reason}" if reason else seen))
    expected = set(entry.clauses())
    unneeded = frozenset().union(*(NEEDS_OPERATION.get(op, frozenset())
                                   for op in entry.missing_operations))
    partly = frozenset().union(*(PARTLY_NEEDS_OPERATION.get(op, frozenset())
                                 for op in entry.missing_operations))
    problems = []
    for clause, state in states.items():
        # A str: the states the suite's verdicts are growing ("blocked", "partly-checked").
        status: str = state.status
        if clause in expected:
            continue
        if status in _FAILED or findings[clause]:
            problems.append(ClauseProblem(clause, "knock-on", status, findings[clause],
                                          first.get(clause, "")))
        elif not (status in _HELD or clause in unneeded
                  or (clause in partly and status == "partly-checked")
                  or _excused(state.reason, entry.missing_operations, expected)):
            problems.append(ClauseProblem(clause, "not-judged", status, 0,
                                          first_line(state.reason)))
    errors = [first_line(e.message) for e in result.errors if e.kind not in NOTICE_KINDS]
    return MultiScore(deviations, problems, errors)


def _excused(reason: str, missing: frozenset[str], seeded_clauses: set[str]) -> bool:
    """A clause left unjudged because the mutant lacks an operation it needs, or because a
    seeded deviation spoils its set-up (blocked by a clause the mutant breaks)."""
    blockers = verdicts.blocking_clauses(reason)
    return (any(f"{op} not implemented" in reason for op in missing)
            or (bool(blockers) and blockers <= seeded_clauses))


def first_line(text: str) -> str:
    return text.splitlines()[0] if text else ""
