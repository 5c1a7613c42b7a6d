"""Where a directed check runs: the set-up providers of the runner.

``Fresh`` gives each check a collection of its own (every profile but ``live``).
``Shared`` (the ``live`` profile, made for a billed, throttled service) lets the
checks share one collection, its users and its faces, so that about a hundred
faces indexed once serve every cap case and the other checks index next to
nothing. Isolation is kept where it matters: after a check that did not pass,
the target's users and faces are read back and become the model, so the next
check is judged on what the target holds, never on what the failed check
expected. A set-up that leans on a clause known to deviate (its state read back
differs) is "blocked by" it, as with ``Fresh``.
"""

from __future__ import annotations

from typing import Protocol

from conformance.harness import Harness, RunContext


class Rooms(Protocol):
    def open(self) -> Harness: ...

    def done(self, harness: Harness, *, passed: bool, stopping: bool = False) -> None: ...

    def close(self) -> None: ...


class Fresh:
    """A collection of its own for every check (and every retry of one)."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx

    def open(self) -> Harness:
        return Harness(self.ctx)

    def done(self, harness: Harness, *, passed: bool, stopping: bool = False) -> None:
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

    def done(self, harness: Harness, *, passed: bool, stopping: bool = False) -> None:
        if stopping or (passed and not harness.failed and not self.ctx.ledger.state_in_doubt):
            return  # stopping: the run ends, and ``close`` deletes the collection
        # A check that failed, was blocked or stopped may have left the target apart from
        # the model. The next check goes on from the state read back (the faces indexed so
        # far stay: on AWS, a hundred of them are worth keeping), so it is judged on what
        # the target holds, not on what the failed check expected.
        harness.adopt_target_state()
        harness.rebase()

    def close(self) -> None:
        if self.room is not None:
            self.room.close()
            self.room = None
