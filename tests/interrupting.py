"""Interrupt a ``conformance run`` at a chosen phase and see how it stops.

Shared by tests/test_cli.py and scripts/interrupt_latency.py: start the run as a
subprocess, wait until its progress on stderr names the phase, send the signal,
and measure what a user would: how long until the process ends, its exit code, the
console's last word, the report written and what it counts.
"""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

CLI = [sys.executable, "-m", "conformance"]
# The word of the progress lines of each phase (see conformance/runner.py).
# A deviation the directed checks do not catch, so that exploration finds it and shrinks.
EXPLORED_DEVIATION = "list-faces-skips-with-pages-of-three"
PHASE_WORDS = {"directed": "directed checks:", "exploring": "exploring:",
               "shrinking": "shrinking new findings:"}


@dataclass(frozen=True)
class Stop:
    phase: str
    seen: bool  # the phase's progress line showed before the signal was sent
    latency: float  # seconds from the signal to the end of the process
    exit_code: int
    console: str  # stdout and stderr
    result: dict[str, Any] | None  # result.json of the run, if it was written

    @property
    def examples(self) -> int:
        return int((self.result or {}).get("examples", 0))


def _lines(stream: IO[str], into: queue.Queue[str | None]) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


def interrupt_at(run_args: list[str], phase: str, report_dir: Path, *,
                 signum: int = signal.SIGINT, wait: float = 600.0,
                 timeout: float = 20.0) -> Stop:
    """Run ``conformance run RUN_ARGS --report-dir REPORT_DIR``; signal it in ``phase``.

    ``wait`` bounds the wait for the phase, ``timeout`` the wait for the process to end
    after the signal (then it is killed, and the latency says so).
    """
    proc = subprocess.Popen([*CLI, "run", *run_args, "--report-dir", str(report_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str | None] = queue.Queue()
    seen_lines: list[str] = []
    readers = [threading.Thread(target=_lines, args=(s, lines), daemon=True)
               for s in (proc.stderr, proc.stdout)]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + wait
    seen = False
    ended = 0
    try:
        while not seen and ended < 2 and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                ended += 1
                continue
            seen_lines.append(line)
            seen = PHASE_WORDS[phase] in line
        sent = time.monotonic()
        proc.send_signal(signum)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        latency = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    for reader in readers:
        reader.join(timeout=10)
    while not lines.empty():
        line = lines.get()
        if line is not None:
            seen_lines.append(line)
    results = sorted(report_dir.glob("*/result.json")) if report_dir.exists() else []
    result = json.loads(results[-1].read_text()) if results else None
    return Stop(phase, seen, round(latency, 2), proc.returncode, "".join(seen_lines), result)
