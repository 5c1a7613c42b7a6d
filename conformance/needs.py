"""What a directed case's set-up needs of the target, and whether a deviation blocks it.

Each directed case declares its needs beside it (``directed.base.directed``): the
steps its set-up stands on, such as an indexed face or a user that settles.
When the harness sees one of those steps become unusable on a target (IndexFaces
indexes no face from an image of one face, a user never settles), it records
which need broke and under which clause (``Broken``). From then on the cases
that need it are blocked by that clause, and only those: every other case of
every clause still runs. ``blocker`` is the one place that decides, both before a case
runs and when it runs into a broken need mid-way (``NeedBroken``).

A step that deviates but still delivers (a listing that lacks a member, an
IndexFaces whose Confidence is a string) breaks no need: the cases that use it
run, and its deviation is that clause's finding, once; whatever it knocks on is
a knock-on (``ledger.Ledger``), not a block. No set-up pages a listing, so a
paging bug blocks nothing but the paged cases of its own clause, which fail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import overload


class Need(StrEnum):
    FACE = "an indexed face"
    # The same bytes indexed again give another face of that person (DESIGN §3).
    SAME_PERSON = "two faces of one person"
    SETTLES = "a user that settles"


@dataclass(frozen=True)
class Broken:
    """A need the target cannot meet: the clause whose deviation broke it, and how."""

    need: Need
    clause: str
    how: str

    def text(self) -> str:
        return f"{self.clause} ({self.how})"


class NeedBroken(Exception):
    """Raised where a set-up step turns out unusable: the case cannot be judged."""

    def __init__(self, broken: Broken) -> None:
        super().__init__(broken.text())
        self.broken = broken


class Unjudgeable(Exception):
    """The target does not give what a case judges by, with no deviation of its own: an
    emulator that finds a face in the suite's image of no one, say. The case is "not
    checked" with this reason, neither passed nor failed."""


@overload
def blocker(needs: Iterable[Need], broken: Mapping[Need, Broken]) -> str | None: ...
@overload
def blocker(needs: Iterable[Need], broken: Mapping[Need, Broken], met: Broken) -> str: ...


def blocker(needs: Iterable[Need], broken: Mapping[Need, Broken],
            met: Broken | None = None) -> str | None:
    """``"blocked by CLAUSE (how), ..."`` when a need of the case is broken, else None.

    ``met``: a broken need the case ran into (``NeedBroken``) though it does not declare
    it; it blocks the case when none of the declared ones does.
    """
    hit = sorted({broken[n].text() for n in needs if n in broken}) or \
        ([met.text()] if met is not None else [])
    return f"blocked by {', '.join(hit)}" if hit else None
