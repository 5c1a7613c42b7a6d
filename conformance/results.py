"""The one record a run produces. The CLI, the pytest plugin and every report writer read it.

Plain frozen dataclasses with ``to_json``/``from_json`` so a report written
last week can be loaded and compared with today's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

# DESIGN.md section 7. "blocked": the set-up deviated under another clause (the reason
# names it); "partly-checked": some cases held, others were never reached; "not-checked":
# no case could run (the reason says why). A known deviation (expected_failures) that
# failed is "expected-failure", one that held is "unexpected-pass".
ClauseStatus = Literal["passed", "failed", "blocked", "partly-checked", "not-checked",
                       "expected-failure", "unexpected-pass"]
STATUSES: tuple[ClauseStatus, ...] = ("passed", "failed", "blocked", "partly-checked",
                                      "not-checked", "expected-failure", "unexpected-pass")
# The statuses of a clause that was not (wholly) judged.
UNJUDGED: frozenset[str] = frozenset({"blocked", "partly-checked", "not-checked"})
# "incomplete": nothing failed, but some clause was not wholly judged (DESIGN.md section 7).
Verdict = Literal["conforms", "does-not-conform", "incomplete", "error"]


@dataclass(frozen=True)
class FindingRecord:
    """One departure from the spec, minimised by Hypothesis."""

    clause: str
    message: str
    # Hypothesis' minimal sequence of rules, as Python it prints.
    steps: str
    # The API calls of that sequence, normalised (ids replaced by stable names).
    calls: list[dict[str, Any]]
    # A self-contained boto3 script that replays the calls.
    reproducer: str
    seed: int
    replay_command: str
    # The directed case that found it, or "explored" for the state machine.
    case: str = "explored"
    # The message with run-specific ids replaced: with clause and case, the finding's
    # identity, the same in two runs of one target (``conformance diff`` matches on it).
    identity: str = ""
    # The exploration batch that found it (None: a directed check): a merged run keeps
    # the first explored finding of a clause in batch order, as one process would.
    batch: int | None = None


# What became of one known deviation (an expected_failures entry) in a run.
KnownOutcome = Literal["expected-failure", "unexpected-pass", "unjudged"]


@dataclass(frozen=True)
class KnownResult:
    entry: str  # "CLAUSE" or "CLAUSE: case", as the targets file names it
    outcome: KnownOutcome
    reason: str = ""
    link: str = ""
    note: str = ""  # for "unjudged": the state of what it names, e.g. "not reached"


@dataclass(frozen=True)
class ClauseResult:
    clause: str
    text: str
    status: ClauseStatus
    checks: int  # how many times a check of this clause held or failed
    reason: str = ""  # why not checked, or why a failure was expected
    # case -> "passed", "failed", "blocked by X", "not checked: why", "not reached"
    cases: dict[str, str] = field(default_factory=dict)
    # The target's known deviations of this clause, each with what became of it.
    known: list[KnownResult] = field(default_factory=list)


# Entries of RunResult.calls that count the client's retries, not calls of the suite.
CALL_COUNTERS = frozenset({"retries", "throttled", "uncertain"})

# Kinds of SuiteErrorRecord that tell, but did not stop the run from judging what it judged.
NOTICE_KINDS = frozenset({"cleanup", "skipped", "restarted"})


@dataclass(frozen=True)
class SuiteErrorRecord:
    """An error of the suite or of the transport: says nothing about conformance."""

    # "transport", "budget", "suite", "interrupted", "cleanup", "skipped" (a phase left out),
    # "restarted" (exploration began again after a request of unknown outcome)
    kind: str
    message: str
    detail: str = ""  # a traceback, for an internal error of the suite


INTERRUPTED_ERROR = SuiteErrorRecord("interrupted", "the run was interrupted; the report "
                                     "holds what it learned until then")


@dataclass(frozen=True)
class RunResult:
    run_id: str
    target: dict[str, Any]  # name, kind, endpoint_url (never credentials)
    profile: str
    strictness: str
    seed: int
    started: str  # ISO 8601, UTC
    duration_seconds: float
    verdict: Verdict
    clauses: list[ClauseResult]
    findings: list[FindingRecord]
    errors: list[SuiteErrorRecord]
    # ambiguity id -> reading -> how often the target showed it
    behaviour_profile: dict[str, dict[str, int]]
    # hard state (e.g. "user-at-100") -> how often a run reached it
    hard_states: dict[str, int]
    calls: dict[str, int]  # operation -> calls sent, plus "retries" and "throttled"
    examples: int  # Hypothesis test cases run
    versions: dict[str, str] = field(default_factory=dict)  # suite, botocore, hypothesis, model
    # clause -> failures of a clause already reported, met again elsewhere (not findings)
    knock_ons: dict[str, int] = field(default_factory=dict)
    # operation -> how the target said it does not implement it
    missing_operations: dict[str, str] = field(default_factory=dict)
    # The botocore model of the eight operations, without documentation
    # (conformance.model_drift): what ``conformance diff`` compares when the hash changed.
    service_model: dict[str, Any] = field(default_factory=dict)
    # A shard's record (``conformance run --shard I/N``): "index", "count", the exploration
    # "batches" it ran and the target's "expected_failures", what ``conformance merge``
    # needs to join the shards. Empty for a whole run.
    shard: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunResult:
        data = dict(data)
        data["clauses"] = [ClauseResult(**{**c, "known": [KnownResult(**k)
                                                         for k in c.get("known", [])]})
                           for c in data["clauses"]]
        data["findings"] = [FindingRecord(**f) for f in data["findings"]]
        data["errors"] = [SuiteErrorRecord(**e) for e in data["errors"]]
        return cls(**data)

    def target_label(self) -> str:
        """The target as reports name it: "name (kind), endpoint"."""
        t = self.target
        label = str(t.get("name") or t.get("endpoint_url") or "?")
        if t.get("kind"):
            label += f" ({t['kind']})"
        if t.get("endpoint_url") and t.get("name"):
            label += f", {t['endpoint_url']}"
        return label

    def calls_sent(self) -> int:
        """API calls the suite made; the client's retries and throttled answers are apart."""
        return sum(n for op, n in self.calls.items() if op not in CALL_COUNTERS)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = dict.fromkeys(STATUSES, 0)
        for c in self.clauses:
            out[c.status] += 1
        return out
