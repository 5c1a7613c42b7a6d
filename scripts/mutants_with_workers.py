"""Does a run with several workers still catch every mutant? (issue 11: ``ci`` with 2
workers is faster than with 1 "and still catches every mutant of the catalogue").

Each mutant of the catalogue is run once, ``run_suite(profile, workers=N,
shrink=False)`` at its self-test seed, one after another; a mutant counts as
caught when its own clause failed. Prints one line per mutant and the total; exits 1 if
any escaped or was caught under another clause only.

    PYTHONPATH=. python scripts/mutants_with_workers.py --workers 2
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance.mutants import MUTANTS
from conformance.runner import run_suite
from conformance.selftest import DEFAULT_SEED, entry_seed
from conformance.targets import DEFAULT_SETTLE_TIMEOUT, Target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help="the self-test's base seed (default: its own)")
    args = parser.parse_args()
    clock = time.monotonic()
    escaped: list[str] = []
    for mutant in MUTANTS:
        target = Target(name=f"workers-{mutant.name}", kind="embedded",
                        settle_timeout=DEFAULT_SETTLE_TIMEOUT["embedded"],
                        behaviour=mutant.behaviour)
        start = time.monotonic()
        result = run_suite(target, profile=args.profile, workers=args.workers,
                           seed=entry_seed(args.seed, mutant.name), shrink=False)
        failed = sorted({f.clause for f in result.findings})
        caught = mutant.clause in failed
        if not caught:
            escaped.append(mutant.name)
        print(f"{mutant.name:40} {'caught' if caught else 'ESCAPED':8} "
              f"{time.monotonic() - start:6.1f} s  failed: {', '.join(failed) or '-'}",
              flush=True)
    print(f"{len(MUTANTS) - len(escaped)}/{len(MUTANTS)} mutants caught under their own "
          f"clause with {args.workers} workers, profile {args.profile}, "
          f"{time.monotonic() - clock:.0f} s")
    return 1 if escaped else 0


if __name__ == "__main__":
    raise SystemExit(main())
