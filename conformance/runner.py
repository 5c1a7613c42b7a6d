"""One run of the suite against one target, from start-up to the ``RunResult``.

The CLI and the pytest plugin both call ``run_suite``; neither knows how a run
is put together. A run always cleans up what it created and always returns
what it learned, also when it is interrupted or the target goes away.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import secrets
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import botocore
import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis.internal.conjecture import engine
from hypothesis.reporting import with_reporter
from hypothesis.stateful import run_state_machine_as_test

from conformance import capabilities, reproducer, verdicts
from conformance.clauses import CLAUSES
from conformance.directed import DIRECTED, DirectedCheck, cases_of
from conformance.driver import Driver, OperationMissing, RunAborted
from conformance.errors import (
    Failure,
    SafetyViolation,
    SuiteError,
    TargetUnreachable,
    TargetUnsupported,
)
from conformance.harness import RunContext, rooms
from conformance.harness.observe import SetupDeviated
from conformance.kinds import connect
from conformance.ledger import Ledger
from conformance.machine import machine_for
from conformance.results import (
    NOTICE_KINDS,
    FindingRecord,
    RunResult,
    SuiteErrorRecord,
)
from conformance.targets import Clients, Target


@dataclass(frozen=True)
class Profile:
    name: str
    examples: int  # Hypothesis test cases, each a fresh collection
    steps: int  # rules per test case at most
    description: str
    # Shrinking a new finding stops after this long: a failing run ends within a small
    # multiple of a passing one, and the finding keeps the shortest sequence found by then.
    shrink_seconds: int = 30
    # Every clause judged with the fewest calls, for a billed service: the directed checks
    # share collections and faces (``harness.rooms.Shared``) and fewer pairs of persons.
    frugal: bool = False


PROFILES = {p.name: p for p in (
    Profile("dev", 12, 20, "quick look while developing", shrink_seconds=20),
    Profile("ci", 60, 40, "the CI gate: thorough but bounded", shrink_seconds=60),
    Profile("nightly", 300, 60, "long exploration for scheduled runs", shrink_seconds=300),
    Profile("live", 0, 0, "live AWS: every clause judged in at most 400 calls, no exploration",
            shrink_seconds=0, frugal=True),
)}

Progress = Callable[[str], None]


def run_suite(target: Target, *, profile: str = "dev", seed: int | None = None,
              progress: Progress = lambda _: None, first_failure_only: bool = False,
              targets_file: Path | None = None) -> RunResult:
    """Run the suite against ``target``: every directed check, then exploration.

    ``first_failure_only`` stops at the first failure without shrinking it: the
    self-test uses it to learn quickly whether, and after how many calls, a mutant
    is caught. Reports from such a run have unshrunk call sequences.
    ``targets_file`` is named in the replay commands of the findings.
    """
    chosen = PROFILES[profile]
    seed = seed if seed is not None else random.randrange(2**32)
    started = dt.datetime.now(dt.UTC)
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{target.name}-{seed}"
    clock = time.monotonic()
    ledger = Ledger(pinned=target.pinned_readings)
    phases: _Phases | None = None
    errors: list[SuiteErrorRecord] = []
    driver: Driver | None = None
    answered = False  # before the target has answered once, an error ends the run with no report
    with connect(target) as connection:
        try:
            clients = connection.clients
            driver = Driver(clients.checked, clients.raw,
                            resource_prefix=f"cfs-{secrets.token_hex(3)}-",
                            call_budget=target.call_budget, max_rps=target.max_rps)
            ctx = RunContext(driver, ledger, connection.images, target.settle_timeout,
                             driver.resource_prefix, seed=seed,
                             replay=_replay_command(target, targets_file, chosen, seed),
                             frugal=chosen.frugal)
            _preflight(driver)
            answered = True
            then = (f"then {chosen.examples} test cases" if chosen.examples else
                    "sharing collections and faces, no exploration")
            progress(f"target {target.name} answers; running profile {chosen.name} "
                     f"({len(DIRECTED)} directed checks, {then}), seed {seed}")
            phases = _Phases(ctx, target, connection.endpoint_url, progress, first_failure_only)
            phases.directed(rooms.Shared(ctx) if chosen.frugal else rooms.Fresh(ctx))
            if not (phases.findings and first_failure_only) and chosen.examples:
                phases.explore(chosen, seed)
        except RunAborted as aborted:
            if not answered:
                raise _explained(aborted.error, connection.clients, driver) from None
            errors.append(SuiteErrorRecord(_error_kind(aborted), str(aborted.error)))
        except KeyboardInterrupt:
            errors.append(SuiteErrorRecord("interrupted", "the run was interrupted; the "
                                           "report holds what it learned until then"))
        except Exception as exc:  # a bug of the suite: reported as such, never as a finding
            if not answered:
                raise
            errors.append(_suite_error(exc))
        finally:
            if driver is not None:
                errors += [SuiteErrorRecord("cleanup", e)
                           for e in driver.cleanup_errors + driver.cleanup()]
    findings = verdicts.unique(phases.findings if phases else [])
    errors += phases.errors if phases else []
    stopped = next((e.message for e in errors if e.kind not in NOTICE_KINDS), "")
    clauses = verdicts.clause_results(
        {c: cases_of(c) for c in CLAUSES}, phases.case_outcomes if phases else {}, findings,
        ledger.checks, target.expected_failures, stopped)
    return RunResult(
        run_id=run_id,
        target={k: v for k, v in (("name", target.name), ("kind", target.kind),
                                  ("endpoint_url", target.endpoint_url)) if v is not None},
        profile=chosen.name, strictness=target.strictness, seed=seed,
        started=started.isoformat(timespec="seconds"),
        duration_seconds=round(time.monotonic() - clock, 2),
        verdict=verdicts.verdict(clauses, errors, target.expected_failures), clauses=clauses,
        findings=findings, errors=errors,
        behaviour_profile={a: dict(r) for a, r in sorted(ledger.readings.items())},
        hard_states=dict(sorted(ledger.hard_states.items())),
        calls=dict(sorted(driver.calls.items())) if driver else {},
        examples=phases.examples if phases else 0, versions=_versions(),
        knock_ons=dict(sorted(ledger.knock_ons.items())),
        missing_operations=dict(sorted(driver.missing.items())) if driver else {})


def _explained(error: SuiteError, clients: Clients, driver: Driver | None) -> SuiteError:
    """The target answered, but could not hold a collection of ours: probe each operation
    once, so the user learns which are missing, on one screen (a mock server that has none
    of them, say), instead of the first refusal alone."""
    if driver is None or isinstance(error, TargetUnreachable | SafetyViolation):
        return error
    found = capabilities.probe(clients, driver.resource_prefix)
    if not capabilities.missing(found):
        return error
    return TargetUnsupported(capabilities.missing_operations_screen(found))


def _preflight(driver: Driver) -> None:
    """Reachable, speaks the protocol, creates and deletes a collection of ours."""
    name = f"{driver.resource_prefix}preflight"
    driver.create_collection(name)
    error = driver.delete_collection(name)
    if error:
        driver.cleanup_errors.append(error)


# How often a directed check is started again after a deviation under another clause
# stopped it (that deviation is then a finding of its own, and known from then on).
_RETRIES = 3
_STOPPED = "stopped"


class _Phases:
    """The two phases of a run over one context, and what they found."""

    def __init__(self, ctx: RunContext, target: Target, endpoint_url: str | None,
                 progress: Progress, first_failure_only: bool) -> None:
        self.ctx = ctx
        self.target = target
        self.endpoint_url = endpoint_url
        self.progress = progress
        self.first_failure_only = first_failure_only
        self.findings: list[FindingRecord] = []
        self.errors: list[SuiteErrorRecord] = []
        self.case_outcomes: dict[tuple[str, str], str] = {}
        self.examples = 0

    def record(self, failure: Failure, case: str) -> None:
        self.findings.append(_finding(failure, self.ctx, self.target, self.endpoint_url, case))
        self.ctx.ledger.found(failure.clause)

    # --- directed checks -----------------------------------------------------------------

    def directed(self, where: rooms.Rooms) -> None:
        try:
            for n, check in enumerate(DIRECTED, 1):
                if n % 10 == 0:
                    self.progress(f"directed checks: {n} of {len(DIRECTED)}, "
                                  f"{self.ctx.driver.calls_made()} calls so far")
                self.case_outcomes[(check.clause, check.case)] = self.run_directed(check, where)
                if self.findings and self.first_failure_only:
                    return
        finally:
            where.close()

    def run_directed(self, check: DirectedCheck, where: rooms.Rooms) -> str:
        """One directed check, on the collection ``where`` gives: its outcome for the clause."""
        ledger = self.ctx.ledger
        for _ in range(_RETRIES):
            harness = where.open()
            outcome = ""
            ledger.case = (check.clause, check.case)
            knock_ons = sum(ledger.knock_ons.values())
            try:
                check.run(harness)
                if not ledger.case_checks[(check.clause, check.case)]:
                    return "not checked: the check never reached the clause"
                outcome = verdicts.PASSED
                return outcome
            except Failure as failure:
                if failure.clause == check.clause:
                    self.record(failure, check.case)
                    return verdicts.FAILED
                # Another clause's deviation: its own finding. Known from now on, it no
                # longer stops this check, which starts again from a fresh set-up.
                self.record(failure, f"{verdicts.MET_ELSEWHERE}{check.name}")
                if self.first_failure_only:
                    return f"blocked by {failure.clause}"
                blocker = failure.clause
            except SetupDeviated as deviated:
                return f"blocked by {', '.join(deviated.clauses)}"
            except OperationMissing as missing:
                return f"not checked: {missing.operation} not implemented"
            except Exception as exc:
                if sum(ledger.knock_ons.values()) > knock_ons:
                    # A known deviation left data the check could not read on.
                    return f"blocked by {', '.join(sorted(ledger.known))}"
                self.errors.append(_suite_error(exc))
                return "not checked: internal error of the suite (see errors)"
            except BaseException:
                outcome = _STOPPED  # the run ends (budget, interrupt): nothing to re-read
                raise
            finally:
                ledger.case = None
                where.done(harness, passed=outcome == verdicts.PASSED,
                           stopping=outcome == _STOPPED)
        return f"blocked by {blocker}"

    # --- exploration ------------------------------------------------------------------------

    def explore(self, profile: Profile, seed: int) -> None:
        if self.ctx.driver.missing:
            self.errors.append(SuiteErrorRecord("skipped", "exploration skipped: the target "
                               f"does not implement {', '.join(sorted(self.ctx.driver.missing))}"
                               "; every clause was judged by its directed checks"))
            return
        ctx = self.ctx
        factory = machine_for(ctx)
        factory._hypothesis_internal_use_seed = seed
        original_init = factory.__init__
        failures_before = ctx.ledger.failures_raised

        def counting_init(machine: Any) -> None:
            self.examples += 1
            if self.examples % 10 == 0:
                shrinking = ctx.ledger.failures_raised > failures_before
                self.progress(("shrinking new findings" if shrinking else "exploring") +
                              f": test case {self.examples}, {ctx.driver.calls_made()} calls "
                              "so far")
            original_init(machine)

        factory.__init__ = counting_init  # type: ignore[method-assign, assignment]
        hypothesis_settings = settings(
            max_examples=profile.examples, stateful_step_count=profile.steps, deadline=None,
            database=None, derandomize=False, print_blob=False,
            report_multiple_bugs=not self.first_failure_only,
            suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet,
            phases=[Phase.explicit, Phase.generate] +
            ([] if self.first_failure_only else [Phase.shrink]),
        )
        failures: list[Failure] = []
        with with_reporter(lambda _: None), _shrinking_bounded(profile.shrink_seconds):
            try:
                run_state_machine_as_test(factory, settings=hypothesis_settings)
            except Failure as failure:
                failures.append(failure)
            except BaseExceptionGroup as group:
                unexpected = [e for e in group.exceptions if not isinstance(e, Failure)]
                if unexpected:
                    raise unexpected[0] from None
                failures += [e for e in group.exceptions if isinstance(e, Failure)]
        for found in failures:
            self.record(found, "explored")


@contextlib.contextmanager
def _shrinking_bounded(seconds: int) -> Iterator[None]:
    """Hypothesis shrinks for up to five minutes; a run gives it ``seconds``."""
    saved = engine.MAX_SHRINKING_SECONDS
    engine.MAX_SHRINKING_SECONDS = seconds
    try:
        yield
    finally:
        engine.MAX_SHRINKING_SECONDS = saved


def _suite_error(exc: Exception) -> SuiteErrorRecord:
    return SuiteErrorRecord(
        "suite", f"internal error of the suite: {type(exc).__name__}: "
        f"{str(exc).splitlines()[0] if str(exc) else ''}", traceback.format_exc())


def _finding(failure: Failure, ctx: RunContext, target: Target, endpoint_url: str | None,
             case: str) -> FindingRecord:
    return FindingRecord(
        clause=failure.clause, message=failure.message,
        steps=reproducer.steps_text(failure.calls),
        calls=failure.calls,
        reproducer=reproducer.script(failure.calls, endpoint_url=endpoint_url,
                                     region=target.region, clause=failure.clause,
                                     message=failure.message),
        seed=ctx.seed,
        replay_command=ctx.replay + ("" if case == "explored" else
                                     "  # a directed check, which runs first"),
        case=case, identity=verdicts.identity(failure.message),
    )


def _replay_command(target: Target, targets_file: Path | None, profile: Profile,
                    seed: int) -> str:
    if target.name == "endpoint":
        where = f"--endpoint-url {target.endpoint_url}"
    else:
        where = (f"--targets {targets_file} " if targets_file else "") + f"--target {target.name}"
    strictness = " --strictness aws" if target.strictness == "aws" else ""
    return f"conformance run {where} --profile {profile.name} --seed {seed}{strictness}"


def _error_kind(aborted: RunAborted) -> str:
    name = type(aborted.error).__name__
    return {"BudgetExhausted": "budget", "SafetyViolation": "suite",
            "TargetUnreachable": "unreachable", "TargetUnsupported": "unsupported"
            }.get(name, "transport")


def _versions() -> dict[str, str]:
    from conformance.schemas import model_fingerprint

    try:
        suite = metadata.version("rekognition-conformance")
    except metadata.PackageNotFoundError:
        suite = "source"
    return {"suite": suite, "botocore": botocore.__version__,
            "hypothesis": hypothesis.__version__, "model": model_fingerprint()}


def default_report_dir(result: RunResult, base: Path) -> Path:
    return base / result.run_id
