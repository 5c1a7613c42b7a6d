"""One run of the suite against one target, from start-up to the ``RunResult``.

The CLI and the pytest plugin both call ``run_suite``; neither knows how a run
is put together. A run always cleans up what it created and always returns
what it learned, also when it is interrupted or the target goes away.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import botocore
import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis.reporting import with_reporter
from hypothesis.stateful import run_state_machine_as_test

from conformance import reproducer
from conformance.clauses import CLAUSES
from conformance.directed import DIRECTED
from conformance.driver import Driver, RunAborted
from conformance.errors import Failure
from conformance.harness import Harness, RunContext
from conformance.kinds import connect
from conformance.ledger import Ledger
from conformance.machine import machine_for
from conformance.results import (
    ClauseResult,
    ClauseStatus,
    FindingRecord,
    RunResult,
    SuiteErrorRecord,
    Verdict,
)
from conformance.targets import Target


@dataclass(frozen=True)
class Profile:
    name: str
    examples: int  # Hypothesis test cases, each a fresh collection
    steps: int  # rules per test case at most
    description: str


PROFILES = {p.name: p for p in (
    Profile("dev", 12, 20, "quick look while developing"),
    Profile("ci", 60, 40, "the CI gate: thorough but bounded"),
    Profile("nightly", 300, 60, "long exploration for scheduled runs"),
)}

Progress = Callable[[str], None]


def run_suite(target: Target, *, profile: str = "dev", seed: int | None = None,
              progress: Progress = lambda _: None, first_failure_only: bool = False,
              targets_file: Path | None = None) -> RunResult:
    """Run the suite against ``target``.

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
    findings: list[FindingRecord] = []
    errors: list[SuiteErrorRecord] = []
    driver: Driver | None = None
    examples = 0
    answered = False  # before the target has answered once, an error ends the run with no report
    with connect(target) as connection:
        endpoint_url = connection.endpoint_url
        try:
            clients = connection.clients
            driver = Driver(clients.checked, clients.raw,
                            resource_prefix=f"cfs-{secrets.token_hex(3)}-",
                            call_budget=target.call_budget)
            ctx = RunContext(driver, ledger, connection.images, target.settle_timeout,
                             driver.resource_prefix, seed=seed,
                             replay=_replay_command(target, targets_file, chosen, seed))
            _preflight(driver)
            answered = True
            progress(f"target {target.name} answers; running profile {chosen.name} "
                     f"({chosen.examples} test cases), seed {seed}")
            findings += _directed_scenarios(ctx, target, endpoint_url, first_failure_only)
            if findings and first_failure_only:
                raise _StopEarly
            found, examples = _explore(ctx, chosen, seed, target, endpoint_url, progress,
                                       first_failure_only)
            findings += found
        except _StopEarly:
            pass
        except RunAborted as aborted:
            if not answered:
                raise aborted.error from None
            errors.append(SuiteErrorRecord(_error_kind(aborted), str(aborted.error)))
        except KeyboardInterrupt:
            errors.append(SuiteErrorRecord("interrupted", "the run was interrupted; the "
                                           "report holds what it learned until then"))
        except Exception as exc:  # a bug of the suite: reported as such, never as a finding
            if not answered:
                raise
            errors.append(SuiteErrorRecord(
                "suite", f"internal error of the suite: {type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''}",
                traceback.format_exc()))
        finally:
            if driver is not None:
                errors += [SuiteErrorRecord("cleanup", e)
                           for e in driver.cleanup_errors + driver.cleanup()]
    clauses = _clause_results(ledger, findings, target, errors)
    verdict: Verdict = ("does-not-conform" if any(c.status == "failed" for c in clauses) else
                        "error" if any(e.kind != "cleanup" for e in errors) else "conforms")
    return RunResult(
        run_id=run_id,
        target={"name": target.name, "kind": target.kind, "endpoint_url": target.endpoint_url},
        profile=chosen.name, strictness=target.strictness, seed=seed,
        started=started.isoformat(timespec="seconds"),
        duration_seconds=round(time.monotonic() - clock, 2),
        verdict=verdict, clauses=clauses,
        findings=findings, errors=errors,
        behaviour_profile={a: dict(r) for a, r in sorted(ledger.readings.items())},
        hard_states=dict(sorted(ledger.hard_states.items())),
        calls=dict(sorted(driver.calls.items())) if driver else {},
        examples=examples, versions=_versions())


def _preflight(driver: Driver) -> None:
    """Reachable, speaks the protocol, creates and deletes a collection of ours."""
    name = f"{driver.resource_prefix}preflight"
    driver.create_collection(name)
    error = driver.delete_collection(name)
    if error:
        driver.cleanup_errors.append(error)


def _directed_scenarios(ctx: RunContext, target: Target, endpoint_url: str | None,
                        first_failure_only: bool) -> list[FindingRecord]:
    """What every run must check, not by luck: each simple clause, the cap from 98, 99 and
    100, each token clause, each invalid value. Each scenario has a collection of its own,
    so a finding's calls are that scenario's only."""
    findings = []
    for check in DIRECTED:
        harness = Harness(ctx)
        try:
            check.run(harness)
            harness.check_state(1)
        except Failure as failure:
            findings.append(_finding(failure, ctx, target, endpoint_url, directed=True))
            if first_failure_only:
                break
        finally:
            harness.close()
    return findings


class _StopEarly(Exception):
    """The directed scenario already failed and the caller wants only the first failure."""


def _explore(ctx: RunContext, profile: Profile, seed: int, target: Target,
             endpoint_url: str | None, progress: Progress, first_failure_only: bool
             ) -> tuple[list[FindingRecord], int]:
    factory = machine_for(ctx)
    factory._hypothesis_internal_use_seed = seed
    examples = 0
    original_init = factory.__init__

    def counting_init(self: Any) -> None:
        nonlocal examples
        examples += 1
        if examples % 10 == 0:
            progress(f"test case {examples}, {ctx.driver.calls.total()} calls so far")
        original_init(self)

    factory.__init__ = counting_init  # type: ignore[method-assign]
    hypothesis_settings = settings(
        max_examples=profile.examples, stateful_step_count=profile.steps, deadline=None,
        database=None, derandomize=False, print_blob=False,
        report_multiple_bugs=not first_failure_only,
        suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet,
        phases=[Phase.explicit, Phase.generate] + ([] if first_failure_only else [Phase.shrink]),
    )
    failures: list[Failure] = []
    with with_reporter(lambda _: None):
        try:
            run_state_machine_as_test(factory, settings=hypothesis_settings)
        except Failure as failure:
            failures.append(failure)
        except BaseExceptionGroup as group:
            unexpected = [e for e in group.exceptions if not isinstance(e, Failure)]
            if unexpected:
                raise unexpected[0] from None
            failures += [e for e in group.exceptions if isinstance(e, Failure)]
    findings = [_finding(f, ctx, target, endpoint_url) for f in failures]
    return findings, examples


def _finding(failure: Failure, ctx: RunContext, target: Target, endpoint_url: str | None,
             directed: bool = False) -> FindingRecord:
    return FindingRecord(
        clause=failure.clause, message=failure.message,
        steps=reproducer.steps_text(failure.calls),
        calls=failure.calls,
        reproducer=reproducer.script(failure.calls, endpoint_url=endpoint_url,
                                     region=target.region, clause=failure.clause,
                                     message=failure.message),
        seed=ctx.seed,
        replay_command=ctx.replay + ("  # found by the directed scenarios, which run first"
                                     if directed else ""),
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
    return {"BudgetExhausted": "budget", "SafetyViolation": "suite"}.get(name, "transport")


def _clause_results(ledger: Ledger, findings: list[FindingRecord], target: Target,
                    errors: list[SuiteErrorRecord]) -> list[ClauseResult]:
    failed = {f.clause for f in findings}
    stopped = next((e.message for e in errors if e.kind != "cleanup"), "")
    results = []
    for clause in CLAUSES.values():
        status: ClauseStatus
        reason = ""
        if clause.id in failed:
            status = "failed"
        elif ledger.checks[clause.id]:
            status = "passed"
        else:
            status = "not-checked"
            reason = (
                f"the run stopped before reaching it: {stopped}" if stopped else
                "no test case reached a state where it applies; try a longer profile")
        if clause.id in target.expected_failures and status in ("failed", "passed"):
            reason = "listed in expected_failures of the target"
            status = "expected-failure" if status == "failed" else "unexpected-pass"
        results.append(ClauseResult(clause.id, clause.text, status, ledger.checks[clause.id],
                                    reason))
    return results


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
