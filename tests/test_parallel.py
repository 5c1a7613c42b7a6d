"""Parallel runs: exploration batches run by worker processes or by shards on several
machines give the record a run over the same batches in one process gives."""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_cli import CLI, TIMEOUT, assert_one_line_error, collections_on, run_cli, run_dirs
from test_cli import served as served  # a fixture, used by name

from conformance.emulator.behaviour import Behaviour
from conformance.parallel import BATCH, Shard, batches, merge_shards
from conformance.report import to_json
from conformance.results import RunResult
from conformance.runner import run_suite
from conformance.targets import BUILTIN_EMBEDDED, Target

SEED = 5
# Two deviations of the mutant catalogue, each caught under a clause of its own.
DEVIATIONS = frozenset({"move-owned-face", "df-missing-user-status"})


def target(deviations: frozenset[str] = frozenset()) -> Target:
    return dataclasses.replace(BUILTIN_EMBEDDED, name="under-test",
                               behaviour=Behaviour(deviations=deviations))


def judged(result: RunResult) -> tuple[Any, ...]:
    """What must agree: each clause's state and cases, and each finding's identity."""
    return ([(c.clause, c.status, sorted(c.cases.items())) for c in result.clauses],
            sorted((f.clause, f.case, f.identity) for f in result.findings))


def runs(deviations: frozenset[str]) -> dict[str, RunResult]:
    out = {"whole": run_suite(target(deviations), profile="dev", seed=SEED)}
    for i in (1, 2):
        out[f"shard{i}"] = run_suite(target(deviations), profile="dev", seed=SEED,
                                     shard=Shard(i, 2))
    return out


@pytest.fixture(scope="module")
def reference() -> dict[str, RunResult]:
    return runs(frozenset())


@pytest.fixture(scope="module")
def mutant() -> dict[str, RunResult]:
    return runs(DEVIATIONS)


def test_the_split_does_not_depend_on_the_shards() -> None:
    every = batches(60, SEED)
    assert len(every) == 60 // BATCH and sum(b.examples for b in every) == 60
    assert [b.examples for b in batches(12, SEED)] == [6, 6]
    for count in (1, 2, 3, 7):
        shares = [batches(60, SEED, Shard(i, count)) for i in range(1, count + 1)]
        assert sorted((b for s in shares for b in s), key=lambda b: b.index) == list(every)
    assert batches(60, SEED) != batches(60, SEED + 1)  # each seed its own batch seeds


@pytest.mark.parametrize("which", ["reference", "mutant"])
def test_two_shards_merged_equal_the_whole_run(which: str, request: pytest.FixtureRequest
                                               ) -> None:
    found: dict[str, RunResult] = request.getfixturevalue(which)
    assert found["shard1"].shard["batches"] == [0] and found["shard2"].shard["batches"] == [1]
    merged = merge_shards([("one", found["shard1"]), ("two", found["shard2"])])
    assert judged(merged) == judged(found["whole"])
    assert merged.verdict == found["whole"].verdict
    assert not merged.shard
    if which == "reference":
        assert merged.verdict == "conforms", merged.findings
    else:
        failed = {c.clause for c in merged.clauses if c.status == "failed"}
        assert failed == {"AF-DIFF-USER", "DF-SHAPE"}
    # Each shard explored its own batch; together, as many test cases as the profile's.
    assert found["shard1"].examples >= 6 and found["shard2"].examples >= 6


def test_two_workers_judge_as_one(mutant: dict[str, RunResult]) -> None:
    two = run_suite(target(DEVIATIONS), profile="dev", seed=SEED, workers=2)
    assert not [e for e in two.errors if e.kind != "cleanup"], two.errors
    assert judged(two) == judged(mutant["whole"])
    assert two.examples >= 12


def write(tmp_path: Path, name: str, result: RunResult) -> str:
    path = tmp_path / name / "result.json"
    path.parent.mkdir(parents=True)
    path.write_text(to_json(result), encoding="utf-8")
    return str(path)


def test_merge_writes_one_record_and_the_reports(tmp_path: Path,
                                                 mutant: dict[str, RunResult]) -> None:
    files = [write(tmp_path, f"s{i}", mutant[f"shard{i}"]) for i in (1, 2)]
    proc = run_cli("merge", *files, "--report-dir", str(tmp_path / "merged"), cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the mutant does not conform
    merged = json.loads((tmp_path / "merged" / "result.json").read_text())
    assert {f["clause"] for f in merged["findings"]} == {"AF-DIFF-USER", "DF-SHAPE"}
    for report in ("junit.xml", "report.md", "report.html"):
        assert (tmp_path / "merged" / report).is_file()


@pytest.mark.parametrize(("change", "words"), [
    ({"seed": SEED + 1}, ("seed", "not shards of one run")),
    ({"profile": "ci"}, ("profile",)),
    ({"target": {"name": "other", "kind": "embedded"}}, ("target", "other")),
    ({"shard": {}}, ("not a shard's record",)),
])
def test_merge_refuses_what_is_not_one_run_in_one_line(
        tmp_path: Path, mutant: dict[str, RunResult], change: dict[str, Any],
        words: tuple[str, ...]) -> None:
    files = [write(tmp_path, "a", mutant["shard1"]),
             write(tmp_path, "b", dataclasses.replace(mutant["shard2"], **change))]
    assert_one_line_error(run_cli("merge", *files, cwd=tmp_path), 2, *words)


def test_merge_refuses_a_shard_given_twice(tmp_path: Path, mutant: dict[str, RunResult]
                                           ) -> None:
    files = [write(tmp_path, name, mutant["shard2"]) for name in ("a", "b")]
    assert_one_line_error(run_cli("merge", *files, cwd=tmp_path), 2, "shard 2/2 given twice")


def test_merge_names_the_missing_shard(tmp_path: Path, mutant: dict[str, RunResult]) -> None:
    proc = run_cli("merge", write(tmp_path, "a", mutant["shard1"]), cwd=tmp_path)
    assert_one_line_error(proc, 2, "shard 2/2 missing")


@pytest.mark.parametrize(("args", "words"), [
    (("--workers", "0"), ("--workers", "at least 1")),
    (("--shard", "3/2"), ("--shard", "3/2", "between 1 and N")),
    (("--shard", "two"), ("--shard", "I/N")),
])
def test_bad_workers_or_shard_exit_2_in_one_line(tmp_path: Path, args: tuple[str, ...],
                                                 words: tuple[str, ...]) -> None:
    assert_one_line_error(run_cli("run", *args, cwd=tmp_path), 2, *words)


def test_an_interrupted_run_with_workers_cleans_up_and_writes_its_report(
        tmp_path: Path, served: str) -> None:
    proc = subprocess.Popen([*CLI, "run", "--endpoint-url", served, "--profile", "nightly",
                             "--seed", "1", "--workers", "2"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:  # wait until the workers explore
        if line.startswith("... [batch"):
            break
    # SIGTERM to the parent alone, as a CI system cancels a job: it must stop the workers.
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 130, out + err
    assert "Traceback" not in out + err
    assert collections_on(served) == []
    (run_dir,) = run_dirs(tmp_path / "reports")
    result = json.loads((run_dir / "result.json").read_text())
    assert any(e["kind"] == "interrupted" for e in result["errors"])
    assert result["examples"] > 0  # what the workers learned is kept
