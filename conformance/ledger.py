"""What a run has learned so far: checks per clause, readings observed, hard states reached.

The ledger outlives the Hypothesis test cases of a run (one per run), so its
counts add up across examples. It is the only place a check is counted, and
the only place a reading of an ambiguity is judged against the target's pins.

It also decides what a failed check does. A clause that has no finding yet
raises its ``Failure``. A clause that already has one is a *known deviation*:
its later failures are knock-ons, counted but not raised, so one deviation is
reported once and the checks of the other clauses go on (DESIGN.md section 7).
A knock-on may leave the target's state apart from the model's, so it is also
flagged for the harness, which then re-reads the state before its next call.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.clauses import AMBIGUITIES, CLAUSES, A, C
from conformance.errors import fail


def _no_calls() -> list[dict[str, Any]]:
    return []


@dataclass
class Ledger:
    # ambiguity id -> the only reading the target may show (the target's pins)
    pinned: Mapping[str, str] = field(default_factory=dict)
    # "aws": a reading AWS's own published examples contradict (Ambiguity.differs_from_aws)
    # fails its clause, where the target pins no reading of its own.
    strictness: str = "spec"
    checks: Counter[str] = field(default_factory=Counter)
    readings: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    hard_states: Counter[str] = field(default_factory=Counter)
    # The calls of the test case under way: the harness sets it, a failure carries them
    # to its report and reproducer.
    call_log: Callable[[], list[dict[str, Any]]] = field(default=_no_calls, repr=False)
    failures_raised: int = 0
    # Clauses with a finding: their later failures are knock-ons (see the module docstring).
    known: set[str] = field(default_factory=set)
    knock_ons: Counter[str] = field(default_factory=Counter)
    # A knock-on happened since the harness last re-read the target's state.
    state_in_doubt: bool = False
    # The clause and case a directed check is judging, and the checks each case saw.
    case: tuple[str, str] | None = None
    case_checks: Counter[tuple[str, str]] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def check(self, clause: C, ok: bool, message: str,
              explained_by: frozenset[str] = frozenset(), *, doubts_state: bool = True
              ) -> None:
        """Count one check of ``clause``; raise its Failure when ``ok`` is false, unless the
        clause is a known deviation (a knock-on: counted, flagged, not raised).

        ``explained_by``: known deviations that changed the state this check reads behind
        the model's back (a user's status or face count, say): a failure here is theirs.
        ``doubts_state``: False when a failure here says nothing of what the target holds,
        so a knock-on need not have the state read back.
        """
        assert clause in CLAUSES, clause
        with self._lock:
            self.checks[clause] += 1
            if self.case is not None and self.case[0] == clause:
                self.case_checks[self.case] += 1
        if ok:
            return
        if clause in self.known and (self.case is None or self.case[0] != clause):
            self.knock_on(clause, doubts_state=doubts_state)
            return
        if explained_by - {clause}:
            self.knock_on(min(explained_by - {clause}))
            return
        self.failures_raised += 1
        failure = fail(clause, message)
        failure.calls = self.call_log()
        raise failure

    def knock_on(self, clause: str, *, doubts_state: bool = True) -> None:
        """An answer that a known deviation of ``clause`` explains: counted, not judged."""
        with self._lock:
            self.knock_ons[clause] += 1
        self.state_in_doubt = self.state_in_doubt or doubts_state

    def found(self, clause: str) -> None:
        """``clause`` has a finding: from now on its failures elsewhere are knock-ons."""
        self.known.add(clause)

    def observe(self, ambiguity: A, reading: str, context: str) -> None:
        """Record the reading the target showed; fail its clause if it departs from a pin."""
        amb = AMBIGUITIES[ambiguity]
        if reading not in amb.readings:
            return  # a value no reading allows: the check before this one has judged it
        with self._lock:
            self.readings[ambiguity][reading] += 1
        expected = self.pinned.get(ambiguity)
        if expected is not None:
            self.check(amb.clause, expected in (reading, amb.shown_by.get(reading)),
                       f"{ambiguity} ({amb.question}) is pinned to {expected!r} but the target "
                       f"showed {reading!r}: {context}")
        elif self.strictness == "aws" and reading in amb.differs_from_aws:
            self.check(amb.clause, False,
                       f"{ambiguity} ({amb.question}): the target showed {reading!r}, which "
                       f"differs from AWS (strictness aws): {amb.differs_from_aws[reading]}: "
                       f"{context}")

    def allowed(self, ambiguity: A) -> tuple[str, ...]:
        """The readings the target may show for ``ambiguity`` under its strictness and pins."""
        pinned = self.pinned.get(ambiguity)
        if pinned:
            return (pinned,)
        amb = AMBIGUITIES[ambiguity]
        return amb.aws_readings if self.strictness == "aws" else amb.readings

    def reached(self, state: str) -> None:
        with self._lock:
            self.hard_states[state] += 1
