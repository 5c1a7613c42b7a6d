"""Readings the sources allow but AWS's own examples contradict (issue 19 item 4).

Under strictness "spec" they pass and are listed under "differs from AWS" in the console
summary, report.md and report.html, each with the source that contradicts it; strictness
"aws" fails them under the ambiguity's clause. The legal variants of the self-test that
take those readings are the targets; the reference emulator shows none of them.
"""

from __future__ import annotations

import dataclasses
import html
import re
from functools import cache

import pytest

from conformance.clauses import AMBIGUITIES, A, C, differs_from_aws
from conformance.mutants import BY_NAME
from conformance.report.console import DIFFERS_HEADING, summary_lines
from conformance.report.write import render
from conformance.results import RunResult
from conformance.runner import run_suite
from conformance.targets import BUILTIN_EMBEDDED

# variant -> (the cheapest profile in which it shows its reading, that reading as the
# lists name it, the clause strictness aws fails). AMB-DUP-IDS is shown by exploration.
VARIANTS: dict[str, tuple[str, str, str]] = {
    "dup-ids-per-occurrence": ("dev", "AMB-DUP-IDS per-occurrence", C.AF_SHAPE),
    "face-userid-filter-only": ("live", "AMB-FACE-USERID filter-only", C.LIST_FACES),
}


@cache
def run(name: str, profile: str, strictness: str) -> RunResult:
    target = dataclasses.replace(BUILTIN_EMBEDDED, name=name, strictness=strictness,
                                 behaviour=BY_NAME[name].behaviour)
    # Unshrunk: the verdict and the lists are what is asserted, not a minimal example.
    return run_suite(target, profile=profile, seed=0, shrink=False)


def console_section(result: RunResult) -> list[str]:
    lines = summary_lines(result)
    if f"{DIFFERS_HEADING}:" not in lines:
        return []
    start = lines.index(f"{DIFFERS_HEADING}:")
    end = lines.index("", start)
    return lines[start + 1:end]


def section(text: str, heading: str, next_heading: str) -> str:
    """The text from ``heading`` to the next ``next_heading``; "" when there is none."""
    if heading not in text:
        return ""
    rest = text.split(heading, 1)[1]
    return rest.split(next_heading, 1)[0]


def plain(text: str) -> str:
    """Markdown or HTML as plain text, every run of whitespace one space."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>|`", "", text)).split())


def listed(result: RunResult) -> dict[str, str]:
    """The "differs from AWS" section of the console summary, report.md and report.html."""
    texts = render(result)
    return {"console": "\n".join(console_section(result)),
            "report.md": section(texts["markdown"], "## Differs from AWS", "\n## "),
            "report.html": section(texts["html"], '<h2 id="differs-from-aws">', "<h2")}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_a_reading_aws_contradicts_passes_under_spec_and_is_listed_with_its_source(
        name: str) -> None:
    profile, reading, _ = VARIANTS[name]
    result = run(name, profile, "spec")
    assert result.verdict == "conforms", [c.clause for c in result.clauses
                                          if c.status != "passed"]
    ambiguity, shown = reading.split(" ")
    amb = AMBIGUITIES[ambiguity]
    source = amb.differs_from_aws[shown]
    for where, text in listed(result).items():
        # As plain text, whitespace as one space: the console wraps long lines.
        assert f"{reading} ({amb.question}): {source}" in plain(text), where
    assert differs_from_aws(result.behaviour_profile) == [(ambiguity, shown, source)]
    # At a glance: the run facts at the top of report.md and report.html name it too.
    texts = render(result)
    assert f"| Differs from AWS | `{reading}` ([why](#differs-from-aws)) |" in texts["markdown"]
    assert f"<dt>Differs from AWS</dt><dd>{reading}</dd>" in texts["html"]


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_strictness_aws_fails_the_reading_under_its_clause_alone(name: str) -> None:
    profile, reading, clause = VARIANTS[name]
    result = run(name, profile, "aws")
    assert result.verdict == "does-not-conform"
    failed = [c.clause for c in result.clauses if c.status == "failed"]
    assert failed == [clause]
    assert any("differs from AWS" in f.message for f in result.findings if f.clause == clause)
    assert all("--strictness aws" in f.replay_command for f in result.findings)
    # Still listed, now as the cause of the failure.
    assert reading in listed(result)["console"]


def test_strictness_aws_passes_a_reading_aws_leaves_open() -> None:
    # AWS's examples rule out only "per-occurrence": refusing a repeat stays allowed, and
    # "once" (the reference's) is shown in the runs above.
    result = run("dup-ids-rejected", "dev", "aws")
    assert result.behaviour_profile["AMB-DUP-IDS"].keys() == {"rejected"}
    assert result.verdict == "conforms", [c.clause for c in result.clauses
                                          if c.status != "passed"]
    assert listed(result)["console"] == ""


def test_the_reference_lists_nothing_and_passes_strictness_aws() -> None:
    spec = run("reference", "dev", "spec")
    assert spec.verdict == "conforms"
    assert differs_from_aws(spec.behaviour_profile) == []
    assert listed(spec) == {"console": "", "report.md": "", "report.html": ""}
    # The reference shows AWS's readings: strictness aws finds nothing to fail.
    assert run("reference", "live", "aws").verdict == "conforms"


def test_every_contradicted_reading_is_a_reading_and_leaves_one_to_take() -> None:
    contradicted = {a.id for a in AMBIGUITIES.values() if a.differs_from_aws}
    assert {A.AMB_DUP_IDS, A.AMB_FACE_USERID} <= contradicted
    for amb in AMBIGUITIES.values():
        assert set(amb.differs_from_aws) <= set(amb.readings), amb.id
        # Strictness aws must leave a target something to do.
        assert amb.aws_readings, amb.id
        assert all(source.strip() for source in amb.differs_from_aws.values()), amb.id
    assert AMBIGUITIES[A.AMB_FACE_USERID].aws_reading == "listed"
    # AWS's example repeats no FaceId: it rules out one reading and leaves two.
    assert AMBIGUITIES[A.AMB_DUP_IDS].aws_reading is None
    assert AMBIGUITIES[A.AMB_DUP_IDS].aws_readings == ("once", "rejected")
