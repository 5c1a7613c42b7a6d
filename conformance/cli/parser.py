"""The ``conformance`` command line: every command's arguments, their checks, and each
command's exit codes for its ``--help``."""

from __future__ import annotations

import argparse
from pathlib import Path

RUN_EXIT_CODES = """\
exit codes:
  0    the target conforms: every clause not listed as a known deviation passed
  1    it does not conform: a clause failed that is not a known deviation
  2    usage or configuration error, found before the run started (also: the
       cost prompt before a live AWS run was answered no)
  3    the target could not be wholly judged: unreachable, an operation missing,
       a clause blocked, partly checked or not checked, or the call budget spent
  4    no clause failed, but the transport failed (timeouts, resets, bodies that
       are not JSON): nothing is known against the target; run again
  5    no clause failed, but a known deviation passes now: remove it from the
       target's expected_failures (1, 3 and 4 take precedence)
  130  interrupted (the run still cleans up and writes its reports)"""

MERGE_EXIT_CODES = """\
exit codes:
  0, 1, 3, 4, 5  as conformance run, for the merged record
  2    a file cannot be read, or the records are not every shard of one run"""

SELFTEST_EXIT_CODES = """\
exit codes:
  0    every mutant was caught under its clause, every legal variant passed, and every
       multi-fault mutant had each deviation reported once under its own clause
  1    a mutant escaped, a legal variant failed, or a multi-fault mutant was not fully
       reported (a deviation missed or reported twice, another clause failed or unjudged)
  2    usage or configuration error"""

DIFF_EXIT_CODES = """\
exit codes:
  0    no drift: same clause statuses, readings, findings, verdict, versions and
       service model (each change of the model is one line)
  1    the runs differ in one of those (setup and coverage differences alone,
       such as seed or hard states reached, are notes and do not count)
  2    a file cannot be read or is not a result.json"""

MATRIX_EXIT_CODES = """\
exit codes:
  0    the page(s) were written (the runs' verdicts do not matter here)
  2    a file cannot be read or is not a result.json, or an output path is not writable"""

SERVE_EXIT_CODES = """\
exit codes:
  0    stopped with Ctrl-C or SIGTERM
  2    bad argument (unknown deviation, port out of range, address in use)"""


PROXY_EXIT_CODES = """\
exit codes:
  0    stopped with Ctrl-C or SIGTERM
  2    bad argument (rate out of range, bad URL, address in use)"""


CLEANUP_EXIT_CODES = """\
exit codes:
  0    every leftover found was deleted (or listed, with --dry-run), or there was none
  2    usage or configuration error
  3    the target could not be read, or a leftover could not be deleted"""


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("rekognition-conformance")
    except metadata.PackageNotFoundError:
        return "source"


def _seed(text: str) -> int | str:
    if text == "random":
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid seed {text!r}: give an integer or 'random'") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"seed {value} out of range: 0 to {2**32 - 1}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: give a number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"port {value} out of range: 1 to 65535, or 0 for any free port")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid rate {text!r}: give a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"rate {value} out of range: 0 to 1")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid count {text!r}: give a number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value}: must be at least 1")
    return value


def _shard(text: str) -> object:
    from conformance.parallel import parse_shard

    try:
        return parse_shard(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors on one line (it prints the usage block first)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="conformance",
        description="Property-based conformance suite for Amazon Rekognition AssociateFaces "
                    "and the user-vector operations around it.",
        epilog="Each command's --help lists its exit codes.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                     parser_class=_Parser)
    raw = argparse.RawDescriptionHelpFormatter

    run = commands.add_parser("run", help="run the suite against a target (default: embedded)",
                              epilog=RUN_EXIT_CODES, formatter_class=raw)
    where = run.add_mutually_exclusive_group()
    where.add_argument("--target", metavar="NAME", help="a target named in targets.toml")
    where.add_argument("--endpoint-url", metavar="URL",
                       help="an ad-hoc endpoint speaking the AWS JSON 1.1 protocol")
    run.add_argument("--targets", metavar="FILE", type=Path,
                     help="the targets file (default: ./targets.toml, else built-in)")
    run.add_argument("--profile", default="dev", metavar="NAME",
                     help="dev (quick, default), ci (the CI gate), nightly, or live "
                          "(live AWS: every clause in at most 400 calls, no exploration)")
    run.add_argument("--seed", type=_seed, metavar="N",
                     help="replay the run with this seed; 'random' for a fresh one "
                          "(default: 0 for profiles ci and live, so a run is reproducible; "
                          "random for dev and nightly)")
    run.add_argument("--strictness", choices=("spec", "aws"),
                     help="override the target's strictness (default: from targets.toml)")
    run.add_argument("--searches-optional", action="store_true",
                     help="the target may lack SearchUsers and SearchUsersByImage: their "
                          "clauses are then not checked, and it may still conform (as "
                          "optional_operations in targets.toml)")
    run.add_argument("--report-dir", type=Path, default=Path("reports"), metavar="DIR",
                     help="where reports go, one folder per run, and DIR/latest pointing "
                          "at the newest (default: ./reports)")
    fixed = run.add_argument_group("fixed report paths (for CI: no glob needed)")
    fixed.add_argument("--junit-xml", type=Path, metavar="PATH", help="also write junit.xml here")
    fixed.add_argument("--html", type=Path, metavar="PATH", help="also write report.html here")
    fixed.add_argument("--markdown", type=Path, metavar="PATH", help="also write report.md here")
    fixed.add_argument("--json", type=Path, metavar="PATH", help="also write result.json here")
    run.add_argument("--quiet", action="store_true", help="no progress lines")
    run.add_argument("--budget", type=_positive, metavar="N",
                     help="stop after N API calls (overrides the target's call_budget)")
    run.add_argument("--yes", action="store_true",
                     help="live AWS: go on after the cost estimate without asking")
    run.add_argument("--workers", type=_positive, default=1, metavar="N",
                     help="explore in N processes once the directed checks are done, each on "
                          "collections of its own (an embedded target: an emulator of its own "
                          "each); one record (default: 1)")
    run.add_argument("--shard", type=_shard, metavar="I/N",
                     help="run only shard I of N: every directed check, and exploration "
                          "batches I, I+N, ...; join the records with conformance merge")

    merge = commands.add_parser(
        "merge", help="join the records of every shard of one run (run --shard I/N) into one "
                      "record and its reports", epilog=MERGE_EXIT_CODES, formatter_class=raw)
    merge.add_argument("records", nargs="+", type=Path, metavar="RESULT_JSON",
                       help="each shard's result.json")
    merge.add_argument("--report-dir", type=Path, default=Path("reports") / "merged",
                       metavar="DIR", help="where the merged result.json, junit.xml, report.md "
                                           "and report.html go (default: ./reports/merged)")

    serve = commands.add_parser("serve", help="run the reference emulator standalone",
                                epilog=SERVE_EXIT_CODES, formatter_class=raw)
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1; 0.0.0.0 in a container)")
    serve.add_argument("--port", type=_port, default=0,
                       help="port to listen on (default: 0, any free port)")
    serve.add_argument("--deviation", action="append", default=[], metavar="NAME",
                       help="seed a deviation (list them: conformance deviations); repeatable")
    serve.add_argument("--missing-operation", action="append", default=[], metavar="OPERATION",
                       help="leave an operation out (e.g. DisassociateFaces): answered "
                            "UnknownOperationException; repeatable")

    proxy = commands.add_parser(
        "proxy", help="a fault-injecting proxy on 127.0.0.1 in front of a server (for testing "
                      "how the suite meets throttling, errors and resets)",
        epilog=PROXY_EXIT_CODES, formatter_class=raw)
    proxy.add_argument("--to", required=True, metavar="URL",
                       help="the server to forward to, e.g. http://127.0.0.1:5000")
    proxy.add_argument("--port", type=_port, default=0,
                       help="port to listen on (default: 0, any free port)")
    proxy.add_argument("--throttle", type=_rate, default=0.0, metavar="RATE",
                       help="share of requests answered ThrottlingException, not forwarded")
    proxy.add_argument("--error", type=_rate, default=0.0, metavar="RATE",
                       help="share answered HTTP 500 InternalServerError, not forwarded")
    proxy.add_argument("--reset-before", type=_rate, default=0.0, metavar="RATE",
                       help="share whose connection is reset before reaching the server")
    proxy.add_argument("--reset-after", type=_rate, default=0.0, metavar="RATE",
                       help="share forwarded, then the connection reset with no answer")
    proxy.add_argument("--seed", type=int, default=0, metavar="N",
                       help="seed of the fault draws (default: 0)")
    proxy.add_argument("--max-faults", type=int, metavar="N",
                       help="inject at most N faults, then only forward")

    clean = commands.add_parser(
        "cleanup", help="delete the collections killed runs left on a target, and only those "
                        "(run prefix cfs-xxxxxx- and the suite's marker tags)",
        epilog=CLEANUP_EXIT_CODES, formatter_class=raw)
    clean_where = clean.add_mutually_exclusive_group()
    clean_where.add_argument("--target", metavar="NAME", help="a target named in targets.toml")
    clean_where.add_argument("--endpoint-url", metavar="URL", help="an ad-hoc endpoint")
    clean.add_argument("--targets", metavar="FILE", type=Path,
                       help="the targets file (default: ./targets.toml, else built-in)")
    clean.add_argument("--dry-run", action="store_true",
                       help="list what would be deleted; delete nothing")
    clean.add_argument("--min-age", type=float, default=0.0, metavar="SECONDS",
                       help="leave collections younger than this alone, in case their run "
                            "is still going (default: 0)")

    photos = commands.add_parser("photos", help="the face photos of a live target")
    photo_commands = photos.add_subparsers(dest="photos_command", required=True,
                                           metavar="COMMAND", parser_class=_Parser)
    photo_check = photo_commands.add_parser(
        "check", help="index each photo once (billed) in a temporary collection: one face "
                      "each, no person twice",
        epilog="exit codes:\n  0    every photo is fit\n  1    a photo is not fit\n"
               "  2    configuration error (too few photos, no credentials)",
        formatter_class=raw)
    photo_check.add_argument("--target", required=True, metavar="NAME",
                             help="a target named in targets.toml, with faces_dir")
    photo_check.add_argument("--targets", metavar="FILE", type=Path,
                             help="the targets file (default: ./targets.toml)")

    diff = commands.add_parser("diff", help="compare two runs' result.json (drift)",
                               epilog=DIFF_EXIT_CODES, formatter_class=raw)
    diff.add_argument("old", type=Path)
    diff.add_argument("new", type=Path)

    matrix = commands.add_parser(
        "matrix", help="several runs side by side: clauses as rows, runs as columns",
        description="One page over several result.json: each clause's state in each run "
                    "(column: target, profile, seed, date), and the readings each run saw. "
                    "Without --html or --markdown, the Markdown goes to stdout.",
        epilog=MATRIX_EXIT_CODES, formatter_class=raw)
    matrix.add_argument("results", nargs="+", type=Path, metavar="RESULT_JSON")
    matrix.add_argument("--html", type=Path, metavar="PATH", help="write the HTML page here")
    matrix.add_argument("--markdown", type=Path, metavar="PATH",
                        help="write the Markdown table here")

    commands.add_parser("clauses", help="list the clause register and the ambiguities")
    commands.add_parser("deviations", help="list the deviations serve --deviation accepts")

    selftest = commands.add_parser(
        "selftest", help="prove the suite catches bugs: fail every mutant of the emulator, "
                         "pass every legal variant",
        epilog=SELFTEST_EXIT_CODES, formatter_class=raw)
    selftest.add_argument("--profile", default="ci", metavar="NAME",
                          help="the profile each entry runs (default: ci)")
    selftest.add_argument("--jobs", type=int, metavar="N",
                          help="entries run at once, one worker process each (default: one "
                               "per core)")
    selftest.add_argument("--seed", type=int, metavar="N",
                          help="base seed; each entry's seed derives from it and its name "
                               "(default: 0, so results are reproducible)")
    selftest.add_argument("--seeds", type=int, default=1, metavar="N",
                          help="run each entry with N seeds (base seeds SEED, SEED+1, ...); an "
                               "entry holds only if it holds with every one (default: 1)")
    selftest.add_argument("--only", nargs="+", default=[], metavar="NAME",
                          help="run only these catalogue entries (see conformance/mutants.py)")
    selftest.add_argument("--report-dir", type=Path, default=Path("reports") / "selftest",
                          metavar="DIR", help="where selftest.json and selftest.md go "
                                              "(default: ./reports/selftest)")
    selftest.add_argument("--readme", nargs="?", type=Path, const=Path("README.md"),
                          metavar="FILE", help="rewrite the self-test section of FILE "
                                               "(default: ./README.md) with the table")
    selftest.add_argument("--quiet", action="store_true", help="no progress lines")
    _bench_parser(commands)
    return parser


def _bench_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    bench = commands.add_parser(
        "bench", help="measure the suite's speed on this machine (figures, never pass/fail)",
        description="Suite steps/s and calls/s against the embedded target, in-process and "
                    "over HTTP, beside a bare boto3 loop resending the suite's own requests; "
                    "the ci profile by workers; seconds and calls of each mutant's run, and what a "
                    "failing run costs next to a passing one.")
    bench.add_argument("--quick", action="store_true",
                       help="skip the ci profile timings (workers, failing runs) and "
                            "time the mutants under dev")
    bench.add_argument("--full", action="store_true",
                       help="time every mutant of the catalogue, not a handful")
    bench.add_argument("--mutants", nargs="*", metavar="NAME",
                       help="the mutants to time (none: skip that part)")
    bench.add_argument("--repeat", type=int, default=3, metavar="N",
                       help="best of N runs for the suite and bare figures (default: 3)")
    bench.add_argument("--seed", type=int, default=1, metavar="N",
                       help="the suite runs' seed (default: 1)")
    bench.add_argument("--examples", type=int, metavar="N",
                       help="test cases per suite run (default: the dev profile's)")
    bench.add_argument("--steps", type=int, metavar="N",
                       help="steps per test case (default: the dev profile's)")
    bench.add_argument("--calls", type=int, metavar="N",
                       help="the bare loop resends only the suite's first N requests "
                            "(default: all of them)")
    bench.add_argument("--transport", choices=("in-process", "http"), action="append",
                       help="only this transport (repeatable; default: both)")
    bench.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    bench.add_argument("--quiet", action="store_true", help="no progress lines")
