"""Findings against the target, kept apart from errors of the suite and of the transport.

``Failure`` is what a check raises when the target departs from a clause: it is
an ``AssertionError`` so Hypothesis shrinks it. Everything else here is a
``SuiteError``: the run could not say anything about the target (bad
configuration, unreachable endpoint, budget exhausted). The CLI maps each to
an exit code and prints one line, never a traceback.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from conformance.clauses import CLAUSES

EXIT_CONFORMS = 0
EXIT_FAILURES = 1
EXIT_USAGE = 2
EXIT_TARGET = 3  # the target could not be (wholly) judged
EXIT_TRANSPORT = 4  # no finding, but the transport failed (timeouts, resets, not JSON)
EXIT_STALE_DEVIATION = 5  # no finding, but a known deviation no longer shows
EXIT_INTERRUPTED = 130

# Set by the CLI's signal handler (SIGINT, SIGTERM). The KeyboardInterrupt it raises can be
# lost where Python cannot pass it on (a gc callback of Hypothesis's prints it and goes
# on): the driver raises it again at each call, so a run stops at its next call.
INTERRUPTED = threading.Event()


class Failure(AssertionError):
    """The target departed from ``clause``.

    Each clause gets its own subclass (see ``failure_class``) so that Hypothesis,
    which tells bugs apart by exception type and raising line, reports a failure
    of each clause separately instead of shrinking them all into one.
    """

    clause: ClassVar[str] = ""

    def __init__(self, message: str, *, calls: list[dict[str, Any]] | None = None) -> None:
        super().__init__(f"[{self.clause}] {message}")
        self.message = message
        # The API calls of the test case that raised it, filled in by the machine.
        self.calls: list[dict[str, Any]] = calls or []


_failure_classes: dict[str, type[Failure]] = {}


def failure_class(clause: str) -> type[Failure]:
    if clause not in CLAUSES:
        raise KeyError(f"unknown clause id {clause!r}: add it to conformance/clauses.py")
    if clause not in _failure_classes:
        name = "Failure_" + clause.replace("-", "_")
        _failure_classes[clause] = type(name, (Failure,), {"clause": clause})
    return _failure_classes[clause]


def fail(clause: str, message: str) -> Failure:
    """Build the failure for ``clause``; the caller raises it."""
    return failure_class(clause)(message)


class SuiteError(Exception):
    """The run could not judge the target. ``exit_code`` says why."""

    exit_code: ClassVar[int] = EXIT_USAGE


class ConfigError(SuiteError):
    """A usage or configuration mistake of the user's: exit 2."""


class TargetUnreachable(SuiteError):
    exit_code = EXIT_TARGET


class TargetUnsupported(SuiteError):
    """The target answers but does not implement an operation the suite needs."""

    exit_code = EXIT_TARGET


class TransportError(SuiteError):
    """Throttling or faults beyond what retries absorb, or a response that is not AWS JSON."""

    exit_code = EXIT_TARGET


class UnfitPhoto(SuiteError):
    """A photo of the target's faces_dir shows no face or several: the user must replace it."""

    exit_code = EXIT_TARGET


class BudgetExhausted(SuiteError):
    """The target's call budget ran out; what was learned so far is still reported."""

    exit_code = EXIT_TARGET


class SafetyViolation(SuiteError):
    """The suite was about to touch a resource it did not create. A bug of the suite."""

    exit_code = EXIT_USAGE
