"""The matrix page over several records: its structure, the CLI, and (where chromium is
installed) that it renders in a real headless browser with no console message."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conformance.clauses import AMBIGUITIES, CLAUSES
from conformance.cli import main
from conformance.report import to_json
from conformance.report.matrix import to_matrix_html, to_matrix_markdown
from conformance.results import KnownResult, RunResult
from tests.chromium import CHROMIUM, assert_renders_cleanly
from tests.test_reports import FINDING, _clauses, _result


class _Tables(HTMLParser):
    """Each table by id: its header cells and its rows (class, cell texts, cell titles)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, dict[str, list[object]]] = {}
        self.scripts = 0
        self.external: list[str] = []
        self._table: dict[str, list[object]] | None = None
        self._row: tuple[str, list[str], list[str]] | None = None
        self._cell: list[str] | None = None
        self._head: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.scripts += tag == "script"
        self.external += [v for k, v in attrs if k in ("src", "href") and v
                          and not v.startswith("#")]
        if tag == "table":
            self._table = self.tables.setdefault(a.get("id") or "", {"head": [], "rows": []})
        elif tag == "tr" and self._table is not None:
            self._row = (a.get("class") or "", [], [])
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            if tag == "td":
                self._row[2].append(a.get("title") or "")
        elif tag == "br" and self._cell is not None:
            self._cell.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row[1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            key = "rows" if self._row[2] else "head"
            self._table[key].append(self._row if key == "rows" else self._row[1])
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _runs() -> list[RunResult]:
    monday = _result(seed=1, started="2026-11-23T02:00:00+00:00", run_id="mon")
    tuesday = _result(
        seed=2, started="2026-11-24T02:00:00+00:00", run_id="tue", verdict="does-not-conform",
        clauses=_clauses({"AF-CAP-USER": ("failed", ""),
                          "CONC": ("not-checked", "target kind embedded runs single-threaded")}),
        findings=[FINDING, FINDING])
    clauses = _clauses({"AF-CAP-USER": ("expected-failure", "listed"),
                        "CONC": ("partly-checked", "two requests at once: not reached"),
                        "LIST-USERS": ("blocked", "blocked by LIST-FACES")})
    clauses = [dataclasses.replace(c, known=[KnownResult("AF-CAP-USER: a user at 99",
                                                         "expected-failure", "bug 3")])
               if c.clause == "AF-CAP-USER" else c for c in clauses]
    other = _result(seed=3, started="2026-11-25T02:00:00+00:00", run_id="wed", clauses=clauses,
                    target={"name": "other-emulator", "kind": "endpoint",
                            "endpoint_url": "http://127.0.0.1:4566"},
                    behaviour_profile={"AMB-CAP": {"filled-to-cap": 2}})
    return [monday, tuesday, other]


def _parse(text: str) -> _Tables:
    page = _Tables()
    page.feed(text)
    page.close()
    return page


def test_clauses_are_rows_runs_are_columns() -> None:
    page = _parse(to_matrix_html(_runs()))
    assert page.scripts == 0 and page.external == []
    clauses = page.tables["clauses"]
    head = clauses["head"][0]
    assert isinstance(head, list) and len(head) == 4
    assert head[1] == "embedded (embedded), http://127.0.0.1:4566 | profile ci, seed 1, " \
                      "2026-11-23 02:00"
    assert head[3].startswith("other-emulator (endpoint)")
    rows = {r[1][0].split()[0]: r for r in clauses["rows"]}  # type: ignore[index]
    assert list(rows) == [*CLAUSES, "Verdict"]
    assert rows["AF-CAP-USER"][1][1:] == ["passed", "failed (2)", "expected failure"]
    assert rows["AF-CAP-USER"][0] == "changed"
    titles = rows["AF-CAP-USER"][2]  # the clause cell first, then one per run
    assert "AF-CAP-USER: a user at 99: expected-failure" in titles[3]
    assert titles[2] == "2 findings"
    assert rows["CONC"][1][1:] == ["not checked", "not checked", "partly checked"]
    assert rows["LIST-USERS"][1][1:] == ["passed", "passed", "blocked"]
    assert rows["AF-USER-EXISTS"][0] == "same"
    # The hand-built records' verdicts, as recorded, with the exit code each stands for.
    assert rows["Verdict"][1][1:] == ["conforms exit 0", "does-not-conform exit 1",
                                      "conforms exit 0"]


def test_the_behaviour_profile_shows_reading_changes() -> None:
    page = _parse(to_matrix_html(_runs()))
    rows = {r[1][0].split()[0]: r for r in page.tables["profile"]["rows"]}  # type: ignore[index]
    assert list(rows) == list(AMBIGUITIES)
    assert rows["AMB-CAP"][1][1:] == ["exception", "exception", "filled-to-cap"]
    assert rows["AMB-CAP"][0] == "changed"
    assert rows["AMB-OWNER-ID"][1][1:] == ["owner", "owner", "not observed"]


def test_markdown_has_the_same_cells() -> None:
    text = to_matrix_markdown(_runs())
    line = next(x for x in text.splitlines() if x.startswith("| `AF-CAP-USER`"))
    assert line == "| `AF-CAP-USER` | passed | failed | expected failure | changed |"
    assert "| `AMB-CAP` | exception | exception | filled-to-cap | changed |" in text


def test_cli_writes_both_pages_and_refuses_a_bad_record(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = []
    for r in _runs():
        path = tmp_path / r.run_id / "result.json"
        path.parent.mkdir()
        path.write_text(to_json(r), encoding="utf-8")
        paths.append(str(path))
    html, md = tmp_path / "out" / "matrix.html", tmp_path / "out" / "matrix.md"
    assert main(["matrix", *paths, "--html", str(html), "--markdown", str(md)]) == 0
    assert "<table class=\"matrix\" id=\"clauses\">" in html.read_text(encoding="utf-8")
    assert md.read_text(encoding="utf-8").startswith("# Conformance matrix: 3 runs")
    assert main(["matrix", *paths]) == 0
    assert "| `AF-CAP-USER` |" in capsys.readouterr().out
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    assert main(["matrix", paths[0], str(tmp_path / "bad.json"), "--html", str(html)]) == 2
    assert "bad.json" in capsys.readouterr().err


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed")
def test_the_page_renders_in_headless_chromium_without_console_messages(tmp_path: Path) -> None:
    assert_renders_cleanly(to_matrix_html(_runs()), tmp_path)
