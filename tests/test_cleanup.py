"""``conformance cleanup`` deletes what killed runs left, and nothing else: not a collection
named like the suite's without its marker tags, not one with the tags under another name."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from conformance.cleanup import cleanup, find_leftovers
from conformance.cli import main
from conformance.emulator.server import EmulatorServer
from conformance.marker import marker_tags

# Collections the suite did not create, each of a shape cleanup must leave alone.
FOREIGN = {
    "prod-faces": {},
    "cfs-abcdef-lookalike": {},  # the prefix shape, no marker
    "handmade-with-marker": marker_tags("cfs-abcdef-"),  # the marker, another name
    "cfs-123456-other-run": marker_tags("cfs-654321-"),  # marked for another prefix
    "cfs-ABCDEF-upper": marker_tags("cfs-ABCDEF-"),  # not hex digits of the pattern
}


def client(url: str) -> Any:
    return boto3.client("rekognition", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(retries={"mode": "standard", "max_attempts": 2}))


@pytest.fixture()
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as emulator:
        rekognition = client(emulator.url)
        for name, tags in FOREIGN.items():
            rekognition.create_collection(CollectionId=name, **({"Tags": tags} if tags else {}))
        yield emulator


def names(url: str) -> set[str]:
    return set(client(url).list_collections()["CollectionIds"])


def test_without_leftovers_nothing_is_deleted(server: EmulatorServer) -> None:
    report = cleanup(client(server.url))
    assert report.deleted == [] and report.errors == []
    assert {name for name, _ in report.kept} == {"cfs-abcdef-lookalike", "cfs-123456-other-run"}
    assert names(server.url) == set(FOREIGN)


def test_marked_leftovers_are_deleted_and_the_dry_run_only_lists_them(
        server: EmulatorServer, capsys: pytest.CaptureFixture[str]) -> None:
    rekognition = client(server.url)
    run = "cfs-0a1b2c-"
    for suffix in ("c1", "c2"):
        rekognition.create_collection(CollectionId=run + suffix, Tags=marker_tags(run))
    assert main(["cleanup", "--endpoint-url", server.url, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"would delete {run}c1 (run {run})" in out
    assert "2 collection(s) of 1 killed run(s) would be deleted" in out
    assert names(server.url) == set(FOREIGN) | {run + "c1", run + "c2"}
    assert main(["cleanup", "--endpoint-url", server.url]) == 0
    assert "deleted 2 collection(s) of 1 killed run(s)" in capsys.readouterr().out
    assert names(server.url) == set(FOREIGN)


def test_a_young_leftover_is_left_to_its_run_with_min_age(server: EmulatorServer) -> None:
    run = "cfs-0a1b2c-"
    client(server.url).create_collection(CollectionId=run + "c1", Tags=marker_tags(run))
    report = find_leftovers(client(server.url), min_age=3600)
    assert report.leftovers == []
    assert (run + "c1", "younger than 3600 s: its run may still be going") in report.kept


def test_an_embedded_target_has_nothing_to_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cleanup", "--target", "embedded"]) == 2
    assert "nothing to clean up" in capsys.readouterr().err


def marked_run_collections(url: str) -> set[str]:
    rekognition = client(url)
    found = set()
    for name in names(url) - set(FOREIGN):
        arn = rekognition.describe_collection(CollectionId=name)["CollectionARN"]
        if rekognition.list_tags_for_resource(ResourceArn=arn)["Tags"].get("created-by"):
            found.add(name)
    return found


def test_after_a_sigkill_cleanup_removes_exactly_that_runs_collections(
        server: EmulatorServer, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "conformance", "run", "--endpoint-url", server.url,
               "--profile", "dev", "--seed", "1", "--quiet", "--report-dir",
               str(tmp_path / "reports")]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        left: set[str] = set()
        while time.monotonic() < deadline and process.poll() is None:
            # Past the preflight: a directed scenario's collection, not just created.
            left = {n for n in names(server.url) - set(FOREIGN) if not n.endswith("preflight")}
            if left:
                break
            time.sleep(0.02)
        assert left, "the run created no collection in time"
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    left = names(server.url) - set(FOREIGN)
    assert left and left == marked_run_collections(server.url)
    prefixes = {name[:11] for name in left}
    assert len(prefixes) == 1
    report = cleanup(client(server.url))
    assert sorted(report.deleted) == sorted(left) and report.errors == []
    assert names(server.url) == set(FOREIGN)
