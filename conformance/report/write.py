"""Write the reports of a run into one directory, ``reports/<run-id>/`` by default.

Also, for CI jobs that want fixed paths and no glob:
- ``copies``: the same texts written to paths of the user's choice
  (``conformance run --junit-xml PATH --html PATH --markdown PATH --json PATH``);
- ``update_latest``: ``DIR/latest`` points at the newest run directory (a
  relative symlink; a copy of the directory where symlinks are not allowed).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from conformance import reproducer
from conformance.report.html import to_html
from conformance.report.json_report import to_json
from conformance.report.junit import to_junit_xml
from conformance.report.markdown import to_markdown
from conformance.results import RunResult

REPORTS_DIR = Path("reports")
FILES = {"json": "result.json", "junit": "junit.xml", "markdown": "report.md",
         "html": "report.html"}
LATEST = "latest"


def run_directory(result: RunResult, base: Path = REPORTS_DIR) -> Path:
    return base / result.run_id


def render(result: RunResult) -> dict[str, str]:
    """Every report's text, keyed json/junit/markdown/html."""
    return {"json": to_json(result), "junit": to_junit_xml(result),
            "markdown": to_markdown(result), "html": to_html(result)}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # newline="\n": the same bytes on every OS, so reports diff cleanly.
    path.write_text(text, encoding="utf-8", newline="\n")


def write_reports(result: RunResult, directory: Path,
                  copies: Mapping[str, Path | None] | None = None) -> dict[str, Path]:
    """Write result.json, junit.xml, report.md and report.html into ``directory``; return
    them keyed json/junit/markdown/html. ``copies`` maps some of those keys to further
    paths that get the same text (fixed paths for CI)."""
    # Render everything first so a writer bug leaves no half-written report directory.
    texts = render(result)
    directory.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for key, text in texts.items():
        path = directory / FILES[key]
        _write(path, text)
        paths[key] = path
    for key, target in (copies or {}).items():
        if target is not None:
            _write(target, texts[key])
    # One standalone script per finding: reproducers/<clause>-<n>.py.
    reproducer.write_files(result.findings, directory / "reproducers")
    return paths


def update_latest(base: Path, run_dir: Path) -> Path:
    """Make ``base/latest`` show ``run_dir`` (a directory under ``base``); return it.

    A relative symlink, replaced atomically, so a reader never sees it missing; where
    symlinks cannot be made (some Windows setups) a copy of the run directory instead.
    """
    latest = base / LATEST
    temporary = base / f".{LATEST}.{os.getpid()}"
    try:
        if temporary.is_symlink() or temporary.exists():
            temporary.unlink()
        temporary.symlink_to(os.path.relpath(run_dir, base), target_is_directory=True)
        if latest.is_dir() and not latest.is_symlink():
            shutil.rmtree(latest)  # a copy left by an earlier run: replace it with a link
        os.replace(temporary, latest)
    except OSError:
        if temporary.is_symlink():
            temporary.unlink()
        if latest.is_symlink() or latest.is_file():
            latest.unlink()
        elif latest.exists():
            shutil.rmtree(latest)
        shutil.copytree(run_dir, latest)
    return latest
