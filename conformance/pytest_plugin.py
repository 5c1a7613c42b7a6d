"""pytest plugin: ``pytest --conformance`` runs the suite and reports one test per clause.

For emulator authors who gate CI on pytest: failed clauses fail, clauses the
run could not check are skipped with the reason, known deviations are xfail.
The suite runs once per session; the ``conformance_result`` fixture hands the
whole ``RunResult`` to tests that want to assert more.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance.results import RunResult

_RESULT_KEY = pytest.StashKey[RunResult]()


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
    group.addoption("--conformance-seed", type=int, metavar="N", help="seed to replay")
    group.addoption("--conformance-report-dir", metavar="DIR",
                    help="also write the reports here (one folder per run)")


def _run(config: pytest.Config) -> RunResult:
    if _RESULT_KEY not in config.stash:
        from conformance.report import write_reports
        from conformance.runner import run_suite
        from conformance.targets import load_targets, resolve_target

        targets = config.getoption("conformance_targets")
        target = resolve_target(load_targets(Path(targets) if targets else None),
                                config.getoption("conformance_target"),
                                config.getoption("conformance_endpoint_url"))
        result = run_suite(target, profile=config.getoption("conformance_profile"),
                           seed=config.getoption("conformance_seed"))
        report_dir = config.getoption("conformance_report_dir")
        if report_dir:
            write_reports(result, Path(report_dir) / result.run_id)
        config.stash[_RESULT_KEY] = result
    return config.stash[_RESULT_KEY]


@pytest.fixture(scope="session")
def conformance_result(pytestconfig: pytest.Config) -> RunResult:
    """The suite's result against the configured target (runs it once per session)."""
    return _run(pytestconfig)


class ClauseItem(pytest.Item):
    def __init__(self, *, clause: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clause = clause

    def runtest(self) -> None:
        result = _run(self.config)
        if self.clause == "suite-errors":
            if result.errors:
                raise SuiteErrorsReported("\n".join(f"{e.kind}: {e.message}"
                                                    for e in result.errors))
            return
        status = next(c for c in result.clauses if c.clause == self.clause)
        if status.status == "not-checked":
            pytest.skip(f"not checked: {status.reason}")
        if status.status == "expected-failure":
            pytest.xfail(status.reason)
        if status.status in ("failed", "unexpected-pass"):
            findings = [f for f in result.findings if f.clause == self.clause]
            raise ClauseFailed(self.clause, status.reason, findings)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, ClauseFailed | SuiteErrorsReported):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int, str]:
        return "conformance", 0, f"clause {self.clause}"


class ClauseFailed(Exception):
    def __init__(self, clause: str, reason: str, findings: list[Any]) -> None:
        lines = [f"{clause} failed" + (f" ({reason})" if reason else "")]
        for finding in findings:
            lines += [f"  {finding.message}", "  calls:",
                      *(f"    {step}" for step in finding.steps.splitlines()),
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
