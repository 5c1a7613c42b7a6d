"""Report writers: pure functions of one ``RunResult``, shared by the CLI and the pytest plugin."""

from conformance.report.console import exit_code, summary_lines, verdict_line
from conformance.report.diff import RunDiff, diff_lines, diff_results
from conformance.report.html import to_html
from conformance.report.json_report import load, loads, to_json
from conformance.report.junit import to_junit_xml
from conformance.report.markdown import to_markdown
from conformance.report.write import run_directory, update_latest, write_reports

__all__ = [
    "RunDiff",
    "diff_lines",
    "diff_results",
    "exit_code",
    "load",
    "loads",
    "run_directory",
    "summary_lines",
    "to_html",
    "to_json",
    "to_junit_xml",
    "to_markdown",
    "update_latest",
    "verdict_line",
    "write_reports",
]
