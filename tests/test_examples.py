"""The CI example stays in step with the CLI and the targets file format."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from conformance.clauses import CLAUSES
from conformance.cli.parser import build_parser
from conformance.targets import load_targets, resolve_target

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_example_targets_file_is_valid() -> None:
    target = resolve_target(load_targets(EXAMPLES / "targets.toml"), "my-emulator", None)
    assert target.endpoint_url == "http://127.0.0.1:4566"
    assert {k.clause for k in target.expected_failures} <= set(CLAUSES)
    assert target.expected_failures


def test_workflow_commands_parse() -> None:
    workflow = "\n".join(line for line in (EXAMPLES / "github-actions.yml").read_text(
        encoding="utf-8").splitlines() if not line.lstrip().startswith("#"))
    commands = [re.sub(r"\\\n\s*", "", m.group(0)) for m in re.finditer(
        r"conformance (?:run|serve) --(?:[^\n]*\\\n)*[^\n]*", workflow)]
    assert any(c.startswith("conformance run") for c in commands)
    assert any(c.startswith("conformance serve") for c in commands)
    for command in commands:
        words = shlex.split(command.split(">")[0].split("&")[0])[1:]
        args = build_parser().parse_args(words)
        if args.command == "run":
            assert args.junit_xml == Path("reports/junit.xml")
            assert args.html == Path("reports/report.html")
            assert args.profile == "ci"
