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
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from conformance.errors import EXIT_CONFORMS, EXIT_FAILURES, ConfigError
from conformance.mutants import (
    Entry,
    MultiMutant,
    Mutant,
    Variant,
)
from conformance.results import RunResult
from conformance.selftest.multi import (
    ClauseProblem,
    DeviationResult,
    MultiScore,
    first_line,
    score_multi,
)
from conformance.targets import DEFAULT_SETTLE_TIMEOUT, Target

Expected = Literal["fail", "pass", "report all"]
# "reported" and "incomplete" are a multi-fault mutant's: every deviation reported as it
# should be, or not.
# A mutant is "caught" when its own clause fails and no other does; "caught, others too"
# when other clauses fail as well (a knock-on reported as a finding, or a wrong cause);
# "wrong clause" when only other clauses fail.
Outcome = Literal["caught", "caught, others too", "wrong clause", "survived", "passed",
                  "FAILED", "reported", "incomplete", "error"]
Progress = Callable[[str], None]

DEFAULT_SEED = 0
DEFAULT_REPORT_DIR = Path("reports") / "selftest"
README_START = "<!-- selftest:start -->"
README_END = "<!-- selftest:end -->"
# Counters in RunResult.calls that are not requests the suite chose to send.


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
        f"[{f.clause}] {first_line(f.message)}" for f in result.findings])


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
        return f"[{result.findings[0].clause}] {first_line(result.findings[0].message)}"
    errors = [e for e in result.errors if e.kind != "cleanup"] or result.errors
    return f"{errors[0].kind}: {first_line(errors[0].message)}" if errors else ""


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


def failed_text(entry: EntryResult) -> str:
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
        how = f" under {failed_text(entry)}"
    elif entry.result in ("error", "FAILED"):
        how = f": {entry.detail}"
    else:
        how = ""
    return f"{entry.name}: {entry.result}{how} in {entry.seconds:.1f} s ({entry.calls} calls)"
