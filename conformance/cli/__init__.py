"""The ``conformance`` command.

Exit codes (also in each command's ``--help``): see ``RUN_EXIT_CODES``,
``SELFTEST_EXIT_CODES`` and ``DIFF_EXIT_CODES`` in ``parser``. A user's mistake gets
one line on stderr, never a traceback, and every argument is checked before a
run starts: a bad report path costs no run.
"""

from __future__ import annotations

import argparse
import difflib
import os
import signal
import sys
from collections.abc import Sequence

from conformance.cli import tools as cli_tools
from conformance.cli.parser import build_parser
from conformance.cli.tools import check_writable_dir, check_writable_file
from conformance.errors import EXIT_INTERRUPTED, INTERRUPTED, ConfigError, SuiteError
from conformance.spec import SEARCHES


def _interrupt(signum: int, frame: object) -> None:
    INTERRUPTED.set()
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # CI systems cancel a job with SIGTERM: stop the way Ctrl-C does, so the run still
    # deletes what it created and writes what it learned.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "merge":
            return _merge(args)
        if args.command == "serve":
            return _serve(args)
        if args.command == "proxy":
            return cli_tools.proxy(args)
        if args.command == "photos":
            return cli_tools.photos_check(args)
        if args.command == "cleanup":
            return cli_tools.cleanup(args)
        if args.command == "diff":
            return _diff(args)
        if args.command == "matrix":
            return _matrix(args)
        if args.command == "selftest":
            return _selftest(args)
        if args.command == "bench":
            return cli_tools.bench(args)
        if args.command == "deviations":
            return _deviations()
        return _clauses()
    except SuiteError as error:
        print(f"conformance: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("conformance: interrupted", file=sys.stderr)
        _exit_at_once_if_signalled(EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into head and the like
        sys.stderr.close()
        return 0


def _run(args: argparse.Namespace) -> int:
    import dataclasses

    from conformance.report import summary_lines, update_latest, write_reports
    from conformance.report.console import exit_code
    from conformance.runner import PROFILES, run_suite
    from conformance.targets import load_targets, resolve_target

    # Everything the user gave is checked here, before the first call to the target.
    if args.profile not in PROFILES:
        raise ConfigError(f"unknown profile {args.profile!r}: choose one of "
                          f"{', '.join(PROFILES)}")
    check_writable_dir(args.report_dir, "--report-dir")
    copies = {"junit": args.junit_xml, "html": args.html, "markdown": args.markdown,
              "json": args.json}
    for key, path in copies.items():
        if path is not None:
            check_writable_file(path, "--" + {"junit": "junit-xml"}.get(key, key))
    target = resolve_target(load_targets(args.targets), args.target, args.endpoint_url)
    if args.strictness:
        target = dataclasses.replace(target, strictness=args.strictness)
    if args.searches_optional:
        target = dataclasses.replace(target, optional_operations=SEARCHES)
    if args.budget is not None:
        target = dataclasses.replace(target, call_budget=args.budget)
    seed = default_seed(args.profile, args.seed)
    if target.kind == "aws":
        from conformance.targets import make_clients

        make_clients(target)  # missing credentials: one line, before the estimate
    if target.kind == "aws" and not cli_tools.confirm_cost(target, args.profile,
                                                           assume_yes=args.yes):
        print("conformance: run not started", file=sys.stderr)
        return 2

    def progress(line: str) -> None:
        if not args.quiet:
            print(f"... {line}", file=sys.stderr, flush=True)

    result = run_suite(target, profile=args.profile, seed=seed, progress=progress,
                       targets_file=args.targets, workers=args.workers, shard=args.shard)
    for line in summary_lines(result):
        print(line)
    try:
        paths = write_reports(result, args.report_dir / result.run_id, copies=copies)
        latest = update_latest(args.report_dir, args.report_dir / result.run_id)
    except OSError as error:
        raise ConfigError(f"the reports could not be written: {error}") from None
    written = [*paths.values(), *(p for p in copies.values() if p is not None)]
    print(f"reports: {', '.join(str(p) for p in written)} (newest run also in {latest})")
    code = exit_code(result)
    if code == EXIT_INTERRUPTED:
        _exit_at_once_if_signalled(code)
    return code


def _exit_at_once_if_signalled(code: int) -> None:
    """After a signal, end now: the reports are written and the collections deleted, and
    tearing down the interpreter (Hypothesis's and botocore's objects) takes seconds on a
    loaded machine, which the user waiting on Ctrl-C must not."""
    if INTERRUPTED.is_set():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)



def _merge(args: argparse.Namespace) -> int:
    from conformance.parallel import merge_shards
    from conformance.report import exit_code, load, summary_lines, write_reports

    check_writable_dir(args.report_dir, "--report-dir")
    try:
        records = [(str(path), load(path)) for path in args.records]
    except (OSError, ValueError) as error:
        raise ConfigError(str(error)) from None
    result = merge_shards(records)
    for line in summary_lines(result):
        print(line)
    paths = write_reports(result, args.report_dir)
    print(f"reports: {', '.join(str(p) for p in paths.values())}")
    return exit_code(result)


def _serve(args: argparse.Namespace) -> int:
    from conformance.emulator import server
    from conformance.emulator.behaviour import DEVIATIONS, Behaviour

    for name in args.deviation:
        if name not in DEVIATIONS:
            close = difflib.get_close_matches(name, list(DEVIATIONS), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigError(f"unknown deviation {name!r}: {hint}choose from "
                              f"{', '.join(DEVIATIONS)} (see: conformance deviations)")
    try:
        behaviour = Behaviour(deviations=frozenset(args.deviation),
                              missing_operations=frozenset(args.missing_operation))
    except ValueError as error:
        raise ConfigError(str(error)) from None
    # EmulatorServer binds to the module's HOST (it takes no host argument yet); set it for
    # this process, which serves nothing else.
    server.HOST = args.host
    server.serve_forever_cli(args.port, behaviour)
    return 0






def _deviations() -> int:
    from conformance.emulator.behaviour import DEVIATIONS

    width = max(len(name) for name in DEVIATIONS)
    for name, description in DEVIATIONS.items():
        print(f"{name:{width}}  {description}")
    return 0


def default_seed(profile: str, seed: int | str | None) -> int | None:
    """The seed a run uses: the given one; ``None`` (a fresh random one) for ``random``;
    else 0 for the ``ci`` and ``live`` profiles, so that a gate is reproducible, and random
    for the exploring profiles."""
    if seed == "random":
        return None
    if isinstance(seed, int):
        return seed
    return 0 if profile in ("ci", "live") else None





def _diff(args: argparse.Namespace) -> int:
    from conformance.report import diff_lines, diff_results, load

    try:
        old, new = load(args.old), load(args.new)
    except (OSError, ValueError) as error:
        raise ConfigError(str(error)) from None
    difference = diff_results(old, new)
    for line in diff_lines(difference):
        print(line)
    return 1 if difference.changed else 0


def _matrix(args: argparse.Namespace) -> int:
    from conformance.report import load
    from conformance.report.matrix import to_matrix_html, to_matrix_markdown

    outputs = [(path, option) for path, option in ((args.html, "--html"),
                                                   (args.markdown, "--markdown")) if path]
    for path, option in outputs:
        check_writable_file(path, option)
    try:
        results = [load(path) for path in args.results]
    except (OSError, ValueError) as error:
        raise ConfigError(str(error)) from None
    if not outputs:
        sys.stdout.write(to_matrix_markdown(results))
        return 0
    for path, option in outputs:
        text = to_matrix_html(results) if option == "--html" else to_matrix_markdown(results)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        print(f"{option.lstrip('-')}: {path}")
    return 0


def _selftest(args: argparse.Namespace) -> int:
    from conformance.mutants import CATALOGUE
    from conformance.runner import PROFILES
    from conformance.selftest import DEFAULT_SEED, run_selftest, select
    from conformance.selftest.report import markdown, table_lines, update_readme, write_reports

    if args.profile not in PROFILES:
        raise ConfigError(f"unknown profile {args.profile!r}: choose one of "
                          f"{', '.join(PROFILES)}")
    if args.readme and args.only:
        raise ConfigError("--readme shows the whole catalogue's score; drop --only")
    entries = select(CATALOGUE, args.only) if args.only else list(CATALOGUE)

    def progress(line: str) -> None:
        if not args.quiet:
            print(f"... {line}", file=sys.stderr, flush=True)

    jobs = args.jobs if args.jobs is not None else os.cpu_count() or 1
    progress(f"self-test: {len(entries)} entries, profile {args.profile}, {jobs} jobs")
    result = run_selftest(entries, profile=args.profile, jobs=jobs,
                          seed=DEFAULT_SEED if args.seed is None else args.seed,
                          progress=progress, seeds=args.seeds)
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
    from conformance.directed import cases_of
    from conformance.report.console import aws_published

    for clause in CLAUSES.values():
        print(f"{clause.id:20} {clause.text} [{','.join(clause.sources)}]")
        # As expected_failures names one: "CLAUSE: case".
        cases = cases_of(clause.id)
        if cases:
            print(f"{'':20}   cases: {', '.join(repr(c) for c in cases)}")
    print()
    for amb in AMBIGUITIES.values():
        aws = f" (AWS: {aws_published(amb)})" if amb.differs_from_aws else ""
        print(f"{amb.id:20} {amb.question}: {' / '.join(amb.readings)}{aws}")
    return 0

