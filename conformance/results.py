"""The one record a run produces. The CLI, the pytest plugin and every report writer read it.

Plain frozen dataclasses with ``to_json``/``from_json`` so a report written
last week can be loaded and compared with today's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

ClauseStatus = Literal["passed", "failed", "not-checked", "expected-failure", "unexpected-pass"]
Verdict = Literal["conforms", "does-not-conform", "error"]


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


@dataclass(frozen=True)
class ClauseResult:
    clause: str
    text: str
    status: ClauseStatus
    checks: int  # how many times a check of this clause held or failed
    reason: str = ""  # why not checked, or why a failure was expected


@dataclass(frozen=True)
class SuiteErrorRecord:
    """An error of the suite or of the transport: says nothing about conformance."""

    kind: str  # "transport", "budget", "suite", "interrupted", "cleanup"
    message: str
    detail: str = ""  # a traceback, for an internal error of the suite


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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunResult:
        data = dict(data)
        data["clauses"] = [ClauseResult(**c) for c in data["clauses"]]
        data["findings"] = [FindingRecord(**f) for f in data["findings"]]
        data["errors"] = [SuiteErrorRecord(**e) for e in data["errors"]]
        return cls(**data)

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in ("passed", "failed", "not-checked", "expected-failure",
                              "unexpected-pass")}
        for c in self.clauses:
            out[c.status] += 1
        return out
