"""junit.xml: one testcase per clause, for the JUnit readers of CI systems.

Written in the Ant/Surefire dialect that GitHub actions, GitLab and Jenkins all
read: a ``<testsuites>`` root holding one ``<testsuite name="conformance">``.
Each testcase's ``name`` is the clause id alone, so that editing a clause's
text never breaks a CI system's test history; the text rides in a testcase
property ``clause.text``. Statuses map as follows: failed is ``<failure>``;
not-checked and expected-failure are ``<skipped>``; unexpected-pass (a known
deviation that no longer shows) is ``<skipped type="unexpected-pass">`` with
the message "passes now: remove from expected_failures", the same words as
the console and the other reports. It is not counted in ``failures=``: the
target did nothing wrong; the exit code (4) is what stops a gate. Errors of
the suite or the transport are one extra testcase with ``<error>``, so that
they are not mistaken for findings against the target. Absent values (an
embedded target's endpoint_url) are left out, never written as "None".
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from conformance.report.console import STALE_HINT, known_entries, known_text
from conformance.results import UNJUDGED, ClauseResult, FindingRecord, KnownResult, RunResult

SUITE_NAME = "conformance"

# XML 1.0 forbids most control characters even when escaped, and ElementTree
# writes them through unchanged; a target's error message can carry any of them.
_ILLEGAL_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _ILLEGAL_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _first_line(text: str) -> str:
    # Attribute values shown in CI summaries are one line; the full text goes in the body.
    return text.strip().partition("\n")[0]


def family(clause: str) -> str:
    """The clause family: ``AF-USER-EXISTS`` -> ``AF``; ``SCHEMA`` -> ``SCHEMA``."""
    return clause.split("-", 1)[0]


def testcase_name(c: ClauseResult) -> str:
    """The clause id alone: a stable test id whatever the clause's wording."""
    return c.clause


def _why(entries: list[KnownResult]) -> str:
    """The entries with their reasons and links, e.g. "AF-CAP-REQUEST: no FaceIds: bug 12"."""
    return "; ".join(k.entry + (f": {w}" if (w := "; ".join(filter(None, (k.reason, k.link))))
                                else "") for k in entries)


def _known_body(c: ClauseResult) -> str:
    entries = known_entries(c)
    if not entries:
        return ""
    return "\n\nKnown deviations (expected_failures):\n" + "\n".join(
        f"  {k.entry}: {known_text(k)}" for k in entries) + "\n"


def _finding_body(f: FindingRecord) -> str:
    return (
        f"{f.message}\n\n"
        f"Minimal steps (seed {f.seed}):\n{f.steps.rstrip()}\n\n"
        f"Reproducer:\n{f.reproducer.rstrip()}\n\n"
        f"Replay: {f.replay_command}\n"
    )


def _sub(parent: ET.Element, tag: str, attrs: dict[str, str], text: str | None = None
         ) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: _clean(v) for k, v in attrs.items()})
    if text is not None:
        el.text = _clean(text)
    return el


def _timestamp(started: str) -> str | None:
    # The JUnit schema wants a local date-time with no zone; results store UTC with one.
    try:
        dt = datetime.fromisoformat(started.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt.strftime("%Y-%m-%dT%H:%M:%S")


def _properties(result: RunResult) -> list[tuple[str, str]]:
    props = [("run_id", result.run_id), ("verdict", result.verdict),
             ("profile", result.profile), ("strictness", result.strictness),
             ("seed", str(result.seed)), ("examples", str(result.examples))]
    props += [(f"target.{k}", str(v)) for k, v in sorted(result.target.items())
              if v is not None and v != ""]
    props += [(f"version.{k}", v) for k, v in sorted(result.versions.items())]
    # The behaviour profile rides along so CI dashboards keep it next to the verdict.
    props += [(f"reading.{amb}", ", ".join(f"{r}={n}" for r, n in sorted(readings.items())))
              for amb, readings in sorted(result.behaviour_profile.items())]
    props += [(f"hard_state.{k}", str(v)) for k, v in sorted(result.hard_states.items())]
    props += [(f"calls.{k}", str(v)) for k, v in sorted(result.calls.items())]
    return props


def to_junit_xml(result: RunResult) -> str:
    findings: dict[str, list[FindingRecord]] = {}
    for f in result.findings:
        findings.setdefault(f.clause, []).append(f)

    counts = result.counts()
    failures = counts["failed"]
    skipped = sum(counts[s] for s in UNJUDGED) + counts["expected-failure"] + \
        counts["unexpected-pass"]
    errors = 1 if result.errors else 0
    tests = len(result.clauses) + errors
    time = f"{result.duration_seconds:.3f}"
    totals = {"tests": str(tests), "failures": str(failures), "errors": str(errors),
              "skipped": str(skipped), "time": time}

    root = ET.Element("testsuites", {"name": SUITE_NAME, **totals})
    suite_attrs = {"name": SUITE_NAME, **totals}
    if (ts := _timestamp(result.started)) is not None:
        suite_attrs["timestamp"] = ts
    suite = _sub(root, "testsuite", suite_attrs)
    props = _sub(suite, "properties", {})
    for name, value in _properties(result):
        if value in ("None", ""):
            continue
        _sub(props, "property", {"name": name, "value": value})

    for c in result.clauses:
        # Clauses are checked interleaved within one state machine run, so no per-clause
        # time exists; "0" is written because some readers reject a testcase without one.
        case = _sub(suite, "testcase",
                    {"classname": family(c.clause), "name": testcase_name(c), "time": "0"})
        if c.text:
            _sub(_sub(case, "properties", {}), "property",
                 {"name": "clause.text", "value": c.text})
        fs = findings.get(c.clause, [])
        if c.status == "failed":
            message = fs[0].message if fs else (c.reason or "failed")
            body = "\n\n".join(_finding_body(f) for f in fs) if fs else c.text
            if len(fs) > 1:
                message += f" (and {len(fs) - 1} more finding(s))"
            _sub(case, "failure", {"message": message, "type": c.clause},
                 f"Clause {c.clause}: {c.text}\n\n{body}{_known_body(c)}")
        elif c.status == "unexpected-pass":
            stale = [k for k in known_entries(c) if k.outcome == "unexpected-pass"]
            _sub(case, "skipped", {"message": f"{STALE_HINT} ({_why(stale)})",
                                   "type": "unexpected-pass"},
                 f"Clause {c.clause}: {c.text}\n\nKnown deviation that held in this run "
                 f"({c.checks} checks).{_known_body(c)}")
        elif c.status in UNJUDGED:
            _sub(case, "skipped", {"message": f"{c.status.replace('-', ' ')}: "
                                              f"{c.reason or 'no reason given'}"},
                 _known_body(c).lstrip() or None)
        elif c.status == "expected-failure":
            failing = [k for k in known_entries(c) if k.outcome == "expected-failure"]
            _sub(case, "skipped", {"message": f"expected failure: {_why(failing)}"},
                 "\n\n".join(_finding_body(f) for f in fs) + _known_body(c))

    if result.errors:
        case = _sub(suite, "testcase",
                    {"classname": "suite", "name": "suite-errors", "time": "0"})
        first = result.errors[0]
        message = f"{first.kind}: {_first_line(first.message)}"
        if len(result.errors) > 1:
            message += f" (and {len(result.errors) - 1} more)"
        body = "Errors of the suite or the transport, not conformance findings:\n\n" + "\n".join(
            f"[{e.kind}] {e.message}" for e in result.errors)
        _sub(case, "error", {"message": message, "type": first.kind}, body + "\n")

    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
