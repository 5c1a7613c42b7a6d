"""Where a directed check runs: the set-up providers of the runner.

``Fresh`` gives each check a collection of its own (every profile but ``live``).
``Shared`` (the ``live`` profile, made for a billed, throttled service) lets the
checks share one collection, its users and its faces, so that about a hundred
faces indexed once serve every cap case and the other checks index next to
nothing. Isolation is kept where it matters: a check that did not pass leaves
the collection behind (it is deleted), and the next check starts on a new one,
so a deviation in one clause's check never spoils another's state. A set-up
that leans on a clause known to deviate is "blocked by" it, as with ``Fresh``.
"""

from __future__ import annotations

from typing import Protocol

from conformance.harness import Harness, RunContext


class Rooms(Protocol):
    def open(self) -> Harness: ...

    def done(self, harness: Harness, *, passed: bool) -> None: ...

    def close(self) -> None: ...


class Fresh:
    """A collection of its own for every check (and every retry of one)."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx

    def open(self) -> Harness:
        return Harness(self.ctx)

    def done(self, harness: Harness, *, passed: bool) -> None:
        harness.close()

    def close(self) -> None:
        pass


class Shared:
    """One collection for the checks in turn, until one of them does not pass."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.room: Harness | None = None

    def open(self) -> Harness:
        if self.room is None or self.room.closed:
            self.room = Harness(self.ctx)
        else:
            # The calls since the room was made are the check's history: a finding's
            # reproducer replays them all, so they stay in the log.
            self.ctx.ledger.call_log = self.room.call_log
        self.room.begin_check()
        return self.room

    def done(self, harness: Harness, *, passed: bool) -> None:
        # A check that failed, was blocked or stopped leaves a state the model may not
        # hold: the next check gets a new collection rather than inherit it.
        if not passed or harness.failed or self.ctx.ledger.state_in_doubt:
            harness.close()
            self.room = None

    def close(self) -> None:
        if self.room is not None:
            self.room.close()
            self.room = None
