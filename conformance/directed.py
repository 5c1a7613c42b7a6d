"""The directed checks: what every run must check, not by luck.

A registry of plain functions over a fresh ``Harness``, each in a collection of
its own, so a finding's calls are that check's only. They run before
exploration in every profile, so each clause of the register is checked in
every run, and a broken basic is reported under its own clause before
exploration finds its consequences.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from conformance.checks import FacesRequest
from conformance.clauses import C
from conformance.harness import UNKNOWN_PROBES, Harness
from conformance.spec import INVALID_CASES


@dataclass(frozen=True)
class DirectedCheck:
    name: str
    clauses: tuple[C, ...]  # the clauses it is there for (it may check others on the way)
    run: Callable[[Harness], None]


DIRECTED: list[DirectedCheck] = []


def directed(name: str, *clauses: C) -> Callable[[Callable[[Harness], None]],
                                                  Callable[[Harness], None]]:
    def register(run: Callable[[Harness], None]) -> Callable[[Harness], None]:
        DIRECTED.append(DirectedCheck(name, clauses, run))
        return run

    return register


def absent_face(n: int) -> str:
    """A well-formed FaceId that no collection holds (random ones are 122 random bits)."""
    return str(uuid.UUID(int=n))


@directed("basics", C.AF_ASSOC, C.AF_IGNORE_SAME, C.AF_DIFF_USER, C.AF_NOT_FOUND,
          C.DF_DIFF_USER, C.DF_NOT_FOUND, C.DF_RELEASE, C.AF_SHAPE, C.AF_USER_EXISTS,
          C.AF_COLL_EXISTS, C.DF_USER_EXISTS, C.DU_NOT_FOUND, C.CU_CONFLICT, C.DEL_OWNED,
          C.DEL_FACES, C.DU_RELEASE)
def basics(h: Harness) -> None:
    """Each simple clause once, in the order a reader would check them."""
    owner, other = h.new_user_id("basic"), h.new_user_id("basic")
    h.add_user(owner)
    h.add_user(other)
    first, second = h.index_face(0), h.index_face(0)
    absent = [absent_face(n) for n in (3, 4, 5)]
    h.send_associate(FacesRequest(owner, [first], 0.0))
    h.confirm_state([owner])
    h.send_associate(FacesRequest(owner, [first, second], 0.0))
    h.send_associate(FacesRequest(other, [first, absent[0]], 0.0))
    h.send_disassociate(FacesRequest(other, [first, absent[1]]))
    h.send_disassociate(FacesRequest(owner, [second]))
    h.confirm_state([owner])
    repeated = h.index_face(0)
    h.send_associate(FacesRequest(other, [repeated, repeated], 0.0))
    for kind in UNKNOWN_PROBES:
        h.probe_unknown(kind, absent[2])
    h.create_again(owner)
    h.remove_faces([first, second, absent[2]])
    h.remove_user(owner)


@directed("cap", C.AF_CAP_USER)
def cap(h: Harness) -> None:
    """The cap: a request that would cross 100 from 98, then a user at 99 and at 100."""
    user_id = h.new_user_id("cap")
    h.add_user(user_id)
    h.fill_user(user_id, 98, 3)
    h.fill_user(user_id, 99, 2)
    h.fill_user(user_id, 100, 1)


@directed("tokens", C.AF_TOKEN_REPLAY, C.AF_TOKEN_MISMATCH, C.AF_TOKEN_AUTO, C.DF_TOKEN_REPLAY,
          C.DF_TOKEN_MISMATCH, C.CU_TOKEN_REPLAY, C.CU_TOKEN_MISMATCH, C.DU_TOKEN_REPLAY,
          C.DU_TOKEN_MISMATCH)
def tokens(h: Harness) -> None:
    """For each of the four operations a request with a token, its replay after the state
    changed, and the token reused with other parameters."""
    user_id = h.new_user_id("tokens")
    h.add_user(user_id)
    face_id = h.index_face(0)
    token = [h.new_token("scenario") for _ in range(4)]
    h.send_associate(FacesRequest(user_id, [face_id], 0.0, token[0]))
    h.send_disassociate(FacesRequest(user_id, [face_id], token=token[1]))
    associated, disassociated = h.model.tokens[-2:]
    h.replay(associated)  # the face was released since: it must stay released
    h.reuse_token(associated, change_faces=True, other_face=absent_face(1))
    again = FacesRequest(user_id, [face_id], 0.0)
    h.send_associate(again)
    h.replay(disassociated)  # the face is owned again: it must stay owned
    h.reuse_token(disassociated, change_faces=True, other_face=absent_face(2))
    # AF-TOKEN-AUTO: the same token-less request twice, with a change between, acts twice.
    h.send_disassociate(FacesRequest(user_id, [face_id]))
    h.send_associate(again)
    other_user = h.new_user_id("tokens")
    h.add_user(other_user, token[2])
    created = h.model.tokens[-1]
    h.replay(created)
    h.reuse_token(created, change_faces=False, other_face="")
    h.remove_user(other_user, token[3])
    deleted = h.model.tokens[-1]
    h.replay(deleted)
    # Another user that exists: a mismatched DeleteUser must leave it alone.
    h.reuse_token(deleted, change_faces=False, other_face="", other_user=user_id)


@directed("invalid-input", C.AF_INPUT, C.AF_CAP_REQUEST, C.AF_THRESHOLD_RANGE)
def invalid_input(h: Harness) -> None:
    """Every invalid value once, each sent for an existing user."""
    user_id = h.new_user_id("invalid")
    h.add_user(user_id)
    for case in INVALID_CASES:
        h.send_invalid(user_id, case)
