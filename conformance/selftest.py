"""The self-test: run the suite against every entry of the catalogue and score it.

A mutant is *caught* when the suite finds it non-conforming; a legal variant
*passes* when the suite finds it conforming. A multi-fault mutant is *reported*
when one whole run (not stopped at the first failure) fails each of its
deviations' clauses with exactly one finding, fails no other clause, and judges
every clause but those that need an operation it leaves out (``score_multi``).

Each entry runs in its own worker process with its own embedded emulator on a
free port, so entries are independent and can run in parallel. Each entry's seed
is derived from the base seed and the entry's name, so a result can be replayed
alone (``--only``) and does not depend on which other entries ran.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from conformance import verdicts
from conformance.errors import EXIT_CONFORMS, EXIT_FAILURES, ConfigError
from conformance.mutants import (
    NEEDS_OPERATION,
    PARTLY_NEEDS_OPERATION,
    Entry,
    MultiMutant,
    Mutant,
    Variant,
)
from conformance.results import NOTICE_KINDS, RunResult
from conformance.targets import DEFAULT_SETTLE_TIMEOUT, Target

Expected = Literal["fail", "pass", "report all"]
# "reported" and "incomplete" are a multi-fault mutant's: every deviation reported as it
# should be, or not.
# A mutant is "caught" when its own clause fails and no other does; "caught, others too"
# when other clauses fail as well (a knock-on reported as a finding, or a wrong cause);
# "wrong clause" when only other clauses fail.
Outcome = Literal["caught", "caught, others too", "wrong clause", "survived", "passed",
                  "FAILED", "reported", "incomplete", "error"]
DeviationOutcome = Literal["caught", "duplicate", "missed"]
Progress = Callable[[str], None]

DEFAULT_SEED = 0
DEFAULT_REPORT_DIR = Path("reports") / "selftest"
README_START = "<!-- selftest:start -->"
README_END = "<!-- selftest:end -->"
# Counters in RunResult.calls that are not requests the suite chose to send.


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
        first.setdefault(finding.clause, _first_line(finding.message))
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
                                          _first_line(state.reason)))
    errors = [_first_line(e.message) for e in result.errors if e.kind not in NOTICE_KINDS]
    return MultiScore(deviations, problems, errors)


def _excused(reason: str, missing: frozenset[str], seeded_clauses: set[str]) -> bool:
    """A clause left unjudged because the mutant lacks an operation it needs, or because a
    seeded deviation spoils its set-up (blocked by a clause the mutant breaks)."""
    blockers = verdicts.blocking_clauses(reason)
    return (any(f"{op} not implemented" in reason for op in missing)
            or (bool(blockers) and blockers <= seeded_clauses))


@dataclass(frozen=True)
class EntryResult:
    name: str
    kind: Literal["mutant", "variant", "multi"]
    # The clause a mutant breaks, or the ambiguity a variant reads ("" for timing variants).
    subject: str
    description: str
    expected: Expected
    result: Outcome
    seconds: float
    # API calls the run sent; for a caught mutant, the calls until it was detected.
    calls: int
    # The clauses the run failed, the first-found first.
    failed_clauses: list[str]
    seed: int
    # The first finding's or error's message: what to read first when an entry goes wrong.
    detail: str = ""
    # The traceback of an internal error of the suite, which a worker's report would lose.
    trace: str = ""
    # A multi-fault mutant's score: each deviation, and each clause kept right that the run
    # failed or did not judge.
    deviations: list[DeviationResult] = field(default_factory=list)
    problems: list[ClauseProblem] = field(default_factory=list)
    # Every finding of a multi-fault mutant's run, "[CLAUSE] first line", in report order.
    findings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.result in ("caught", "passed", "reported")

    def multi_summary(self) -> str:
        return MultiScore(self.deviations, self.problems,
                          [self.detail] if self.result == "error" else []).summary()

    @property
    def expected_clause_failed(self) -> bool | None:
        """For a caught mutant: whether the clause it was seeded against is among the failed."""
        if self.kind != "mutant" or self.result in ("survived", "error"):
            return None
        return self.subject in self.failed_clauses

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "expected_clause_failed": self.expected_clause_failed}


@dataclass(frozen=True)
class SelftestResult:
    profile: str
    seed: int
    jobs: int
    seconds: float
    entries: list[EntryResult]
    seeds: int = 1  # each entry ran with base seeds seed, seed + 1, ...

    def seeds_text(self) -> str:
        """Which base seeds ran; with several, an entry's figures are its last seed's."""
        if self.seeds == 1:
            return f"seed {self.seed}"
        names = [str(self.seed + k) for k in range(self.seeds)]
        return (f"seeds {', '.join(names[:-1])} and {names[-1]}, each entry with each; "
                "the figures are its last seed's")

    @property
    def mutants(self) -> list[EntryResult]:
        return [e for e in self.entries if e.kind == "mutant"]

    @property
    def variants(self) -> list[EntryResult]:
        return [e for e in self.entries if e.kind == "variant"]

    @property
    def multis(self) -> list[EntryResult]:
        return [e for e in self.entries if e.kind == "multi"]

    @property
    def ok(self) -> bool:
        return all(e.ok for e in self.entries)

    @property
    def exit_code(self) -> int:
        return EXIT_CONFORMS if self.ok else EXIT_FAILURES

    def score_line(self) -> str:
        caught = sum(e.result == "caught" for e in self.mutants)
        passing = sum(e.result == "passed" for e in self.variants)
        line = (f"{caught}/{len(self.mutants)} mutants caught under their own clause alone, "
                f"{passing}/{len(self.variants)} variants pass")
        if self.multis:
            reported = sum(e.result == "reported" for e in self.multis)
            line += f", {reported}/{len(self.multis)} multi-fault mutants fully reported"
        return line

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile, "seed": self.seed, "seeds": self.seeds, "jobs": self.jobs,
            "seconds": self.seconds, "ok": self.ok, "score": self.score_line(),
            "entries": [e.to_json() for e in self.entries],
        }


def entry_seed(base_seed: int, name: str) -> int:
    """A seed for one entry that depends only on the base seed and the entry's name."""
    digest = hashlib.sha256(f"{base_seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def select(entries: Sequence[Entry], names: Sequence[str]) -> list[Entry]:
    """The entries named, in catalogue order; an unknown name is a usage error."""
    import difflib

    known = {e.name for e in entries}
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"--only: no catalogue entry {name!r}{hint}; entries are listed "
                              "in conformance/mutants.py")
    return [e for e in entries if e.name in names]


def run_selftest(entries: Sequence[Entry], profile: str = "ci", jobs: int | None = None,
                 seed: int = DEFAULT_SEED, progress: Progress = lambda _: None,
                 seeds: int = 1) -> SelftestResult:
    """Run the suite against every entry, ``jobs`` at a time (default: one per core), in
    worker processes; with ``seeds`` > 1, each entry with that many seeds (base seeds
    ``seed``, ``seed + 1``, ...), its result the first that is not as expected.

    Workers are spawned, so they import the caller's main module afresh: a script that
    calls this must do so under ``if __name__ == "__main__":``, as multiprocessing requires.
    """
    if jobs is None:
        jobs = os.cpu_count() or 1
    if jobs < 1:
        raise ConfigError(f"--jobs must be at least 1, got {jobs}")
    if seeds < 1:
        raise ConfigError(f"--seeds must be at least 1, got {seeds}")
    clock = time.monotonic()
    done: dict[str, EntryResult] = {}
    ordered = sorted(entries, key=_expected_cost, reverse=True)
    # Spawned, not forked, and one entry per process: a run must not inherit the parent's
    # threads or an earlier run's state, and a worker reused across runs grew past 2 GB.
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=min(jobs, max(len(entries), 1)),
                                                mp_context=context,
                                                max_tasks_per_child=1) as pool:
        futures = {pool.submit(_run_entry, e, profile,
                               [entry_seed(seed + k, e.name) for k in range(seeds)]): e
                   for e in ordered}
        try:
            for future in concurrent.futures.as_completed(futures):
                entry = futures[future]
                try:
                    record = future.result()
                except Exception as exc:  # the worker died: the entry could not be judged
                    record = _record(entry, entry_seed(seed, entry.name), "error", 0.0, 0, [],
                                     f"worker failed: {type(exc).__name__}: {exc}")
                done[entry.name] = record
                progress(f"[{len(done):>{len(str(len(entries)))}}/{len(entries)}] "
                         f"{_progress_text(record)}")
        except KeyboardInterrupt:
            # Leaving the pool waits for running workers, and each runs a whole suite: an
            # interrupted self-test must stop now. A worker's emulator dies with it.
            running = list(pool._processes.values())  # shutdown forgets them
            pool.shutdown(wait=False, cancel_futures=True)
            for process in running:
                process.terminate()
            raise
    return SelftestResult(profile=profile, seed=seed, jobs=jobs,
                          seconds=round(time.monotonic() - clock, 1),
                          entries=[done[e.name] for e in entries], seeds=seeds)


def _expected_cost(entry: Entry) -> tuple[bool, bool, bool, float]:
    """Longest first, so that no worker is left finishing a long run alone at the end.

    Multi-fault mutants run the whole profile and shrink every finding; variants run the
    whole profile while mutants mostly stop early; throttling costs the most, as the SDK
    backs off up to a second per throttled call, then slow settling.
    """
    b = entry.behaviour
    return (isinstance(entry, MultiMutant), not isinstance(entry, Mutant),
            b.throttle_every > 0, b.settle_seconds)


def _run_entry(entry: Entry, profile: str, seeds: list[int]) -> EntryResult:
    """One entry, in a worker process, with each seed until one is not as expected."""
    record = _run_entry_once(entry, profile, seeds[0])
    for seed in seeds[1:]:
        if not _as_expected(record):
            break
        record = _run_entry_once(entry, profile, seed)
    return record


def _as_expected(record: EntryResult) -> bool:
    return record.result in ("caught", "passed", "reported")


def _run_entry_once(entry: Entry, profile: str, seed: int) -> EntryResult:
    """One entry with one seed: start its emulator, run the suite, classify. A variant
    that passes is run again with every reading it showed pinned (``consistency``)."""
    from conformance.runner import run_suite

    target = Target(name=f"selftest-{entry.name}", kind="embedded",
                    settle_timeout=DEFAULT_SETTLE_TIMEOUT["embedded"],
                    behaviour=entry.behaviour)
    mutant = isinstance(entry, Mutant)
    clock = time.monotonic()
    try:
        # A multi-fault mutant is a whole run: every deviation must be found in it.
        result = run_suite(target, profile=profile, seed=seed, shrink=not mutant)
        score = score_multi(entry, result) if isinstance(entry, MultiMutant) else None
        outcome = _classify(result, entry, score)
        detail = _detail(result)
        if isinstance(entry, Variant) and outcome == "passed":
            problem = consistency(target, result, profile, seed)
            if problem:
                outcome, detail = "FAILED", problem
    except Exception as exc:  # a run that could not start says nothing about the suite's power
        return _record(entry, seed, "error", time.monotonic() - clock, 0, [],
                       f"{type(exc).__name__}: {exc}")
    record = _record(entry, seed, outcome, time.monotonic() - clock, result.calls_sent(),
                     list(dict.fromkeys(f.clause for f in result.findings)), detail,
                     next((e.detail for e in result.errors if e.detail), ""), score)
    if score is None:
        return record
    return dataclasses.replace(record, findings=[
        f"[{f.clause}] {_first_line(f.message)}" for f in result.findings])


def observed_readings(result: RunResult) -> tuple[dict[str, str], list[str]]:
    """The one reading of each ambiguity the run observed, and the ambiguities it saw
    more than one reading of ("AMB-X: a + b"), which a fixed target never shows."""
    single: dict[str, str] = {}
    mixed: list[str] = []
    for ambiguity, counts in sorted(result.behaviour_profile.items()):
        seen = sorted(r for r, n in counts.items() if n)
        if len(seen) == 1:
            single[ambiguity] = seen[0]
        elif seen:
            mixed.append(f"{ambiguity}: {' + '.join(seen)}")
    return single, mixed


def consistency(target: Target, first: RunResult, profile: str, seed: int) -> str:
    """One behaviour, one profile (issue 9): the run showed one reading per ambiguity; a
    rerun with all of them pinned conforms too; ``conformance diff`` of the two runs finds
    no change. What went wrong, or ""."""
    from conformance.report.diff import diff_lines, diff_results
    from conformance.runner import run_suite

    pins, mixed = observed_readings(first)
    if mixed:
        return f"mixed readings: {'; '.join(mixed)}"
    pinned = dataclasses.replace(target, readings=MappingProxyType(pins))
    again = run_suite(pinned, profile=profile, seed=seed)
    if again.verdict != "conforms":
        return (f"the rerun with its {len(pins)} observed readings pinned does not conform: "
                f"{_detail(again)}")
    drift = diff_results(first, again)
    if drift.changed:
        return ("conformance diff of the run and its pinned rerun: "
                + "; ".join(diff_lines(drift)[1:]))
    return ""


def _classify(result: RunResult, entry: Entry, score: MultiScore | None = None) -> Outcome:
    if score is not None:
        return "reported" if score.ok else "error" if result.verdict == "error" else "incomplete"
    if result.verdict == "error":
        return "error"
    if isinstance(entry, Mutant):
        if result.verdict != "does-not-conform":
            return "survived"
        failed = {f.clause for f in result.findings}
        if failed == {entry.clause}:
            return "caught"
        return "caught, others too" if entry.clause in failed else "wrong clause"
    return "passed" if result.verdict == "conforms" else "FAILED"


def _detail(result: RunResult) -> str:
    if result.findings:
        return f"[{result.findings[0].clause}] {_first_line(result.findings[0].message)}"
    errors = [e for e in result.errors if e.kind != "cleanup"] or result.errors
    return f"{errors[0].kind}: {_first_line(errors[0].message)}" if errors else ""


def _record(entry: Entry, seed: int, outcome: Outcome, seconds: float, calls: int,
            failed: list[str], detail: str, trace: str = "",
            score: MultiScore | None = None) -> EntryResult:
    if isinstance(entry, MultiMutant):
        if score is not None and not score.ok and outcome != "error":
            detail = score.summary()
        return EntryResult(entry.name, "multi", _multi_subject(entry), entry.description,
                           "report all", outcome, round(seconds, 1), calls, failed, seed,
                           detail, trace, score.deviations if score else [],
                           score.problems if score else [])
    if isinstance(entry, Mutant):
        return EntryResult(entry.name, "mutant", entry.clause, entry.description, "fail",
                           outcome, round(seconds, 1), calls, failed, seed, detail, trace)
    return EntryResult(entry.name, "variant", entry.ambiguity or "", entry.description, "pass",
                       outcome, round(seconds, 1), calls, failed, seed, detail, trace)


def _multi_subject(entry: MultiMutant) -> str:
    missing = "".join(f", no {op}" for op in sorted(entry.missing_operations))
    return f"{len(entry.deviations)} deviations{missing}"


def _first_line(text: str) -> str:
    return text.splitlines()[0] if text else ""


def _failed_text(entry: EntryResult) -> str:
    text = ", ".join(entry.failed_clauses) or "-"
    if entry.expected_clause_failed is False:
        text += f" (not {entry.subject})"
    return text


def _progress_text(entry: EntryResult) -> str:
    if entry.kind == "multi":
        how = f": {entry.multi_summary()}" if entry.result != "error" else f": {entry.detail}"
        return (f"{entry.name}: {entry.result}{how} in {entry.seconds:.1f} s "
                f"({entry.calls} calls)")
    if entry.failed_clauses:
        how = f" under {_failed_text(entry)}"
    elif entry.result in ("error", "FAILED"):
        how = f": {entry.detail}"
    else:
        how = ""
    return f"{entry.name}: {entry.result}{how} in {entry.seconds:.1f} s ({entry.calls} calls)"


# --------------------------------------------------------------------------- reports

_COLUMNS = ("name", "clause", "expected", "result", "seconds", "calls", "failed clauses")


def _rows(result: SelftestResult) -> list[tuple[str, ...]]:
    return [(e.name, e.subject or "-", e.expected, e.result, f"{e.seconds:.1f}", str(e.calls),
             e.multi_summary() if e.kind == "multi" else _failed_text(e))
            for e in result.entries]


def multi_rows(entry: EntryResult) -> list[tuple[str, str, str]]:
    """A multi-fault mutant's score, one row per deviation, then one per clause it keeps
    right that failed, then the clauses not judged (grouped by state and reason):
    (deviation or what, clause, what the run did)."""
    rows = []
    for d in entry.deviations:
        if d.result == "caught":
            text = "caught"
        elif d.result == "duplicate":
            text = f"caught, but {d.findings} findings (duplicates)"
        else:
            text = f"missed ({d.detail})" if d.detail else "missed"
        rows.append((d.deviation, d.clause, text))
    for p in entry.problems:
        if p.kind == "knock-on":
            found = f"{p.findings} finding{'s' if p.findings != 1 else ''}"
            rows.append(("(none seeded)", p.clause, f"wrongly reported as {p.clause}, "
                         f"{found}{': ' + p.detail if p.detail else ''}"))
    unjudged: dict[str, list[str]] = {}
    for p in entry.problems:
        if p.kind == "not-judged":
            unjudged.setdefault(f"{p.status}{': ' + p.detail if p.detail else ''}",
                                []).append(p.clause)
    for why, clauses in unjudged.items():
        rows.append(("(not judged)", ", ".join(clauses), why))
    return rows


def table_lines(result: SelftestResult) -> list[str]:
    """The plain-text table and score, for a terminal."""
    rows = [_COLUMNS, *_rows(result)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    numeric = {_COLUMNS.index("seconds"), _COLUMNS.index("calls")}

    def line(row: tuple[str, ...]) -> str:
        cells = [cell.rjust(w) if i in numeric else cell.ljust(w)
                 for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        return "  ".join(cells).rstrip()

    lines = [line(rows[0]), "  ".join("-" * w for w in widths)]
    lines += [line(row) for row in rows[1:]]
    for entry in result.multis:
        lines += ["", f"{entry.name}: {entry.result} ({entry.subject})"]
        details = multi_rows(entry)
        first = max((len(r[0]) for r in details), default=0)
        second = max((len(r[1]) for r in details if r[0] != "(not judged)"), default=0)
        lines += [f"  {what:{first}}  {clause:{second}}  {text}".rstrip()
                  for what, clause, text in details]
    lines += ["", *_problem_lines(result), _summary(result)]
    return lines


def _problem_lines(result: SelftestResult) -> list[str]:
    return [f"{e.result}: {e.name}: {e.detail or 'the run found nothing'}"
            for e in result.entries if not e.ok]


def _summary(result: SelftestResult) -> str:
    minutes, seconds = divmod(round(result.seconds), 60)
    return (f"{result.score_line()} (profile {result.profile}, {result.seeds_text()}, "
            f"{result.jobs} jobs, {minutes} min {seconds:02d} s)")


def markdown(result: SelftestResult) -> str:
    """The Markdown table and score: the self-test report, and the README section."""
    header = ("entry", "clause / ambiguity", "expected", "result", "seconds", "API calls",
              "failed clauses", "what it does")
    lines = [f"**{result.score_line()}** (profile `{result.profile}`, {result.seeds_text()}, "
             f"{result.jobs} jobs, {round(result.seconds)} s in all)", "",
             "| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if h in ("seconds", "API calls") else "---"
                            for h in header) + "|"]
    for e, row in zip(result.entries, _rows(result), strict=True):
        name, subject, expected, outcome, seconds, calls, failed = row
        shown = outcome if e.ok else f"**{outcome}**"
        cells = (f"`{name}`", subject, expected, shown, seconds, calls, failed,
                 e.description.replace("|", "\\|"))
        lines.append("| " + " | ".join(cells) + " |")
    if result.multis:
        lines += ["", "Multi-fault mutants, deviation by deviation: each must be caught once "
                  "under its own clause in one run, no other clause may fail, and every "
                  "clause the target's operations allow must be judged.", "",
                  "| multi-fault mutant / deviation | clause | result |", "|---|---|---|"]
        for e in result.multis:
            shown = e.result if e.ok else f"**{e.result}**"
            lines.append(f"| `{e.name}` | {e.subject} | {shown}: {e.multi_summary()} |")
            lines += [f"| ↳ {_md(what if what.startswith('(') else f'`{what}`')} | "
                      f"{_md(clause)} | {_md(text)} |"
                      for what, clause, text in multi_rows(e)]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_reports(result: SelftestResult, directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"json": directory / "selftest.json", "markdown": directory / "selftest.md"}
    paths["json"].write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
    paths["markdown"].write_text("# Self-test\n\n" + markdown(result), encoding="utf-8")
    return paths


def update_readme(path: Path, section: str) -> None:
    """Replace what lies between the self-test markers in ``path`` with ``section``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--readme: cannot read {path}: {exc.strerror}") from None
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ConfigError(f"--readme: {path} has no {README_START} ... {README_END} section; "
                          "add the two markers where the table belongs")
    head = text[:start + len(README_START)]
    path.write_text(f"{head}\n{section.rstrip()}\n{text[end:]}", encoding="utf-8")
