"""result.json: the machine-readable record of a run, and the input of ``conformance diff``.

The output is deterministic (sorted keys, fixed indentation, trailing newline)
so that two reports of the same behaviour are byte-identical and a plain
``diff`` of two result files shows only what changed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.results import RunResult


def to_json(result: RunResult) -> str:
    # ensure_ascii=False keeps target messages readable; the file is written as UTF-8.
    return json.dumps(result.to_json(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def loads(text: str, *, source: str = "<string>") -> RunResult:
    """Parse the text of a result.json; ``source`` names it in error messages."""
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{source}: not a conformance result (invalid JSON: {exc})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{source}: not a conformance result (expected a JSON object)")
    try:
        return RunResult.from_json(data)
    except (KeyError, TypeError) as exc:
        # A TypeError from a dataclass constructor names the missing or unknown field,
        # which is what a user comparing reports of two suite versions needs to see.
        raise ValueError(
            f"{source}: not a conformance result of this suite version: {exc}") from exc


def load(path: str | Path) -> RunResult:
    path = Path(path)
    return loads(path.read_text(encoding="utf-8"), source=str(path))
