"""``conformance bench``: how fast the suite runs on this machine, next to what botocore allows.

Run on demand; it prints figures and never passes or fails. Four parts:

(a) the state machine against the embedded target, in-process and over HTTP: Hypothesis
    steps per second and API calls per second of a ``run_suite`` with a fixed seed;
(b) right beside each suite run, in the same process, a bare boto3 loop making the same
    mix of calls (the operation proportions of that run's ``result.calls``) against the
    same kind of server: the ratio suite/bare is measured in one run;
(c) the ``ci`` profile's wall time with 1 and 2 workers (``run_suite(workers=N)``),
    seed 0 (skipped with ``--quick``);
(d) from the self-test: the median and worst seconds, and calls, until a mutant is
    caught (first failure, no shrinking), each mutant in its own process.

Each figure is the best of ``--repeat`` runs: the machine is shared, and the best run is
the one least disturbed by others. A call is one request the suite chose to send, as
``RunResult.calls`` counts them (the client's retries are counted apart).
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import os
import platform
import random
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.results import CALL_COUNTERS
from conformance.targets import Target, Transport

SEED = 1
# A handful of mutants of different clauses, for the default (not ``--full``) self-test part.
DEFAULT_MUTANTS = ("move-owned-face", "threshold-ignored", "cap-off-by-one",
                   "mismatch-wrong-code", "status-never-settles",
                   "faceid-pattern-unchecked")

Progress = Callable[[str], None]


@dataclass
class SuiteRun:
    transport: str
    seconds: float
    calls: int
    steps: int
    examples: int
    mix: dict[str, int]
    settle_polls: int  # ListUsers/ListFaces calls made while waiting for users to settle
    in_client: float  # seconds inside boto3 (botocore and the emulator's answer)
    cpu_seconds: float  # this process's CPU time: less disturbed by other users of the machine

    @property
    def calls_per_s(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    @property
    def calls_per_cpu_s(self) -> float:
        return self.calls / self.cpu_seconds if self.cpu_seconds else 0.0

    @property
    def steps_per_s(self) -> float:
        return self.steps / self.seconds if self.seconds else 0.0


@dataclass
class BareRun:
    transport: str
    seconds: float
    calls: int
    cpu_seconds: float

    @property
    def calls_per_s(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    @property
    def calls_per_cpu_s(self) -> float:
        return self.calls / self.cpu_seconds if self.cpu_seconds else 0.0


@dataclass
class BenchResult:
    machine: dict[str, Any]
    settings: dict[str, Any]
    suite: dict[str, SuiteRun] = field(default_factory=dict)
    bare: dict[str, BareRun] = field(default_factory=dict)
    # suite/bare of each suite run and the bare loop right after it: the load is shared
    pairs: dict[str, list[float]] = field(default_factory=dict)
    ci: dict[str, Any] = field(default_factory=dict)
    mutants: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        def run(r: SuiteRun | BareRun) -> dict[str, Any]:
            return {**dataclasses.asdict(r), "calls_per_s": round(r.calls_per_s, 1),
                    "calls_per_cpu_s": round(r.calls_per_cpu_s, 1),
                    **({"steps_per_s": round(r.steps_per_s, 1)} if isinstance(r, SuiteRun)
                       else {})}

        return {"machine": self.machine, "settings": self.settings,
                "suite": {k: run(v) for k, v in self.suite.items()},
                "bare": {k: run(v) for k, v in self.bare.items()},
                "ratio": {k: round(self.ratio(k), 3) for k in self.suite if k in self.bare},
                "pair_ratios": self.pairs,
                "ratio_cpu": {k: round(self.ratio(k, cpu=True), 3)
                              for k in self.suite if k in self.bare},
                "ci": self.ci, "mutants": self.mutants}

    def ratio(self, transport: str, cpu: bool = False) -> float:
        """Suite calls/s over bare calls/s, by wall time (or by this process's CPU time)."""
        suite, bare = self.suite[transport], self.bare[transport]
        if cpu:
            return suite.calls_per_cpu_s / bare.calls_per_cpu_s if bare.calls_per_cpu_s else 0.0
        return suite.calls_per_s / bare.calls_per_s if bare.calls_per_s else 0.0


def machine_info() -> dict[str, Any]:
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "loadavg_1min": round(load[0], 2)}


# --------------------------------------------------------------------------- (a) the suite


@contextlib.contextmanager
def _profile(examples: int | None, steps: int | None) -> Iterator[str]:
    """The dev profile, or a transient copy of it with fewer test cases or steps."""
    from conformance.runner import PROFILES, Profile

    if examples is None and steps is None:
        yield "dev"
        return
    dev = PROFILES["dev"]
    name = "bench"
    PROFILES[name] = Profile(name, examples if examples is not None else dev.examples,
                             steps if steps is not None else dev.steps, "conformance bench")
    try:
        yield name
    finally:
        del PROFILES[name]


@contextlib.contextmanager
def _counters() -> Iterator[dict[str, float]]:
    """Count Hypothesis steps, settle polls and time spent inside boto3, for one run.

    Everything is patched on classes for the run only and restored after; nothing of
    the suite's own code changes.
    """
    from conformance.harness.observe import Observing
    from conformance.machine import ConformanceMachine

    counts: dict[str, float] = {"invariants": 0, "settle_polls": 0, "in_client": 0.0}
    depth = [0]
    original_invariants = ConformanceMachine.check_invariants
    original_settle = Observing.settle

    def check_invariants(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts["invariants"] += 1  # once after the initial state, then once per step
        return original_invariants(self, *args, **kwargs)

    def settle(self: Any, *args: Any, **kwargs: Any) -> Any:
        depth[0] += 1
        before = self.ctx.driver.calls_made()
        try:
            return original_settle(self, *args, **kwargs)
        finally:
            depth[0] -= 1
            if not depth[0]:
                counts["settle_polls"] += self.ctx.driver.calls_made() - before

    ConformanceMachine.check_invariants = check_invariants  # type: ignore[method-assign]
    Observing.settle = settle  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        ConformanceMachine.check_invariants = original_invariants  # type: ignore[method-assign]
        Observing.settle = original_settle  # type: ignore[method-assign]


@contextlib.contextmanager
def _timed_clients(counts: dict[str, float]) -> Iterator[None]:
    """Add up the seconds spent inside boto3's ``_make_api_call`` (botocore + emulator).

    Concurrent calls (the race rules) overlap, so their seconds count more than once:
    the share in boto3 is a little high for runs with many races.
    """
    from botocore.client import BaseClient

    original = BaseClient._make_api_call

    def timed(self: Any, operation_name: str, api_params: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(self, operation_name, api_params)
        finally:
            counts["in_client"] += time.perf_counter() - start

    BaseClient._make_api_call = timed
    try:
        yield
    finally:
        BaseClient._make_api_call = original


def embedded(transport: Transport) -> Target:
    from conformance.targets import BUILTIN_EMBEDDED

    return dataclasses.replace(BUILTIN_EMBEDDED, transport=transport)


def run_suite_once(transport: Transport, profile: str, seed: int,
                   time_clients: bool = True) -> SuiteRun:
    from conformance.runner import run_suite

    with contextlib.ExitStack() as stack:
        counts = stack.enter_context(_counters())
        if time_clients:
            stack.enter_context(_timed_clients(counts))
        start, cpu = time.perf_counter(), time.process_time()
        result = run_suite(embedded(transport), profile=profile, seed=seed)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if result.verdict != "conforms":
        raise RuntimeError(f"the bench's suite run did not conform: {result.verdict} "
                           f"{[e.message for e in result.errors][:1]}")
    mix = {op: n for op, n in result.calls.items() if op not in CALL_COUNTERS}
    return SuiteRun(transport, round(seconds, 3), sum(mix.values()),
                    int(counts["invariants"]) - result.examples, result.examples, mix,
                    int(counts["settle_polls"]), round(counts["in_client"], 3), round(cpu, 3))


# --------------------------------------------------------------------------- (b) bare boto3


def schedule(mix: dict[str, int], calls: int, seed: int = SEED) -> list[str]:
    """``calls`` operations in the proportions of ``mix``, shuffled reproducibly.

    CreateCollection and DeleteCollection are left out: the loop recycles its collection
    (one DeleteCollection and one CreateCollection) as often as the mix has them.
    """
    total = sum(mix.values())
    if not total or calls <= 0:
        return []
    shares = {op: n * calls / total for op, n in mix.items()}
    counts = {op: int(s) for op, s in shares.items()}
    for op in sorted(shares, key=lambda o: counts[o] - shares[o])[:calls - sum(counts.values())]:
        counts[op] += 1
    collections = counts.pop("CreateCollection", 0) + counts.pop("DeleteCollection", 0)
    recycles = collections // 2
    if collections % 2 and counts:  # an odd one out goes to the commonest operation
        counts[max(counts, key=lambda o: counts[o])] += 1
    ops = [op for op, n in sorted(counts.items()) for _ in range(n)]
    random.Random(seed).shuffle(ops)
    if recycles:
        every = max(1, len(ops) // recycles)
        for i in reversed(range(every, len(ops) + 1, every)[:recycles]):
            ops.insert(i, "recycle")
    return ops


class BareLoop:
    """Plain boto3 calls, with the same mix as a suite run and no suite around them."""

    def __init__(self, client: Any, images: list[bytes]) -> None:
        from botocore.exceptions import ClientError

        self.client = client
        self.images = images
        self.client_error = ClientError
        self.ids = itertools.count()
        self.collection = ""
        self.faces: list[str] = []
        self.users: list[str] = []
        self.calls = 0

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        from botocore import xform_name

        self.calls += 1
        try:
            result: dict[str, Any] = getattr(self.client, xform_name(operation))(**params)
            return result
        except self.client_error:
            return {}

    def open(self) -> None:
        self.collection = f"bench-{next(self.ids)}"
        self._call("CreateCollection", CollectionId=self.collection)
        self.faces, self.users = [], []

    def close(self) -> None:
        self._call("DeleteCollection", CollectionId=self.collection)

    def step(self, operation: str, rng: random.Random) -> None:
        c = self.collection
        if operation == "recycle":
            self.close()
            self.open()
        elif operation == "IndexFaces":
            body = self._call("IndexFaces", CollectionId=c,
                              Image={"Bytes": rng.choice(self.images)})
            self.faces += [r["Face"]["FaceId"] for r in body.get("FaceRecords", [])]
        elif operation == "ListFaces":
            # Paged as the suite pages its listings (compare_listings: 1, 2, 3 or no limit).
            params: dict[str, Any] = {"CollectionId": c}
            size = rng.choice((1, 2, 3, None))
            if size:
                params["MaxResults"] = size
            if self.users and rng.random() < 0.5:
                params["UserId"] = rng.choice(self.users)
            self._call("ListFaces", **params)
        elif operation == "ListUsers":
            size = rng.choice((1, 2, 3, None))
            self._call("ListUsers", CollectionId=c, **({"MaxResults": size} if size else {}))
        elif operation == "CreateUser":
            user = f"u{next(self.ids)}"
            self._call("CreateUser", CollectionId=c, UserId=user)
            self.users.append(user)
        elif operation == "DeleteUser":
            user = self.users.pop(rng.randrange(len(self.users))) if self.users else "none"
            self._call("DeleteUser", CollectionId=c, UserId=user)
        elif operation in ("AssociateFaces", "DisassociateFaces"):
            faces = rng.sample(self.faces, min(len(self.faces), rng.randint(1, 3))) or [
                "00000000-0000-0000-0000-000000000000"]
            self._call(operation, CollectionId=c, UserId=rng.choice(self.users or ["none"]),
                       FaceIds=faces)
        elif operation == "DeleteFaces":
            faces = [self.faces.pop(rng.randrange(len(self.faces)))] if self.faces else [
                "00000000-0000-0000-0000-000000000000"]
            self._call("DeleteFaces", CollectionId=c, FaceIds=faces)
        else:
            raise ValueError(f"the bare loop has no request for {operation}")


def run_bare_once(transport: Transport, mix: dict[str, int], calls: int) -> BareRun:
    from conformance.kinds import connect

    ops = schedule(mix, calls)
    rng = random.Random(SEED)
    with connect(embedded(transport)) as connection:
        loop = BareLoop(connection.clients.checked, connection.images.images)
        loop.open()
        # Two users and three faces to start with, as each test case of the suite has.
        for op in ("CreateUser", "CreateUser", "IndexFaces", "IndexFaces", "IndexFaces"):
            loop.step(op, rng)
        loop.calls = 0
        start, cpu = time.perf_counter(), time.process_time()
        for op in ops:
            loop.step(op, rng)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        calls = loop.calls
        loop.close()
    return BareRun(transport, round(seconds, 3), calls, round(cpu, 3))


# --------------------------------------------------------------------------- (c) ci workers


def run_ci(workers: int, seed: int = 0) -> dict[str, Any]:
    from conformance.runner import run_suite

    start = time.perf_counter()
    result = run_suite(embedded("in-process"), profile="ci", seed=seed, workers=workers)
    return {"workers": workers, "seconds": round(time.perf_counter() - start, 1),
            "calls": result.calls_sent(), "examples": result.examples,
            "verdict": result.verdict}


# --------------------------------------------------------------------------- (d) mutants


def chosen_mutants(names: Sequence[str] | None) -> list[Any]:
    """The mutants named (every one for None); an unknown name is a ConfigError."""
    import difflib

    from conformance.errors import ConfigError
    from conformance.mutants import MUTANTS

    if names is None:
        return list(MUTANTS)
    known = {m.name: m for m in MUTANTS}
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"--mutants: no mutant {name!r}{hint}; they are listed in "
                              "conformance/mutants.py")
    return [known[name] for name in dict.fromkeys(names)]


def run_mutants(names: Sequence[str] | None, profile: str = "ci") -> dict[str, Any]:
    from conformance.selftest import run_selftest

    chosen = chosen_mutants(names)
    start = time.perf_counter()
    result = run_selftest(chosen, profile=profile, jobs=1)
    caught = [e for e in result.entries if e.result == "caught"]
    seconds = [e.seconds for e in caught]
    calls = [e.calls for e in caught]
    worst = max(caught, key=lambda e: e.seconds, default=None)
    return {
        "profile": profile, "mutants": len(chosen), "caught": len(caught),
        "wall_seconds": round(time.perf_counter() - start, 1),
        "median_seconds": round(statistics.median(seconds), 1) if seconds else None,
        "worst_seconds": max(seconds) if seconds else None,
        "median_calls": int(statistics.median(calls)) if calls else None,
        "worst_calls": max(calls) if calls else None,
        "worst": worst.name if worst else None,
        "entries": [{"name": e.name, "result": e.result, "seconds": e.seconds,
                     "calls": e.calls} for e in result.entries],
    }


# --------------------------------------------------------------------------- the whole bench


def run_bench(*, repeat: int = 3, seed: int = SEED, examples: int | None = None,
              steps: int | None = None, calls: int | None = None, quick: bool = False,
              mutants: Sequence[str] | None = DEFAULT_MUTANTS,
              transports: Sequence[Transport] = ("in-process", "http"),
              progress: Progress = lambda _: None) -> BenchResult:
    """Measure; ``mutants`` None runs every mutant, an empty list none."""
    result = BenchResult(machine_info(), {
        "repeat": repeat, "seed": seed, "profile": "dev", "examples": examples,
        "steps": steps, "bare_calls": calls, "quick": quick})
    with _profile(examples, steps) as profile:
        for transport in transports:
            best_suite: SuiteRun | None = None
            best_bare: BareRun | None = None
            for attempt in range(repeat):
                suite = run_suite_once(transport, profile, seed)
                progress(f"suite {transport} #{attempt + 1}: {suite.calls} calls in "
                         f"{suite.seconds:.2f} s")
                bare = run_bare_once(transport, suite.mix, calls or suite.calls)
                progress(f"bare  {transport} #{attempt + 1}: {bare.calls} calls in "
                         f"{bare.seconds:.2f} s")
                result.pairs.setdefault(transport, []).append(
                    round(suite.calls_per_s / bare.calls_per_s, 3) if bare.calls_per_s else 0.0)
                if best_suite is None or suite.seconds < best_suite.seconds:
                    best_suite = suite
                if best_bare is None or bare.calls_per_s > best_bare.calls_per_s:
                    best_bare = bare
            assert best_suite is not None and best_bare is not None
            result.suite[transport], result.bare[transport] = best_suite, best_bare
    if quick:
        result.ci = {"status": "skipped (--quick)"}
    else:
        progress("ci profile with 1 and 2 workers")
        result.ci = {"status": "measured", "runs": [run_ci(w) for w in (1, 2)]}
    if mutants is not None and not mutants:
        result.mutants = {"status": "skipped"}
    else:
        progress(f"self-test: {len(mutants) if mutants is not None else 'all'} mutants, "
                 "profile ci, first failure, 1 job")
        result.mutants = {"status": "measured", **run_mutants(mutants)}
    return result


def table_lines(result: BenchResult) -> list[str]:
    m = result.machine
    lines = [f"machine: {m['nproc']} cores, {m['cpu']}, Python {m['python']}, "
             f"load {m['loadavg_1min']} (shared: figures are noisy; best of "
             f"{result.settings['repeat']})", ""]
    lines += ["(a, b) suite vs bare boto3, same process, same call mix",
              f"{'transport':12} {'suite steps/s':>13} {'suite calls/s':>13} "
              f"{'bare calls/s':>12} {'suite/bare':>10} {'(by cpu)':>8} {'calls':>6} "
              f"{'steps':>5} {'seconds':>7} {'in boto3':>8} {'settle polls':>12}"]
    for transport, s in result.suite.items():
        b = result.bare.get(transport)
        bare = f"{b.calls_per_s:12.0f}" if b else f"{'-':>12}"
        ratio = f"{result.ratio(transport):10.0%}" if b else f"{'-':>10}"
        by_cpu = f"{result.ratio(transport, cpu=True):8.0%}" if b else f"{'-':>8}"
        share = f"{s.in_client / s.seconds:8.0%}" if s.seconds else f"{'-':>8}"
        lines.append(f"{transport:12} {s.steps_per_s:13.1f} {s.calls_per_s:13.0f} {bare} "
                     f"{ratio} {by_cpu} {s.calls:6d} {s.steps:5d} {s.seconds:7.2f} {share} "
                     f"{s.settle_polls:12d}")
    lines += [f"  suite/bare of each run and the bare loop beside it: {transport} "
              + ", ".join(f"{r:.0%}" for r in ratios) for transport, ratios in result.pairs.items()]
    lines += ["  in boto3: share of the suite's wall time inside boto3 calls (botocore and the "
              "emulator);", "  settle polls: calls made inside settle (ListUsers pages until "
              "the changed users settle)"]
    lines += ["", "(c) ci profile wall time by workers"]
    if result.ci.get("status") == "measured":
        lines += [f"  {r['workers']} worker(s): {r['seconds']} s, {r['calls']} calls, "
                  f"{r['examples']} test cases, {r['verdict']}" for r in result.ci["runs"]]
    else:
        lines.append(f"  {result.ci.get('status')}")
    lines += ["", "(d) self-test: until a mutant is caught (profile ci, first failure, no "
                  "shrinking)"]
    mu = result.mutants
    if mu.get("status") == "measured":
        lines.append(f"  {mu['caught']}/{mu['mutants']} caught; seconds median "
                     f"{mu['median_seconds']}, worst {mu['worst_seconds']} ({mu['worst']}); "
                     f"calls median {mu['median_calls']}, worst {mu['worst_calls']}")
        lines += [f"    {e['name']:34} {e['result']:8} {e['seconds']:6.1f} s {e['calls']:6d} "
                  "calls" for e in mu["entries"]]
    else:
        lines.append(f"  {mu.get('status')}")
    return lines


def write_json(result: BenchResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")


__all__ = ["DEFAULT_MUTANTS", "BenchResult", "run_bench", "table_lines", "write_json"]
