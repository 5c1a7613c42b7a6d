"""One run of the suite against one target, from start-up to the ``RunResult``.

The CLI and the pytest plugin both call ``run_suite``; neither knows how a run
is put together. A run always cleans up what it created and always returns
what it learned, also when it is interrupted or the target goes away.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import random
import secrets
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import botocore
import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis.errors import FlakyStrategyDefinition
from hypothesis.internal.conjecture import engine
from hypothesis.reporting import with_reporter
from hypothesis.stateful import run_state_machine_as_test

from conformance import capabilities, model_drift, needs, parallel, reproducer, verdicts
from conformance.clauses import CLAUSES, shown
from conformance.directed import DIRECTED, DirectedCheck, cases_of
from conformance.driver import Driver, OperationMissing, RunAborted
from conformance.errors import (
    INTERRUPTED,
    Failure,
    SafetyViolation,
    SuiteError,
    TargetUnreachable,
    TargetUnsupported,
)
from conformance.harness import RunContext, rooms
from conformance.harness.listings import SetupDeviated
from conformance.harness.reread import OutcomeUnknown
from conformance.kinds import connect
from conformance.ledger import Ledger
from conformance.machine import machine_for
from conformance.needs import NeedBroken
from conformance.results import (
    INTERRUPTED_ERROR,
    NOTICE_KINDS,
    FindingRecord,
    RunResult,
    SuiteErrorRecord,
)
from conformance.spec import SEARCHES
from conformance.targets import Clients, Target


@dataclass(frozen=True)
class Profile:
    name: str
    examples: int  # Hypothesis test cases, each a fresh collection
    steps: int  # rules per test case at most
    description: str
    # Shrinking stops after this long in all (each exploration batch gets its share): a
    # failing run ends within a small multiple of a passing one, and a finding keeps the
    # shortest sequence found by then.
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
              progress: Progress = lambda _: None, shrink: bool = True,
              targets_file: Path | None = None, workers: int = 1,
              shard: parallel.Shard | None = None) -> RunResult:
    """Run the suite against ``target``: every directed check, then exploration.

    Without ``shrink`` a run is whole but its findings keep the sequence that first showed
    them: the self-test uses it to learn quickly which clauses a mutant fails (its own, and
    no other). Reports from such a run have unshrunk call sequences.
    ``targets_file`` is named in the replay commands of the findings.
    Exploration runs in batches (``parallel.batches``): ``workers`` > 1 runs them in that
    many processes once the directed checks are done; ``shard`` runs only its share.
    """
    chosen = PROFILES[profile]
    INTERRUPTED.clear()
    seed = seed if seed is not None else random.randrange(2**32)
    clock = time.monotonic()
    batches = parallel.batches(chosen.examples, seed, shard)
    job = Job(chosen, seed, _replay_command(target, targets_file, chosen, seed, shard),
              directed=True, batches=() if workers > 1 else batches,
              shrink=shrink)
    result = run_part(target, job, progress)
    if workers > 1 and batches and unexplorable(result.missing_operations):
        result = dataclasses.replace(
            result, errors=[*result.errors, skipped(unexplorable(result.missing_operations))])
    elif workers > 1 and batches and _explores_on(result):
        result = dataclasses.replace(
            parallel.explore_in_workers(target, job, result, batches, workers, progress),
            duration_seconds=round(time.monotonic() - clock, 2))
    if shard is not None:
        result = dataclasses.replace(result, shard=parallel.shard_record(
            shard, batches, target.expected_failures, target.optional_operations))
    return result


# clause -> the cases of its directed checks
CASES = {c: cases_of(c) for c in CLAUSES}


@dataclass(frozen=True)
class Job:
    """What one process runs of a run: the directed checks or not, then exploration batches.
    Picklable, so a worker process gets it whole."""

    profile: Profile
    seed: int
    replay: str
    directed: bool
    batches: tuple[parallel.Batch, ...]
    # Clauses with a finding before the batches start (found by the directed checks of
    # another process): their failures in exploration are knock-ons.
    known: frozenset[str] = frozenset()
    shrink: bool = True


def _explores_on(result: RunResult) -> bool:
    """Whether exploration follows the directed checks of ``result``."""
    return not any(e.kind not in NOTICE_KINDS for e in result.errors)


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """The cycle collector runs far less often during a run. Each request allocates
    thousands of short-lived objects in botocore, and with the default thresholds the
    collector kept scanning the run's long-lived ones (Hypothesis' data, the model, the
    service model): 8 % of a ``dev`` run's time. The oldest generation is still collected
    every few million allocations, so a long run's cyclic garbage does not pile up."""
    before = gc.get_threshold()
    gc.set_threshold(20_000, 20, 10)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def run_part(target: Target, job: Job, progress: Progress = lambda _: None) -> RunResult:
    """Run ``job`` against ``target`` in this process, on a connection of its own."""
    started = dt.datetime.now(dt.UTC)
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{target.name}-{job.seed}"
    clock = time.monotonic()
    ledger = Ledger(pinned=target.pinned_readings, strictness=target.strictness,
                    known=set(job.known))
    phases: _Phases | None = None
    errors: list[SuiteErrorRecord] = []
    driver: Driver | None = None
    answered = False  # before the target has answered once, an error ends the run with no report
    with fewer_collections(), connect(target) as connection:
        try:
            clients = connection.clients
            driver = Driver(clients.checked, clients.raw,
                            resource_prefix=f"cfs-{secrets.token_hex(3)}-",
                            call_budget=target.call_budget, max_rps=target.max_rps)
            ctx = RunContext(driver, ledger, connection.images, target.settle_timeout,
                             driver.resource_prefix, seed=job.seed, replay=job.replay,
                             frugal=job.profile.frugal)
            shared = rooms.Shared(ctx) if job.directed and job.profile.frugal else None
            if shared is not None:
                # Live: creating the collection the checks share is the preflight, two
                # billed calls fewer.
                shared.open()
            else:
                _preflight(driver)
            answered = True
            if job.directed:
                then = (f"then {job.profile.examples} test cases" if job.profile.examples
                        else "sharing collections and faces, no exploration")
                progress(f"target {target.name} answers; running profile {job.profile.name} "
                         f"({len(DIRECTED)} directed checks, {then}), seed {job.seed}")
            phases = _Phases(ctx, target, connection.endpoint_url, progress,
                             job.shrink)
            if job.directed:
                phases.directed(shared or rooms.Fresh(ctx))
            if job.batches:
                phases.explore(job.profile, job.batches)
        except RunAborted as aborted:
            if not answered:
                raise _explained(aborted.error, connection.clients, driver) from None
            errors.append(SuiteErrorRecord(_error_kind(aborted), str(aborted.error)))
        except KeyboardInterrupt:
            errors.append(INTERRUPTED_ERROR)
        except Exception as exc:  # a bug of the suite: reported as such, never as a finding
            if not answered:
                raise
            # Hypothesis may turn an interrupt into an error of its own (FlakyStrategyDefinition).
            errors.append(INTERRUPTED_ERROR if INTERRUPTED.is_set() else _suite_error(exc))
        finally:
            if driver is not None:
                errors += [SuiteErrorRecord("cleanup", e)
                           for e in driver.cleanup_errors + driver.cleanup()]
    if INTERRUPTED.is_set() and INTERRUPTED_ERROR not in errors:
        errors.append(INTERRUPTED_ERROR)  # its KeyboardInterrupt was swallowed (a gc callback)
    errors += phases.errors if phases else []
    found = verdicts.conclude(CASES, phases.case_outcomes if phases else {},
                              phases.findings if phases else [], ledger.checks, errors,
                              target.expected_failures, ledger.knock_ons,
                              target.optional_operations)
    return RunResult(
        run_id=run_id,
        target={k: v for k, v in (("name", target.name), ("kind", target.kind),
                                  ("endpoint_url", target.endpoint_url)) if v is not None},
        profile=job.profile.name, strictness=target.strictness, seed=job.seed,
        started=started.isoformat(timespec="seconds"),
        duration_seconds=round(time.monotonic() - clock, 2),
        verdict=found.verdict, clauses=found.clauses, findings=found.findings, errors=errors,
        behaviour_profile={a: shown(a, r) for a, r in sorted(ledger.readings.items())},
        hard_states=dict(sorted(ledger.hard_states.items())),
        calls=dict(sorted(driver.calls.items())) if driver else {},
        examples=phases.examples if phases else 0, versions=_versions(),
        knock_ons=found.knock_ons,
        missing_operations=dict(sorted(driver.missing.items())) if driver else {},
        service_model=model_drift.installed_summary())


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
# How often it is started again after a request of unknown outcome (a connection failed).
_UNKNOWN_RETRIES = 8
# How often exploration starts again when such a request made its steps unrepeatable.
_EXPLORATION_RESTARTS = 10
_STOPPED = "stopped"


class _Phases:
    """The two phases of a run over one context, and what they found."""

    def __init__(self, ctx: RunContext, target: Target, endpoint_url: str | None,
                 progress: Progress, shrink: bool) -> None:
        self.ctx = ctx
        self.target = target
        self.endpoint_url = endpoint_url
        self.progress = progress
        self.shrink = shrink
        self.findings: list[FindingRecord] = []
        self.errors: list[SuiteErrorRecord] = []
        self.case_outcomes: dict[tuple[str, str], str] = {}
        self.examples = 0

    def record(self, failure: Failure, case: str, batch: int | None = None) -> None:
        self.findings.append(_finding(failure, self.ctx, self.target, self.endpoint_url, case,
                                      batch))
        self.ctx.ledger.found(failure.clause)

    # --- directed checks -----------------------------------------------------------------

    def directed(self, where: rooms.Rooms) -> None:
        try:
            for n, check in enumerate(DIRECTED, 1):
                if n % 10 == 0:
                    self.progress(f"directed checks: {n} of {len(DIRECTED)}, "
                                  f"{self.ctx.driver.calls_made()} calls so far")
                self.case_outcomes[(check.clause, check.case)] = self.run_directed(check, where)
        finally:
            where.close()

    def run_directed(self, check: DirectedCheck, where: rooms.Rooms) -> str:
        """One directed check, on the collection ``where`` gives: its outcome for the clause."""
        ledger = self.ctx.ledger
        blocked = unknown = 0
        while blocked < _RETRIES:
            # Blocked by what an earlier check showed this target cannot do, if it needs it:
            # decided before any call, so a blocked case costs nothing.
            reason = needs.blocker(check.needs, self.ctx.broken)
            if reason:
                return reason
            harness = where.open()
            outcome = ""
            ledger.case = (check.clause, check.case)
            knock_ons = dict(ledger.knock_ons)
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
                blocker = failure.clause
                blocked += 1
            except OutcomeUnknown as lost:
                # Not the target's fault, nor a finding: the same check from a fresh set-up.
                unknown += 1
                if unknown > _UNKNOWN_RETRIES:
                    return f"not checked: {lost}, {unknown} times"
            except SetupDeviated as deviated:
                return f"blocked by {', '.join(deviated.clauses)}"
            except NeedBroken as broken:
                # A step it needs broke here: the case is blocked by the clause that broke it.
                return needs.blocker(check.needs, self.ctx.broken, broken.broken)
            except OperationMissing as missing:
                return verdicts.not_implemented(missing.operation)
            except needs.Unjudgeable as why:
                return f"not checked: {why}"
            except Exception as exc:
                knocked = sorted(c for c, n in ledger.knock_ons.items()
                                 if n > knock_ons.get(c, 0))
                if knocked:
                    # A known deviation met in this check left data it could not read on.
                    return f"blocked by {', '.join(knocked)}"
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

    def explore(self, profile: Profile, batches: tuple[parallel.Batch, ...]) -> None:
        if unexplorable(self.ctx.driver.missing):
            self.errors.append(skipped(unexplorable(self.ctx.driver.missing)))
            return
        # Every batch starts from what was known before the first: what a batch finds
        # cannot depend on which batches ran before it in this process.
        known = set(self.ctx.ledger.known)
        for batch in batches:
            self.ctx.ledger.known = set(known)
            self.explore_batch(profile, batch)

    def explore_batch(self, profile: Profile, batch: parallel.Batch) -> None:
        ctx = self.ctx
        machine_class = machine_for(ctx)
        failures_before = ctx.ledger.failures_raised
        examples_before = self.examples

        def new_test_case() -> Any:
            # A function, not the class, is what Hypothesis calls: it digests the source of
            # what it is given, and a class's source is found by parsing its whole module.
            self.examples += 1
            if self.examples % 10 == 0:
                shrinking = ctx.ledger.failures_raised > failures_before
                self.progress(("shrinking new findings" if shrinking else "exploring") +
                              f": test case {self.examples} (batch {batch.index}), "
                              f"{ctx.driver.calls_made()} calls so far")
            return machine_class()

        factory: Any = new_test_case
        factory._hypothesis_internal_use_seed = batch.seed
        hypothesis_settings = settings(
            max_examples=batch.examples, stateful_step_count=profile.steps, deadline=None,
            database=None, derandomize=False, print_blob=False,
            report_multiple_bugs=self.shrink,
            suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet,
            phases=[Phase.explicit, Phase.generate] +
            ([Phase.shrink] if self.shrink else []),
        )
        failures: list[Failure] = []
        restarts = 0
        # The run's shrinking budget is shared by its batches: each batch shrinks its own
        # findings (it knows nothing of the others'), and the run still ends within
        # ``shrink_seconds`` of shrinking, wherever its batches run.
        share = max(1, profile.shrink_seconds // len(parallel.batches(profile.examples, 0)))
        with with_reporter(lambda _: None), _shrinking_bounded(share):
            while True:
                try:
                    failures += _run_machine(factory, hypothesis_settings)
                    break
                except FlakyStrategyDefinition:
                    # The same steps left the target in another state than before (a request
                    # of unknown outcome, a race), so the same choices now draw from other
                    # lists, which Hypothesis cannot replay. Not a finding, nor a bug of the
                    # suite: the test cases left go on from a fresh start.
                    left = batch.examples - (self.examples - examples_before)
                    if left <= 0:
                        break
                    if restarts >= _EXPLORATION_RESTARTS:
                        raise
                    restarts += 1
                    factory._hypothesis_internal_use_seed = batch.seed + restarts
                    hypothesis_settings = settings(hypothesis_settings, max_examples=left)
                    self.progress(f"exploring: starting again after test case {self.examples}:"
                                  " the same steps left the target in another state")
        if restarts:
            self.errors.append(SuiteErrorRecord(
                "restarted", f"exploration started again {restarts} times: the same steps "
                "left the target in another state (requests of unknown outcome, races), "
                "which Hypothesis cannot replay"))
        for found in failures:
            self.record(found, "explored", batch.index)


# Operations the state machine sends only where the target has them (its search rule):
# a target without them is explored all the same, and only their clauses are "not checked".
OPTIONAL_IN_EXPLORATION = SEARCHES


def unexplorable(missing: Mapping[str, str]) -> dict[str, str]:
    """The missing operations that keep exploration from running."""
    return {op: why for op, why in missing.items() if op not in OPTIONAL_IN_EXPLORATION}


def skipped(missing: Mapping[str, str]) -> SuiteErrorRecord:
    """Exploration is left out when the target lacks an operation."""
    return SuiteErrorRecord("skipped", "exploration skipped: the target does not implement "
                            f"{', '.join(sorted(missing))}; every clause was judged by its "
                            "directed checks")


def _run_machine(factory: Callable[[], Any], machine_settings: settings) -> list[Failure]:
    """The findings of one exploration; any other error is raised (a group's first one)."""
    try:
        # Hypothesis types the factory as a class; its docstring allows "a class or a function".
        run_state_machine_as_test(factory, settings=machine_settings)  # type: ignore[arg-type]
    except Failure as failure:
        return [failure]
    except BaseExceptionGroup as group:
        unexpected = [e for e in group.exceptions if not isinstance(e, Failure)]
        if unexpected:
            raise unexpected[0] from None
        return [e for e in group.exceptions if isinstance(e, Failure)]
    return []


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
             case: str, batch: int | None) -> FindingRecord:
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
        case=case, identity=verdicts.identity(failure.message), batch=batch,
    )


def _replay_command(target: Target, targets_file: Path | None, profile: Profile,
                    seed: int, shard: parallel.Shard | None) -> str:
    if target.name == "endpoint":
        where = f"--endpoint-url {target.endpoint_url}"
    else:
        where = (f"--targets {targets_file} " if targets_file else "") + f"--target {target.name}"
    strictness = " --strictness aws" if target.strictness == "aws" else ""
    part = f" --shard {shard.index}/{shard.count}" if shard else ""
    return f"conformance run {where} --profile {profile.name} --seed {seed}{strictness}{part}"


def _error_kind(aborted: RunAborted) -> str:
    name = type(aborted.error).__name__
    return {"BudgetExhausted": "budget", "SafetyViolation": "suite", "UnfitPhoto": "photos",
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
