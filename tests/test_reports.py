"""The report writers, fed hand-built RunResults: a conforming run, a failing one, one
that errored, and one with known deviations (expected failures, an unexpected pass)."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.clauses import CLAUSES
from conformance.report import (
    diff_lines,
    diff_results,
    exit_code,
    load,
    loads,
    summary_lines,
    to_json,
    to_junit_xml,
    to_markdown,
    write_reports,
)
from conformance.report.console import WIDTH
from conformance.results import (
    ClauseResult,
    ClauseStatus,
    FindingRecord,
    RunResult,
    SuiteErrorRecord,
)

REPRODUCER = '''\
import boto3

client = boto3.client("rekognition", endpoint_url="http://127.0.0.1:4566")
client.create_collection(CollectionId="conf-run-c0")
client.create_user(CollectionId="conf-run-c0", UserId="user-0")
resp = client.associate_faces(CollectionId="conf-run-c0", UserId="user-0",
                              FaceIds=["face-0"] * 101)
assert len(resp["AssociatedFaces"]) <= 100, resp  # AF-CAP-USER
'''

STEPS = '''\
state = AssociateFacesMachine()
v1 = state.create_user()
v2 = state.index_faces(n=101)
state.associate_faces(user=v1, faces=v2)
state.teardown()
'''

REPLAY = "conformance run --target embedded --seed 1234 --replay 'AF-CAP-USER'"


def _clauses(overrides: dict[str, tuple[ClauseStatus, str]] | None = None
             ) -> list[ClauseResult]:
    overrides = overrides or {}
    out = []
    for cid, clause in CLAUSES.items():
        status, reason = overrides.get(cid, ("passed", ""))
        out.append(ClauseResult(cid, clause.text, status, 0 if status == "not-checked" else 17,
                                reason))
    return out


def _result(**changes: object) -> RunResult:
    base = RunResult(
        run_id="20240501T120000Z-embedded-1234",
        target={"name": "embedded", "kind": "embedded", "endpoint_url": "http://127.0.0.1:4566"},
        profile="ci",
        strictness="spec",
        seed=1234,
        started="2024-05-01T12:00:00+00:00",
        duration_seconds=42.125,
        verdict="conforms",
        clauses=_clauses({"CONC": ("not-checked", "target kind embedded runs single-threaded")}),
        findings=[],
        errors=[],
        behaviour_profile={"AMB-CAP": {"exception": 3}, "AMB-OWNER-ID": {"owner": 12},
                           "AMB-STATUS-NOW": {"UPDATING": 40, "ACTIVE": 2}},
        hard_states={"user-at-100": 3, "token-replayed": 9},
        calls={"AssociateFaces": 300, "CreateUser": 80, "IndexFaces": 120, "retries": 2,
               "throttled": 1},
        examples=200,
        versions={"suite": "0.1.0", "botocore": "1.34.100", "hypothesis": "6.100.0",
                  "model": "sha256:aaaa"},
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


FINDING = FindingRecord(
    clause="AF-CAP-USER",
    message="user-0 holds 101 faces after AssociateFaces; the cap is 100 <faces> & more",
    steps=STEPS,
    calls=[{"operation": "AssociateFaces", "params": {"UserId": "user-0"}}],
    reproducer=REPRODUCER,
    seed=1234,
    replay_command=REPLAY,
)


@pytest.fixture
def conforming() -> RunResult:
    return _result()


@pytest.fixture
def failing() -> RunResult:
    return _result(
        verdict="does-not-conform",
        clauses=_clauses({"AF-CAP-USER": ("failed", ""),
                          "CONC": ("not-checked", "target kind embedded runs single-threaded")}),
        findings=[FINDING],
    )


@pytest.fixture
def errored() -> RunResult:
    return _result(
        verdict="error",
        clauses=_clauses({c: ("not-checked", "the run stopped before it was checked")
                          for c in ("AF-CAP-USER", "CONC", "LIST-USERS")}),
        errors=[SuiteErrorRecord("unreachable", "connection refused: http://127.0.0.1:4566\n"
                                 "after 5 retries"),
                SuiteErrorRecord("cleanup", "could not delete collection conf-run-c0 \x1b[0m")],
    )


@pytest.fixture
def deviations() -> RunResult:
    return _result(
        verdict="does-not-conform",
        clauses=_clauses({
            "AF-THRESHOLD-DEFAULT": ("expected-failure", "emulator defaults the threshold to 50"),
            "AF-STATUS": ("unexpected-pass", "emulator answers ACTIVE at once (issue #12)"),
        }),
        findings=[dataclasses.replace(FINDING, clause="AF-THRESHOLD-DEFAULT",
                                      message="face-3 refused at 60 with no threshold given")],
    )


# ---------------------------------------------------------------- JUnit


def _suite(xml: str) -> ET.Element:
    root = ET.fromstring(xml)
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "conformance"
    return suite


def _case(suite: ET.Element, clause: str) -> ET.Element:
    (case,) = [c for c in suite.findall("testcase") if c.get("name") == clause]
    return case


def test_junit_conforming_counts(conforming: RunResult) -> None:
    suite = _suite(to_junit_xml(conforming))
    cases = suite.findall("testcase")
    assert len(cases) == len(CLAUSES) == int(suite.get("tests", ""))
    assert suite.get("failures") == "0"
    assert suite.get("errors") == "0"
    assert suite.get("skipped") == "1"
    assert suite.get("time") == "42.125"
    assert suite.get("timestamp") == "2024-05-01T12:00:00"
    case = _case(suite, "AF-USER-EXISTS")
    assert case.get("classname") == "AF"
    assert [child.tag for child in case] == ["properties"]  # the clause text, nothing else
    assert {p.get("name"): p.get("value") for p in case.iter("property")} == {
        "clause.text": CLAUSES["AF-USER-EXISTS"].text}
    assert _case(suite, "LIST-FACES").get("classname") == "LIST"
    skipped = _case(suite, "CONC").find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "not checked: target kind embedded runs single-threaded"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["seed"] == "1234"
    assert props["reading.AMB-CAP"] == "exception=3"
    assert props["version.botocore"] == "1.34.100"


def test_junit_failure_carries_finding_and_reproducer(failing: RunResult) -> None:
    xml = to_junit_xml(failing)
    suite = _suite(xml)
    assert suite.get("failures") == "1"
    failure = _case(suite, "AF-CAP-USER").find("failure")
    assert failure is not None
    assert failure.get("message") == FINDING.message  # escaped on write, intact on read
    body = failure.text or ""
    assert REPRODUCER.strip() in body
    assert STEPS.strip() in body
    assert REPLAY in body
    assert "&amp;" in xml and "&lt;faces&gt;" in xml


def test_junit_errors_are_one_extra_case_and_xml_stays_valid(errored: RunResult) -> None:
    xml = to_junit_xml(errored)
    suite = _suite(xml)  # the ESC control character must not make the XML unparseable
    assert suite.get("tests") == str(len(CLAUSES) + 1)
    assert suite.get("errors") == "1"
    assert suite.get("skipped") == "3"
    (case,) = [c for c in suite.findall("testcase") if c.get("name") == "suite-errors"]
    error = case.find("error")
    assert error is not None
    assert error.get("type") == "unreachable"
    assert error.get("message") == (
        "unreachable: connection refused: http://127.0.0.1:4566 (and 1 more)")
    assert "not conformance findings" in (error.text or "")
    assert "conf-run-c0" in (error.text or "")
    assert "\x1b" not in xml


def test_junit_expected_failure_and_unexpected_pass_are_not_failures(
        deviations: RunResult) -> None:
    suite = _suite(to_junit_xml(deviations))
    assert suite.get("failures") == "0"
    assert suite.get("skipped") == "2"
    skipped = _case(suite, "AF-THRESHOLD-DEFAULT").find("skipped")
    assert skipped is not None
    assert skipped.get("message") == ("expected failure: AF-THRESHOLD-DEFAULT: emulator defaults "
                                     "the threshold to 50")
    assert "face-3 refused at 60" in (skipped.text or "")  # the known deviation, still shown
    stale = _case(suite, "AF-STATUS")
    assert stale.find("failure") is None
    skipped = stale.find("skipped")
    assert skipped is not None
    assert skipped.get("type") == "unexpected-pass"
    assert (skipped.get("message") or "").startswith("passes now: remove from expected_failures")
    assert "issue #12" in (skipped.get("message") or "")


def test_junit_names_are_the_clause_ids() -> None:
    suite = _suite(to_junit_xml(_result()))
    names = [c.get("name") for c in suite.findall("testcase")]
    assert names == list(CLAUSES)


def test_junit_writes_no_none_property() -> None:
    embedded = _result(target={"name": "embedded", "kind": "embedded", "endpoint_url": None})
    xml = to_junit_xml(embedded)
    props = {p.get("name"): p.get("value") for p in _suite(xml).iter("property")}
    assert "target.endpoint_url" not in props
    assert props["target.kind"] == "embedded"
    assert '"None"' not in xml


# ---------------------------------------------------------------- markdown


def test_markdown_failing(failing: RunResult) -> None:
    md = to_markdown(failing)
    assert md.startswith("# Conformance: DOES NOT CONFORM\n\n"
                         "| Verdict | DOES NOT CONFORM: 1 clause failed (exit 1) |\n")
    assert f"{len(CLAUSES)} clauses: {len(CLAUSES) - 2} passed, 1 failed, 1 not checked." in md
    assert "| Seed | 1234 |" in md
    assert "| Target | embedded (embedded), http://127.0.0.1:4566 |" in md
    assert (f"| `AF-CAP-USER` | {CLAUSES['AF-CAP-USER'].text} | **failed** | 17 |") in md
    assert "### AF-CAP-USER" in md
    assert "> a user never holds more than 100 faces" in md
    assert "\\<faces\\>" in md  # a message is text, never HTML
    assert f"```python\n{STEPS.rstrip()}\n```" in md
    assert f"```python\n{REPRODUCER.rstrip()}\n```" in md
    assert f"```sh\n{REPLAY}\n```" in md
    assert "## Suite and transport errors" not in md


def test_markdown_profile_and_hard_states(conforming: RunResult) -> None:
    md = to_markdown(conforming)
    assert md.startswith("# Conformance: CONFORMS\n")
    assert "No findings." in md
    profile = md.split("## Behaviour profile", 1)[1].split("\n## ", 1)[0]
    assert ("| AMB-STATUS-NOW | UserStatus in the AssociateFaces response after a change | "
            "`UPDATING` x40, `ACTIVE` x2 |") in profile
    assert "| AMB-DUP-IDS | a FaceId repeated in one request | not observed |" in profile
    hard = md.split("## Hard states reached", 1)[1].split("\n## ", 1)[0]
    assert "| `user-at-100` | 3 |" in hard
    assert (f"| `CONC` | {CLAUSES['CONC'].text} | not-checked | 0 | "
            "target kind embedded runs single-threaded |") in md


def test_markdown_errors_section(errored: RunResult) -> None:
    md = to_markdown(errored)
    assert md.startswith("# Conformance: ERROR\n")
    section = md.split("## Suite and transport errors", 1)[1].split("\n## ", 1)[0]
    assert "not conformance findings" in section
    assert "- **unreachable**: connection refused: http://127.0.0.1:4566 after 5 retries" in section


def test_markdown_fence_survives_backticks_in_reproducer(failing: RunResult) -> None:
    tricky = dataclasses.replace(FINDING, reproducer='"""```\nnot the end\n```"""\nprint(1)\n')
    md = to_markdown(dataclasses.replace(failing, findings=[tricky]))
    assert '````python\n"""```\nnot the end\n```"""\nprint(1)\n````' in md


# ---------------------------------------------------------------- console


def test_console_conforming(conforming: RunResult) -> None:
    lines = summary_lines(conforming)
    assert lines[-1] == "verdict: CONFORMS (exit 0)"
    assert exit_code(conforming) == 0
    assert f"clauses: {len(CLAUSES)} in all, {len(CLAUSES) - 1} passed, 0 failed, " \
           "1 not checked" in lines
    assert "  CONC not checked: target kind embedded runs single-threaded" in lines
    assert "hard states reached: token-replayed x9, user-at-100 x3" in lines
    assert lines[0] == "target embedded (embedded), profile ci, strictness spec, seed 1234"
    assert lines[1] == ("run 20240501T120000Z-embedded-1234: 200 examples, "
                        "500 calls (2 retries, 1 throttled), 42.1 s")


def test_console_failing(failing: RunResult) -> None:
    lines = summary_lines(failing)
    assert lines[-1] == "verdict: DOES NOT CONFORM: 1 clause failed (exit 1)"
    assert exit_code(failing) == 1
    text = "\n".join(lines)
    assert f"  FAILED AF-CAP-USER: {FINDING.message}" in text
    assert f"    replay: {REPLAY}" in lines


def test_console_error(errored: RunResult) -> None:
    lines = summary_lines(errored)
    assert lines[-1] == ("verdict: ERROR: unreachable: connection refused: "
                         "http://127.0.0.1:4566 (and 1 more) (exit 3)")
    assert exit_code(errored) == 3
    assert "suite errors (not conformance findings):" in lines
    long = SuiteErrorRecord("budget", "call budget of 500 exhausted " * 8)
    lines = summary_lines(dataclasses.replace(errored, errors=[long]))
    assert len(lines[-1]) <= WIDTH
    assert lines[-1].startswith("verdict: ERROR: budget: call budget of 500 exhausted")
    assert lines[-1].endswith("... (exit 3)")
    assert sum(1 for line in lines if "exhausted" in line) > 2  # printed in full above


def test_console_interrupted_says_the_exit_code_the_process_ends_with(
        failing: RunResult) -> None:
    interrupted = SuiteErrorRecord("interrupted", "the run was interrupted")
    stopped = dataclasses.replace(failing, errors=[interrupted], calls={
        **failing.calls, "uncertain": 3})
    lines = summary_lines(stopped)
    assert exit_code(stopped) == 130
    assert lines[-1] == ("verdict: INTERRUPTED, 1 clause failed until then: the report holds "
                         "what the run learned until then (exit 130)")
    assert "3 outcomes unknown after a connection failed" in " ".join(" ".join(lines).split())


def test_console_deviations(deviations: RunResult) -> None:
    lines = summary_lines(deviations)
    assert lines[-1] == ("verdict: CONFORMS, but 1 known deviation passes now: "
                         "remove from expected_failures (exit 5)")
    assert len(lines[-1]) <= WIDTH
    assert exit_code(deviations) == 5
    assert ("  AF-STATUS: passes now: remove from expected_failures (emulator answers ACTIVE "
            "at once (issue #12))") in lines
    assert ("  AF-THRESHOLD-DEFAULT: failed as expected (emulator defaults the threshold to 50)"
            in lines)
    conforming_with_xfail = dataclasses.replace(
        deviations, verdict="conforms",
        clauses=[c if c.status != "unexpected-pass" else dataclasses.replace(c, status="passed")
                 for c in deviations.clauses])
    assert summary_lines(conforming_with_xfail)[-1] == (
        "verdict: CONFORMS (1 known deviation failed as expected) (exit 0)")


def test_console_wraps_long_messages(failing: RunResult) -> None:
    long = dataclasses.replace(FINDING, message="the response lists face-7 twice " * 12)
    lines = summary_lines(dataclasses.replace(failing, findings=[long]))
    # Only the replay command may exceed the width: it must survive copy and paste.
    assert all(len(line) <= WIDTH for line in lines if not line.startswith("    replay:"))
    assert sum(1 for line in lines if "face-7 twice" in line) > 1


# ---------------------------------------------------------------- JSON


@pytest.mark.parametrize("name", ["conforming", "failing", "errored", "deviations"])
def test_json_round_trip(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    result: RunResult = request.getfixturevalue(name)
    text = to_json(result)
    assert to_json(result) == text
    data = json.loads(text)
    assert list(data) == sorted(data)
    path = tmp_path / "result.json"
    path.write_text(text, encoding="utf-8")
    assert load(path) == result
    assert to_json(load(path)) == text


def test_json_load_rejects_other_files(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text('{"run_id": "x"}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"result\.json: not a conformance result"):
        load(path)
    with pytest.raises(ValueError, match="invalid JSON"):
        loads("{", source="old.json")


# ---------------------------------------------------------------- diff


def test_diff_identical_runs_report_no_change(conforming: RunResult) -> None:
    d = diff_results(conforming, conforming)
    assert not d.changed
    assert any(line.startswith("no change") for line in diff_lines(d))


def test_diff_counts_alone_are_not_drift(conforming: RunResult) -> None:
    other = dataclasses.replace(
        conforming, run_id="next", seed=99,
        behaviour_profile={"AMB-CAP": {"exception": 7}, "AMB-OWNER-ID": {"owner": 1},
                           "AMB-STATUS-NOW": {"UPDATING": 4, "ACTIVE": 9}})
    d = diff_results(conforming, other)
    assert not d.changed
    assert "  seed: 1234 -> 99" in diff_lines(d)  # a note, not drift


def test_diff_detects_status_reading_version_and_findings(
        conforming: RunResult, failing: RunResult) -> None:
    new = dataclasses.replace(
        failing, run_id="today",
        behaviour_profile={**conforming.behaviour_profile,
                           "AMB-CAP": {"unsuccessful-entries": 2}},
        versions={**conforming.versions, "botocore": "1.35.0", "model": "sha256:bbbb"},
        hard_states={"user-at-100": 1},
    )
    d = diff_results(conforming, new)
    assert d.changed
    lines = diff_lines(d)
    assert "verdict: conforms -> does-not-conform" in lines
    assert "  AF-CAP-USER: passed -> failed" in lines
    assert "  AMB-CAP: exception -> unsuccessful-entries" in lines
    assert "  botocore: 1.34.100 -> 1.35.0" in lines
    assert "  model: sha256:aaaa -> sha256:bbbb" in lines
    assert f"  AF-CAP-USER: {FINDING.message}" in lines[lines.index("new findings:") + 1:]
    assert "  token-replayed: old run only" in lines
    assert not any(line.startswith("no change") for line in lines)

    back = diff_results(new, conforming)
    assert [f.clause for f in back.gone_findings] == ["AF-CAP-USER"]
    assert not back.new_findings


def test_diff_reading_no_longer_observed_is_coverage_not_drift(conforming: RunResult) -> None:
    # A replay whose timing kept it from one question must not read as drift (issue 9).
    profile = dict(conforming.behaviour_profile)
    del profile["AMB-CAP"]
    d = diff_results(conforming, dataclasses.replace(conforming, behaviour_profile=profile))
    assert not d.changed
    lines = diff_lines(d)
    assert lines[lines.index("note: ambiguities observed in only one run (coverage, not "
                             "drift):") + 1] == "  AMB-CAP: exception -> (not observed)"


# ---------------------------------------------------------------- write


def test_write_reports(failing: RunResult, tmp_path: Path) -> None:
    directory = tmp_path / "reports" / failing.run_id
    paths = write_reports(failing, directory)
    assert set(paths) == {"json", "junit", "markdown", "html"}
    assert {p.name for p in directory.iterdir()} == {"result.json", "junit.xml", "report.md",
                                                     "report.html", "reproducers"}
    assert load(paths["json"]) == failing
    assert _suite(paths["junit"].read_text(encoding="utf-8")).get("failures") == "1"
    assert "### AF-CAP-USER" in paths["markdown"].read_text(encoding="utf-8")
    assert b"\r\n" not in paths["markdown"].read_bytes()


def test_json_junit_markdown_and_html_agree_on_every_clause(failing: RunResult) -> None:
    """Each clause's state is the same in all four writers, for every state a clause has."""
    import re

    from conformance.report import to_html, to_markdown

    states: dict[str, tuple[ClauseStatus, str]] = {
        "AF-ASSOC": ("failed", ""), "CONC": ("partly-checked", "blocked by AF-ASSOC"),
        "LIST-USERS": ("not-checked", "ListUsers not implemented"),
        "DF-RELEASE": ("blocked", "blocked by AF-ASSOC"),
        "AF-CAP-USER": ("expected-failure", "listed in expected_failures of the target"),
        "AF-STATUS": ("unexpected-pass", "listed in expected_failures of the target")}
    result = dataclasses.replace(failing, clauses=_clauses(states))
    recorded = {c["clause"]: c["status"] for c in json.loads(to_json(result))["clauses"]}
    assert recorded == {c: states.get(c, ("passed", ""))[0] for c in CLAUSES}

    junit = {case.get("name"): case for case in _suite(to_junit_xml(result)).iter("testcase")}
    html_by_id = {cid: cls for cls, cid in
                  re.findall(r'<tr class="([a-z-]+)" id="clause-([a-z-]+)"', to_html(result))}
    markdown = to_markdown(result)
    for clause, status in recorded.items():
        case = junit[clause]
        kinds = {child.tag for child in case}
        expected_kinds = ({"failure"} if status == "failed" else set() if status == "passed"
                          else {"skipped"})
        assert kinds & {"failure", "skipped"} == expected_kinds, (clause, status, kinds)
        assert html_by_id[clause.lower()] == status, clause
        row = next(line for line in markdown.splitlines() if line.startswith(f"| `{clause}` |"))
        cell = row.split("|")[3].replace("-", " ")
        assert status.replace("-", " ") in cell, (clause, status, row)
