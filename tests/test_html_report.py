"""report.html and the size of report.md, fed the same hand-built RunResults as
test_reports.py."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conformance.clauses import AMBIGUITIES, CLAUSES
from conformance.report import to_html, to_markdown, update_latest, write_reports
from conformance.report.compact import compact_steps, shorten_answer
from conformance.report.console import exit_code
from conformance.results import RunResult
from tests.chromium import CHROMIUM, assert_renders_cleanly
from tests.test_reports import FINDING, _clauses, _result


class _Page(HTMLParser):
    """Collects what the tests look at: table rows, element ids, external references."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.ids: set[str] = set()
        self.clause_rows: list[list[str]] = []
        self.pres: list[str] = []
        self.external: list[str] = []
        self.scripts = 0
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._pre: list[str] | None = None
        self._table_class: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        for key in ("src", "href"):
            value = a.get(key) or ""
            if value and not value.startswith("#"):
                self.external.append(value)
        if tag == "script":
            self.scripts += 1
        if tag == "table":
            self._table_class.append(a.get("class") or "")
        if tag == "tr" and self._table_class and self._table_class[-1] == "clauses":
            self._row = []
        if tag == "td" and self._row is not None:
            self._cell = []
        if tag == "pre":
            self._pre = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._table_class:
            self._table_class.pop()
        if tag == "td" and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        if tag == "tr" and self._row is not None:
            if self._row:  # the header row has <th> only
                self.clause_rows.append(self._row)
            self._row = None
        if tag == "pre" and self._pre is not None:
            self.pres.append("".join(self._pre))
            self._pre = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._pre is not None:
            self._pre.append(data)


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    return page


def _failing() -> RunResult:
    return _result(verdict="does-not-conform",
                   clauses=_clauses({"AF-CAP-USER": ("failed", "")}), findings=[FINDING])


def test_html_one_row_per_clause_with_text_and_status() -> None:
    page = _parse(to_html(_failing()))
    assert [row[0] for row in page.clause_rows] == list(CLAUSES)
    rows = {row[0]: row for row in page.clause_rows}
    assert rows["AF-CAP-USER"][1] == CLAUSES["AF-CAP-USER"].text
    assert rows["AF-CAP-USER"][2] == "failed"
    assert rows["AF-USER-EXISTS"][2] == "passed"
    assert FINDING.message in rows["AF-CAP-USER"][4]  # linked to its finding


def test_html_finding_escaped_with_steps_and_reproducer() -> None:
    text = to_html(_failing())
    # The message carries "<faces> & more": text on the page, never markup.
    assert "&lt;faces&gt; &amp; more" in text
    assert "<faces>" not in text
    page = _parse(text)
    assert "finding-af-cap-user-1" in page.ids
    assert any(FINDING.reproducer.strip() in pre for pre in page.pres)
    assert any(FINDING.replay_command in pre for pre in page.pres)
    assert any("state.associate_faces(user=v1, faces=v2)" in pre for pre in page.pres)


def test_html_is_self_contained() -> None:
    page = _parse(to_html(_failing()))
    assert page.external == []
    assert page.scripts == 0


def test_html_profile_errors_and_stale_deviation() -> None:
    from conformance.results import SuiteErrorRecord

    result = _result(
        clauses=_clauses({"AF-STATUS": ("unexpected-pass", "listed in expected_failures")}),
        errors=[SuiteErrorRecord("cleanup", "could not delete <collection> c0")])
    text = to_html(result)
    page = _parse(text)
    rows = {row[0]: row for row in page.clause_rows}
    assert rows["AF-STATUS"][2] == "unexpected pass"
    assert "passes now: remove from expected_failures" in rows["AF-STATUS"][4]
    assert "exit 5" in text
    assert "not conformance findings" in text
    assert "could not delete &lt;collection&gt; c0" in text
    for amb in AMBIGUITIES.values():
        assert amb.id in text
    assert "UserStatus in the AssociateFaces response after a change" in text


def test_compact_steps_folds_runs_and_big_answers() -> None:
    steps = "\n".join(["CreateUser(UserId=\"u\") -> {}"]
                      + [f"IndexFaces(Image=face_image(0)) -> face_{i}" for i in range(1, 101)]
                      + ["ListFaces(UserId=\"u\") -> {\"Faces\": ["
                         + ", ".join(f"{{\"FaceId\": face_{i}}}" for i in range(1, 101)) + "]}"])
    short = compact_steps(steps).splitlines()
    assert short[0] == "CreateUser(UserId=\"u\") -> {}"
    assert short[1] == "IndexFaces(Image=face_image(0)) -> face_1 ... face_100  (x100)"
    assert len(short) == 3
    assert "100 distinct FaceIds" in short[2] and len(short[2]) < 350
    assert shorten_answer("A() -> {}") == "A() -> {}"
    mixed = "\n".join(f"IndexFaces(Image=face_image({i})) -> face_{i + 1}" for i in range(3))
    assert compact_steps(mixed) == ("IndexFaces(Image=face_image(0)) -> face_1 ... "
                                    "IndexFaces(Image=face_image(2)) -> face_3  (x3)")
    # Two like lines stay as they are.
    assert compact_steps("X() -> face_1\nX() -> face_2") == "X() -> face_1\nX() -> face_2"


def test_markdown_of_a_big_failure_stays_short() -> None:
    steps = "\n".join([f"IndexFaces(Image=face_image(0)) -> face_{i}" for i in range(1, 101)]
                      + ["ListFaces(UserId=\"u\") -> {\"Faces\": ["
                         + ", ".join(f"{{\"FaceId\": face_{i}}}" for i in range(1, 101)) + "]}"]
                      * 5)
    reproducer = "\n".join(f"f{i} = index()" for i in range(120))
    big = dataclasses.replace(FINDING, steps=steps, reproducer=reproducer)
    failing = _result(verdict="does-not-conform",
                      clauses=_clauses({"AF-CAP-USER": ("failed", "")}), findings=[big] * 3)
    md = to_markdown(failing)
    assert "face_1 ... face_100  (x100)" in md
    assert "<details><summary>Reproducer (self-contained boto3 script, 120 lines)" in md
    # What the findings add, beyond their reproducers, to the clause and reading tables
    # (which grow with the register): the steps of 3 findings, each 600 lines long.
    tables = to_markdown(dataclasses.replace(failing, findings=[])).count("\n")
    added = md.count("\n") - tables - 3 * 120
    assert added < 90, added
    assert len(md.encode()) < 60_000


def test_exit_code_precedence() -> None:
    stale = {"AF-STATUS": ("unexpected-pass", "")}
    assert exit_code(_result(clauses=_clauses(stale))) == 5
    assert exit_code(_result(verdict="does-not-conform",
                             clauses=_clauses({**stale, "AF-CAP-USER": ("failed", "")}))) == 1
    assert exit_code(_result(verdict="error", clauses=_clauses(stale))) == 3
    assert exit_code(_result()) == 0


def test_write_reports_copies_and_latest(tmp_path: Path) -> None:
    result = _failing()
    base = tmp_path / "reports"
    run_dir = base / result.run_id
    fixed = tmp_path / "out" / "junit.xml"
    paths = write_reports(result, run_dir, copies={"junit": fixed, "html": None})
    assert set(paths) == {"json", "junit", "markdown", "html"}
    assert (run_dir / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert fixed.read_bytes() == paths["junit"].read_bytes()
    latest = update_latest(base, run_dir)
    assert (latest / "junit.xml").read_bytes() == paths["junit"].read_bytes()
    # A second run moves it.
    newer = dataclasses.replace(result, run_id="20240502T120000Z-embedded-1")
    write_reports(newer, base / newer.run_id)
    update_latest(base, base / newer.run_id)
    assert (base / "latest").resolve() == (base / newer.run_id).resolve()
    assert sorted(p.name for p in base.iterdir()) == sorted(
        [result.run_id, newer.run_id, "latest"])


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed")
def test_report_html_renders_in_headless_chromium_without_console_messages(
        tmp_path: Path) -> None:
    assert_renders_cleanly(to_html(_failing()), tmp_path)
