"""Write the three reports of a run into one directory, ``reports/<run-id>/`` by default."""

from __future__ import annotations

from pathlib import Path

from conformance import reproducer
from conformance.report.json_report import to_json
from conformance.report.junit import to_junit_xml
from conformance.report.markdown import to_markdown
from conformance.results import RunResult

REPORTS_DIR = Path("reports")
FILES = {"json": "result.json", "junit": "junit.xml", "markdown": "report.md"}


def run_directory(result: RunResult, base: Path = REPORTS_DIR) -> Path:
    return base / result.run_id


def write_reports(result: RunResult, directory: Path) -> dict[str, Path]:
    """Write result.json, junit.xml and report.md; return them keyed json/junit/markdown."""
    # Render everything first so a writer bug leaves no half-written report directory.
    texts = {"json": to_json(result), "junit": to_junit_xml(result),
             "markdown": to_markdown(result)}
    directory.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for key, text in texts.items():
        path = directory / FILES[key]
        # newline="\n": the same bytes on every OS, so reports diff cleanly.
        path.write_text(text, encoding="utf-8", newline="\n")
        paths[key] = path
    # One standalone script per finding: reproducers/<clause>-<n>.py.
    reproducer.write_files(result.findings, directory / "reproducers")
    return paths
