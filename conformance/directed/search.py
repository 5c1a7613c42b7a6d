"""SearchUsers and SearchUsersByImage: the searches, as observations of the associations.

Each set-up holds users of the person searched for, users of other persons and a user
with no face, so one search shows whether the answer follows the associations. They run
last: a search changes nothing, and on a shared collection (the live profile) they reuse
the users and faces the checks before them left.
"""

from __future__ import annotations

import contextlib
from typing import Any

from conformance.checks import FacesRequest
from conformance.clauses import C
from conformance.directed.base import (
    FACE,
    WITH_FACE,
    absent_face,
    directed,
    new_user,
    user_with_face,
)
from conformance.driver import OperationMissing
from conformance.harness import Harness
from conformance.harness.listings import SetupDeviated
from conformance.needs import NeedBroken


def _users_of(h: Harness, *persons: int) -> list[str]:
    """A settled user holding a face of each of ``persons`` (distinct users); inside a
    set-up. On a shared collection (the live profile), users earlier checks left so, even
    ones handed out before: a search changes nothing, and any such user serves."""
    chosen: list[str] = []
    for person in persons:
        held = next((u for u in h.model.users if u not in chosen and h.model.users[u].faces
                     and person in h.model.persons_of(u)), None) if h.reuse_faces else None
        chosen.append(held or user_with_face(h, "searched", person=person)[0])
    return chosen


def _held_face(h: Harness, user_id: str, knock_ons: dict[str, int]) -> str:
    """A face the model has ``user_id`` hold after the set-up. None left (a listing read
    back as empty, say): the set-up did not leave the state the case needs, and it is
    blocked by the clauses that knocked on since ``knock_ons`` was counted."""
    faces = h.model.faces_of(user_id)
    if faces:
        return faces[0]
    raise SetupDeviated(sorted(c for c, n in h.ledger.knock_ons.items()
                               if n > knock_ons.get(c, 0)) or [C.LIST_FACES])


# SU-RELEASE first: on a shared collection (live) earlier checks have released faces, so a
# search that still counts them deviates there first, and the other cases' failures through
# those faces are its knock-ons.


def _released(h: Harness, *, deleted: bool) -> tuple[str, int] | None:
    """On a shared collection (live): a user an earlier check released a face of person p
    from, by DisassociateFaces (it exists and holds no face of p) or by DeleteUser (it is
    gone), and p; a search of p must not find it. None elsewhere, or if there is none."""
    if not h.reuse_faces:
        return None
    if deleted:
        # Every deletion is recorded, whatever became of the user's faces since.
        return next(((u, p) for u, p in h.deleted_persons if u not in h.model.users), None)
    for face in h.model.faces.values():
        # An unowned face: a search that still counts it for its old user has no other
        # owner to count it for. Whether one is left depends on how earlier checks' races
        # came out; where none is, the set-up costs a few calls more.
        user_id = face.released_by
        if face.owner is not None or user_id is None:
            continue
        if user_id in h.model.users and face.person not in h.model.persons_of(user_id):
            return user_id, face.person
    return None


@directed(C.SU_RELEASE, "after DisassociateFaces", WITH_FACE)
def search_after_disassociate(h: Harness) -> None:
    earlier = _released(h, deleted=False)
    if earlier is not None:  # live, for the call budget: a face DF-RELEASE released, say
        h.await_unmatched(h.by_image(earlier[1]), earlier[0], "after DisassociateFaces",
                          C.DF_RELEASE)
        return
    with h.setup():
        owner, face_id = user_with_face(h, "released", person=0)
        search = h.by_user(owner)
        by_image = h.by_image(0)
        # Live, for the call budget, the search by the image stands for both.
        twin = None if h.ctx.frugal else _users_of(h, 0)[0]
    h.send_disassociate(FacesRequest(owner, [face_id]))
    h.await_unmatched(by_image, owner, f"by the face {face_id} it disassociated", C.DF_RELEASE)
    if twin is None:
        return
    # Searched by, the user holds no face: no user of the person it held is found by it.
    h.await_unmatched(search, twin, f"through {owner!r}'s disassociated face {face_id}",
                      C.DF_RELEASE)


@directed(C.SU_RELEASE, "after DeleteUser", WITH_FACE)
def search_after_delete_user(h: Harness) -> None:
    earlier = _released(h, deleted=True)
    if earlier is not None:  # live, for the call budget: a user DU-RELEASE deleted, say
        h.await_unmatched(h.by_image(earlier[1]), earlier[0], "after DeleteUser", C.DU_RELEASE)
        return
    with h.setup():
        owner, _ = user_with_face(h, "released", person=0)
        by_image = h.by_image(0)
    h.remove_user(owner)
    h.await_unmatched(by_image, owner, "after DeleteUser", C.DU_RELEASE)


@directed(C.SU_FACE, "a face a user holds, and an unowned face of its person", WITH_FACE)
def search_by_face(h: Harness) -> None:
    """By a face of the owner: the owner once, and the other user of the person. By an
    unowned face of the person: both (live, for the call budget, the first search alone)."""
    knock_ons = dict(h.ledger.knock_ons)
    with h.setup():
        owner, _twin, _other = _users_of(h, 0, 0, 1)
        new_user(h, "faceless")
        unowned = None if h.ctx.frugal else h.index_face(0)
    h.search(h.by_face(_held_face(h, owner, knock_ons)), C.SU_FACE)
    if unowned is not None:
        h.search(h.by_face(unowned), C.SU_FACE)


@directed(C.SU_USER, "a user holding a face of a person another user holds", WITH_FACE)
def search_by_user(h: Harness) -> None:
    with h.setup():
        user_id, _twin, _other = _users_of(h, 0, 0, 1)
        new_user(h, "faceless")
    h.search(h.by_user(user_id), C.SU_USER)


@directed(C.SUBI_IMAGE, "an image of a person a user holds", WITH_FACE)
def search_by_image(h: Harness) -> None:
    with h.setup():
        _users_of(h, 0, 1)
        new_user(h, "faceless")
    h.search(h.by_image(0), C.SUBI_IMAGE)


@directed(C.SUBI_NO_FACE, "an image in which IndexFaces finds no face")
def search_image_with_no_face(h: Harness) -> None:
    """A user holding a face, where the target can give it one, is there to be matched by
    a search that ignores the image; the case needs none (a target that indexes no face
    is judged all the same: a SearchedFace shows the search ignored the image too)."""
    with h.setup(), contextlib.suppress(NeedBroken):
        _users_of(h, 0)
    h.search_no_face()


@directed(C.SU_THRESHOLD, "90; 80 and omitted", WITH_FACE)
def search_threshold(h: Harness) -> None:
    """Users of persons whom person 0 matches below 90 (the synthetic persons 1 and 2 at
    62.5 and 86.8; photos of distinct people most likely lower still): each match is at or
    above 90. Then omitted acts as 80: the search with 80 and the one with none find the
    same users (the searches change nothing, so both see one state). Live, for the call
    budget, only the first: there every search with the threshold omitted (SUBI-IMAGE's)
    holds its matches to 80, and finding the person's users holds the default below 99."""
    with h.setup():
        _users_of(h, 0, 1, 2)
    h.search(h.by_image(0, UserMatchThreshold=90.0), C.SU_THRESHOLD)
    if h.ctx.frugal:
        return
    with_80 = sorted(m.user_id for m in h.search(h.by_image(0, UserMatchThreshold=80.0),
                                                 C.SU_THRESHOLD))
    without = sorted(m.user_id for m in h.search(h.by_image(0), C.SU_THRESHOLD))
    h.ledger.check(C.SU_THRESHOLD, with_80 == without,
                   f"SearchUsersByImage matched {with_80} at UserMatchThreshold 80 but "
                   f"{without} with the threshold omitted")


@directed(C.SU_NOT_FOUND, "an unknown collection")
def search_unknown_collection(h: Harness) -> None:
    """By each search the target has (live, for the call budget, one stands for both);
    "not checked" only if it has neither."""
    missing = f"{h.ctx.resource_prefix}missing{h.ctx.next_id()}"
    searches: list[tuple[str, dict[str, Any]]] = [
        ("SearchUsersByImage", {"Image": {"Bytes": h.ctx.images.images[0]}}),
        ("SearchUsers", {"UserId": "u0"})]
    lacking: list[OperationMissing] = []
    for operation, params in searches:
        try:
            h.search_refused(C.SU_NOT_FOUND, operation, {"CollectionId": missing, **params},
                             f"{operation} in unknown collection {missing!r}")
        except OperationMissing as error:
            lacking.append(error)
            continue
        if h.ctx.frugal:
            return
    if len(lacking) == len(searches):
        raise lacking[0]


@directed(C.SU_NOT_FOUND, "an unknown UserId")
def search_unknown_user(h: Harness) -> None:
    user_id = h.new_user_id("nobody")
    h.search_refused(C.SU_NOT_FOUND, "SearchUsers", {"UserId": user_id},
                     f"SearchUsers by unknown UserId {user_id!r}")


@directed(C.SU_NOT_FOUND, "a FaceId not in the collection")
def search_absent_face(h: Harness) -> None:
    with h.setup():
        h.faces_if_indexed(0)  # a server that answers any face with its matches has one
    h.search_refused(C.SU_NOT_FOUND, "SearchUsers", {"FaceId": absent_face(12)},
                     f"SearchUsers by absent FaceId {absent_face(12)}")


@directed(C.SU_NOT_FOUND, "a deleted FaceId", FACE)
def search_deleted_face(h: Harness) -> None:
    with h.setup():
        # On a shared collection (live), one DEL-FACES deleted before.
        face_id = next(iter(h.model.gone_faces), None) if h.reuse_faces else None
        if face_id is None:
            face_id = h.index_face(0)
            h.remove_faces([face_id])
    h.search_refused(C.SU_NOT_FOUND, "SearchUsers", {"FaceId": face_id},
                     f"SearchUsers by deleted FaceId {face_id}")


@directed(C.SU_SHAPE, "MaxUsers 1, by a user and by a face, several matches", WITH_FACE)
def search_shape(h: Harness) -> None:
    """Two other users of the person, one of another person: at most one match, and what
    was searched echoed or left out (AMB-SU-ECHO); live, for the call budget, by the user
    alone."""
    knock_ons = dict(h.ledger.knock_ons)
    with h.setup():
        user_id, *_ = _users_of(h, 0, 0, 0, 2)
    face_id = _held_face(h, user_id, knock_ons)
    h.search(h.by_user(user_id, MaxUsers=1), C.SU_SHAPE)
    if not h.ctx.frugal:
        h.search(h.by_face(face_id, MaxUsers=1), C.SU_SHAPE)
