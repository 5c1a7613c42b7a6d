"""The ``conformance`` command.

Exit codes: 0 the target conforms, 1 it does not, 2 a usage or configuration
error, 3 the target is unreachable, does not implement the operations, or the
run could not finish (transport, budget). ``selftest`` exits 0 only when every
mutant is caught and every legal variant passes, else 1. A user's mistake gets one
line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from conformance.errors import SuiteError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="conformance",
        description="Property-based conformance suite for Amazon Rekognition AssociateFaces "
                    "and the user-vector operations around it.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the suite against a target (default: embedded)")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--target", metavar="NAME", help="a target named in targets.toml")
    where.add_argument("--endpoint-url", metavar="URL",
                       help="an ad-hoc endpoint speaking the AWS JSON 1.1 protocol")
    run.add_argument("--targets", metavar="FILE", type=Path,
                     help="the targets file (default: ./targets.toml, else built-in)")
    run.add_argument("--profile", default="dev", metavar="NAME",
                     help="dev (quick, default), ci (the CI gate) or nightly")
    run.add_argument("--seed", type=int, metavar="N", help="replay the run with this seed")
    run.add_argument("--strictness", choices=("spec", "aws"),
                     help="override the target's strictness (default: from targets.toml)")
    run.add_argument("--report-dir", type=Path, default=Path("reports"), metavar="DIR",
                     help="where reports go, one folder per run (default: ./reports)")
    run.add_argument("--quiet", action="store_true", help="no progress lines")

    serve = commands.add_parser("serve", help="run the reference emulator standalone")
    serve.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any)")
    serve.add_argument("--deviation", action="append", default=[], metavar="NAME",
                       help="seed a deviation (see conformance.emulator.behaviour); repeatable")

    diff = commands.add_parser("diff", help="compare two runs' result.json (drift)")
    diff.add_argument("old", type=Path)
    diff.add_argument("new", type=Path)

    commands.add_parser("clauses", help="list the clause register and the ambiguities")

    selftest = commands.add_parser(
        "selftest", help="prove the suite catches bugs: fail every mutant of the emulator, "
                         "pass every legal variant")
    selftest.add_argument("--profile", default="ci", metavar="NAME",
                          help="the profile each entry runs (default: ci)")
    selftest.add_argument("--jobs", type=int, default=2, metavar="N",
                          help="entries run at once, one worker process each (default: 2)")
    selftest.add_argument("--seed", type=int, metavar="N",
                          help="base seed; each entry's seed derives from it and its name "
                               "(default: 0, so results are reproducible)")
    selftest.add_argument("--only", nargs="+", default=[], metavar="NAME",
                          help="run only these catalogue entries (see conformance/mutants.py)")
    selftest.add_argument("--report-dir", type=Path, default=Path("reports") / "selftest",
                          metavar="DIR", help="where selftest.json and selftest.md go "
                                              "(default: ./reports/selftest)")
    selftest.add_argument("--readme", nargs="?", type=Path, const=Path("README.md"),
                          metavar="FILE", help="rewrite the self-test section of FILE "
                                               "(default: ./README.md) with the table")
    selftest.add_argument("--quiet", action="store_true", help="no progress lines")
    return parser


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # CI systems cancel a job with SIGTERM: stop the way Ctrl-C does, so the run still
    # deletes what it created and writes what it learned.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "serve":
            return _serve(args)
        if args.command == "diff":
            return _diff(args)
        if args.command == "selftest":
            return _selftest(args)
        return _clauses()
    except SuiteError as error:
        print(f"conformance: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("conformance: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into head and the like
        sys.stderr.close()
        return 0


def _run(args: argparse.Namespace) -> int:
    import dataclasses

    from conformance.report import summary_lines, write_reports
    from conformance.report.console import exit_code
    from conformance.runner import PROFILES, run_suite
    from conformance.targets import load_targets, resolve_target

    if args.profile not in PROFILES:
        from conformance.errors import ConfigError

        raise ConfigError(f"unknown profile {args.profile!r}: choose one of "
                          f"{', '.join(PROFILES)}")
    target = resolve_target(load_targets(args.targets), args.target, args.endpoint_url)
    if args.strictness:
        target = dataclasses.replace(target, strictness=args.strictness)

    def progress(line: str) -> None:
        if not args.quiet:
            print(f"... {line}", file=sys.stderr, flush=True)

    result = run_suite(target, profile=args.profile, seed=args.seed, progress=progress,
                       targets_file=args.targets)
    paths = write_reports(result, args.report_dir / result.run_id)
    for line in summary_lines(result):
        print(line)
    print(f"reports: {', '.join(str(p) for p in paths.values())}")
    if any(e.kind == "interrupted" for e in result.errors):
        return 130
    return exit_code(result)


def _serve(args: argparse.Namespace) -> int:
    from conformance.emulator.behaviour import Behaviour
    from conformance.emulator.server import serve_forever_cli
    from conformance.errors import ConfigError

    try:
        behaviour = Behaviour(deviations=frozenset(args.deviation))
    except ValueError as error:
        raise ConfigError(str(error)) from None
    serve_forever_cli(args.port, behaviour)
    return 0


def _diff(args: argparse.Namespace) -> int:
    from conformance.errors import ConfigError
    from conformance.report import diff_lines, diff_results, load

    try:
        old, new = load(args.old), load(args.new)
    except (OSError, ValueError) as error:
        raise ConfigError(str(error)) from None
    difference = diff_results(old, new)
    for line in diff_lines(difference):
        print(line)
    return 1 if difference.changed else 0


def _selftest(args: argparse.Namespace) -> int:
    from conformance.errors import ConfigError
    from conformance.mutants import CATALOGUE
    from conformance.runner import PROFILES
    from conformance.selftest import (
        DEFAULT_SEED,
        markdown,
        run_selftest,
        select,
        table_lines,
        update_readme,
        write_reports,
    )

    if args.profile not in PROFILES:
        raise ConfigError(f"unknown profile {args.profile!r}: choose one of "
                          f"{', '.join(PROFILES)}")
    if args.readme and args.only:
        raise ConfigError("--readme shows the whole catalogue's score; drop --only")
    entries = select(CATALOGUE, args.only) if args.only else list(CATALOGUE)

    def progress(line: str) -> None:
        if not args.quiet:
            print(f"... {line}", file=sys.stderr, flush=True)

    progress(f"self-test: {len(entries)} entries, profile {args.profile}, {args.jobs} jobs")
    result = run_selftest(entries, profile=args.profile, jobs=args.jobs,
                          seed=DEFAULT_SEED if args.seed is None else args.seed,
                          progress=progress)
    for line in table_lines(result):
        print(line)
    paths = write_reports(result, args.report_dir)
    print(f"reports: {', '.join(str(p) for p in paths.values())}")
    if args.readme:
        update_readme(args.readme, markdown(result))
        print(f"updated {args.readme}")
    return result.exit_code


def _clauses() -> int:
    from conformance.clauses import AMBIGUITIES, CLAUSES

    for clause in CLAUSES.values():
        print(f"{clause.id:20} {clause.text} [{','.join(clause.sources)}]")
    print()
    for amb in AMBIGUITIES.values():
        aws = f" (AWS: {amb.aws_reading})" if amb.aws_reading else ""
        print(f"{amb.id:20} {amb.question}: {' / '.join(amb.readings)}{aws}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
