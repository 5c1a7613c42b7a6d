"""Known deviations: whole clauses or single cases, with a reason or a link, in targets.toml
or a file of their own; judged case by case, and a stale one flagged by every writer."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance import verdicts
from conformance.clauses import CLAUSES
from conformance.directed import cases_of
from conformance.errors import ConfigError
from conformance.known import KnownDeviation
from conformance.report import exit_code, summary_lines, to_html, to_junit_xml, to_markdown
from conformance.report.console import STALE_HINT, stale_deviations
from conformance.results import FindingRecord, RunResult
from conformance.runner import run_suite
from conformance.targets import BUILTIN_EMBEDDED, load_targets

LINK = "https://example.org/issues/7"


def _targets(tmp_path: Path, body: str) -> list[KnownDeviation]:
    path = tmp_path / "targets.toml"
    path.write_text('[targets.x]\nkind = "embedded"\n' + body, encoding="utf-8")
    return list(load_targets(path).targets["x"].expected_failures)


def test_entries_name_clauses_and_cases_with_reasons_and_links(tmp_path: Path) -> None:
    entries = _targets(tmp_path, """expected_failures = [
    "AF-CAP-USER",
    "AF-CAP-REQUEST:101 FaceIds",
    "AF-THRESHOLD-DEFAULT: omitted: 75",
    { clause = "LIST-USERS", case = "paged, MaxResults 1", reason = "paging bug" },
""" + f'    {{ clause = "DF-SHAPE", link = "{LINK}" }},\n]\n')
    assert entries == [
        KnownDeviation("AF-CAP-USER"),
        KnownDeviation("AF-CAP-REQUEST", "101 FaceIds"),
        # Clause ids hold no colon: the first one separates, the case keeps its own.
        KnownDeviation("AF-THRESHOLD-DEFAULT", "omitted: 75"),
        KnownDeviation("LIST-USERS", "paged, MaxResults 1", reason="paging bug"),
        KnownDeviation("DF-SHAPE", link=LINK),
    ]
    assert entries[1].entry == "AF-CAP-REQUEST: 101 FaceIds"


def test_entries_from_a_file_relative_to_targets_toml(tmp_path: Path) -> None:
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "known.toml").write_text(
        'expected_failures = [{ clause = "CONC", reason = "no lock yet" }]\n', encoding="utf-8")
    entries = _targets(tmp_path, 'expected_failures_file = "ci/known.toml"\n')
    assert entries == [KnownDeviation("CONC", reason="no lock yet")]


@pytest.mark.parametrize(("body", "expected"), [
    ('expected_failures = ["AF-CAP-USR"]\n',
     "targets.x.expected_failures[0]: unknown clause id 'AF-CAP-USR' "
     "(did you mean 'AF-CAP-USER'?)"),
    ('expected_failures = ["AF-CAP-REQUEST: empty"]\n',
     "targets.x.expected_failures[0]: AF-CAP-REQUEST has no case 'empty' (did you mean "
     "'AF-CAP-REQUEST: no FaceIds'?); its cases: 'no FaceIds', '101 FaceIds'"),
    ('expected_failures = ["CONC", "CONC"]\n', "'CONC' is listed twice"),
    ('expected_failures = ["CONC", "CONC: one face sent to two users at once"]\n',
     "is already covered by 'CONC'"),
    ('expected_failures = [{ clause = "CONC", reson = "x" }]\n',
     "targets.x.expected_failures[0].reson: unknown key (did you mean 'reason'?)"),
    ('expected_failures = [{ reason = "x" }]\n', "targets.x.expected_failures[0].clause: missing"),
    ('expected_failures = [3]\n', "targets.x.expected_failures[0]: expected a clause id"),
    ('expected_failures = []\nexpected_failures_file = "k.toml"\n', "not both"),
    ('expected_failures_file = "absent.toml"\n',
     "targets.x.expected_failures_file: cannot read"),
])
def test_a_bad_entry_is_one_line_naming_it_and_the_closest_valid_one(
        tmp_path: Path, body: str, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        _targets(tmp_path, body)
    assert expected in str(error.value)
    assert "\n" not in str(error.value)


def test_a_bad_entry_in_the_named_file_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "known.toml").write_text('expected_failures = ["LIST-USERS: paged"]\n',
                                         encoding="utf-8")
    with pytest.raises(ConfigError, match=r"known\.toml: expected_failures\[0\]: LIST-USERS has "
                                          r"no case 'paged' \(did you mean 'LIST-USERS: paged, "
                                          r"MaxResults 1'\?\)"):
        _targets(tmp_path, 'expected_failures_file = "known.toml"\n')


def test_conformance_clauses_lists_each_clause_s_cases(
        capsys: pytest.CaptureFixture[str]) -> None:
    from conformance.cli import main

    assert main(["clauses"]) == 0
    lines = capsys.readouterr().out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("AF-CAP-REQUEST "))
    assert lines[at + 1].strip() == "cases: 'no FaceIds', '101 FaceIds'"


# ------------------------------------------------------------------- judging


def _finding(clause: str, case: str, message: str) -> FindingRecord:
    return FindingRecord(clause, message, "", [], "", 0, "replay", case,
                         verdicts.identity(message))


def _run(failing: dict[tuple[str, str], str], known: list[KnownDeviation],
         unreached: frozenset[tuple[str, str]] = frozenset()) -> RunResult:
    """A run of the whole register where every case passed but those in ``failing``
    (case -> message) and ``unreached``."""
    outcomes = {(c, case): "passed" for c in CLAUSES for case in cases_of(c)}
    outcomes.update(dict.fromkeys(failing, "failed"))
    for key in unreached:
        del outcomes[key]
    findings = [_finding(c, case, m) for (c, case), m in failing.items()]
    clauses = verdicts.clause_results({c: cases_of(c) for c in CLAUSES}, outcomes, findings,
                                      dict.fromkeys(CLAUSES, 1), known)
    return RunResult("run", {"name": "x", "kind": "endpoint"}, "dev", "spec", 0,
                     "2026-01-01T00:00:00+00:00", 1.0, verdicts.verdict(clauses, []),
                     clauses, findings, [], {}, {}, {}, 1)


def _status(result: RunResult, clause: str) -> str:
    return next(c.status for c in result.clauses if c.clause == clause)


CAP = "AF-CAP-REQUEST"
EMPTY, MANY = "no FaceIds", "101 FaceIds"


def test_a_case_entry_excuses_that_case_only() -> None:
    known = [KnownDeviation(CAP, MANY, reason="cap not checked yet")]
    excused = _run({(CAP, MANY): "101 ids accepted"}, known)
    assert _status(excused, CAP) == "expected-failure"
    assert excused.verdict == "conforms" and exit_code(excused) == 0

    other_case = _run({(CAP, MANY): "101 ids accepted", (CAP, EMPTY): "wrong code"}, known)
    assert _status(other_case, CAP) == "failed"
    assert exit_code(other_case) == 1


def test_exploration_meeting_the_known_deviation_again_is_excused_but_not_another() -> None:
    known = [KnownDeviation(CAP, MANY)]
    result = _run({(CAP, MANY): "101 ids accepted"}, known)
    same = _finding(CAP, "explored", "101 ids accepted")
    other = _finding(CAP, "explored", "an empty list answered 200")
    outcomes = {(c, case): "passed" for c in CLAUSES for case in cases_of(c)}
    outcomes[(CAP, MANY)] = "failed"
    for extra, status in ((same, "expected-failure"), (other, "failed")):
        clauses = verdicts.clause_results({c: cases_of(c) for c in CLAUSES}, outcomes,
                                          [*result.findings, extra], {}, known)
        assert next(c.status for c in clauses if c.clause == CAP) == status


def test_a_case_entry_that_passes_now_is_flagged_even_in_a_failing_clause() -> None:
    known = [KnownDeviation(CAP, MANY, link=LINK)]
    stale = _run({}, known)
    assert _status(stale, CAP) == "unexpected-pass"
    assert exit_code(stale) == 5
    assert [k.entry for k in stale_deviations(stale)] == ["AF-CAP-REQUEST: 101 FaceIds"]

    failing = _run({(CAP, EMPTY): "wrong code"}, known)
    assert _status(failing, CAP) == "failed" and exit_code(failing) == 1
    assert [k.entry for k in stale_deviations(failing)] == ["AF-CAP-REQUEST: 101 FaceIds"]
    assert any("AF-CAP-REQUEST: 101 FaceIds: " + STALE_HINT in line
               for line in summary_lines(failing))


def test_a_case_entry_does_not_excuse_the_other_cases_going_unchecked() -> None:
    known = [KnownDeviation(CAP, MANY)]
    result = _run({(CAP, MANY): "101 ids accepted"}, known, frozenset({(CAP, EMPTY)}))
    assert _status(result, CAP) == "partly-checked"
    assert result.verdict == "incomplete" and exit_code(result) == 3
    # An entry naming the unchecked case excuses it (the clause stays partly checked).
    named = _run({(CAP, MANY): "101 ids accepted"},
                 [KnownDeviation(CAP, MANY), KnownDeviation(CAP, EMPTY)],
                 frozenset({(CAP, EMPTY)}))
    assert _status(named, CAP) == "partly-checked" and named.verdict == "conforms"
    assert [k.outcome for c in named.clauses for k in c.known] == ["expected-failure",
                                                                  "unjudged"]
    # A whole-clause entry does, as before.
    whole = _run({(CAP, MANY): "101 ids accepted"}, [KnownDeviation(CAP)],
                 frozenset({(CAP, EMPTY)}))
    assert _status(whole, CAP) == "expected-failure" and whole.verdict == "conforms"


def test_a_case_blocked_only_by_a_listed_deviation_does_not_make_the_run_incomplete() -> None:
    diff, conc = "AF-DIFF-USER", "CONC"
    diff_case, conc_case = cases_of(diff)[0], cases_of(conc)[0]

    def run(known: list[KnownDeviation], blocker: str) -> RunResult:
        outcomes = {(c, case): "passed" for c in CLAUSES for case in cases_of(c)}
        outcomes[(diff, diff_case)] = "failed"
        outcomes[(conc, conc_case)] = f"blocked by {blocker}"
        findings = [_finding(diff, diff_case, "face moved")]
        clauses = verdicts.clause_results({c: cases_of(c) for c in CLAUSES}, outcomes,
                                          findings, dict.fromkeys(CLAUSES, 1), known)
        return RunResult("run", {"name": "x", "kind": "endpoint"}, "dev", "spec", 0,
                         "2026-01-01T00:00:00+00:00", 1.0, verdicts.verdict(clauses, []),
                         clauses, findings, [], {}, {}, {}, 1)

    listed = run([KnownDeviation(diff)], diff)
    assert _status(listed, conc) in ("blocked", "partly-checked")  # still shown as such
    assert listed.verdict == "conforms" and exit_code(listed) == 0
    # Blocked by a deviation nobody listed, or not listed at all: not wholly judged.
    assert run([KnownDeviation(diff)], f"{diff}, LIST-FACES").verdict == "incomplete"
    assert exit_code(run([], diff)) == 1


def test_every_writer_shows_the_reason_the_link_and_the_stale_entry() -> None:
    known = [KnownDeviation(CAP, MANY, reason="cap not checked yet", link=LINK),
             KnownDeviation("AF-SHAPE", reason="Confidence as a string")]
    result = _run({(CAP, MANY): "101 ids accepted"}, known)
    lines = summary_lines(result)
    console = " ".join(" ".join(lines).split())  # long lines are wrapped
    assert ("AF-CAP-REQUEST: 101 FaceIds: failed as expected (cap not checked yet; "
            f"{LINK})") in console
    assert f"  AF-SHAPE: {STALE_HINT} (Confidence as a string)" in lines
    assert lines[-1].endswith("(exit 5)")

    markdown = to_markdown(result)
    assert (f"`AF-CAP-REQUEST: 101 FaceIds`: failed as expected (cap not checked yet) "
            f"[link]({LINK})") in markdown
    escaped = STALE_HINT.replace("_", "\\_")  # Markdown prose is escaped
    assert f"`AF-SHAPE`: **{escaped}** (Confidence as a string)" in markdown

    html = to_html(result)
    assert f'<a href="{LINK}">{LINK}</a>' in html
    assert "<code>AF-CAP-REQUEST: 101 FaceIds</code>: failed as expected" in html
    assert f"<strong>{STALE_HINT}</strong> (Confidence as a string)" in html

    suite = ET.fromstring(to_junit_xml(result)).find("testsuite")
    assert suite is not None
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    skipped = cases[CAP].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == (f"expected failure: AF-CAP-REQUEST: 101 FaceIds: "
                                      f"cap not checked yet; {LINK}")
    stale = cases["AF-SHAPE"].find("skipped")
    assert stale is not None and stale.get("type") == "unexpected-pass"
    assert stale.get("message") == f"{STALE_HINT} (AF-SHAPE: Confidence as a string)"


def test_the_html_marks_only_the_known_case_s_finding_as_expected() -> None:
    result = _run({(CAP, MANY): "101 ids accepted", (CAP, EMPTY): "wrong code"},
                  [KnownDeviation(CAP, MANY)])
    html = to_html(result)
    sections = html.split("<section")[1:]
    assert len(sections) == 2
    expected = [("101 ids accepted" in s, 'class="finding expected"' in '<section' + s)
                for s in sections]
    assert sorted(expected) == [(False, False), (True, True)]


def test_a_record_round_trips_its_known_deviations() -> None:
    result = _run({(CAP, MANY): "x"}, [KnownDeviation(CAP, MANY, "why", LINK)])
    again = RunResult.from_json(result.to_json())
    assert again == result


def test_a_run_against_a_target_with_the_known_case_conforms() -> None:
    """The 101-ids deviation listed as a case: the run conforms, other cases were judged."""
    target = dataclasses.replace(
        BUILTIN_EMBEDDED, name="cap-unchecked",
        behaviour=_behaviour({"request-max-unchecked"}),
        expected_failures=(KnownDeviation(CAP, MANY, reason="no request cap yet"),))
    result = run_suite(target, profile="dev", seed=3)
    clause = next(c for c in result.clauses if c.clause == CAP)
    assert clause.status == "expected-failure", clause
    assert clause.cases[EMPTY] == "passed"
    assert [(k.entry, k.outcome) for k in clause.known] == [
        ("AF-CAP-REQUEST: 101 FaceIds", "expected-failure")]
    assert exit_code(result) == 0, summary_lines(result)


def _behaviour(deviations: set[str]) -> object:
    from conformance.emulator.behaviour import Behaviour

    return Behaviour(deviations=frozenset(deviations))
