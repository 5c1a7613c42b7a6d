"""``conformance bench``: how fast the suite runs on this machine, next to what botocore allows.

Run on demand; it prints figures and never passes or fails. Four parts:

(a) the state machine against the embedded target, in-process and over HTTP: Hypothesis
    steps per second and API calls per second of a ``run_suite`` with a fixed seed;
(b) right beside each suite run, in the same process, a bare boto3 loop sending that run's
    own requests again, in its order, to a fresh server of the same kind: the same calls
    with nothing of the suite around them, so the ratio suite/bare is the suite's own
    cost, measured in one run;
(c) the ``ci`` profile's wall time with 1 and 2 workers (``run_suite(workers=N)``),
    seed 0 (skipped with ``--quick``);
(d) from the self-test: the median and worst seconds, and calls, of each mutant's whole
    run (no shrinking), each mutant in its own process, profile ``ci`` (``dev`` with
    ``--quick``);
(e) what a failing run costs next to a passing one (issue 19: at most 1.5 times, in calls
    and in seconds): the never-settling mutant and the slowest other mutant of (d), each
    run whole with the ``ci`` profile and the bench's seed, divided by the reference's run
    of the same profile and seed, in-process and over HTTP (skipped with ``--quick``).

Each figure is the best of ``--repeat`` runs: the machine is shared, and the best run is
the one least disturbed by others. A call is one request the suite chose to send, as
``RunResult.calls`` counts them (the client's retries are counted apart).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import platform
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
    # Calls answered as the suite's were (``summary``): the bare loop did the same work.
    # Races and settling, timed differently, account for the rest.
    same_answers: int

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
    failing: dict[str, Any] = field(default_factory=dict)

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
                "ci": self.ci, "mutants": self.mutants, "failing": self.failing}

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
def _timed_clients(counts: dict[str, float], recorded: list[RecordedCall]) -> Iterator[None]:
    """Add up the seconds spent inside boto3's ``_make_api_call`` (botocore + emulator), and
    record each request for the bare loop.

    Concurrent calls (the race rules) overlap, so their seconds count more than once:
    the share in boto3 is a little high for runs with many races.
    """
    from botocore.client import BaseClient
    from botocore.validate import ParamValidationDecorator

    original = BaseClient._make_api_call

    def timed(self: Any, operation_name: str, api_params: Any) -> Any:
        params = dict(api_params)  # before botocore adds an idempotency token to it
        response: Any = None
        start = time.perf_counter()
        try:
            response = original(self, operation_name, api_params)
            return response
        except Exception as exc:
            response = _refusal(exc)
            raise
        finally:
            counts["in_client"] += time.perf_counter() - start
            # The client's config does not say whether it validates; its serializer does.
            validated = isinstance(self._serializer, ParamValidationDecorator)
            recorded.append(RecordedCall(validated, operation_name, params,
                                         _indexed(operation_name, response), response))

    BaseClient._make_api_call = timed
    try:
        yield
    finally:
        BaseClient._make_api_call = original


def embedded(transport: Transport) -> Target:
    from conformance.targets import BUILTIN_EMBEDDED

    return dataclasses.replace(BUILTIN_EMBEDDED, transport=transport)


def run_suite_once(transport: Transport, profile: str, seed: int
                   ) -> tuple[SuiteRun, list[RecordedCall]]:
    """One suite run, and the requests it sent, in order."""
    from conformance.runner import run_suite

    recorded: list[RecordedCall] = []
    with contextlib.ExitStack() as stack:
        counts = stack.enter_context(_counters())
        stack.enter_context(_timed_clients(counts, recorded))
        start, cpu = time.perf_counter(), time.process_time()
        result = run_suite(embedded(transport), profile=profile, seed=seed)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if result.verdict != "conforms":
        raise RuntimeError(f"the bench's suite run did not conform: {result.verdict} "
                           f"{[e.message for e in result.errors][:1]}")
    mix = {op: n for op, n in result.calls.items() if op not in CALL_COUNTERS}
    return SuiteRun(transport, round(seconds, 3), sum(mix.values()),
                    int(counts["invariants"]) - result.examples, result.examples, mix,
                    int(counts["settle_polls"]), round(counts["in_client"], 3),
                    round(cpu, 3)), recorded


# --------------------------------------------------------------------------- (b) bare boto3


@dataclass(frozen=True)
class RecordedCall:
    """One request the suite sent, as boto3 was given it, for the bare loop to send again."""

    validated: bool  # through the client that validates parameters (else the raw one)
    operation: str
    params: dict[str, Any]
    face_ids: tuple[str, ...]  # what an IndexFaces answered, in order; else empty
    answer: Any  # the parsed response, or the error code it was refused with


def _refusal(exc: BaseException) -> str:
    """A failed call's answer: the error code the server gave, or the client's exception."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", "")) or "?"
    return type(exc).__name__


def summary(answer: Any) -> str:
    """What a response says, without the ids a fresh server gives anew: its error code, or
    how many entries each of its lists holds, and the user's status."""
    if not isinstance(answer, dict):
        return str(answer)
    return " ".join(f"{k}={len(v) if isinstance(v, list) else v}" for k, v in sorted(
        answer.items()) if isinstance(v, list) or k == "UserStatus")


def _indexed(operation: str, response: Any) -> tuple[str, ...]:
    if operation != "IndexFaces" or not isinstance(response, dict):
        return ()
    return tuple(r["Face"]["FaceId"] for r in response.get("FaceRecords", []))


class BareLoop:
    """The suite's own requests sent again with plain boto3 to a fresh server, in the
    order the suite sent them, with nothing around them: the same calls, the same
    collections and payloads, so suite/bare is what the suite itself costs per call.

    A FaceId the suite was given is replaced by the one the fresh server gave for the same
    IndexFaces. Each answer is kept, and compared with the suite's once the clock stops."""

    def __init__(self, clients: Any) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        self.clients = clients
        self.errors = (BotoCoreError, ClientError)
        self.face_ids: dict[str, str] = {}
        self.calls = 0
        self.answers: list[Any] = []  # each call's response, or the error code

    def _rename(self, params: dict[str, Any]) -> dict[str, Any]:
        """The FaceIds this server gave in place of the first run's: in FaceIds, and in the
        FaceId SearchUsers searches by."""
        if not self.face_ids:
            return params
        renamed = dict(params)
        ids = params.get("FaceIds")
        if isinstance(ids, list):
            renamed["FaceIds"] = [self.face_ids.get(f, f) if isinstance(f, str) else f
                                  for f in ids]
        face_id = params.get("FaceId")
        if isinstance(face_id, str):
            renamed["FaceId"] = self.face_ids.get(face_id, face_id)
        return renamed

    def send(self, call: RecordedCall) -> None:
        from botocore import xform_name

        client = self.clients.checked if call.validated else self.clients.raw
        self.calls += 1
        try:
            response = getattr(client, xform_name(call.operation))(**self._rename(call.params))
        except self.errors as exc:
            self.answers.append(_refusal(exc))
            return
        self.answers.append(response)
        self.face_ids.update(zip(call.face_ids, _indexed(call.operation, response),
                                 strict=False))


def run_bare_once(transport: Transport, recorded: Sequence[RecordedCall],
                  calls: int) -> BareRun:
    """The first ``calls`` of the suite's requests, resent."""
    from conformance.kinds import connect
    from conformance.runner import fewer_collections

    # Timed from the start, as the suite's run is: both open the target and make clients;
    # and under the suite's collector settings, so that only the suite's own work differs.
    start, cpu = time.perf_counter(), time.process_time()
    with fewer_collections(), connect(embedded(transport)) as connection:
        loop = BareLoop(connection.clients)
        for call in recorded[:calls]:
            loop.send(call)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    same = sum(summary(a) == summary(c.answer)
               for a, c in zip(loop.answers, recorded, strict=False))
    return BareRun(transport, round(seconds, 3), loop.calls, round(cpu, 3), same)


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


# --------------------------------------------------------------------------- (e) failing runs


NEVER_SETTLES = "status-never-settles"


def slowest_other(mutants: dict[str, Any]) -> str | None:
    """The mutant of (d) whose run took longest, other than the never-settling one."""
    entries = [e for e in mutants.get("entries", []) if e["name"] != NEVER_SETTLES]
    return max(entries, key=lambda e: e["seconds"])["name"] if entries else None


def run_whole(target: Target, profile: str, seed: int) -> dict[str, Any]:
    """One whole run (no shrinking, as the self-test runs a mutant): seconds and calls."""
    from conformance.runner import run_suite

    start = time.perf_counter()
    result = run_suite(target, profile=profile, seed=seed, shrink=False)
    return {"seconds": round(time.perf_counter() - start, 2), "calls": result.calls_sent(),
            "verdict": result.verdict,
            "failed": sorted({f.clause for f in result.findings})}


def failing_runs(names: Sequence[str], transport: Transport, profile: str = "ci",
                 seed: int = SEED, settle_timeout: float | None = None,
                 progress: Progress = lambda _: None) -> dict[str, Any]:
    """The reference's whole run and each named mutant's, same profile, seed and transport,
    and each mutant's calls and seconds divided by the reference's."""
    target = embedded(transport)
    if settle_timeout is not None:
        target = dataclasses.replace(target, settle_timeout=settle_timeout)
    reference = run_whole(target, profile, seed)
    progress(f"failing runs, {transport}: reference {reference['calls']} calls in "
             f"{reference['seconds']} s")
    runs: dict[str, Any] = {}
    for mutant in chosen_mutants(names):
        run = run_whole(dataclasses.replace(target, name=mutant.name,
                                            behaviour=mutant.behaviour), profile, seed)
        run["calls_ratio"] = round(run["calls"] / reference["calls"], 2) \
            if reference["calls"] else None
        run["seconds_ratio"] = round(run["seconds"] / reference["seconds"], 2) \
            if reference["seconds"] else None
        progress(f"failing runs, {transport}: {mutant.name} {run['calls']} calls in "
                 f"{run['seconds']} s")
        runs[mutant.name] = run
    return {"transport": transport, "profile": profile, "seed": seed,
            "settle_timeout": target.settle_timeout, "reference": reference, "mutants": runs}


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
                suite, recorded = run_suite_once(transport, profile, seed)
                progress(f"suite {transport} #{attempt + 1}: {suite.calls} calls in "
                         f"{suite.seconds:.2f} s")
                bare = run_bare_once(transport, recorded, calls or len(recorded))
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
        mutant_profile = "dev" if quick else "ci"
        progress(f"self-test: {len(mutants) if mutants is not None else 'all'} mutants, "
                 f"profile {mutant_profile}, whole runs, 1 job")
        result.mutants = {"status": "measured", **run_mutants(mutants, mutant_profile)}
    if quick:
        result.failing = {"status": "skipped (--quick)"}
    else:
        names = [NEVER_SETTLES, *filter(None, [slowest_other(result.mutants)])]
        result.failing = {"status": "measured", "runs": [
            failing_runs(names, transport, seed=seed, progress=progress)
            for transport in transports]}
    return result


def table_lines(result: BenchResult) -> list[str]:
    m = result.machine
    lines = [f"machine: {m['nproc']} cores, {m['cpu']}, Python {m['python']}, "
             f"load {m['loadavg_1min']} (shared: figures are noisy; best of "
             f"{result.settings['repeat']})", ""]
    lines += ["(a, b) suite vs bare boto3, same process, the same requests",
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
    lines += [f"  the bare loop resent the suite's requests: {b.same_answers} of {b.calls} "
              f"answered as the suite's were ({transport})" for transport, b in result.bare.items()]
    lines += ["  in boto3: share of the suite's wall time inside boto3 calls (botocore and the "
              "emulator);", "  settle polls: calls made inside settle (ListUsers pages until "
              "the changed users settle)"]
    lines += ["", "(c) ci profile wall time by workers"]
    if result.ci.get("status") == "measured":
        lines += [f"  {r['workers']} worker(s): {r['seconds']} s, {r['calls']} calls, "
                  f"{r['examples']} test cases, {r['verdict']}" for r in result.ci["runs"]]
    else:
        lines.append(f"  {result.ci.get('status')}")
    mu = result.mutants
    lines += ["", "(d) self-test: each mutant's whole run (profile "
              f"{mu.get('profile', 'ci')}, no shrinking)"]
    if mu.get("status") == "measured":
        lines.append(f"  {mu['caught']}/{mu['mutants']} caught; seconds median "
                     f"{mu['median_seconds']}, worst {mu['worst_seconds']} ({mu['worst']}); "
                     f"calls median {mu['median_calls']}, worst {mu['worst_calls']}")
        lines += [f"    {e['name']:34} {e['result']:8} {e['seconds']:6.1f} s {e['calls']:6d} "
                  "calls" for e in mu["entries"]]
    else:
        lines.append(f"  {mu.get('status')}")
    lines += ["", "(e) a failing run next to a passing one (whole runs, profile ci, the "
                  "reference's run = 1; goal: at most 1.5)"]
    fa = result.failing
    if fa.get("status") == "measured":
        for part in fa["runs"]:
            ref = part["reference"]
            lines.append(f"  {part['transport']}, seed {part['seed']}, settle timeout "
                         f"{part['settle_timeout']:g} s: reference {ref['calls']} calls in "
                         f"{ref['seconds']} s ({ref['verdict']})")
            lines += [f"    {name:34} calls {r['calls_ratio']}x ({r['calls']}), seconds "
                      f"{r['seconds_ratio']}x ({r['seconds']} s), failed "
                      f"{', '.join(r['failed']) or '-'}" for name, r in part["mutants"].items()]
    else:
        lines.append(f"  {fa.get('status')}")
    return lines


def write_json(result: BenchResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")


__all__ = ["DEFAULT_MUTANTS", "BenchResult", "run_bench", "table_lines", "write_json"]
