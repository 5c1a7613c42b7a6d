"""A page rendered in a real headless browser: Debian's chromium, where it is installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def assert_renders_cleanly(html: str, work: Path) -> None:
    """``html`` renders to a screenshot with no console message of the page."""
    assert CHROMIUM is not None
    page, shot = work / "page.html", work / "page.png"
    page.write_text(html, encoding="utf-8")
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
         "--log-level=0", f"--user-data-dir={work / 'profile'}", "--window-size=1300,1000",
         f"--screenshot={shot}", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.stat().st_size > 10_000
    # Chromium logs every console message of the page as "CONSOLE"; a clean page has none.
    assert [line for line in done.stderr.splitlines() if "CONSOLE" in line] == []
