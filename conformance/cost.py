"""What a run against live AWS costs, before it starts.

``estimate(calls_by_operation, region)`` prices a table of calls per operation
with ``data/prices.toml`` (USD per 1,000 images, with its date and source);
``profile_calls(profile)`` is the table measured for each profile against the
embedded target (``data/profile_calls.toml``); ``render`` gives the lines the
CLI prints before a live run.

``python -m conformance.cost --measure`` remeasures the profile table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.results import CALL_COUNTERS

DATA = Path(__file__).parent / "data"
PRICES_FILE = DATA / "prices.toml"
PROFILE_CALLS_FILE = DATA / "profile_calls.toml"
PRICED_REGION = "us-east-1"


@dataclass(frozen=True)
class Line:
    operation: str
    calls: int
    per_1000: float | None  # None: free, or no price known (see ``Estimate.unpriced``)
    cost: float


@dataclass(frozen=True)
class Estimate:
    region: str
    priced_region: str  # the region whose prices were used
    lines: tuple[Line, ...]
    total: float
    unpriced: tuple[str, ...]  # operations called that the price file does not name
    prices_date: str
    prices_source: str
    currency: str

    @property
    def calls(self) -> int:
        return sum(line.calls for line in self.lines)

    @property
    def billed_calls(self) -> int:
        return sum(line.calls for line in self.lines if line.per_1000)


def _load(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def estimate(calls_by_operation: Mapping[str, int], region: str,
             prices_file: Path = PRICES_FILE) -> Estimate:
    """Price ``calls_by_operation`` at ``region``'s prices (else us-east-1's, said so)."""
    prices = _load(prices_file)
    regions = prices.get("regions", {})
    priced = region if region in regions else PRICED_REGION
    per_1000: Mapping[str, float] = regions[priced]["per_1000_images"]
    free = set(prices.get("free", {}).get("operations", []))
    lines, unpriced = [], []
    for operation, calls in sorted(calls_by_operation.items()):
        if operation in CALL_COUNTERS or calls <= 0:
            continue  # the client's retries are counted apart by the driver
        price = per_1000.get(operation)
        if price is None and operation not in free:
            unpriced.append(operation)
        lines.append(Line(operation, calls, price, calls * (price or 0.0) / 1000))
    return Estimate(region, priced, tuple(lines), sum(line.cost for line in lines),
                    tuple(unpriced), str(prices["date"]), str(prices["source"]),
                    str(prices.get("currency", "USD")))


def profile_calls(profile: str, path: Path = PROFILE_CALLS_FILE) -> dict[str, int] | None:
    """The calls per operation measured for ``profile``; None when it was not measured."""
    table = _load(path).get("profiles", {}).get(profile)
    return dict(table["calls"]) if table else None


def measured_on(path: Path = PROFILE_CALLS_FILE) -> str:
    data = _load(path)
    return f"{data.get('target', 'embedded')} target, {data.get('date', '?')}"


def render(estimate: Estimate, *, profile: str, budget: int | None) -> list[str]:
    """The lines printed before a live run."""
    money = estimate.currency
    lines = [f"Cost estimate for profile {profile} in {estimate.region} "
             f"(prices of {estimate.priced_region}, {estimate.prices_date}, "
             f"{estimate.prices_source}):"]
    width = max((len(line.operation) for line in estimate.lines), default=10)
    for line in estimate.lines:
        price = (f"{line.per_1000:.2f} {money}/1000" if line.per_1000
                 else "no price known" if line.operation in estimate.unpriced else "free")
        lines.append(f"  {line.operation:{width}} {line.calls:7d} calls  {price:>16}  "
                     f"{line.cost:8.2f} {money}")
    lines.append(f"  {'total':{width}} {estimate.calls:7d} calls  {'':>16}  "
                 f"{estimate.total:8.2f} {money} ({estimate.billed_calls} billed image calls)")
    if estimate.priced_region != estimate.region:
        lines.append(f"  no prices on file for {estimate.region}; {estimate.priced_region}'s "
                     "were used")
    if estimate.unpriced:
        lines.append(f"  not priced (not in the price file): {', '.join(estimate.unpriced)}")
    if budget is not None and budget < estimate.calls:
        share = budget / estimate.calls
        lines.append(f"  the call budget of {budget} stops the run before its end: at most "
                     f"about {estimate.total * share:.2f} {money} at this mix of calls")
    lines.append("  plus retries of throttled calls and the polls of slow settling; face "
                 "storage is negligible")
    return lines


def estimate_for_profile(profile: str, region: str) -> Estimate | None:
    calls = profile_calls(profile)
    return estimate(calls, region) if calls is not None else None


def _measure(profiles: list[str], seed: int, path: Path) -> None:
    from conformance.runner import run_suite
    from conformance.targets import BUILTIN_EMBEDDED

    out = [line for line in path.read_text(encoding="utf-8").splitlines()
           if line.startswith("#")] if path.exists() else []
    out += [f'date = "{dt.date.today().isoformat()}"', 'target = "embedded"', ""]
    for profile in profiles:
        cpu = time.process_time()
        result = run_suite(BUILTIN_EMBEDDED, profile=profile, seed=seed)
        calls = {op: n for op, n in result.calls.items() if op not in CALL_COUNTERS}
        # CPU seconds as well as wall seconds: on a shared machine the wall clock says more
        # about the other jobs than about the suite.
        out += [f"[profiles.{profile}]", f"seed = {seed}", f"examples = {result.examples}",
                f"total = {sum(calls.values())}", f"seconds = {result.duration_seconds}",
                f"cpu_seconds = {time.process_time() - cpu:.1f}",
                f"[profiles.{profile}.calls]"]
        out += [f"{op} = {n}" for op, n in sorted(calls.items())] + [""]
    path.write_text("\n".join(out), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.cost",
                                     description="Remeasure the calls of each profile.")
    parser.add_argument("--measure", nargs="*", default=[], metavar="PROFILE",
                        help="the profiles to measure (default: dev, ci and live; nightly "
                             "takes long)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    _measure(args.measure or ["dev", "ci", "live"], args.seed, PROFILE_CALLS_FILE)
    print(f"wrote {PROFILE_CALLS_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
