"""The cost estimate before a live run, its prompt, --yes and --budget."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from conformance import cli, runner
from conformance.cost import estimate, profile_calls, render
from conformance.images import face_image


def test_billed_image_calls_are_priced_and_the_rest_are_free() -> None:
    found = estimate({"IndexFaces": 2000, "ListFaces": 500, "AssociateFaces": 1000,
                      "retries": 7}, "us-east-1")
    by_op = {line.operation: line for line in found.lines}
    assert set(by_op) == {"IndexFaces", "ListFaces", "AssociateFaces"}
    assert by_op["IndexFaces"].cost == pytest.approx(2.0)
    assert by_op["ListFaces"].cost == 0 and by_op["ListFaces"].per_1000 is None
    assert found.total == pytest.approx(3.0)
    assert found.billed_calls == 3000 and found.calls == 3500
    assert found.unpriced == ()
    assert found.prices_source.startswith("https://aws.amazon.com/rekognition/pricing")


def test_another_region_is_priced_as_us_east_1_and_says_so() -> None:
    found = estimate({"IndexFaces": 1000, "DetectFaces": 3}, "eu-west-1")
    assert found.priced_region == "us-east-1"
    assert found.unpriced == ("DetectFaces",)
    text = "\n".join(render(found, profile="dev", budget=None))
    assert "no prices on file for eu-west-1" in text
    assert "not priced (not in the price file): DetectFaces" in text


def test_every_profile_measured_has_its_table_and_a_budget_caps_the_estimate() -> None:
    dev = profile_calls("dev")
    assert dev is not None and dev["IndexFaces"] > 0
    assert profile_calls("no-such-profile") is None
    found = estimate(dev, "us-east-1")
    text = render(found, profile="dev", budget=100)
    assert any("the call budget of 100 stops the run" in line for line in text)


@pytest.fixture()
def aws_targets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "faces").mkdir()
    for person in range(3):
        (tmp_path / "faces" / f"p{person}.png").write_bytes(face_image(person))
    (tmp_path / "targets.toml").write_text(
        '[targets.live]\nkind = "aws"\nregion = "us-east-1"\nfaces_dir = "faces"\n'
        "call_budget = 400\n")
    monkeypatch.chdir(tmp_path)
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path / "targets.toml"


class Ran(Exception):
    pass


def capture_run(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    seen: list[Any] = []

    def fake_run_suite(target: Any, **_: Any) -> Any:
        seen.append(target)
        raise Ran  # stop here: no AWS call in a test

    monkeypatch.setattr(runner, "run_suite", fake_run_suite)
    return seen


def tty(monkeypatch: pytest.MonkeyPatch, answer: str) -> None:
    stdin = io.StringIO(answer + "\n")
    stdin.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr("sys.stdin", stdin)


def test_the_prompt_declined_starts_nothing(aws_targets: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    seen = capture_run(monkeypatch)
    tty(monkeypatch, "n")
    assert cli.main(["run", "--target", "live"]) == 2
    err = capsys.readouterr().err
    assert "Cost estimate for profile dev in us-east-1" in err
    assert "run not started" in err
    assert seen == []


def test_the_prompt_accepted_runs_with_the_budget_given(
        aws_targets: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = capture_run(monkeypatch)
    tty(monkeypatch, "y")
    with pytest.raises(Ran):
        cli.main(["run", "--target", "live", "--budget", "50"])
    assert seen[0].call_budget == 50


def test_yes_and_a_non_terminal_stdin_go_on_without_asking(
        aws_targets: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    seen = capture_run(monkeypatch)

    def no_input(prompt: str = "") -> str:
        raise AssertionError("asked")

    monkeypatch.setattr("builtins.input", no_input)
    tty(monkeypatch, "")
    with pytest.raises(Ran):
        cli.main(["run", "--target", "live", "--yes"])
    notty = io.StringIO("")
    notty.isatty = lambda: False  # type: ignore[method-assign]
    monkeypatch.setattr("sys.stdin", notty)
    with pytest.raises(Ran):
        cli.main(["run", "--target", "live", "--profile", "ci"])
    assert [t.call_budget for t in seen] == [400, 400]
    assert "Cost estimate for profile ci" in capsys.readouterr().err


def test_no_estimate_and_no_prompt_for_other_kinds(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    seen = capture_run(monkeypatch)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(Ran):
        cli.main(["run", "--target", "embedded", "--budget", "7"])
    assert seen[0].call_budget == 7
    assert "Cost estimate" not in capsys.readouterr().err
