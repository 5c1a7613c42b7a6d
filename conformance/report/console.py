"""The end-of-run summary printed to a terminal: plain text, within 100 columns.

The verdict line comes last so that it is the line left on screen (and the
last line of a CI log) when the run ends.
"""

from __future__ import annotations

import textwrap

from conformance.clauses import AMBIGUITIES, Ambiguity, differs_from_aws
from conformance.errors import (
    EXIT_CONFORMS,
    EXIT_FAILURES,
    EXIT_INTERRUPTED,
    EXIT_STALE_DEVIATION,
    EXIT_TARGET,
    EXIT_TRANSPORT,
)
from conformance.results import (
    CALL_COUNTERS,
    NOTICE_KINDS,
    UNJUDGED,
    ClauseResult,
    FindingRecord,
    KnownResult,
    RunResult,
)

WIDTH = 100
# The one phrase every writer shows for such a clause, so a search finds them all.
STALE_HINT = "passes now: remove from expected_failures"
_KNOWN_WORDS = {"expected-failure": "failed as expected", "unexpected-pass": STALE_HINT,
                "unjudged": "not judged"}


# The heading every writer lists the readings AWS contradicts under (issue 19).
DIFFERS_HEADING = "differs from AWS"
DIFFERS_TITLE = "Differs from AWS"


def differs_note(result: RunResult) -> str:
    """What the "differs from AWS" list means for this run's verdict."""
    if result.strictness == "aws":
        return ("Readings AWS's own published examples or behaviour contradict: strictness "
                "aws fails each under its clause, unless the target pins that reading itself.")
    return ("Readings the sources allow, so they pass under strictness spec, but that AWS's "
            "own published examples or behaviour contradict: --strictness aws fails them.")


def allowed_readings(amb: Ambiguity, result: RunResult) -> tuple[str, ...]:
    """The readings of ``amb`` the run's strictness accepts (the target's pins aside)."""
    return amb.aws_readings if result.strictness == "aws" else amb.readings


def aws_published(amb: Ambiguity) -> str:
    """What AWS has published of an ambiguity, as the profile tables show it: its reading,
    or the readings it contradicts where it leaves more than one."""
    if amb.aws_reading:
        return amb.aws_reading
    return "not " + " or ".join(amb.differs_from_aws) if amb.differs_from_aws else ""


def differs_lines(result: RunResult) -> list[tuple[str, str, str]]:
    """("AMB-ID reading", the question, source) for each reading the run showed that AWS
    contradicts: the lines of the "differs from AWS" list, which name the reading, what it
    answers, and the source that contradicts it."""
    return [(f"{amb} {reading}", AMBIGUITIES[amb].question, source)
            for amb, reading, source in differs_from_aws(result.behaviour_profile)]


def known_entries(c: ClauseResult) -> list[KnownResult]:
    """The known deviations of a clause, each with what became of it. A record written
    before entries could name cases holds none: its clause stands for its one entry."""
    if c.known or c.status not in ("expected-failure", "unexpected-pass"):
        return c.known
    return [KnownResult(c.clause, c.status, reason=c.reason)]


def known_text(k: KnownResult) -> str:
    """What became of a known deviation, with its reason and link: the words every
    writer shows next to the entry."""
    text = _KNOWN_WORDS.get(k.outcome, k.outcome)
    if k.outcome == "unjudged" and k.note:
        text += f": {k.note}"
    why = "; ".join(part for part in (k.reason, k.link) if part)
    return text + (f" ({why})" if why else "")


def stale_deviations(result: RunResult) -> list[KnownResult]:
    """Known deviations that held this run: each must leave expected_failures. A case
    entry can be stale in a clause that fails on another case, so entries are counted,
    not clause statuses."""
    return [k for c in result.clauses for k in known_entries(c)
            if k.outcome == "unexpected-pass"]


def exit_code(result: RunResult) -> int:
    """The process exit code ``result`` stands for.

    0  the target conforms: every clause not listed as a known deviation passed;
    1  at least one clause failed that is not a known deviation;
    3  the target could not be wholly judged: a clause was blocked, partly checked or
       not checked (an operation missing, say), or the run stopped (budget, an error of
       the suite). A gate that passes must have checked what it claims;
    4  no clause failed, but the transport failed (timeouts, resets, bodies that are not
       JSON): say nothing about the target, run again;
    5  no clause failed, but a known deviation no longer shows: remove it from the
       target's expected_failures. The list only shrinks, so a CI gate stops here until
       someone updates it; it is not 1 because the target is no worse than before.
    130 the run was interrupted (SIGINT, SIGTERM): it cleaned up and reported what it
       learned until then, findings included, but a gate must not read it as complete.
    Interrupted (130) comes first, then failures (1), then 3, 4 and 5 in that order.
    """
    if any(e.kind == "interrupted" for e in result.errors):
        return EXIT_INTERRUPTED
    counts = result.counts()
    if counts["failed"]:
        return EXIT_FAILURES
    stopping = [e for e in result.errors if e.kind not in NOTICE_KINDS]
    if stopping and all(e.kind == "transport" for e in stopping):
        return EXIT_TRANSPORT
    if stopping or result.verdict in ("error", "incomplete"):
        return EXIT_TARGET
    if stale_deviations(result):
        return EXIT_STALE_DEVIATION
    return EXIT_CONFORMS


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def count_parts(result: RunResult) -> list[str]:
    """Per-status clause counts, e.g. ``["36 passed", "1 failed", "1 not checked"]``."""
    c = result.counts()
    parts = [f"{c['passed']} passed", f"{c['failed']} failed"]
    # Rarer statuses appear only when present, to keep the common line short.
    for status in ("blocked", "partly-checked", "not-checked"):
        if c[status]:
            parts.append(f"{c[status]} {status.replace('-', ' ')}")
    if c["expected-failure"]:
        parts.append(_plural(c["expected-failure"], "expected failure"))
    if c["unexpected-pass"]:
        parts.append(_plural(c["unexpected-pass"], "unexpected pass", "unexpected passes"))
    return parts


def counts_line(result: RunResult) -> str:
    return f"clauses: {len(result.clauses)} in all, " + ", ".join(count_parts(result))


def verdict_text(result: RunResult, max_message: int | None = None) -> str:
    """The verdict in words, without the exit code: shared by the console and markdown.

    ``max_message`` shortens the quoted error message, which the console has already
    printed in full, so that the verdict line stays on one terminal line.
    """
    c = result.counts()
    code = exit_code(result)
    stale = ""
    if n := len(stale_deviations(result)):
        stale = (f"{_plural(n, 'known deviation')} "
                 + (STALE_HINT if n == 1 else STALE_HINT.replace("passes", "pass", 1)))
    if code == EXIT_INTERRUPTED:
        found = f", {_plural(c['failed'], 'clause')} failed until then" if c["failed"] else ""
        return f"INTERRUPTED{found}: the report holds what the run learned until then"
    if code == EXIT_STALE_DEVIATION:
        return f"CONFORMS, but {stale}"
    if code == EXIT_CONFORMS:
        text = "CONFORMS"
        if c["expected-failure"]:
            text += f" ({_plural(c['expected-failure'], 'known deviation')} failed as expected)"
        return text
    if code == EXIT_FAILURES:
        why = []
        if c["failed"]:
            why.append(f"{_plural(c['failed'], 'clause')} failed")
        if stale:
            why.append(stale)
        return "DOES NOT CONFORM" + (": " + ", ".join(why) if why else "")
    if result.verdict == "incomplete":
        unjudged = sum(c[s] for s in UNJUDGED)
        return (f"INCOMPLETE: nothing failed, but {_plural(unjudged, 'clause')} "
                "could not be wholly judged")
    if result.errors:
        first = result.errors[0]
        more = f" (and {len(result.errors) - 1} more)" if len(result.errors) > 1 else ""
        message = _first_line(first.message)
        if max_message is not None and len(message) > max_message:
            message = message[:max(max_message - 3, 0)].rstrip() + "..."
        return f"ERROR: {first.kind}: {message}{more}"
    return "ERROR: the run could not judge the target"


def verdict_line(result: RunResult, width: int | None = WIDTH) -> str:
    line = f"verdict: {verdict_text(result)} (exit {exit_code(result)})"
    if width is not None and len(line) > width and result.verdict == "error":
        over = len(line) - width
        message = len(_first_line(result.errors[0].message)) if result.errors else 0
        line = (f"verdict: {verdict_text(result, max(message - over, 20))} "
                f"(exit {exit_code(result)})")
    return line


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _wrap(text: str, indent: str, first_indent: str | None = None) -> list[str]:
    lines: list[str] = []
    for i, para in enumerate(text.strip().splitlines() or [""]):
        lines.extend(textwrap.wrap(
            para, WIDTH,
            initial_indent=(first_indent if first_indent is not None and i == 0 else indent),
            subsequent_indent=indent,
            break_long_words=False, break_on_hyphens=False,
        ) or [indent.rstrip()])
    return lines


def _findings_by_clause(result: RunResult) -> dict[str, list[FindingRecord]]:
    out: dict[str, list[FindingRecord]] = {}
    for f in result.findings:
        out.setdefault(f.clause, []).append(f)
    return out


def _failed_clause_lines(c: ClauseResult, findings: list[FindingRecord]) -> list[str]:
    if not findings:
        return _wrap(c.reason or "failed (no minimised example recorded)", "    ",
                     f"  FAILED {c.clause}: ")
    lines: list[str] = []
    for f in findings:
        lines += _wrap(f.message, "    ", f"  FAILED {c.clause}: ")
        # The replay command is never wrapped: it must survive a copy and paste.
        lines.append(f"    replay: {f.replay_command}")
    return lines


def summary_lines(result: RunResult) -> list[str]:
    target = result.target.get("name") or result.target.get("endpoint_url") or "?"
    kind = result.target.get("kind")
    lines = _wrap(f"target {target}" + (f" ({kind})" if kind else "")
                  + f", profile {result.profile}, strictness {result.strictness}, "
                  f"seed {result.seed}", "    ", "")
    lines += _wrap(f"run {result.run_id}: {result.examples} examples, "
                   f"{_calls_text(result.calls)}, {result.duration_seconds:.1f} s", "    ", "")
    if result.shard:
        shard = result.shard
        lines += _wrap(f"shard {shard['index']}/{shard['count']}: every directed check and "
                       f"exploration batches {', '.join(map(str, shard['batches'])) or 'none'}; "
                       "the run's verdict is that of conformance merge over every shard",
                       "    ", "")
    lines.append(counts_line(result))
    by_clause = _findings_by_clause(result)

    failed = [c for c in result.clauses if c.status == "failed"]
    if failed:
        lines.append("")
        lines.append("failed clauses:")
        for c in failed:
            lines += _failed_clause_lines(c, by_clause.get(c.clause, []))

    for outcome, heading in (
            ("unexpected-pass", "unexpected passes (known deviations that no longer fail):"),
            ("expected-failure",
             "expected failures (known deviations, not counted against the verdict):"),
            ("unjudged", "known deviations not judged in this run:")):
        entries = [k for c in result.clauses for k in known_entries(c) if k.outcome == outcome]
        if entries:
            lines += ["", heading]
            for k in entries:
                lines += _wrap(known_text(k), "    ", f"  {k.entry}: ")

    differs = differs_lines(result)
    if differs:
        lines += ["", f"{DIFFERS_HEADING}:", *_wrap(differs_note(result), "  ", "  ")]
        for reading, question, source in differs:
            lines += _wrap(source, "    ", f"  {reading} ({question}): ")

    unchecked = [c for c in result.clauses if c.status in UNJUDGED]
    if unchecked:
        lines.append("")
        lines.append("not wholly judged (blocked, partly checked, not checked):")
        for c in unchecked:
            lines += _wrap(c.reason or "no reason given", "    ",
                           f"  {c.clause} {c.status.replace('-', ' ')}: ")

    lines.append("")
    if result.hard_states:
        reached = ", ".join(f"{k} x{v}" for k, v in sorted(result.hard_states.items()))
        lines += _wrap(reached, "    ", "hard states reached: ")
    else:
        lines.append("hard states reached: none")

    if result.errors:
        lines.append("")
        lines.append("suite errors (not conformance findings):")
        for e in result.errors:
            lines += _wrap(e.message, "    ", f"  {e.kind}: ")

    lines.append("")
    lines.append(verdict_line(result))
    return lines


def _calls_text(calls: dict[str, int]) -> str:
    extra = {k: v for k, v in calls.items() if k in CALL_COUNTERS}
    sent = sum(v for k, v in calls.items() if k not in extra)
    text = _plural(sent, "call")
    if extra.get("retries"):
        text += f" ({_plural(extra['retries'], 'retry', 'retries')}"
        text += f", {extra.get('throttled', 0)} throttled)"
    elif extra.get("throttled"):
        text += f" ({extra['throttled']} throttled)"
    if extra.get("uncertain"):
        text += (f"; {_plural(extra['uncertain'], 'outcome')} unknown after a connection "
                 "failed, not judged, state re-read")
    return text
