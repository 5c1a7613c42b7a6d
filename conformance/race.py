"""The race harness (CONC): requests sent at the same moment, then the invariants checked.

Two threads wait on one barrier and send at once through the harness's door
(which is thread-safe); every check runs afterwards in the caller's thread.
Which request wins is the target's scheduling, so each race is undone at the
end: what later steps draw never depends on it.
"""

from __future__ import annotations

import itertools
import threading

from conformance import checks
from conformance.checks import FacesRequest
from conformance.clauses import C
from conformance.driver import Outcome
from conformance.harness import Harness
from conformance.harness.base import ids
from conformance.harness.listings import SetupDeviated
from conformance.spec import USER_FACE_CAP

_groups = itertools.count(1)

# CONC fails only where the same requests sent one after another would have been answered
# right: a race is not judged once a clause its sequential form checks is a known deviation
# (the first request's association must hold, and the second must then be refused).
SEQUENTIAL_CLAUSES = {"one-face": (C.AF_ASSOC, C.AF_DIFF_USER),
                      "cap": (C.AF_ASSOC, C.AF_CAP_USER)}


def judged(h: Harness, race: str) -> bool:
    return not h.ledger.known.intersection(SEQUENTIAL_CLAUSES[race])


def require_judged(h: Harness, race: str) -> None:
    if not judged(h, race):
        raise SetupDeviated(sorted(h.ledger.known.intersection(SEQUENTIAL_CLAUSES[race])))


def send_at_once(h: Harness, requests: list[FacesRequest]) -> list[Outcome]:
    """Send AssociateFaces ``requests`` concurrently; their calls share one concurrent group."""
    barrier = threading.Barrier(len(requests))
    group = next(_groups)
    results: list[Outcome | BaseException | None] = [None] * len(requests)

    def send(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = h.call("AssociateFaces", requests[i].params(h.collection),
                                note={"concurrent_group": group})
        except BaseException as exc:  # re-raised in the caller's thread
            results[i] = exc

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return [r for r in results if isinstance(r, Outcome)]


def claims_of(h: Harness, outcomes: list[Outcome]) -> tuple[list[list[str]], frozenset[str]]:
    """The FaceIds each raced answer says it associated, and the known deviation that
    explains what they claim: AF-SHAPE, when an answer is not of the schema's shape (a
    finding, the first time; a knock-on after). What such an answer claims cannot be read,
    so a difference from the state is its doing, not a race's."""
    before = h.ledger.knock_ons[C.AF_SHAPE]
    claims = []
    for outcome in outcomes:
        body = checks.check_schema(h.ledger, C.AF_SHAPE, outcome) if outcome.ok else {}
        claims.append([checks.text(e, "FaceId") for e in checks.entries(body, "AssociatedFaces")])
    shapeless = h.ledger.knock_ons[C.AF_SHAPE] > before
    return claims, frozenset({C.AF_SHAPE}) if shapeless else frozenset()


def race_for_one_face(h: Harness, first: str, second: str, person: int) -> None:
    """CONC: one unowned face sent to two users at once gets at most one owner."""
    require_judged(h, "one-face")
    face_id = h.index_face(person)
    outcomes = send_at_once(h, [FacesRequest(first, [face_id], 0.0),
                                FacesRequest(second, [face_id], 0.0)])
    said, explained = claims_of(h, outcomes)
    claims = [u for u, faces in zip((first, second), said, strict=True) if face_id in faces]
    h.ledger.check(C.CONC, len(claims) <= 1,
                   f"two concurrent requests both associated face {face_id}: {claims}")
    winner = claims[0] if claims else None
    if winner:
        h.model.associate(winner, [face_id])
    h.settle([first, second])
    listed = h.list_faces(clause=C.CONC, FaceIds=[face_id])
    owner = h.owners_of(listed, clause=C.CONC).get(face_id)
    h.ledger.check(C.CONC, owner == winner,
                   f"face {face_id} is owned by {owner!r} but the responses said "
                   f"{winner or 'nobody'} took it", explained)
    if winner:
        # Remembered confidences depend on which users are settled: settle both.
        h.send_disassociate(FacesRequest(winner, [face_id]))
        h.settle([first, second])
    h.ledger.reached("race-one-face")


def race_to_the_cap(h: Harness, user_id: str) -> None:
    """CONC: two requests of two new faces each, at once, for a user at 98: never past 100."""
    require_judged(h, "cap")
    person = (sorted(h.model.persons_of(user_id)) or [0])[0]
    h.associate_new_faces(user_id, person,
                          USER_FACE_CAP - 2 - len(h.model.users[user_id].faces))
    h.settle([user_id])
    batches = [[h.index_face(person) for _ in range(2)] for _ in range(2)]
    outcomes = send_at_once(h, [FacesRequest(user_id, b, 0.0) for b in batches])
    said, explained = claims_of(h, outcomes)
    claimed = {f for faces in said for f in faces}
    h.settle([user_id])
    listed = set(ids(h.list_faces(clause=C.CONC, UserId=user_id), "FaceId"))
    h.ledger.check(C.CONC, len(listed) <= USER_FACE_CAP,
                   f"after two concurrent requests user {user_id!r} holds {len(listed)} faces")
    new = listed & {f for b in batches for f in b}
    h.ledger.check(C.CONC, new == claimed,
                   f"the responses claimed {sorted(claimed)} but the user holds "
                   f"{sorted(new)} of the raced faces", explained)
    raced = [f for b in batches for f in b if f in new]
    h.model.associate(user_id, raced)
    h.ledger.reached("race-to-cap")
    if raced:
        h.send_disassociate(FacesRequest(user_id, raced))
        h.settle([user_id])
