"""The matrix page: several runs side by side (``conformance matrix A/result.json B/... --html``).

Clauses are rows and runs are columns, each cell the clause's state in that run;
the column header names the target, profile, seed and date. A week of nightly
runs of one target shows its drift, five emulators' runs compare them. A second
table does the same for the behaviour profile (which readings each run saw).
Rows that differ across the runs are marked "changed".

A pure writer of ``RunResult`` records, like the single-run reports, built with
the HTML report's styles and helpers (``report.html``): one self-contained page,
no script, nothing fetched.
"""

from __future__ import annotations

from collections.abc import Sequence

from conformance.clauses import AMBIGUITIES, CLAUSES
from conformance.report.console import exit_code, known_entries
from conformance.report.html import _STATUS_WORDS, _STYLE, _e
from conformance.report.markdown import _md, _table
from conformance.results import ClauseResult, RunResult

_MATRIX_STYLE = """
table.matrix td.cell { text-align: center; white-space: nowrap; }
table.matrix th { font-weight: 600; vertical-align: bottom; }
table.matrix th .muted { font-weight: normal; }
tr.changed td:first-child { border-left: 4px solid #8250df; }
.s-absent { color: #6e7781; }
.date { white-space: nowrap; }
"""
ABSENT = "absent"  # the clause is not in that run's register (another suite version)


def cell_state(c: ClauseResult | None) -> str:
    """The state a cell shows, in the words of the single-run reports."""
    if c is None:
        return ABSENT
    return _STATUS_WORDS.get(c.status, c.status)


def _clause_ids(results: Sequence[RunResult]) -> list[str]:
    # The register's order, then any clause only an older or newer record knows.
    seen = [cid for r in results for cid in (c.clause for c in r.clauses)]
    return list(CLAUSES) + sorted(set(seen) - set(CLAUSES))


def _ambiguity_ids(results: Sequence[RunResult]) -> list[str]:
    seen = {a for r in results for a in r.behaviour_profile}
    return list(AMBIGUITIES) + sorted(seen - set(AMBIGUITIES))


def readings_seen(result: RunResult, ambiguity: str) -> str:
    """The readings a run observed for one ambiguity, e.g. "exception + filled-to-cap"."""
    seen = sorted(r for r, n in result.behaviour_profile.get(ambiguity, {}).items() if n > 0)
    return " + ".join(seen) if seen else "not observed"


def column_header(result: RunResult) -> tuple[str, str]:
    """(target, "profile P, seed S, date D") for a column."""
    return result.target_label(), (f"profile {result.profile}, seed {result.seed}, "
                                   f"{run_date(result)}")


def run_date(result: RunResult) -> str:
    """When the run started, to the minute: "2026-11-23 02:00" (UTC, as recorded)."""
    return result.started.replace("T", " ")[:16]


def _by_clause(result: RunResult) -> dict[str, ClauseResult]:
    return {c.clause: c for c in result.clauses}


def _cell_note(c: ClauseResult | None, findings: int) -> str:
    if c is None:
        return "not in this run's register"
    notes = [f"{k.entry}: {k.outcome}" for k in known_entries(c)]
    if findings:
        notes.append(f"{findings} finding{'s' if findings != 1 else ''}")
    if c.reason and c.status not in ("expected-failure", "unexpected-pass"):
        notes.append(c.reason)
    return "; ".join(notes)


def _findings(result: RunResult) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in result.findings:
        out[f.clause] = out.get(f.clause, 0) + 1
    return out


def to_matrix_html(results: Sequence[RunResult]) -> str:
    heads = "".join(
        f'<th title="{_e(r.run_id)}">{_e(r.target_label())}<br><span class="muted">'
        f"profile {_e(r.profile)}, seed {r.seed}, "
        f'<span class="date">{_e(run_date(r))}</span></span></th>' for r in results)
    head = f"<thead><tr><th>Clause</th>{heads}</tr></thead>"

    clause_maps = [_by_clause(r) for r in results]
    finding_counts = [_findings(r) for r in results]
    rows = []
    changed_count = 0
    for cid in _clause_ids(results):
        cells = [m.get(cid) for m in clause_maps]
        states = [cell_state(c) for c in cells]
        changed = len(set(states)) > 1
        changed_count += changed
        text = CLAUSES[cid].text if cid in CLAUSES else ""
        tds = "".join(
            f'<td class="cell status s-{_e(c.status if c else ABSENT)}" '
            f'title="{_e(_cell_note(c, n.get(cid, 0)))}">{_e(s)}'
            + (f" ({n[cid]})" if c and c.status == "failed" and n.get(cid) else "") + "</td>"
            for c, s, n in zip(cells, states, finding_counts, strict=True))
        rows.append(f'<tr class="{"changed" if changed else "same"}" id="clause-{_e(cid.lower())}">'
                    f'<td><code>{_e(cid)}</code> <span class="muted">{_e(text)}</span></td>'
                    f"{tds}</tr>")
    verdicts = "".join(f'<td class="cell"><strong>{_e(r.verdict)}</strong> '
                       f'<span class="muted">exit {exit_code(r)}</span></td>' for r in results)
    rows.append(f'<tr class="verdicts"><td><strong>Verdict</strong></td>{verdicts}</tr>')
    clauses = (f'<table class="matrix" id="clauses">{head}<tbody>\n' + "\n".join(rows)
               + "\n</tbody></table>")

    reading_rows = []
    for amb in _ambiguity_ids(results):
        seen = [readings_seen(r, amb) for r in results]
        question = AMBIGUITIES[amb].question if amb in AMBIGUITIES else ""
        reading_rows.append(
            f'<tr class="{"changed" if len(set(seen)) > 1 else "same"}">'
            f'<td><code>{_e(amb)}</code> <span class="muted">{_e(question)}</span></td>'
            + "".join(f'<td class="cell">{_e(s)}</td>' for s in seen) + "</tr>")
    profile = (f'<table class="matrix" id="profile">{head.replace("Clause", "Ambiguity", 1)}'
               "<tbody>\n" + "\n".join(reading_rows) + "\n</tbody></table>")

    body = [
        f"<h1>Conformance matrix: {len(results)} runs</h1>",
        f"<p>{changed_count} of {len(rows) - 1} clauses differ across the runs (marked at the "
        "left). Hover a cell for its findings, reason and known deviations.</p>",
        '<h2 id="clauses-heading">Clauses</h2>', clauses,
        '<h2 id="profile-heading">Behaviour profile (readings observed)</h2>', profile,
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>Conformance matrix ({len(results)} runs)</title>\n"
            f"<style>{_STYLE}{_MATRIX_STYLE}</style>\n</head>\n<body>\n" + "\n".join(body)
            + "\n</body>\n</html>\n")


def to_matrix_markdown(results: Sequence[RunResult]) -> str:
    header = ["Clause", *(f"{_md(t)}<br>{_md(w)}" for t, w in map(column_header, results)),
              "Changed"]
    clause_maps = [_by_clause(r) for r in results]
    rows = []
    for cid in _clause_ids(results):
        states = [cell_state(m.get(cid)) for m in clause_maps]
        rows.append([f"`{cid}`", *states, "changed" if len(set(states)) > 1 else ""])
    rows.append(["**verdict**", *(f"{r.verdict} (exit {exit_code(r)})" for r in results), ""])
    out = [f"# Conformance matrix: {len(results)} runs", "", "## Clauses", ""]
    out += _table(header, rows)
    out += ["", "## Behaviour profile (readings observed)", ""]
    reading_rows = []
    for amb in _ambiguity_ids(results):
        seen = [readings_seen(r, amb) for r in results]
        reading_rows.append([f"`{amb}`", *(_md(s) for s in seen),
                             "changed" if len(set(seen)) > 1 else ""])
    out += _table(["Ambiguity", *header[1:]], reading_rows)
    return "\n".join(out).rstrip() + "\n"
