"""The self-test's reports: the terminal table, the Markdown table (selftest.md and the
README's section), the JSON record, and the progress line of each entry."""

from __future__ import annotations

import json
from pathlib import Path

from conformance.errors import ConfigError
from conformance.selftest import (
    README_END,
    README_START,
    EntryResult,
    SelftestResult,
    failed_text,
)

# --------------------------------------------------------------------------- reports

_COLUMNS = ("name", "clause", "expected", "result", "seconds", "calls", "failed clauses")


def _rows(result: SelftestResult) -> list[tuple[str, ...]]:
    return [(e.name, e.subject or "-", e.expected, e.result, f"{e.seconds:.1f}", str(e.calls),
             e.multi_summary() if e.kind == "multi" else failed_text(e))
            for e in result.entries]


def multi_rows(entry: EntryResult) -> list[tuple[str, str, str]]:
    """A multi-fault mutant's score, one row per deviation, then one per clause it keeps
    right that failed, then the clauses not judged (grouped by state and reason):
    (deviation or what, clause, what the run did)."""
    rows = []
    for d in entry.deviations:
        if d.result == "caught":
            text = "caught"
        elif d.result == "duplicate":
            text = f"caught, but {d.findings} findings (duplicates)"
        else:
            text = f"missed ({d.detail})" if d.detail else "missed"
        rows.append((d.deviation, d.clause, text))
    for p in entry.problems:
        if p.kind == "knock-on":
            found = f"{p.findings} finding{'s' if p.findings != 1 else ''}"
            rows.append(("(none seeded)", p.clause, f"wrongly reported as {p.clause}, "
                         f"{found}{': ' + p.detail if p.detail else ''}"))
    unjudged: dict[str, list[str]] = {}
    for p in entry.problems:
        if p.kind == "not-judged":
            unjudged.setdefault(f"{p.status}{': ' + p.detail if p.detail else ''}",
                                []).append(p.clause)
    for why, clauses in unjudged.items():
        rows.append(("(not judged)", ", ".join(clauses), why))
    return rows


def table_lines(result: SelftestResult) -> list[str]:
    """The plain-text table and score, for a terminal."""
    rows = [_COLUMNS, *_rows(result)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    numeric = {_COLUMNS.index("seconds"), _COLUMNS.index("calls")}

    def line(row: tuple[str, ...]) -> str:
        cells = [cell.rjust(w) if i in numeric else cell.ljust(w)
                 for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        return "  ".join(cells).rstrip()

    lines = [line(rows[0]), "  ".join("-" * w for w in widths)]
    lines += [line(row) for row in rows[1:]]
    for entry in result.multis:
        lines += ["", f"{entry.name}: {entry.result} ({entry.subject})"]
        details = multi_rows(entry)
        first = max((len(r[0]) for r in details), default=0)
        second = max((len(r[1]) for r in details if r[0] != "(not judged)"), default=0)
        lines += [f"  {what:{first}}  {clause:{second}}  {text}".rstrip()
                  for what, clause, text in details]
    lines += ["", *_problem_lines(result), _summary(result)]
    return lines


def _problem_lines(result: SelftestResult) -> list[str]:
    return [f"{e.result}: {e.name}: {e.detail or 'the run found nothing'}"
            for e in result.entries if not e.ok]


def _summary(result: SelftestResult) -> str:
    minutes, seconds = divmod(round(result.seconds), 60)
    return (f"{result.score_line()} (profile {result.profile}, {result.seeds_text()}, "
            f"{result.jobs} jobs, {minutes} min {seconds:02d} s)")


def markdown(result: SelftestResult) -> str:
    """The Markdown table and score: the self-test report, and the README section."""
    header = ("entry", "clause / ambiguity", "expected", "result", "seconds", "API calls",
              "failed clauses", "what it does")
    lines = [f"**{result.score_line()}** (profile `{result.profile}`, {result.seeds_text()}, "
             f"{result.jobs} jobs, {round(result.seconds)} s in all)", "",
             "| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if h in ("seconds", "API calls") else "---"
                            for h in header) + "|"]
    for e, row in zip(result.entries, _rows(result), strict=True):
        name, subject, expected, outcome, seconds, calls, failed = row
        shown = outcome if e.ok else f"**{outcome}**"
        cells = (f"`{name}`", subject, expected, shown, seconds, calls, failed,
                 e.description.replace("|", "\\|"))
        lines.append("| " + " | ".join(cells) + " |")
    if result.multis:
        lines += ["", "Multi-fault mutants, deviation by deviation: each must be caught once "
                  "under its own clause in one run, no other clause may fail, and every "
                  "clause the target's operations allow must be judged.", "",
                  "| multi-fault mutant / deviation | clause | result |", "|---|---|---|"]
        for e in result.multis:
            shown = e.result if e.ok else f"**{e.result}**"
            lines.append(f"| `{e.name}` | {e.subject} | {shown}: {e.multi_summary()} |")
            lines += [f"| ↳ {_md(what if what.startswith('(') else f'`{what}`')} | "
                      f"{_md(clause)} | {_md(text)} |"
                      for what, clause, text in multi_rows(e)]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_reports(result: SelftestResult, directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"json": directory / "selftest.json", "markdown": directory / "selftest.md"}
    paths["json"].write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
    paths["markdown"].write_text("# Self-test\n\n" + markdown(result), encoding="utf-8")
    return paths


def update_readme(path: Path, section: str) -> None:
    """Replace what lies between the self-test markers in ``path`` with ``section``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--readme: cannot read {path}: {exc.strerror}") from None
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ConfigError(f"--readme: {path} has no {README_START} ... {README_END} section; "
                          "add the two markers where the table belongs")
    head = text[:start + len(README_START)]
    path.write_text(f"{head}\n{section.rstrip()}\n{text[end:]}", encoding="utf-8")
