"""What a run has learned so far: checks per clause, readings observed, hard states reached.

The ledger outlives the Hypothesis test cases of a run (one per run), so its
counts add up across examples. It is the only place a check is counted, and
the only place a reading of an ambiguity is judged against the target's pins.
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
    # ambiguity id -> the only reading the target may show (from strictness and pins)
    pinned: Mapping[str, str] = field(default_factory=dict)
    checks: Counter[str] = field(default_factory=Counter)
    readings: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    hard_states: Counter[str] = field(default_factory=Counter)
    # The calls of the test case under way: the harness sets it, a failure carries them
    # to its report and reproducer.
    call_log: Callable[[], list[dict[str, Any]]] = field(default=_no_calls, repr=False)
    failures_raised: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def check(self, clause: C, ok: bool, message: str) -> None:
        """Count one check of ``clause``; raise its Failure when ``ok`` is false."""
        assert clause in CLAUSES, clause
        with self._lock:
            self.checks[clause] += 1
        if not ok:
            self.failures_raised += 1
            failure = fail(clause, message)
            failure.calls = self.call_log()
            raise failure

    def observe(self, ambiguity: A, reading: str, context: str) -> None:
        """Record the reading the target showed; fail its clause if it departs from a pin."""
        amb = AMBIGUITIES[ambiguity]
        assert reading in amb.readings, (ambiguity, reading)
        with self._lock:
            self.readings[ambiguity][reading] += 1
        expected = self.pinned.get(ambiguity)
        if expected is not None:
            self.check(amb.clause, reading == expected,
                       f"{ambiguity} ({amb.question}) is pinned to {expected!r} but the target "
                       f"showed {reading!r}: {context}")

    def allowed(self, ambiguity: A) -> tuple[str, ...]:
        """The readings the target may show for ``ambiguity`` under its strictness and pins."""
        pinned = self.pinned.get(ambiguity)
        return (pinned,) if pinned else AMBIGUITIES[ambiguity].readings

    def reached(self, state: str) -> None:
        with self._lock:
            self.hard_states[state] += 1
