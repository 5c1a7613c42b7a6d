"""report.html: one self-contained page per run, to open offline or hand to someone.

A pure writer of ``RunResult``, like the others: inline CSS, no script, no
external resource (no font, image or stylesheet is fetched), so the page renders
the same from a CI artifact, an email attachment or a file:// URL. Every text
from the run (a target's error message, a reproducer) goes through
``html.escape``; the page is built with plain string joining, since its few
repeated parts (table rows, findings) do not earn a templating dependency.

Sections, in order: the verdict and run facts, the clause table (id, text,
status, checks, note), findings (message, steps, reproducer and replay command,
the long parts folded in ``<details>``), the readings that differ from AWS, the
behaviour profile, hard states,
calls, errors of the suite and the transport (apart from findings), versions.
"""

from __future__ import annotations

from html import escape

from conformance.clauses import AMBIGUITIES, CLAUSES
from conformance.known import KnownDeviation
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

_STYLE = """
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       margin: 0 auto; max-width: 1150px; padding: 1.5em; color: #1d2125; background: #fff; }
h1 { font-size: 1.6em; margin: 0 0 .4em; }
h2 { font-size: 1.25em; margin: 1.6em 0 .5em; border-bottom: 1px solid #d6dadf;
     padding-bottom: .2em; }
h3 { font-size: 1.05em; margin: 1.2em 0 .3em; }
table { border-collapse: collapse; width: 100%; margin: .3em 0 1em; }
th, td { border: 1px solid #d6dadf; padding: .3em .5em; text-align: left;
         vertical-align: top; }
th { background: #f3f5f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.clauses td:first-child { white-space: nowrap; }
code, pre { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: #f6f8fa; border: 1px solid #d6dadf; padding: .6em; overflow-x: auto;
      white-space: pre; margin: .3em 0 .8em; }
details { margin: .3em 0; }
summary { cursor: pointer; font-weight: 600; }
.verdict { display: inline-block; padding: .35em .8em; border-radius: 4px; font-weight: 700;
           font-size: 1.1em; color: #fff; }
.v-0 { background: #1a7f37; } .v-1 { background: #cf222e; }
.v-3 { background: #9a6700; } .v-4 { background: #8250df; }
.status { font-weight: 600; white-space: nowrap; }
.s-passed { color: #1a7f37; } .s-failed { color: #cf222e; }
.s-not-checked, .s-blocked, .s-partly-checked { color: #6e7781; }
.s-expected-failure { color: #9a6700; }
.s-unexpected-pass { color: #8250df; }
tr.failed td { background: #fff5f5; } tr.unexpected-pass td { background: #f8f4ff; }
.finding { border-left: 4px solid #cf222e; padding: .1em 1em .4em; margin: 1em 0;
           background: #fffafa; }
.finding.expected { border-left-color: #9a6700; background: #fffdf5; }
.message { font-weight: 600; white-space: pre-wrap; }
.errors { border-left: 4px solid #9a6700; padding: .1em 1em .4em; background: #fffdf5; }
.muted { color: #57606a; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15em 1em; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
"""

_STATUS_WORDS = {"passed": "passed", "failed": "failed", "not-checked": "not checked",
                 "blocked": "blocked", "partly-checked": "partly checked",
                 "expected-failure": "expected failure", "unexpected-pass": "unexpected pass"}
_VERDICT_WORDS = {0: "CONFORMS", 1: "DOES NOT CONFORM", 3: "INCOMPLETE OR ERROR",
                  4: "TRANSPORT ERROR", 5: "CONFORMS", 130: "INTERRUPTED"}


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _anchor(clause: str, n: int) -> str:
    # The same anchors as report.md, so a link into one works in the other.
    return f"finding-{clause.lower()}-{n}"


def _table(header: list[str], rows: list[str], cls: str = "") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    attr = f' class="{cls}"' if cls else ""
    return (f"<table{attr}><thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows)
            + "\n</tbody></table>")


def _facts(result: RunResult) -> str:
    target = result.target_label()
    sent = result.calls_sent()
    facts = [
        ("Target", target),
        ("Profile", f"{result.profile} (strictness {result.strictness})"),
        ("Seed", str(result.seed)),
        ("Started", result.started),
        ("Duration", f"{result.duration_seconds:.1f} s"),
        ("Examples", str(result.examples)),
        ("Calls", f"{sent} sent, {result.calls.get('retries', 0)} retries, "
                  f"{result.calls.get('throttled', 0)} throttled"),
        ("Run", result.run_id),
        ("Clauses", f"{len(result.clauses)}: " + ", ".join(count_parts(result))),
    ]
    differs = differs_lines(result)
    if differs:  # at a glance: the list itself follows the findings
        facts.append(("Differs from AWS", ", ".join(name for name, _, _ in differs)))
    return '<dl class="facts">' + "".join(
        f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts) + "</dl>"


def _clause_row(c: ClauseResult, findings: list[tuple[int, FindingRecord]]) -> str:
    known = known_entries(c)
    notes = [known_html(k) for k in known]
    if c.reason and not (known and c.status in ("expected-failure", "unexpected-pass")):
        notes.append(_e(c.reason))
    notes += [f'<a href="#{_anchor(f.clause, n)}">{_e(_one_line(f.message))}</a>'
              for n, f in findings]
    text = c.text or (CLAUSES[c.clause].text if c.clause in CLAUSES else "")
    return (f'<tr class="{_e(c.status)}" id="clause-{_e(c.clause.lower())}">'
            f"<td><code>{_e(c.clause)}</code></td><td>{_e(text)}</td>"
            f'<td class="status s-{_e(c.status)}">{_e(_STATUS_WORDS.get(c.status, c.status))}</td>'
            f'<td class="num">{c.checks}</td><td>{"<br>".join(notes)}</td></tr>')


def known_html(k: KnownResult) -> str:
    """A known deviation with what became of it, its reason, and its link as a link."""
    text = _e(known_text(KnownResult(k.entry, k.outcome, k.reason, note=k.note)))
    if k.outcome == "unexpected-pass":
        text = text.replace(_e(STALE_HINT), f"<strong>{_e(STALE_HINT)}</strong>", 1)
    # Only web links become anchors: a javascript: URL from a targets file stays text.
    if k.link.startswith(("https://", "http://")):
        text += f' <a href="{_e(k.link)}">{_e(k.link)}</a>'
    elif k.link:
        text += f" {_e(k.link)}"
    return f"<code>{_e(k.entry)}</code>: {text}"


def _excused(f: FindingRecord, c: ClauseResult | None) -> bool:
    """Whether a known deviation covers the finding: its whole clause, or its case."""
    if c is None:
        return False
    return c.status == "expected-failure" or any(
        k.outcome == "expected-failure" and k.entry == KnownDeviation(f.clause, f.case).entry
        for k in c.known)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _finding(f: FindingRecord, n: int, status: str) -> str:
    clause = CLAUSES.get(f.clause)
    expected = status == "expected-failure"
    lines = f.reproducer.rstrip().count("\n") + 1
    parts = [
        f'<section class="finding{" expected" if expected else ""}" '
        f'id="{_anchor(f.clause, n)}">',
        f"<h3>{n}. <code>{_e(f.clause)}</code>"
        + (" <span class=\"muted\">(known deviation, failed as expected)</span>"
           if expected else "") + "</h3>",
    ]
    if clause:
        parts.append(f'<p class="muted">{_e(clause.text)}</p>')
    parts += [
        f'<p class="message">{_e(f.message.strip())}</p>',
        f"<p>Minimal steps (seed {f.seed}), runs of like steps folded:</p>",
        f"<pre>{_e(compact_steps(f.steps))}</pre>",
        f"<details><summary>All {f.steps.rstrip().count(chr(10)) + 1} steps</summary>"
        f"<pre>{_e(f.steps.rstrip())}</pre></details>",
        f"<details><summary>Reproducer (self-contained boto3 script, {lines} lines)</summary>"
        f"<pre>{_e(f.reproducer.rstrip())}</pre></details>",
        f"<p>Replay:</p><pre>{_e(f.replay_command)}</pre>",
        "</section>",
    ]
    return "\n".join(parts)


def _profile(result: RunResult) -> str:
    if result.strictness == "spec":
        intro = ("Where the sources allow more than one reading, every reading is accepted; "
                 "this records which one the target showed.")
    else:
        intro = (f"Strictness {result.strictness}: a reading the column AWS published rules "
                 "out fails, and so does one the target's pins rule out; this records the "
                 "readings the target showed.")
    ids = list(AMBIGUITIES) + sorted(set(result.behaviour_profile) - set(AMBIGUITIES))
    rows = []
    for amb_id in ids:
        amb = AMBIGUITIES.get(amb_id)
        seen = result.behaviour_profile.get(amb_id, {})
        observed = ", ".join(f"<code>{_e(r)}</code> x{n}" for r, n in sorted(
            seen.items(), key=lambda kv: (-kv[1], kv[0])))
        observed = observed or '<span class="muted">not observed</span>'
        allowed = (", ".join(f"<code>{_e(r)}</code>" for r in allowed_readings(amb, result))
                   if amb else "?")
        published = _e(aws_published(amb)) if amb else ""
        question = _e(amb.question) if amb else "(not in this suite's register)"
        rows.append(f"<tr><td><code>{_e(amb_id)}</code></td><td>{question}</td>"
                    f"<td>{observed}</td><td>{allowed}</td><td>{published}</td></tr>")
    return (f"<p>{_e(intro)}</p>"
            + _table(["Ambiguity", "Question", "Observed", "Allowed", "AWS published"], rows))


def _differs(result: RunResult) -> list[str]:
    lines = differs_lines(result)
    if not lines:
        return []
    items = "".join(f"<li><code>{_e(reading)}</code> ({_e(question)}): {_e(source)}</li>"
                    for reading, question, source in lines)
    return [f'<h2 id="differs-from-aws">{_e(DIFFERS_TITLE)}</h2>',
            f"<p>{_e(differs_note(result))}</p><ul>{items}</ul>"]


def _counts_table(header: list[str], items: dict[str, int]) -> str:
    return _table(header, [f'<tr><td><code>{_e(k)}</code></td><td class="num">{v}</td></tr>'
                           for k, v in sorted(items.items())])


def to_html(result: RunResult) -> str:
    code = exit_code(result)
    by_clause: dict[str, list[tuple[int, FindingRecord]]] = {}
    for n, f in enumerate(result.findings, 1):
        by_clause.setdefault(f.clause, []).append((n, f))
    clause_of = {c.clause: c for c in result.clauses}
    title = f"Conformance: {_VERDICT_WORDS.get(code, result.verdict)}"

    body = [
        f"<h1>{_e(title)}</h1>",
        f'<p><span class="verdict v-{code}" id="verdict">{_e(verdict_text(result))}</span> '
        f'<span class="muted">exit {code}</span></p>',
        _facts(result),
        "<h2 id=\"clauses\">Clauses</h2>",
        _table(["Clause", "Text", "Status", "Checks", "Note"],
               [_clause_row(c, by_clause.get(c.clause, [])) for c in result.clauses],
               cls="clauses"),
        "<h2 id=\"findings\">Findings</h2>",
    ]
    if result.findings:
        body += [_finding(f, n, "expected-failure" if _excused(f, clause_of.get(f.clause))
                          else "failed")
                 for n, f in enumerate(result.findings, 1)]
    else:
        body.append("<p>No findings.</p>")

    body += _differs(result)
    body += ["<h2 id=\"profile\">Behaviour profile</h2>", _profile(result),
             "<h2 id=\"hard-states\">Hard states reached</h2>"]
    body.append(_counts_table(["State", "Reached"], result.hard_states) if result.hard_states
                else "<p>None: the checks that need them had nothing to check.</p>")
    body.append("<h2 id=\"calls\">Calls</h2>")
    body.append(_counts_table(["Operation", "Calls"], result.calls) if result.calls
                else "<p>No calls were sent.</p>")

    if result.errors:
        items = []
        for e in result.errors:
            detail = (f"<details><summary>detail</summary><pre>{_e(e.detail.rstrip())}</pre>"
                      "</details>" if e.detail else "")
            items.append(f"<li><strong>{_e(e.kind)}</strong>: "
                         f'<span class="message">{_e(e.message.strip())}</span>{detail}</li>')
        body += ["<h2 id=\"errors\">Suite and transport errors</h2>",
                 '<div class="errors"><p>These are errors of the suite or of the transport, '
                 "<strong>not conformance findings</strong>: they say nothing about whether "
                 "the target follows the spec, only that the run could not (fully) judge it."
                 "</p><ul>" + "".join(items) + "</ul></div>"]

    if result.versions:
        body += ["<h2 id=\"versions\">Versions</h2>",
                 _table(["Component", "Version"],
                        [f"<tr><td>{_e(k)}</td><td><code>{_e(v)}</code></td></tr>"
                         for k, v in sorted(result.versions.items())])]

    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{_e(title)} ({_e(result.run_id)})</title>\n"
            f"<style>{_STYLE}</style>\n</head>\n<body>\n" + "\n".join(body)
            + "\n</body>\n</html>\n")
