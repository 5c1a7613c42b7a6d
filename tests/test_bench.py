"""``conformance bench`` runs end to end. It measures; nothing here asserts a speed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conformance.bench import failing_runs, run_bare_once, run_suite_once, slowest_other
from conformance.runner import PROFILES, Profile

TIMEOUT = 300  # seconds; a bound for a tiny bench, not a performance claim


def test_bench_quick_runs_end_to_end_and_prints_its_table(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "conformance", "bench", "--quick", "--repeat", "1",
         "--examples", "1", "--steps", "2", "--calls", "30", "--mutants", "move-owned-face",
         "--json", str(out)],
        capture_output=True, text=True, timeout=TIMEOUT, check=False, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for heading in ("machine:", "(a, b) suite vs bare boto3", "answered as the suite's were",
                    "suite steps/s", "suite calls/s",
                    "bare calls/s", "suite/bare", "settle polls", "(c) ci profile",
                    "skipped (--quick)", "(d) self-test", "move-owned-face",
                    "(e) a failing run next to a passing one"):
        assert heading in proc.stdout, (heading, proc.stdout)
    assert "Traceback" not in proc.stderr
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert set(figures["suite"]) == set(figures["bare"]) == {"in-process", "http"}
    assert figures["bare"]["in-process"]["calls"] == 30
    assert figures["suite"]["in-process"]["calls"] > 0
    assert figures["mutants"]["mutants"] == 1


def test_the_bare_loop_resends_the_suites_requests_and_gets_the_same_answers() -> None:
    PROFILES["tiny"] = Profile("tiny", 2, 8, "this test")
    try:
        suite, recorded = run_suite_once("in-process", "tiny", seed=3)
    finally:
        del PROFILES["tiny"]
    assert len(recorded) == suite.calls > 0
    assert {c.operation for c in recorded} >= {"IndexFaces", "CreateUser", "ListUsers"}
    assert any(isinstance(c.answer, str) for c in recorded)  # refused on purpose
    bare = run_bare_once("in-process", recorded, len(recorded))
    assert bare.calls == len(recorded)
    # A fresh server gives new FaceIds; the loop renames them, or AssociateFaces would
    # find no face and hundreds of answers would differ; a request resent through the
    # wrong client would fail in botocore. Only a race, timed differently, may differ.
    assert bare.calls - bare.same_answers <= 3, (bare.same_answers, bare.calls)
    raw = [c for c in recorded if not c.validated]
    assert raw, "the invalid-input checks go through the client that does not validate"
    assert not any(c.answer == "ParamValidationError" for c in recorded)


def test_failing_runs_are_divided_by_the_reference_run_of_the_same_profile() -> None:
    PROFILES["tiny"] = Profile("tiny", 2, 8, "this test")
    try:
        # A short settle timeout keeps the never-settling run's one wait short.
        part = failing_runs(["status-never-settles"], "in-process", profile="tiny", seed=3,
                            settle_timeout=0.3)
    finally:
        del PROFILES["tiny"]
    reference, run = part["reference"], part["mutants"]["status-never-settles"]
    assert reference["verdict"] == "conforms" and reference["failed"] == []
    assert run["failed"] == ["AF-STATUS"]
    assert run["calls_ratio"] == round(run["calls"] / reference["calls"], 2)
    assert run["seconds_ratio"] == round(run["seconds"] / reference["seconds"], 2)


def test_the_slowest_other_mutant_is_never_the_never_settling_one() -> None:
    entries = [{"name": "status-never-settles", "seconds": 30.0},
               {"name": "cap-off-by-one", "seconds": 4.0},
               {"name": "no-lock", "seconds": 9.0}]
    assert slowest_other({"entries": entries}) == "no-lock"
    assert slowest_other({"entries": entries[:1]}) is None
    assert slowest_other({"status": "skipped"}) is None
