"""The ``aws`` target kind, without AWS: a local server that behaves like the live service
(slow settling, throttling, server faults), photos from a directory, credentials from the
environment, and a call budget."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from conformance.emulator.behaviour import Behaviour
from conformance.emulator.server import EmulatorServer
from conformance.images import face_image
from conformance.runner import run_suite
from conformance.targets import Target, load_targets, resolve_target


@pytest.fixture()
def aws_like() -> Iterator[EmulatorServer]:
    # Rare enough that botocore's back-off (up to a second or so each) keeps the test short.
    behaviour = Behaviour(settle_seconds=0.05, throttle_every=97, fault_every=131)
    with EmulatorServer(behaviour=behaviour) as server:
        yield server


@pytest.fixture()
def credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def aws_target(tmp_path: Path, url: str, budget: int, extra: str = "") -> Target:
    photos = tmp_path / "faces"
    photos.mkdir(exist_ok=True)
    for person in range(4):  # distinct people, one face each
        (photos / f"person{person}.png").write_bytes(face_image(person))
    (tmp_path / "targets.toml").write_text(f"""
[targets.live]
kind = "aws"
region = "us-east-1"
endpoint_url = "{url}"
faces_dir = "faces"
call_budget = {budget}
settle_timeout = 10
{extra}
""")
    return resolve_target(load_targets(tmp_path / "targets.toml"), "live", None)


def collections_on(server: EmulatorServer) -> list[str]:
    client = boto3.client("rekognition", endpoint_url=server.url, region_name="us-east-1",
                          aws_access_key_id="x", aws_secret_access_key="x")
    return list(client.list_collections()["CollectionIds"])


@pytest.mark.usefixtures("credentials")
def test_an_aws_like_service_conforms_through_throttling_faults_and_settling(
        tmp_path: Path, aws_like: EmulatorServer) -> None:
    result = run_suite(aws_target(tmp_path, aws_like.url, budget=20000), profile="dev", seed=1)
    assert result.verdict == "conforms", [f.message for f in result.findings] + [
        e.message for e in result.errors]
    assert result.calls.get("retries", 0) > 0  # throttling and faults were absorbed
    assert result.hard_states.get("settled", 0) > 0
    assert collections_on(aws_like) == []


@pytest.mark.usefixtures("credentials")
def test_a_live_run_judges_every_clause_of_an_aws_like_service_within_400_calls(
        tmp_path: Path, aws_like: EmulatorServer) -> None:
    target = aws_target(tmp_path, aws_like.url, budget=400, extra="max_rps = 200")
    assert target.max_rps == 200
    result = run_suite(target, profile="live", seed=1)
    assert result.verdict == "conforms", [f.message for f in result.findings] + [
        e.message for e in result.errors]
    assert result.calls_sent() <= 400, result.calls
    assert [c.clause for c in result.clauses if c.status != "passed"] == []
    assert result.calls.get("retries", 0) > 0  # throttling and faults were absorbed
    assert result.hard_states.get("settled", 0) > 0
    assert collections_on(aws_like) == []


@pytest.mark.usefixtures("credentials")
def test_a_spent_budget_stops_the_run_reports_it_and_cleans_up(
        tmp_path: Path, aws_like: EmulatorServer) -> None:
    result = run_suite(aws_target(tmp_path, aws_like.url, budget=150), profile="dev", seed=1)
    assert result.verdict == "error"
    assert [e.kind for e in result.errors] == ["budget"]
    assert not result.findings
    unchecked = [c for c in result.clauses if c.status == "not-checked"]
    assert unchecked and all("budget" in c.reason for c in unchecked)
    # Nothing the run checked is claimed as passed beyond what it saw.
    assert all(c.checks > 0 for c in result.clauses if c.status == "passed")
    assert collections_on(aws_like) == []
