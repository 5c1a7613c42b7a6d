"""The pytest plugin, as an emulator author's CI would use it."""

from __future__ import annotations

import pytest

from conformance.clauses import CLAUSES

pytest_plugins = ["pytester"]


def test_without_the_flag_the_plugin_adds_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_one():\n    assert True\n")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_one_test_per_clause_against_the_reference(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--conformance", "--conformance-seed=11",
                                "--conformance-profile=dev")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0, result.stdout.str()
    # Each clause is one test, plus the suite-errors item; unchecked clauses are skipped.
    assert outcomes.get("passed", 0) + outcomes.get("skipped", 0) == len(CLAUSES) + 1


def test_a_broken_target_fails_its_clause(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", targets="""
[targets.broken]
kind = "embedded"
[targets.broken.emulator]
deviations = ["accept-unknown-user"]
""")
    result = pytester.runpytest("--conformance", "--conformance-target=broken",
                                "--conformance-targets=targets.toml", "--conformance-seed=3")
    result.assert_outcomes(failed=1, passed=len(CLAUSES) - 1 - _skipped(result) + 1,
                           skipped=_skipped(result))
    result.stdout.fnmatch_lines(["*AF-USER-EXISTS failed*", "*replay: conformance run*"])


def _skipped(result: pytest.RunResult) -> int:
    return int(result.parseoutcomes().get("skipped", 0))
