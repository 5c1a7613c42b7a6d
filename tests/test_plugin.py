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


def test_without_the_flag_the_fixture_skips_instead_of_running(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_uses(conformance_result):\n    assert False\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*runs only with pytest --conformance*"])


@pytest.mark.parametrize(("args", "words"), [
    (["--conformance-target=nosuch"], ["nosuch", "embedded"]),
    (["--conformance-profile=fast"], ["fast", "ci"]),
    (["--conformance-seed=abc"], ["abc", "random"]),
    (["--conformance-targets=missing.toml"], ["missing.toml"]),
])
def test_configuration_errors_are_one_line(pytester: pytest.Pytester, args: list[str],
                                           words: list[str]) -> None:
    result = pytester.runpytest("--conformance", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    text = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in text
    errors = [line for line in text.splitlines() if line.startswith("ERROR: conformance:")]
    assert len(errors) == 1, text
    for word in words:
        assert word in errors[0]
    assert len(text.splitlines()) < 10, text


def test_ci_profile_default_seed_is_fixed() -> None:
    from conformance.cli import default_seed

    assert default_seed("ci", None) == 0


def test_seed_strictness_and_a_stale_known_deviation(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", targets="""
[targets.ref]
kind = "embedded"
expected_failures = ["AF-USER-EXISTS"]
""")
    pytester.makepyfile("""
def test_run_settings(conformance_result):
    assert conformance_result.seed == 42
    assert conformance_result.strictness == "aws"
""")
    result = pytester.runpytest("--conformance", "--conformance-target=ref",
                                "--conformance-targets=targets.toml", "--conformance-seed=42",
                                "--conformance-strictness=aws", "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    # The reference emulator passes AF-USER-EXISTS: the known deviation is stale.
    assert outcomes.get("failed", 0) == 1, result.stdout.str()
    result.stdout.fnmatch_lines(
        ["*clause AF-USER-EXISTS*",
         "*XPASS(strict)*passes now: remove from expected_failures*"])
    assert outcomes.get("passed", 0) >= 2  # the user's test and the other clauses


def test_a_known_case_is_xfail_with_its_reason_and_a_stale_case_a_strict_xpass(
        pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", targets="""
[targets.cap]
kind = "embedded"
expected_failures = [
    { clause = "AF-CAP-REQUEST: 101 FaceIds", reason = "no request cap yet" },
    "AF-USER-EXISTS: an unknown UserId",
]
[targets.cap.emulator]
deviations = ["request-max-unchecked"]
""")
    # A process of its own: the suite's in-process emulator is not run twice in one process.
    result = pytester.runpytest_subprocess("--conformance", "--conformance-target=cap", "-rxX",
                                "--conformance-targets=targets.toml", "--conformance-seed=3",
                                "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("xfailed", 0) == 1, result.stdout.str()
    # The reference passes AF-USER-EXISTS: that case entry is stale, a strict XPASS.
    assert outcomes.get("failed", 0) == 1, result.stdout.str()
    result.stdout.fnmatch_lines_random([
        "*XFAIL*AF-CAP-REQUEST: 101 FaceIds: failed as expected (no request cap yet)*",
        "*XPASS(strict)*AF-USER-EXISTS: an unknown UserId: passes now: remove from "
        "expected_failures*"])
