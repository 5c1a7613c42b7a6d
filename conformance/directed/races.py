"""Concurrency (CONC): requests sent at once."""

from __future__ import annotations

from conformance import race
from conformance.clauses import C
from conformance.directed.base import FACE, HOLDING, directed, new_user, user_holding
from conformance.harness import Harness
from conformance.spec import USER_FACE_CAP


@directed(C.CONC, "one face sent to two users at once", FACE)
def race_one_face(h: Harness) -> None:
    with h.setup():
        first, second = new_user(h), new_user(h)
    race.race_for_one_face(h, first, second, 0)


@directed(C.CONC, "two requests at once for a user at 98", HOLDING)
def race_cap(h: Harness) -> None:
    with h.setup():
        user_id = user_holding(h, "race", USER_FACE_CAP - 2)
    race.race_to_the_cap(h, user_id)
