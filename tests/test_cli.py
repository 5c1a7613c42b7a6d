"""The ``conformance`` command as a user meets it: exit codes, one-line errors, reports."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

CLI = [sys.executable, "-m", "conformance"]
TIMEOUT = 240  # seconds; a bound, not a performance claim


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=TIMEOUT, env=env, check=False)


def assert_one_line_error(proc: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture()
def served() -> Iterator[str]:
    """``conformance serve`` in its own process; yields its URL."""
    yield from _serve()


def _serve(*options: str) -> Iterator[str]:
    proc = subprocess.Popen([*CLI, "serve", *options], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)\n", line)
        assert match, line
        yield match.group(1)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(timeout=10) in (0, -signal.SIGTERM)
        finally:
            proc.kill()
        assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")


def collections_on(url: str) -> list[str]:
    client = boto3.client("rekognition", endpoint_url=url, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    return list(client.list_collections()["CollectionIds"])


def run_dirs(base: Path) -> list[Path]:
    """The run directories under ``base``, without the ``latest`` link."""
    return [p for p in base.iterdir() if p.name != "latest"]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_run_with_no_arguments_conforms_and_writes_reports(tmp_path: Path) -> None:
    proc = run_cli("run", "--seed", "7", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "verdict: CONFORMS" in proc.stdout
    assert "clauses:" in proc.stdout
    (run_dir,) = run_dirs(tmp_path / "reports")
    assert {p.name for p in run_dir.iterdir()} == {"result.json", "junit.xml", "report.md",
                                                   "report.html"}
    latest = tmp_path / "reports" / "latest"
    assert (latest / "junit.xml").read_bytes() == (run_dir / "junit.xml").read_bytes()
    result = json.loads((run_dir / "result.json").read_text())
    assert result["verdict"] == "conforms" and result["seed"] == 7


def test_an_endpoint_gives_the_same_verdict_as_embedded(tmp_path: Path, served: str) -> None:
    proc = run_cli("run", "--endpoint-url", served, "--seed", "7", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "verdict: CONFORMS" in proc.stdout
    assert collections_on(served) == []  # it cleaned up after itself


def test_an_unreachable_endpoint_exits_3_with_one_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    proc = run_cli("run", "--endpoint-url", url, cwd=tmp_path)
    assert_one_line_error(proc, 3, "reach")
    assert not (tmp_path / "reports").exists()


def test_a_server_that_is_not_rekognition_exits_3(tmp_path: Path) -> None:
    # An HTTP server that answers 404 to everything, like a web server on the wrong port.
    server = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                               str(port := closed_port())], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        proc = run_cli("run", "--endpoint-url", f"http://127.0.0.1:{port}", cwd=tmp_path)
    finally:
        server.kill()
        server.wait(timeout=10)
    # One screen, no traceback: every operation the suite calls, each named as missing.
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "does not implement 10 of the 10 operations" in proc.stderr
    for operation in ("CreateCollection", "AssociateFaces", "DisassociateFaces", "ListUsers"):
        assert f"missing  {operation}" in proc.stderr
    assert "Nothing can be judged" in proc.stderr


@pytest.mark.parametrize(("content", "words"), [
    ("[targets.x\nkind = 'embedded'\n", ("targets.toml",)),
    ("[targets.x]\nkind = 'emulated'\n", ("kind",)),
    ("[targets.x]\nkind = 'endpoint'\n", ("endpoint_url",)),
    ("[targets.x]\nkind = 'embedded'\nsettle_timeut = 3\n", ("settle_timeut",)),
    ("[targets.x]\nkind = 'embedded'\nexpected_failures = ['AF-NOPE']\n", ("AF-NOPE",)),
])
def test_a_malformed_targets_file_exits_2_naming_the_problem(
        tmp_path: Path, content: str, words: tuple[str, ...]) -> None:
    (tmp_path / "targets.toml").write_text(content)
    proc = run_cli("run", "--target", "x", cwd=tmp_path)
    assert_one_line_error(proc, 2, *words)


def test_an_unknown_target_exits_2_and_lists_the_known_ones(tmp_path: Path) -> None:
    proc = run_cli("run", "--target", "nope", cwd=tmp_path)
    assert_one_line_error(proc, 2, "nope", "embedded")


def test_an_unknown_profile_exits_2(tmp_path: Path) -> None:
    assert_one_line_error(run_cli("run", "--profile", "fast", cwd=tmp_path), 2, "fast")


def test_aws_without_photos_or_credentials_exits_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(
        tmp_path / "none"), AWS_EC2_METADATA_DISABLED="true")
    (tmp_path / "targets.toml").write_text(
        "[targets.aws]\nkind = 'aws'\nregion = 'us-east-1'\nfaces_dir = 'faces'\n")
    assert_one_line_error(run_cli("run", "--target", "aws", cwd=tmp_path, env=env), 2, "faces")
    (tmp_path / "faces").mkdir()
    (tmp_path / "faces" / "a.jpg").write_bytes(b"\xff\xd8\xff\xe0photo")
    assert_one_line_error(run_cli("run", "--target", "aws", cwd=tmp_path, env=env), 2,
                          "credentials")


@pytest.fixture()
def served_mutant() -> Iterator[str]:
    """``conformance serve`` with a deviation that exploration finds, so a run shrinks."""
    from tests.interrupting import EXPLORED_DEVIATION

    yield from _serve("--deviation", EXPLORED_DEVIATION)


@pytest.mark.slow
@pytest.mark.parametrize(("phase", "kind", "signum"), [
    ("directed", "embedded", signal.SIGINT), ("directed", "endpoint", signal.SIGTERM),
    ("exploring", "embedded", signal.SIGTERM), ("exploring", "endpoint", signal.SIGINT),
    ("shrinking", "embedded", signal.SIGINT), ("shrinking", "endpoint", signal.SIGTERM),
])
def test_an_interrupted_run_cleans_up_and_still_writes_its_report(
        tmp_path: Path, request: pytest.FixtureRequest, phase: str, kind: str,
        signum: int) -> None:
    """SIGINT (Ctrl-C) or SIGTERM (a CI system cancelling a job; each phase meets both
    across the target kinds), at each phase: the run stops, deletes what it created, writes
    what it learned, and says 130 as it exits 130. The stop latency is printed, not
    asserted: scripts/interrupt_latency.py measures it."""
    from tests.interrupting import EXPLORED_DEVIATION, interrupt_at

    if kind == "endpoint":
        url = request.getfixturevalue("served_mutant" if phase == "shrinking" else "served")
        where = ["--endpoint-url", url]
    else:
        (tmp_path / "targets.toml").write_text(
            "[targets.mutant]\nkind = 'embedded'\n[targets.mutant.emulator]\n"
            f"deviations = ['{EXPLORED_DEVIATION}']\n")
        where = (["--targets", str(tmp_path / "targets.toml"), "--target", "mutant"]
                 if phase == "shrinking" else [])
    stop = interrupt_at([*where, "--profile", "ci", "--seed", "1"], phase,
                        tmp_path / "reports", signum=signum, wait=TIMEOUT, timeout=20)
    print(f"{phase} {kind} {signal.Signals(signum).name}: stopped in {stop.latency} s, "
          f"exit {stop.exit_code}, {stop.examples} examples")
    assert stop.seen, stop.console
    assert stop.exit_code == 130, stop.console
    assert "(exit 130)" in stop.console
    assert "Traceback" not in stop.console and "Exception ignored" not in stop.console
    assert stop.result is not None, stop.console
    assert any(e["kind"] == "interrupted" for e in stop.result["errors"])
    assert not [e for e in stop.result["errors"] if e["kind"] in ("cleanup", "suite")]
    assert any(c["checks"] > 0 for c in stop.result["clauses"])
    if phase != "directed":
        assert stop.examples >= 10  # the progress line named test case 10
    if kind == "endpoint":
        assert collections_on(where[1]) == []


def test_diff_of_a_run_with_itself_reports_no_change(tmp_path: Path) -> None:
    assert run_cli("run", "--seed", "3", "--quiet", cwd=tmp_path).returncode == 0
    (run_dir,) = run_dirs(tmp_path / "reports")
    proc = run_cli("diff", str(run_dir / "result.json"), str(run_dir / "result.json"),
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no change" in proc.stdout


# ---------------------------------------------------------------- discoverability, checks


def test_version() -> None:
    from conformance.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0


@pytest.mark.parametrize("command", ["run", "selftest", "diff", "serve"])
def test_help_lists_exit_codes(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    from conformance.cli import main

    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    assert "exit codes:" in out
    assert "  0 " in out and "  2 " in out
    if command == "run":
        assert "  4 " in out and "expected_failures" in out


def test_deviations_lists_what_serve_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    from conformance.cli import main
    from conformance.emulator.behaviour import DEVIATIONS

    assert main(["deviations"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(DEVIATIONS)
    assert all(len(line.split(None, 1)) == 2 for line in lines)  # each has a description


@pytest.mark.parametrize(("args", "words"), [
    (["serve", "--deviation", "move-owned-fac"], ("move-owned-fac", "did you mean",
                                                  "'move-owned-face'", "drop-unknown-face")),
    (["serve", "--port", "99999"], ("99999", "range")),
    (["serve", "--port", "http"], ("http",)),
    (["run", "--seed", "abc"], ("abc", "random")),
    (["run", "--report-dir", "afile"], ("--report-dir", "not a directory")),
    (["run", "--report-dir", "afile/sub"], ("--report-dir", "afile")),
    (["run", "--junit-xml", "."], ("--junit-xml", "directory")),
    (["run", "--html", "afile/report.html"], ("--html", "afile")),
])
def test_bad_arguments_exit_2_with_one_line_before_any_run(
        tmp_path: Path, args: list[str], words: tuple[str, ...]) -> None:
    (tmp_path / "afile").write_text("x")
    proc = run_cli(*args, cwd=tmp_path)
    assert_one_line_error(proc, 2, *words)
    assert proc.stdout == ""  # nothing ran
    assert not (tmp_path / "reports").exists()


def test_ci_profile_has_a_fixed_default_seed() -> None:
    from conformance.cli import default_seed

    assert default_seed("ci", None) == 0
    assert default_seed("ci", "random") is None
    assert default_seed("live", None) == 0
    assert default_seed("dev", None) is None
    assert default_seed("dev", 5) == 5


def test_serve_listens_on_the_given_host(tmp_path: Path) -> None:
    proc = subprocess.Popen([*CLI, "serve", "--host", "0.0.0.0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.fullmatch(r"listening on http://0\.0\.0\.0:(\d+)\n", line)
        assert match, line
        assert collections_on(f"http://127.0.0.1:{match.group(1)}") == []
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


def test_fixed_report_paths_and_latest(tmp_path: Path) -> None:
    proc = run_cli("run", "--seed", "5", "--quiet", "--junit-xml", "out/junit.xml",
                   "--html", "out/report.html", "--markdown", "out/report.md",
                   "--json", "out/result.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run_dir,) = run_dirs(tmp_path / "reports")
    for name in ("junit.xml", "report.html", "report.md", "result.json"):
        assert (tmp_path / "out" / name).read_bytes() == (run_dir / name).read_bytes()
        assert (tmp_path / "reports" / "latest" / name).exists()
    assert "out/junit.xml" in proc.stdout
