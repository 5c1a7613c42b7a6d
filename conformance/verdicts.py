"""From what a run saw to what it concludes: each clause's state, each finding's identity.

Pure functions (DESIGN.md section 7): a clause passed only when every one of its
cases ran and held; failed when a finding names it; blocked when its set-up
deviated under another clause; partly checked when some cases held and others
were never reached; not checked otherwise, with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from conformance.clauses import CLAUSES
from conformance.results import (
    NOTICE_KINDS,
    UNJUDGED,
    ClauseResult,
    ClauseStatus,
    FindingRecord,
    SuiteErrorRecord,
    Verdict,
)

PASSED = "passed"
FAILED = "failed"
NOT_REACHED = "not reached"

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_RUN_PREFIX = re.compile(r"cfs-[0-9a-f]{6}-")
_NUMBERED_ID = re.compile(r"'([A-Za-z_.:-]+?)\d+'")
_NUMBER = re.compile(r"(?<![A-Za-z_])\d+(\.\d+)?")


def identity(message: str) -> str:
    """``message`` with what differs between two runs of one target replaced by stable names:
    FaceIds by face_1, face_2... in order of appearance, the run's prefix, id counters,
    and numbers by N."""
    names: dict[str, str] = {}

    def face(match: re.Match[str]) -> str:
        return names.setdefault(match.group(0).lower(), f"face_{len(names) + 1}")

    text = _UUID.sub(face, message)
    text = _RUN_PREFIX.sub("cfs-RUN-", text)
    text = _NUMBERED_ID.sub(lambda m: f"'{m.group(1)}#'", text)
    # Counts and confidences: one deviation met at 98 and at 99 faces is still one.
    return _NUMBER.sub("N", text)


MET_ELSEWHERE = "met while checking "


def unique(findings: list[FindingRecord]) -> list[FindingRecord]:
    """One finding per deviation: per clause, case and normalised message (its identity).

    A deviation met while checking another clause is dropped when the clause's own checks
    found one too: it is the same deviation, seen from elsewhere.
    """
    found_by_own = {f.clause for f in findings if not f.case.startswith(MET_ELSEWHERE)}
    seen: set[tuple[str, str, str]] = set()
    out = []
    for f in findings:
        if f.case.startswith(MET_ELSEWHERE) and f.clause in found_by_own:
            continue
        key = (f.clause, f.case, f.identity)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def clause_results(cases_by_clause: Mapping[str, list[str]],
                   case_outcomes: Mapping[tuple[str, str], str],
                   findings: list[FindingRecord], checks: Mapping[str, int],
                   expected_failures: frozenset[str], stopped: str = "") -> list[ClauseResult]:
    """Each clause of the register in one state. ``case_outcomes`` holds, per (clause, case)
    that ran, "passed", "failed", "blocked by X" or "not checked: why"; ``stopped`` is why
    the run ended early, if it did."""
    failed = {f.clause for f in findings}
    results = []
    for clause in CLAUSES.values():
        unreached = f"not reached: the run stopped: {stopped}" if stopped else NOT_REACHED
        cases = {case: case_outcomes.get((clause.id, case), unreached)
                 for case in cases_by_clause.get(clause.id, [])}
        status, reason = _state(clause.id in failed, cases)
        if clause.id in expected_failures:
            if status == "failed":
                status, reason = "expected-failure", "listed in expected_failures of the target"
            elif status == "passed":
                status, reason = "unexpected-pass", "listed in expected_failures of the target"
        results.append(ClauseResult(clause.id, clause.text, status, checks.get(clause.id, 0),
                                    reason, cases))
    return results


def _state(failed: bool, cases: dict[str, str]) -> tuple[ClauseStatus, str]:
    if failed:
        return "failed", ""
    if cases and all(o == PASSED for o in cases.values()):
        return "passed", ""
    others = {case: o for case, o in cases.items() if o != PASSED}
    listing = "; ".join(f"{case}: {o}" for case, o in others.items())
    if any(o == PASSED for o in cases.values()):
        return "partly-checked", listing
    blocked = [o for o in others.values() if o.startswith("blocked by")]
    if blocked:
        return "blocked", blocked[0] if len(set(blocked)) == 1 else listing
    if not cases:
        return "not-checked", "no directed check covers it"
    reasons = set(others.values())
    return "not-checked", reasons.pop() if len(reasons) == 1 else listing


def verdict(clauses: list[ClauseResult], errors: list[SuiteErrorRecord],
            expected_failures: frozenset[str] = frozenset()) -> Verdict:
    """A target conforms only when every clause not listed as a known deviation passed."""
    if any(c.status == "failed" for c in clauses):
        return "does-not-conform"
    if any(e.kind not in NOTICE_KINDS for e in errors):
        return "error"
    if any(c.status in UNJUDGED and c.clause not in expected_failures for c in clauses):
        return "incomplete"
    return "conforms"
