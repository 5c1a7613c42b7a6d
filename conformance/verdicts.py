"""From what a run saw to what it concludes: each clause's state, each finding's identity.

Pure functions (DESIGN.md section 7): a clause passed only when every one of its
cases ran and held; failed when a finding names it; blocked when its set-up
deviated under another clause; partly checked when some cases held and others
were never reached; not checked otherwise, with the reason.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from conformance.clauses import CLAUSES, shown
from conformance.known import KnownDeviation
from conformance.results import (
    NOTICE_KINDS,
    UNJUDGED,
    ClauseResult,
    ClauseStatus,
    FindingRecord,
    KnownOutcome,
    KnownResult,
    RunResult,
    SuiteErrorRecord,
    Verdict,
)

PASSED = "passed"
FAILED = "failed"
NOT_REACHED = "not reached"
BLOCKED_BY = "blocked by "

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
    found one too: it is the same deviation, seen from elsewhere. Exploration keeps the
    first finding of a clause in batch order: each batch starts knowing only what the
    directed checks found, so two batches may both find and shrink one deviation.
    """
    found_by_own = {f.clause for f in findings if not f.case.startswith(MET_ELSEWHERE)}
    seen: set[tuple[str, str, str]] = set()
    explored: set[str] = set()
    out = []
    for f in sorted(findings, key=lambda f: -1 if f.batch is None else f.batch):
        if f.case.startswith(MET_ELSEWHERE) and f.clause in found_by_own:
            continue
        if f.batch is not None:
            if f.clause in explored:
                continue
            explored.add(f.clause)
        key = (f.clause, f.case, f.identity)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


LISTED = "listed in expected_failures of the target"


def clause_results(cases_by_clause: Mapping[str, list[str]],
                   case_outcomes: Mapping[tuple[str, str], str],
                   findings: list[FindingRecord], checks: Mapping[str, int],
                   expected_failures: Iterable[KnownDeviation],
                   stopped: str = "") -> list[ClauseResult]:
    """Each clause of the register in one state. ``case_outcomes`` holds, per (clause, case)
    that ran, "passed", "failed", "blocked by X" or "not checked: why"; ``stopped`` is why
    the run ended early, if it did. ``expected_failures`` are the target's known
    deviations, of whole clauses or of single cases."""
    known: dict[str, list[KnownDeviation]] = {}
    for k in expected_failures:
        known.setdefault(k.clause, []).append(k)
    results = []
    for clause in CLAUSES.values():
        unreached = f"not reached: the run stopped: {stopped}" if stopped else NOT_REACHED
        cases = {case: case_outcomes.get((clause.id, case), unreached)
                 for case in cases_by_clause.get(clause.id, [])}
        own = [f for f in findings if f.clause == clause.id]
        entries = known.get(clause.id, [])
        if entries:
            status, reason, outcomes = _known_state(entries, own, cases)
        else:
            (status, reason), outcomes = _state(bool(own), cases), []
        results.append(ClauseResult(clause.id, clause.text, status, checks.get(clause.id, 0),
                                    reason, cases, outcomes))
    return results


def _known_state(entries: list[KnownDeviation], findings: list[FindingRecord],
                 cases: dict[str, str]) -> tuple[ClauseStatus, str, list[KnownResult]]:
    """A clause some of whose deviations are known: a whole-clause entry excuses every
    finding of the clause; a case entry only the findings of its case (and the same
    deviation met again while exploring), so a clause whose other cases fail still fails."""
    whole = next((k for k in entries if not k.case), None)
    if whole is not None:
        status, reason = _state(bool(findings), cases)
        if status == "failed":
            return "expected-failure", LISTED, [_known(whole, "expected-failure")]
        if status == "passed":
            return "unexpected-pass", LISTED, [_known(whole, "unexpected-pass")]
        return status, reason, [_known(whole, "unjudged", reason)]
    listed = {k.case for k in entries}
    # Exploration meets a listed case's deviation too; its identity says it is the same one.
    excused_ids = {f.identity for f in findings if f.case in listed}
    unexcused = [f for f in findings if f.case not in listed
                 and (f.case in cases or f.identity not in excused_ids)]
    outcomes = []
    for k in entries:
        case = cases.get(k.case, NOT_REACHED)
        if case == FAILED or any(f.case == k.case for f in findings):
            outcomes.append(_known(k, "expected-failure"))
        elif case == PASSED:
            outcomes.append(_known(k, "unexpected-pass"))
        else:
            outcomes.append(_known(k, "unjudged", case))
    as_expected = {k.case for k, o in zip(entries, outcomes, strict=True)
                   if o.outcome == "expected-failure"}
    status, reason = _state(bool(unexcused), {c: PASSED if c in as_expected else o
                                              for c, o in cases.items()})
    if status == "passed" and any(o.outcome == "unexpected-pass" for o in outcomes):
        return "unexpected-pass", LISTED, outcomes
    if status == "passed" and as_expected:
        return "expected-failure", LISTED, outcomes
    return status, reason, outcomes


def _known(k: KnownDeviation, outcome: KnownOutcome, note: str = "") -> KnownResult:
    return KnownResult(k.entry, outcome, k.reason, k.link, note)


def _state(failed: bool, cases: dict[str, str]) -> tuple[ClauseStatus, str]:
    if failed:
        return "failed", ""
    if cases and all(o == PASSED for o in cases.values()):
        return "passed", ""
    others = {case: o for case, o in cases.items() if o != PASSED}
    listing = "; ".join(f"{case}: {o}" for case, o in others.items())
    if any(o == PASSED for o in cases.values()):
        return "partly-checked", listing
    blocked = [o for o in others.values() if o.startswith(BLOCKED_BY)]
    if blocked:
        return "blocked", blocked[0] if len(set(blocked)) == 1 else listing
    if not cases:
        return "not-checked", "no directed check covers it"
    reasons = set(others.values())
    return "not-checked", reasons.pop() if len(reasons) == 1 else listing


def verdict(clauses: list[ClauseResult], errors: list[SuiteErrorRecord],
            optional: frozenset[str] = frozenset()) -> Verdict:
    """A target conforms only when every clause not listed as a known deviation passed.

    A known deviation excuses what it names going unjudged: a whole-clause entry the
    clause, a case entry its case (e.g. a case blocked by another known deviation), never
    the other cases going unchecked."""
    if any(c.status == "failed" for c in clauses):
        return "does-not-conform"
    if any(e.kind not in NOTICE_KINDS for e in errors):
        return "error"
    # A case blocked by a deviation the target's owners already list cannot be judged
    # until that is fixed; they have said so, and the clause still shows "blocked by X".
    showing = {c.clause for c in clauses
               if any(k.outcome == "expected-failure" for k in c.known)}
    if any(c.status in UNJUDGED and not _unjudged_is_known(c, showing)
           and not _unjudged_is_optional(c, optional) for c in clauses):
        return "incomplete"
    return "conforms"


def _unjudged_is_optional(c: ClauseResult, optional: frozenset[str]) -> bool:
    """Every case of ``c`` that was not judged is "not checked: OP not implemented" for an
    operation the target declares optional (``Target.optional_operations``): a target
    without the searches conforms on the rest. A search it has is judged as any other."""
    open_cases = [o for o in c.cases.values() if o not in (PASSED, FAILED)]
    return bool(open_cases) and all(
        any(o == not_implemented(op) for op in optional) for o in open_cases)


def not_implemented(operation: str) -> str:
    """The outcome of a case whose operation the target does not implement."""
    return f"not checked: {operation} not implemented"


def _unjudged_is_known(c: ClauseResult, showing: set[str]) -> bool:
    named = {k.entry for k in c.known}
    if c.clause in named:
        return True
    open_cases = [case for case, o in c.cases.items() if o not in (PASSED, FAILED)]
    return bool(open_cases) and all(KnownDeviation(c.clause, case).entry in named
                                    or _blocked_only_by(c.cases[case], showing)
                                    for case in open_cases)


def _blocked_only_by(outcome: str, clauses: set[str]) -> bool:
    """``outcome`` is "blocked by X, Y" with every one of X, Y among ``clauses``."""
    blockers = blocking_clauses(outcome) if outcome.startswith(BLOCKED_BY) else set()
    return bool(blockers) and blockers <= clauses


def blocking_clauses(text: str) -> set[str]:
    """The clauses each "blocked by X (how), Y" in ``text`` names ({X, Y}), also in a
    clause's reason that lists its cases ("case: blocked by X; other case: ...")."""
    plain = re.sub(r" \([^)]*\)", "", text)
    return {name.strip() for names in re.findall(r"blocked by ([^;]*)", plain)
            for name in names.split(",") if re.fullmatch(r"[A-Z][A-Z-]*[A-Z]", name.strip())}


@dataclass(frozen=True)
class Conclusion:
    findings: list[FindingRecord]
    clauses: list[ClauseResult]
    verdict: Verdict
    knock_ons: dict[str, int]


def conclude(cases_by_clause: Mapping[str, list[str]],
             case_outcomes: Mapping[tuple[str, str], str], findings: list[FindingRecord],
             checks: Mapping[str, int], errors: list[SuiteErrorRecord],
             expected_failures: Iterable[KnownDeviation],
             knock_ons: Mapping[str, int],
             optional: Iterable[str] = ()) -> Conclusion:
    """What one run, or several parts of one, saw, judged: the one place a record is judged.
    A finding that ``unique`` drops as another batch's duplicate counts as a knock-on.
    ``optional``: the operations the target may lack (``Target.optional_operations``)."""
    kept = unique(findings)
    dropped = (Counter(f.clause for f in findings if f.batch is not None)
               - Counter(f.clause for f in kept if f.batch is not None))
    stopped = next((e.message for e in errors if e.kind not in NOTICE_KINDS), "")
    clauses = clause_results(cases_by_clause, case_outcomes, kept, checks, expected_failures,
                             stopped)
    return Conclusion(kept, clauses, verdict(clauses, errors, frozenset(optional)),
                      dict(sorted((Counter(knock_ons) + dropped).items())))


def merge(parts: Sequence[RunResult], cases_by_clause: Mapping[str, list[str]],
          expected_failures: Iterable[KnownDeviation],
          errors: Sequence[SuiteErrorRecord] = (),
          optional: Iterable[str] = ()) -> RunResult:
    """The parts of one run (worker processes, or shards) as one record, judged anew, with
    ``errors`` of the run that no part holds.

    Counts add up; a case is taken from the parts that reached it (the worse outcome when
    two disagree); run id, target, profile and seed are the first part's.
    """
    outcomes: dict[tuple[str, str], str] = {}
    checks: Counter[str] = Counter()
    for part in parts:
        for clause in part.clauses:
            checks[clause.clause] += clause.checks
            for case, outcome in clause.cases.items():
                if not outcome.startswith(NOT_REACHED) and \
                        outcomes.get((clause.clause, case), PASSED) == PASSED:
                    outcomes[(clause.clause, case)] = outcome
    every = [*(e for p in parts for e in p.errors), *errors]
    kept = list({(e.kind, e.message): e for e in every}.values())
    conclusion = conclude(cases_by_clause, outcomes, [f for p in parts for f in p.findings],
                          checks, kept, expected_failures,
                          _summed(p.knock_ons for p in parts), optional)
    readings: dict[str, Counter[str]] = {}
    for part in parts:
        for ambiguity, counts in part.behaviour_profile.items():
            readings.setdefault(ambiguity, Counter()).update(counts)
    first = parts[0]
    return RunResult(
        run_id=first.run_id, target=first.target, profile=first.profile,
        strictness=first.strictness, seed=first.seed,
        started=min(p.started for p in parts),
        duration_seconds=max(p.duration_seconds for p in parts),
        verdict=conclusion.verdict, clauses=conclusion.clauses, findings=conclusion.findings,
        errors=kept, behaviour_profile={a: shown(a, r) for a, r in sorted(readings.items())},
        hard_states=_summed(p.hard_states for p in parts),
        calls=_summed(p.calls for p in parts), examples=sum(p.examples for p in parts),
        versions=first.versions, knock_ons=conclusion.knock_ons,
        service_model=first.service_model,
        missing_operations=dict(sorted({k: v for p in parts
                                        for k, v in p.missing_operations.items()}.items())))


def _summed(counts: Iterator[Mapping[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    return dict(sorted(total.items()))
