"""One run split into units that worker processes (``--workers``) or machines (``--shard``)
share, and the shards' records joined into one (``conformance merge``).

The units are the exploration batches: ``ceil(examples / BATCH)`` batches of about
``BATCH`` test cases, each with a seed derived from the run's seed and its index. The
split depends on the profile and the seed alone, never on how many processes or
shards run it, and a batch does the same wherever it runs: it starts knowing only what
the directed checks found (never what other batches found), on a connection of its own.

The directed checks are not split. They are about a twentieth of a ``ci`` run, and every
batch starts from their findings, so that a deviation they found is a knock-on in
exploration, not a new finding shrunk again: with workers they run once, first, in the
parent process; every shard runs them all (each shard is a machine of its own). Records
of the parts are joined by ``verdicts.merge``, which judges them anew.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing
import os
import signal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from conformance import verdicts
from conformance.errors import INTERRUPTED, ConfigError
from conformance.known import KnownDeviation
from conformance.results import INTERRUPTED_ERROR, RunResult, SuiteErrorRecord
from conformance.selftest import entry_seed
from conformance.targets import Target

if TYPE_CHECKING:
    from conformance.runner import Job, Progress

BATCH = 10  # test cases per exploration batch, at most


@dataclass(frozen=True)
class Batch:
    index: int
    examples: int
    seed: int


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int


def parse_shard(text: str) -> Shard:
    """``I/N`` with 1 <= I <= N; a ValueError says what is wrong."""
    index, slash, count = text.partition("/")
    if not slash or not index.isdigit() or not count.isdigit():
        raise ValueError(f"invalid shard {text!r}: give I/N, e.g. 1/2")
    shard = Shard(int(index), int(count))
    if not 1 <= shard.index <= shard.count:
        raise ValueError(f"invalid shard {text!r}: I must be between 1 and N")
    return shard


def batches(examples: int, seed: int, shard: Shard | None = None) -> tuple[Batch, ...]:
    """The run's exploration batches, or those of ``shard`` (index = I - 1 modulo N)."""
    count = -(-examples // BATCH)
    every = [Batch(i, examples // count + (i < examples % count), entry_seed(seed, f"batch-{i}"))
             for i in range(count)]
    return tuple(b for b in every if shard is None or b.index % shard.count == shard.index - 1)


def shard_record(shard: Shard, mine: Sequence[Batch],
                 expected_failures: Sequence[KnownDeviation],
                 optional_operations: Iterable[str] = ()) -> dict[str, Any]:
    """What a shard's record says of it, and what merging it needs."""
    return {"index": shard.index, "count": shard.count, "batches": [b.index for b in mine],
            "expected_failures": [dataclasses.asdict(k) for k in expected_failures],
            "optional_operations": sorted(optional_operations)}


# --------------------------------------------------------------------------- workers


def explore_in_workers(target: Target, job: Job, directed: RunResult, todo: Sequence[Batch],
                       workers: int, progress: Progress) -> RunResult:
    """``todo`` run in worker processes after the directed checks (their record:
    ``directed``), each batch knowing what they found; one record of all."""
    from conformance.runner import CASES

    budget = (None if target.call_budget is None
              else max(1, (target.call_budget - directed.calls_sent()) // len(todo)))
    parts, errors = run_batches(
        dataclasses.replace(target, call_budget=budget),
        dataclasses.replace(job, directed=False,
                            known=frozenset(f.clause for f in directed.findings)),
        todo, workers, progress)
    return verdicts.merge([directed, *parts], CASES, target.expected_failures, errors,
                          target.optional_operations)


def run_batches(target: Target, job: Job, todo: Sequence[Batch], workers: int,
                progress: Progress) -> tuple[list[RunResult], list[SuiteErrorRecord]]:
    """Run each batch of ``todo`` in a worker process (``workers`` at once), each on a
    connection of its own (an embedded target: an emulator of its own). Returns the parts
    in batch order, and the batches that ended without one as errors.

    Ctrl-C (or SIGTERM, which the CLI turns into it) reaches every worker once: a
    running batch stops, deletes what it created and returns what it learned.
    """
    target = dataclasses.replace(target, readings=dict(target.readings))  # a proxy won't pickle
    context = multiprocessing.get_context("spawn")  # no inherited threads or emulator state
    messages = context.Queue()
    stop = context.Event()
    pool = concurrent.futures.ProcessPoolExecutor(
        max_workers=min(workers, len(todo)), mp_context=context,
        initializer=_start_worker, initargs=(messages, stop))
    with pool:
        futures = [pool.submit(_run_batch, target, dataclasses.replace(job, batches=(b,)))
                   for b in todo]
        interrupted = False
        try:
            _wait(futures, messages, progress)
        except KeyboardInterrupt:
            interrupted = True
            stop.set()
            for process in list(pool._processes.values()):  # no public way to reach them
                if process.pid is not None and process.is_alive():
                    os.kill(process.pid, signal.SIGINT)
            for future in futures:
                future.cancel()
            _wait([f for f in futures if not f.cancelled()], messages, progress)
    parts: list[RunResult] = []
    errors = [INTERRUPTED_ERROR] if interrupted else []
    for batch, future in zip(todo, futures, strict=True):
        if future.cancelled():
            continue
        failure = future.exception()
        if isinstance(failure, KeyboardInterrupt):
            errors.append(INTERRUPTED_ERROR)
        elif failure is not None:
            errors.append(SuiteErrorRecord(
                "suite", f"internal error of the suite: exploration batch {batch.index}: "
                f"worker failed: {type(failure).__name__}: {failure}"))
        elif (part := future.result()) is not None:
            parts.append(part)
    return parts, errors


def _wait(futures: Sequence[concurrent.futures.Future[Any]], messages: Any,
          progress: Progress) -> None:
    pending = set(futures)
    while pending:
        _, pending = concurrent.futures.wait(pending, timeout=0.5)
        while not messages.empty():
            progress(messages.get())


_messages: Any = None
_stop: Any = None


def _start_worker(messages: Any, stop: Any) -> None:
    global _messages, _stop
    _messages, _stop = messages, stop
    # Between batches a worker ignores Ctrl-C: the parent stops it by cancelling.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _interrupt_once(signum: int, frame: object) -> None:
    # The terminal's Ctrl-C and the parent's both arrive: the second must not stop cleanup.
    # No KeyboardInterrupt from here: raised inside a gc callback it is printed and lost.
    # The driver raises it at the batch's next call, or its next poll (within a second).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    INTERRUPTED.set()


def _run_batch(target: Target, job: Job) -> RunResult | None:
    from conformance.runner import run_part

    signal.signal(signal.SIGINT, _interrupt_once)
    try:
        if _stop.is_set():  # after the handler: a stop set later comes with a SIGINT
            return None
        index = job.batches[0].index
        return run_part(target, job, lambda line: _messages.put(f"[batch {index}] {line}"))
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


# --------------------------------------------------------------------------- merge


def merge_shards(records: Sequence[tuple[str, RunResult]]) -> RunResult:
    """The records of every shard of one run as one record; a ConfigError (one line) when
    they are not the shards of one run, or some are missing or given twice."""
    from conformance.runner import CASES

    _check_shards(records)
    parts = sorted((r for _, r in records), key=lambda r: r.shard["index"])
    known = [KnownDeviation(**k) for k in parts[0].shard["expected_failures"]]
    merged = verdicts.merge(parts, CASES, known,
                            optional=frozenset(parts[0].shard.get("optional_operations", ())))
    return dataclasses.replace(merged, run_id=f"{parts[0].run_id}-merged")


def _check_shards(records: Sequence[tuple[str, RunResult]]) -> None:
    if not records:
        raise ConfigError("merge: give the result.json of every shard")
    for path, record in records:
        if not record.shard:
            raise ConfigError(f"merge: {path} is not a shard's record (conformance run "
                              "--shard I/N writes one)")
    first_path, first = records[0]
    for path, record in records[1:]:
        for what, mine, theirs in (
                ("target", record.target_label(), first.target_label()),
                ("seed", record.seed, first.seed), ("profile", record.profile, first.profile),
                ("strictness", record.strictness, first.strictness),
                ("shard count", record.shard["count"], first.shard["count"]),
                ("expected failures", record.shard["expected_failures"],
                 first.shard["expected_failures"])):
            if mine != theirs:
                raise ConfigError(f"merge: {path} has {what} {mine}, {first_path} has "
                                  f"{theirs}: not shards of one run")
    count = first.shard["count"]
    seen: dict[int, str] = {}
    for path, record in records:
        index = record.shard["index"]
        if index in seen:
            raise ConfigError(f"merge: shard {index}/{count} given twice ({seen[index]} and "
                              f"{path})")
        seen[index] = path
    missing = [f"{i}/{count}" for i in range(1, count + 1) if i not in seen]
    if missing:
        raise ConfigError(f"merge: shard {', '.join(missing)} missing: give the result.json "
                          "of every shard")
