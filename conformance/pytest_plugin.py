"""pytest plugin: ``pytest --conformance`` runs the suite and reports one test per clause.

For emulator authors who gate CI on pytest: failed clauses fail, clauses the
run could not check are skipped with the reason, known deviations are xfail,
and a known deviation that passes now is an XPASS(strict) failure saying
"passes now: remove from expected_failures" (the CLI's exit 5, in pytest's
terms). The suite runs once per session; the ``conformance_result`` fixture
hands the whole ``RunResult`` to tests that want to assert more.

Without ``--conformance`` the plugin does nothing: it adds no test, and the
fixture skips instead of starting a run. With it, every option is checked at
start-up and a mistake ends the session with the CLI's one-line message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance.errors import SuiteError
from conformance.results import UNJUDGED, RunResult

_RESULT_KEY = pytest.StashKey[RunResult]()
_TARGET_KEY = pytest.StashKey[Any]()  # the resolved conformance.targets.Target
_SEED_KEY = pytest.StashKey["int | None"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "Rekognition AssociateFaces conformance suite")
    group.addoption("--conformance", action="store_true",
                    help="run the conformance suite and report one test per clause")
    group.addoption("--conformance-target", metavar="NAME",
                    help="target from targets.toml (default: the file's default, embedded)")
    group.addoption("--conformance-endpoint-url", metavar="URL", help="ad-hoc endpoint target")
    group.addoption("--conformance-targets", metavar="FILE", help="the targets file")
    group.addoption("--conformance-profile", default="dev", metavar="NAME",
                    help="dev, ci or nightly (default: dev)")
    group.addoption("--conformance-seed", metavar="N",
                    help="seed to replay, or 'random' (default: 0 for profile ci, so a gate "
                         "is reproducible; random for dev and nightly)")
    group.addoption("--conformance-strictness", choices=("spec", "aws"),
                    help="override the target's strictness (default: from targets.toml)")
    group.addoption("--conformance-report-dir", metavar="DIR",
                    help="also write the reports here (one folder per run, and DIR/latest)")


def _usage(message: str) -> pytest.UsageError:
    return pytest.UsageError(f"conformance: {message}")


def pytest_configure(config: pytest.Config) -> None:
    """Check every conformance option before collection, as the CLI does before a run."""
    if not config.getoption("conformance"):
        return
    import dataclasses

    from conformance.cli import default_seed
    from conformance.cli.tools import check_writable_dir
    from conformance.runner import PROFILES
    from conformance.targets import load_targets, resolve_target

    profile = config.getoption("conformance_profile")
    if profile not in PROFILES:
        raise _usage(f"unknown profile {profile!r}: choose one of {', '.join(PROFILES)}")
    seed_text = config.getoption("conformance_seed")
    seed: int | str | None = seed_text
    if seed_text is not None and seed_text != "random":
        try:
            seed = int(seed_text)
        except ValueError:
            raise _usage(f"invalid seed {seed_text!r}: give an integer or 'random'") from None
    config.stash[_SEED_KEY] = default_seed(profile, seed)
    targets = config.getoption("conformance_targets")
    try:
        report_dir = config.getoption("conformance_report_dir")
        if report_dir:
            check_writable_dir(Path(report_dir), "--conformance-report-dir")
        target = resolve_target(load_targets(Path(targets) if targets else None),
                                config.getoption("conformance_target"),
                                config.getoption("conformance_endpoint_url"))
    except SuiteError as error:
        raise _usage(str(error)) from None
    strictness = config.getoption("conformance_strictness")
    if strictness:
        target = dataclasses.replace(target, strictness=strictness)
    config.stash[_TARGET_KEY] = target


def _run(config: pytest.Config) -> RunResult:
    if _RESULT_KEY not in config.stash:
        from conformance.report import update_latest, write_reports
        from conformance.runner import run_suite

        targets = config.getoption("conformance_targets")
        try:
            result = run_suite(config.stash[_TARGET_KEY],
                               profile=config.getoption("conformance_profile"),
                               seed=config.stash[_SEED_KEY],
                               targets_file=Path(targets) if targets else None)
        except SuiteError as error:
            # Unreachable target and the like: one line and the CLI's exit code, not one
            # traceback per clause.
            pytest.exit(f"conformance: error: {error}", returncode=error.exit_code)
        report_dir = config.getoption("conformance_report_dir")
        if report_dir:
            write_reports(result, Path(report_dir) / result.run_id)
            update_latest(Path(report_dir), Path(report_dir) / result.run_id)
        config.stash[_RESULT_KEY] = result
    return config.stash[_RESULT_KEY]


@pytest.fixture(scope="session")
def conformance_result(pytestconfig: pytest.Config) -> RunResult:
    """The suite's result against the configured target (runs it once per session).

    Without ``--conformance`` the test that asks for it is skipped: the suite never
    starts on its own.
    """
    if not pytestconfig.getoption("conformance"):
        pytest.skip("the conformance suite runs only with pytest --conformance")
    return _run(pytestconfig)


class ClauseItem(pytest.Item):
    def __init__(self, *, clause: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clause = clause

    def runtest(self) -> None:
        from conformance.report.console import known_entries, known_text

        result = _run(self.config)
        if self.clause == "suite-errors":
            if result.errors:
                raise SuiteErrorsReported("\n".join(f"{e.kind}: {e.message}"
                                                    for e in result.errors))
            return
        status = next(c for c in result.clauses if c.clause == self.clause)
        # Each known deviation (a whole clause or one case) with its reason and link.
        known = "; ".join(f"{k.entry}: {known_text(k)}" for k in known_entries(status))
        if status.status in UNJUDGED:
            pytest.skip(f"{status.status.replace('-', ' ')}: {status.reason}"
                        + (f" [{known}]" if known else ""))
        if status.status == "expected-failure":
            pytest.xfail(known or status.reason)
        if status.status == "unexpected-pass":
            # Reported by pytest as "[XPASS(strict)] AF-X: passes now: remove from
            # expected_failures".
            self.add_marker(pytest.mark.xfail(strict=True, reason=known))
            return
        if status.status == "failed":
            findings = [f for f in result.findings if f.clause == self.clause]
            raise ClauseFailed(self.clause, "; ".join(filter(None, (status.reason, known))),
                               findings)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, ClauseFailed | SuiteErrorsReported):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int, str]:
        return "conformance", 0, f"clause {self.clause}"


class ClauseFailed(Exception):
    def __init__(self, clause: str, reason: str, findings: list[Any]) -> None:
        from conformance.report.compact import compact_steps

        lines = [f"{clause} failed" + (f" ({reason})" if reason else "")]
        for finding in findings:
            lines += [f"  {finding.message}", "  calls:",
                      *(f"    {step}" for step in compact_steps(finding.steps).splitlines()),
                      f"  replay: {finding.replay_command}"]
        super().__init__("\n".join(lines))


class SuiteErrorsReported(Exception):
    """The run had errors of the suite or the transport: not conformance findings."""


class ConformanceCollector(pytest.Collector):
    def collect(self) -> list[pytest.Item]:
        from conformance.clauses import CLAUSES

        items: list[pytest.Item] = [ClauseItem.from_parent(self, name=c, clause=c)
                                    for c in CLAUSES]
        items.append(ClauseItem.from_parent(self, name="suite-errors", clause="suite-errors"))
        return items


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    if not config.getoption("conformance"):
        return
    collector = ConformanceCollector.from_parent(session, name="conformance")
    items.extend(collector.collect())
