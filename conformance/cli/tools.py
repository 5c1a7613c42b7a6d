"""The CLI's commands for targets other than emulators: live AWS's cost prompt, cleanup of
what killed runs left, the photos check, the fault proxy, and the benchmark.

Kept apart from ``cli`` itself (the run, the self-test, the reports) so each stays readable.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from conformance.errors import ConfigError

if TYPE_CHECKING:
    from conformance.targets import Target

def bench(args: argparse.Namespace) -> int:
    from conformance import bench

    if args.repeat < 1:
        raise ConfigError(f"--repeat must be at least 1, got {args.repeat}")
    if args.calls is not None and args.calls < 1:
        raise ConfigError(f"--calls must be at least 1, got {args.calls}")
    if args.json is not None:
        check_writable_file(args.json, "--json")
    mutants = None if args.full else (
        bench.DEFAULT_MUTANTS if args.mutants is None else args.mutants)
    bench.chosen_mutants(mutants)  # an unknown name fails now, not after the suite runs

    def progress(line: str) -> None:
        if not args.quiet:
            print(f"... {line}", file=sys.stderr, flush=True)

    result = bench.run_bench(repeat=args.repeat, seed=args.seed, examples=args.examples,
                             steps=args.steps, calls=args.calls, quick=args.quick,
                             mutants=mutants,
                             transports=tuple(args.transport or ("in-process", "http")),
                             progress=progress)
    for line in bench.table_lines(result):
        print(line)
    if args.json is not None:
        bench.write_json(result, args.json)
        print(f"figures: {args.json}")
    return 0


def confirm_cost(target: Target, profile: str, *, assume_yes: bool) -> bool:
    """Print what a live run costs; ask to go on when stdin is a terminal, unless told yes."""
    from conformance.cost import estimate_for_profile, measured_on, render

    found = estimate_for_profile(profile, target.region)
    if found is None:
        print(f"Cost estimate: profile {profile} has no measured call table "
              f"(conformance/data/profile_calls.toml); the call budget bounds the run: "
              f"{target.call_budget if target.call_budget is not None else 'none set'}",
              file=sys.stderr)
    else:
        for line in render(found, profile=profile, budget=target.call_budget):
            print(line, file=sys.stderr)
        print(f"  (calls measured on the {measured_on()})", file=sys.stderr)
    if assume_yes or not sys.stdin.isatty():
        return True
    try:
        answer = input("Go on with this run against live AWS? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def proxy(args: argparse.Namespace) -> int:
    from conformance.emulator.server import serve_until_interrupted
    from conformance.faultproxy import FaultProxy, FaultRates
    from conformance.targets import _check_url

    upstream = _check_url("--to", "URL", args.to)
    try:
        rates = FaultRates(throttle=args.throttle, error=args.error,
                           reset_before=args.reset_before, reset_after=args.reset_after)
        proxy = FaultProxy(upstream, rates, seed=args.seed, port=args.port,
                           max_faults=args.max_faults)
    except ValueError as error:
        raise ConfigError(str(error)) from None
    except OSError as error:
        raise ConfigError(f"cannot listen on 127.0.0.1:{args.port}: {error.strerror}") from None
    print(f"listening on {proxy.url}, forwarding to {upstream} (throttle {rates.throttle:g}, "
          f"error {rates.error:g}, reset-before {rates.reset_before:g}, reset-after "
          f"{rates.reset_after:g}, seed {args.seed})", flush=True)
    try:
        serve_until_interrupted(proxy)
    finally:
        print(f"fault proxy: {proxy.summary()}", file=sys.stderr, flush=True)
    return 0


def named_target(targets_file: Path | None, name: str | None,
                 endpoint_url: str | None) -> Target:
    """The target a command other than run works on; its photos are not needed."""
    from conformance.targets import load_targets, resolve_target

    file = load_targets(targets_file)
    if endpoint_url is not None or name is None or name not in file.targets:
        return resolve_target(file, name, endpoint_url)  # explains a missing name
    return file.targets[name]


def cleanup(args: argparse.Namespace) -> int:
    from conformance.cleanup import cleanup, report_lines
    from conformance.targets import make_clients

    target = named_target(args.targets, args.target, args.endpoint_url)
    if target.kind == "embedded":
        raise ConfigError(f"target {target.name!r} is embedded: the emulator the suite starts "
                          "keeps nothing after a run, so there is nothing to clean up")
    clients = make_clients(target)
    print(f"looking for leftovers of killed runs on target {target.name} "
          f"({target.endpoint_url or target.region})", file=sys.stderr, flush=True)
    report = cleanup(clients.checked, dry_run=args.dry_run, min_age=args.min_age,
                     progress=print)
    for line in report_lines(report, dry_run=args.dry_run):
        print(line)
    return 3 if report.errors else 0


def photos_check(args: argparse.Namespace) -> int:
    from conformance.photos import check_count, check_photos, photo_lines
    from conformance.targets import make_clients

    target = named_target(args.targets, args.target, None)
    if target.faces_dir is None:
        raise ConfigError(f"target {target.name!r} has no faces_dir: photos are only used "
                          "by aws targets")
    check_count(target.faces_dir)
    clients = make_clients(target)
    results = check_photos(clients.checked, target.faces_dir)
    for line in photo_lines(results):
        print(line)
    return 0 if all(r.ok for r in results) else 1


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_writable_dir(directory: Path, option: str) -> None:
    """One-line ConfigError unless ``directory`` is, or can be created as, a writable
    directory. Nothing is created: a run that fails early leaves no empty folder behind."""
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"{option} {directory}: exists and is not a directory")
    base = _nearest_existing(directory)
    if not base.is_dir():
        raise ConfigError(f"{option} {directory}: cannot be created, {base} is not a directory")
    if not os.access(base, os.W_OK | os.X_OK):
        what = "is not writable" if base == directory.absolute() else (
            f"cannot be created: {base} is not writable")
        raise ConfigError(f"{option} {directory}: {what}")


def check_writable_file(path: Path, option: str) -> None:
    if path.is_dir():
        raise ConfigError(f"{option} {path}: is a directory; give a file path")
    if path.exists() and not os.access(path, os.W_OK):
        raise ConfigError(f"{option} {path}: is not writable")
    check_writable_dir(path.parent, option)
