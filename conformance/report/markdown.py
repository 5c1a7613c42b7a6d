"""report.md: the report a person reads, e.g. attached to a CI run or an issue.

It stays short enough for a CI job summary even when the target fails badly:
runs of like steps are folded and big answers shortened (``compact``), and a long
reproducer is folded into a ``<details>`` block. The full record is result.json.
"""

from __future__ import annotations

import re

from conformance.clauses import AMBIGUITIES, CLAUSES
from conformance.report.compact import compact_steps
from conformance.report.console import (
    DIFFERS_TITLE,
    STALE_HINT,
    allowed_readings,
    aws_published,
    count_parts,
    differs_lines,
    differs_note,
    exit_code,
    known_entries,
    known_text,
    verdict_text,
)
from conformance.results import ClauseResult, FindingRecord, KnownResult, RunResult

_HEADINGS = {"conforms": "CONFORMS", "does-not-conform": "DOES NOT CONFORM",
             "incomplete": "INCOMPLETE", "error": "ERROR"}
# A reproducer longer than this is folded (GitHub renders <details> in Markdown).
_FOLD_LINES = 40


def _cell(text: str) -> str:
    # A table cell must stay on one line, and a bare "|" would end it early.
    return " ".join(text.split()).replace("|", "\\|") or " "


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#])")


def _md(text: str) -> str:
    """Prose from the target or the register, as literal text: a message quoting
    ``<UserId>`` or ``face_1`` must not turn into HTML or emphasis."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _fence(code: str, lang: str) -> str:
    # Reproducers may themselves contain ``` (docstrings, messages): use a longer fence.
    longest = max((len(m) for m in re.findall(r"`{3,}", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{code.rstrip()}\n{fence}"


def _anchor(clause: str, n: int) -> str:
    return f"finding-{clause.lower()}-{n}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(_cell(h) for h in header) + " |",
           "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return out


def _summary(result: RunResult) -> list[str]:
    target = result.target_label()
    calls_sent = result.calls_sent()
    header = ["Verdict", f"{_md(verdict_text(result))} (exit {exit_code(result)})"]
    rows = [
        ["Target", _md(target)],
        ["Profile", _md(f"{result.profile} (strictness {result.strictness})")],
        ["Seed", str(result.seed)],
        ["Started", result.started],
        ["Duration", f"{result.duration_seconds:.1f} s"],
        ["Examples", str(result.examples)],
        ["Calls", f"{calls_sent} sent, {result.calls.get('retries', 0)} retries, "
                  f"{result.calls.get('throttled', 0)} throttled"],
        ["Run", f"`{result.run_id}`"],
    ]
    differs = differs_lines(result)
    if differs:  # at a glance: the list itself follows the findings
        rows.append(["Differs from AWS", ", ".join(f"`{name}`" for name, _, _ in differs)
                     + " ([why](#differs-from-aws))"])
    return _table(header, rows)


def _finding(f: FindingRecord, n: int) -> list[str]:
    clause = CLAUSES.get(f.clause)
    text = clause.text if clause else ""
    out = [f'<a id="{_anchor(f.clause, n)}"></a>', "", f"### {f.clause}", ""]
    if text:
        out += [f"> {_md(text)}", ""]
    out += [
        f"**{_md(f.message)}**" if "\n" not in f.message.strip()
        else _fence(f.message, "text"),
        "",
        f"Minimal steps (seed {f.seed}):",
        "",
        _fence(compact_steps(f.steps), "python"),
        "",
    ]
    lines = f.reproducer.rstrip().count("\n") + 1
    if lines > _FOLD_LINES:
        out += ["<details><summary>Reproducer (self-contained boto3 script, "
                f"{lines} lines)</summary>", "", _fence(f.reproducer, "python"), "",
                "</details>", ""]
    else:
        out += ["Reproducer (self-contained boto3 script):", "", _fence(f.reproducer, "python"),
                ""]
    out += [
        "Replay:",
        "",
        _fence(f.replay_command, "sh"),
        "",
    ]
    return out


def _profile(result: RunResult) -> list[str]:
    out = ["## Behaviour profile", ""]
    if result.strictness == "spec":
        out += ["Where the sources allow more than one reading, every reading is accepted; "
                "this records which one the target showed.", ""]
    else:
        out += [f"Strictness `{result.strictness}`: a reading the column AWS published rules "
                "out fails, and so does one the target's pins rule out; this records the "
                "readings the target showed.", ""]
    ids = list(AMBIGUITIES) + sorted(set(result.behaviour_profile) - set(AMBIGUITIES))
    rows = []
    for amb_id in ids:
        amb = AMBIGUITIES.get(amb_id)
        seen = result.behaviour_profile.get(amb_id, {})
        observed = ", ".join(f"`{r}` x{n}" for r, n in sorted(seen.items(), key=lambda kv: (
            -kv[1], kv[0]))) or "not observed"
        allowed = ", ".join(f"`{r}`" for r in allowed_readings(amb, result)) if amb else "?"
        published = _md(aws_published(amb)) if amb else ""
        rows.append([amb_id, _md(amb.question) if amb else "(not in this suite's register)",
                     observed, allowed, published])
    out += _table(["Ambiguity", "Question", "Observed", "Allowed", "AWS published"], rows)
    out.append("")
    return out


def _differs(result: RunResult) -> list[str]:
    lines = differs_lines(result)
    if not lines:
        return []
    out = ['<a id="differs-from-aws"></a>', "", f"## {DIFFERS_TITLE}", "",
           _md(differs_note(result)), ""]
    out += [f"- `{reading}` ({_md(question)}): {_md(source)}"
            for reading, question, source in lines]
    return [*out, ""]


def _known_note(c: ClauseResult) -> str:
    """The clause's known deviations, each with what became of it, its reason and link."""
    return "; ".join(_known_item(k) for k in known_entries(c))


def _own_reason(c: ClauseResult) -> str:
    # For a known deviation the entries say it all; a partly checked clause's reason
    # (the cases never reached) still matters next to them.
    listed = c.status in ("expected-failure", "unexpected-pass") and known_entries(c)
    return "" if listed else c.reason


def _known_item(k: KnownResult) -> str:
    plain = KnownResult(k.entry, k.outcome, k.reason, note=k.note)
    text = _md(known_text(plain))
    if k.outcome == "unexpected-pass":
        text = text.replace(_md(STALE_HINT), f"**{_md(STALE_HINT)}**", 1)
    link = f" [link]({k.link.replace(' ', '%20').replace(')', '%29')})" if k.link else ""
    return f"`{k.entry}`: {text}{link}"


def to_markdown(result: RunResult) -> str:
    out = [f"# Conformance: {_HEADINGS.get(result.verdict, result.verdict.upper())}", ""]
    out += _summary(result)
    out.append("")

    by_clause: dict[str, list[tuple[int, FindingRecord]]] = {}
    for n, f in enumerate(result.findings, 1):
        by_clause.setdefault(f.clause, []).append((n, f))

    out += ["## Clauses", "", f"{len(result.clauses)} clauses: "
            + ", ".join(count_parts(result)) + ".", ""]
    rows = []
    for c in result.clauses:
        fs = by_clause.get(c.clause, [])
        note = "; ".join(f"[{_md(f.message)}](#{_anchor(f.clause, n)})" for n, f in fs)
        reason = "; ".join(filter(None, (_known_note(c), _md(_own_reason(c)))))
        if reason:
            note = f"{reason}; {note}" if note else reason
        status = {"failed": "**failed**", "unexpected-pass": "**unexpected pass**"}.get(
            c.status, c.status)
        rows.append([f"`{c.clause}`", _md(c.text), status, str(c.checks), note])
    out += _table(["Clause", "Text", "Status", "Checks", "Note"], rows)
    out.append("")

    out += ["## Findings", ""]
    if result.findings:
        for n, f in enumerate(result.findings, 1):
            out += _finding(f, n)
    else:
        out += ["No findings.", ""]

    out += _differs(result)
    out += _profile(result)

    out += ["## Hard states reached", ""]
    if result.hard_states:
        out += _table(["State", "Reached"],
                      [[f"`{k}`", str(v)] for k, v in sorted(result.hard_states.items())])
    else:
        out += ["None: the checks that need them had nothing to check."]
    out += [""]

    if result.errors:
        out += ["## Suite and transport errors", "",
                "These are errors of the suite or of the transport, **not conformance "
                "findings**: they say nothing about whether the target follows the spec, "
                "only that the run could not (fully) judge it.", ""]
        out += [f"- **{_md(e.kind)}**: {_md(e.message)}" for e in result.errors]
        out += [""]

    if result.calls:
        out += ["## Calls", ""]
        out += _table(["Operation", "Calls"],
                      [[k, str(v)] for k, v in sorted(result.calls.items())])
        out.append("")
    if result.versions:
        out += ["## Versions", ""]
        out += _table(["Component", "Version"],
                      [[k, f"`{v}`"] for k, v in sorted(result.versions.items())])
        out.append("")

    return "\n".join(out).rstrip() + "\n"
