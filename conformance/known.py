"""Known deviations (a target's ``expected_failures``): what they name and how they are read.

An entry names a whole clause (``"AF-CAP-USER"``) or one of its cases, the clause
id, a colon and the case as ``conformance clauses`` and the reports name it
(``"AF-CAP-REQUEST: no FaceIds"``). Clause ids never hold a colon, so the first
colon always separates, even for a case that holds one itself
(``"AF-THRESHOLD-DEFAULT: omitted: 75"``). An entry may instead be an inline
table, ``{ clause = "AF-CAP-USER", reason = "...", link = "https://..." }``, to
say why it is known. The list may live in a file of its own
(``expected_failures_file``) so several targets, or a CI job, can share it.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.clauses import CLAUSES
from conformance.errors import ConfigError

SEPARATOR = ":"
_TABLE_KEYS = ("clause", "case", "reason", "link")
_FILE_KEYS = frozenset({"expected_failures"})


@dataclass(frozen=True)
class KnownDeviation:
    clause: str
    case: str = ""  # "" for the whole clause
    reason: str = ""
    link: str = ""

    @property
    def entry(self) -> str:
        """The entry as written back to a user: ``CLAUSE`` or ``CLAUSE: case``."""
        return f"{self.clause}{SEPARATOR} {self.case}" if self.case else self.clause

    @property
    def why(self) -> str:
        """The reason and the link, as one short text ("" when neither is given)."""
        return "; ".join(part for part in (self.reason, self.link) if part)


def parse(source: str, key: str, value: Any) -> tuple[KnownDeviation, ...]:
    """The entries of an ``expected_failures`` list; a ConfigError of one line for a
    mistake, naming the entry and the closest valid one."""
    if not isinstance(value, list):
        raise ConfigError(f"{source}: {key}: expected a list of clause ids or cases "
                          f"(strings, or tables with clause, case, reason, link), got "
                          f"{type(value).__name__}")
    entries = [_entry(source, f"{key}[{i}]", item) for i, item in enumerate(value)]
    seen: dict[tuple[str, str], str] = {}
    whole = {e.clause for e in entries if not e.case}
    for e in entries:
        if (e.clause, e.case) in seen:
            raise ConfigError(f"{source}: {key}: {e.entry!r} is listed twice; keep one")
        seen[(e.clause, e.case)] = e.entry
        if e.case and e.clause in whole:
            raise ConfigError(f"{source}: {key}: {e.entry!r} is already covered by "
                              f"{e.clause!r}, which lists the whole clause; keep one")
    return tuple(entries)


def load_file(source: str, key: str, path: Path) -> tuple[KnownDeviation, ...]:
    """The entries of a file that holds ``expected_failures = [...]`` and nothing else."""
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{source}: {key}: cannot read {where}: "
                          f"{exc.strerror or exc}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{where}: not a TOML file: {exc}") from None
    unknown = sorted(set(data) - _FILE_KEYS)
    if unknown:
        raise ConfigError(f"{where}: {unknown[0]}: unknown key; the file holds only "
                          "expected_failures = [...]")
    if "expected_failures" not in data:
        raise ConfigError(f"{where}: expected_failures: missing; write "
                          "expected_failures = [\"CLAUSE\", ...] (an empty list is fine)")
    return parse(where, "expected_failures", data["expected_failures"])


def _entry(source: str, key: str, item: Any) -> KnownDeviation:
    if isinstance(item, str):
        clause, case = _split(item)
        return _checked(source, key, clause, case, "", "")
    if not isinstance(item, dict):
        raise ConfigError(f"{source}: {key}: expected a clause id, a \"CLAUSE: case\" or a "
                          f"table {{ clause = ..., reason = ... }}, got {type(item).__name__}")
    for name, text in item.items():
        if name not in _TABLE_KEYS:
            raise ConfigError(f"{source}: {key}.{name}: unknown key{_suggest(name, _TABLE_KEYS)}"
                              f"; an entry has {', '.join(_TABLE_KEYS)}")
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(f"{source}: {key}.{name}: expected a non-empty string")
    if "clause" not in item:
        raise ConfigError(f"{source}: {key}.clause: missing; e.g. clause = \"AF-CAP-USER\"")
    clause, case = _split(item["clause"])
    if case and "case" in item:
        raise ConfigError(f"{source}: {key}: the case is given twice (in clause and in case); "
                          "keep one")
    return _checked(source, key, clause, case or item.get("case", "").strip(),
                    item.get("reason", "").strip(), item.get("link", "").strip())


def _split(text: str) -> tuple[str, str]:
    clause, _, case = text.partition(SEPARATOR)
    return clause.strip(), case.strip()


def _checked(source: str, key: str, clause: str, case: str, reason: str,
             link: str) -> KnownDeviation:
    # Imported here: the directed checks pull in the harness, which reading a targets
    # file does not otherwise need.
    from conformance.directed import cases_of

    if clause not in CLAUSES:
        raise ConfigError(f"{source}: {key}: unknown clause id {clause!r}"
                          f"{_suggest(clause, CLAUSES)}; clause ids are listed by "
                          "`conformance clauses`")
    cases = cases_of(clause)
    if case and case not in cases:
        close = _closest(case, cases)
        raise ConfigError(f"{source}: {key}: {clause} has no case {case!r}"
                          + (f" (did you mean '{clause}{SEPARATOR} {close}'?)" if close else "")
                          + f"; its cases: {', '.join(repr(c) for c in cases) or 'none'}")
    return KnownDeviation(clause, case, reason, link)


def _suggest(word: str, choices: Sequence[str] | Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _closest(word: str, choices: Sequence[str]) -> str:
    # A case abbreviated by its first words ("paged") means the case it starts.
    started = [c for c in choices if c.lower().startswith(word.lower())]
    if started:
        return started[0]
    # A clause has few cases, so the nearest one is always worth naming, however far.
    close = difflib.get_close_matches(word.lower(), [c.lower() for c in choices], n=1,
                                      cutoff=0.0)
    return next((c for c in choices if close and c.lower() == close[0]), "")
