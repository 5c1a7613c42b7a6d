"""What every module of directed checks stands on: the registry (``directed``, ``DIRECTED``),
the needs of the set-up helpers, and the helpers themselves.

A module of checks registers each with ``@directed(clause, case, needs)``; a case that
calls a helper declares that helper's needs (``FACE``, ``WITH_FACE``, ``HOLDING``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from conformance.checks import FacesRequest
from conformance.clauses import C
from conformance.harness import Harness
from conformance.needs import Need

Check = Callable[[Harness], None]


@dataclass(frozen=True)
class DirectedCheck:
    clause: C
    case: str
    run: Check
    # What its set-up stands on: a deviation that breaks one of these blocks the case, and
    # no other deviation does (``conformance.needs``). The operations it sends are found at
    # run time: a case whose operation the target lacks is "not checked".
    needs: frozenset[Need] = frozenset()

    @property
    def name(self) -> str:
        return f"{self.clause} / {self.case}"


DIRECTED: list[DirectedCheck] = []

# The needs of the set-up helpers below, which a case that calls one declares.
FACE = frozenset({Need.FACE})  # index_face
WITH_FACE = frozenset({Need.FACE, Need.SETTLES})  # user_with_face
HOLDING = frozenset({Need.FACE, Need.SAME_PERSON, Need.SETTLES})  # user_holding


def directed(clause: C, case: str, needs: frozenset[Need] = frozenset()
             ) -> Callable[[Check], Check]:
    def register(run: Check) -> Check:
        DIRECTED.append(DirectedCheck(clause, case, run, needs))
        return run

    return register


def cases_of(clause: str) -> list[str]:
    return [d.case for d in DIRECTED if d.clause == clause]


def absent_face(n: int) -> str:
    """A well-formed FaceId that no collection holds (random ones are 122 random bits)."""
    return str(uuid.UUID(int=n))


def user_with_face(h: Harness, stem: str = "owner", person: int = 0) -> tuple[str, str]:
    """A new user holding one new face of ``person``, settled; inside a set-up. On a shared
    collection (the live profile), a user an earlier check left so."""
    spare = h.spare_user(person)
    if spare is not None:
        h.settle([spare])
        return spare, h.model.faces_of(spare)[0]
    user_id = h.new_user_id(stem)
    h.add_user(user_id)
    face_id = h.index_face(person)
    h.send_associate(FacesRequest(user_id, [face_id], 0.0))
    h.confirm_state([user_id])
    return user_id, face_id


def new_user(h: Harness, stem: str = "user") -> str:
    """A new user (on a shared collection, one that never held a face); inside a set-up."""
    spare = h.spare_user(None)
    if spare is not None:
        return spare
    user_id = h.new_user_id(stem)
    h.add_user(user_id)
    return user_id


def user_holding(h: Harness, stem: str, count: int) -> str:
    """A user holding ``count`` faces of one person, settled; inside a set-up.

    On a shared collection (the live profile) the user an earlier call filled is
    brought to ``count`` instead, so the cap cases share one set of about a hundred
    faces: on AWS each IndexFaces is a billed image call.
    """
    user_id = h.filled_user if h.filled_user in h.model.users else None
    if user_id is None:
        user_id, _ = user_with_face(h, stem)
        h.filled_user = user_id
    held = h.model.faces_of(user_id)
    if len(held) > count:
        h.send_disassociate(FacesRequest(user_id, held[count:]))
    h.associate_new_faces(user_id, min(h.model.persons_of(user_id) or {0}), count - len(held))
    h.confirm_state([user_id])
    return user_id
