"""``conformance bench`` runs end to end. It measures; nothing here asserts a speed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conformance.bench import schedule

TIMEOUT = 300  # seconds; a bound for a tiny bench, not a performance claim


def test_bench_quick_runs_end_to_end_and_prints_its_table(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "bench", "--quick", "--repeat", "1",
         "--examples", "1", "--steps", "2", "--calls", "30", "--mutants", "move-owned-face",
         "--json", str(out)],
        capture_output=True, text=True, timeout=TIMEOUT, check=False, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for heading in ("machine:", "(a, b) suite vs bare boto3", "suite steps/s", "suite calls/s",
                    "bare calls/s", "suite/bare", "settle polls", "(c) ci profile",
                    "skipped (--quick)", "(d) self-test", "move-owned-face"):
        assert heading in proc.stdout, (heading, proc.stdout)
    assert "Traceback" not in proc.stderr
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert set(figures["suite"]) == set(figures["bare"]) == {"in-process", "http"}
    assert figures["bare"]["in-process"]["calls"] == 30
    assert figures["suite"]["in-process"]["calls"] > 0
    assert figures["mutants"]["mutants"] == 1


def test_the_bare_loop_keeps_the_mix() -> None:
    mix = {"ListFaces": 50, "IndexFaces": 30, "CreateCollection": 2, "DeleteCollection": 2,
           "AssociateFaces": 16}
    ops = schedule(mix, 100)
    assert ops.count("ListFaces") == 50 and ops.count("IndexFaces") == 30
    assert ops.count("AssociateFaces") == 16 and ops.count("recycle") == 2
    assert schedule(mix, 100) == ops  # reproducible
