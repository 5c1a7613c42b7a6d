"""Measure how a run stops on SIGINT (or SIGTERM) at each phase, against an endpoint target.

For each phase (directed, exploring, shrinking) it runs ``conformance run --profile ci``
against a ``conformance serve`` of its own N times (seeds 0..N-1), sends the signal when the
progress names the phase, and reports the worst stop latency, the exit codes, whether the
report was written (and how many test cases it counts) and the collections left on the
server. Shrinking needs a finding that exploration makes: that server runs with
``--deviation list-faces-skips-with-pages-of-three``, which the directed checks do not catch.

    PYTHONPATH=. python scripts/interrupt_latency.py --times 10
"""

from __future__ import annotations

import argparse
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.interrupting import CLI, EXPLORED_DEVIATION, PHASE_WORDS, Stop, interrupt_at


@contextmanager
def served(*options: str) -> Iterator[str]:
    proc = subprocess.Popen([*CLI, "serve", *options], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)\n", proc.stdout.readline())
        assert match, "conformance serve did not start"
        yield match.group(1)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def collections_on(url: str) -> list[str]:
    import boto3

    client = boto3.client("rekognition", endpoint_url=url, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    return list(client.list_collections()["CollectionIds"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--times", type=int, default=10, help="runs per phase (default 10)")
    parser.add_argument("--phase", action="append", choices=list(PHASE_WORDS),
                        help="only this phase (repeatable; default: all three)")
    parser.add_argument("--signal", choices=("SIGINT", "SIGTERM"), default="SIGINT")
    parser.add_argument("--profile", default="ci")
    args = parser.parse_args()
    signum = signal.Signals[args.signal]
    worst_all = 0.0
    for phase in args.phase or list(PHASE_WORDS):
        options = ("--deviation", EXPLORED_DEVIATION) if phase == "shrinking" else ()
        stops: list[Stop] = []
        left: list[str] = []
        with served(*options) as url, tempfile.TemporaryDirectory() as tmp:
            for n in range(args.times):
                stop = interrupt_at(["--endpoint-url", url, "--profile", args.profile,
                                     "--seed", str(n)], phase, Path(tmp) / str(n),
                                    signum=signum, timeout=20)
                remaining = collections_on(url)
                left += remaining
                stops.append(stop)
                print(f"{phase:9} seed {n}: phase seen {stop.seen}, stopped in "
                      f"{stop.latency:5.2f} s, exit {stop.exit_code}, report "
                      f"{'written' if stop.result else 'MISSING'} ({stop.examples} examples), "
                      f"{len(remaining)} collections left", flush=True)
        worst = max(s.latency for s in stops)
        worst_all = max(worst, worst_all)
        codes = sorted({s.exit_code for s in stops})
        print(f"{phase}: {len(stops)} runs, worst stop {worst:.2f} s, exit codes {codes}, "
              f"reports {sum(1 for s in stops if s.result)}/{len(stops)}, phase seen "
              f"{sum(1 for s in stops if s.seen)}/{len(stops)}, collections left {len(left)}",
              flush=True)
    print(f"worst stop latency over all phases: {worst_all:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
