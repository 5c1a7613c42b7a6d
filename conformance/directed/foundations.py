"""What every set-up stands on: IndexFaces, CreateUser, the listings, a first
association and disassociation. They run first, so a deviation there is found by its own
check before other cases lean on it."""

from __future__ import annotations

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
from conformance.harness import Harness


@directed(C.SCHEMA, "IndexFaces of a one-face image")
def index_one_face(h: Harness) -> None:
    h.index_face(0, fresh=True)


@directed(C.CU_CREATED, "a new user")
def create_user(h: Harness) -> None:
    h.add_user(h.new_user_id("new"))


@directed(C.LIST_USERS, "unpaged")
def list_users_unpaged(h: Harness) -> None:
    with h.setup():
        for _ in range(3):
            new_user(h)
    h.check_user_listing(None)


@directed(C.LIST_USERS, "paged, MaxResults 1")
def list_users_paged(h: Harness) -> None:
    with h.setup():
        for _ in range(3):
            new_user(h)
    h.check_user_listing(1)


@directed(C.LIST_FACES, "unpaged", FACE)
def list_faces_unpaged(h: Harness) -> None:
    with h.setup():
        for person in range(3):
            h.index_face(person)
    h.check_face_listing(None)


@directed(C.LIST_FACES, "paged, MaxResults 1", FACE)
def list_faces_paged(h: Harness) -> None:
    with h.setup():
        for person in range(3):
            h.index_face(person)
    h.check_face_listing(1)


@directed(C.AF_ASSOC, "an unowned face", FACE)
def associate_unowned(h: Harness) -> None:
    with h.setup():
        user_id = new_user(h)
        face_id = h.index_face(0)
    h.send_associate(FacesRequest(user_id, [face_id], 0.0))
    h.verify_user(user_id, C.AF_ASSOC, [face_id])


@directed(C.AF_ASSOC, "requests right after a change", WITH_FACE)
def associate_while_updating(h: Harness) -> None:
    """While u1 may be UPDATING, a face of u1 is sent to u2 (busy for a target that locks
    faces), then a new face to u1 (busy for one that locks the user): each may be refused
    with ConflictException (AMB-BUSY), which tells the two readings apart."""
    with h.setup():
        first, second = new_user(h), new_user(h)
        face_id, later = h.index_face(0), h.index_face(1)
        h.settle([first, second])
    h.send_associate(FacesRequest(first, [face_id], 0.0))
    h.send_associate(FacesRequest(second, [face_id], 0.0))
    h.send_associate(FacesRequest(first, [later], 0.0))
    h.verify_user(first, C.AF_ASSOC, [face_id, later])
    h.verify_user(second, C.AF_ASSOC, [face_id])


@directed(C.LIST_FACES, "UserId filter", WITH_FACE)
def list_faces_of_a_user(h: Harness) -> None:
    with h.setup():
        owner, _ = user_with_face(h)
        h.index_face(1)
    h.check_user_faces(owner, None)
    h.check_face_listing(None)


@directed(C.AF_SHAPE, "faces of every kind in one request", WITH_FACE)
def associate_mixed(h: Harness) -> None:
    with h.setup():
        owner, own = user_with_face(h)
        _other, others = user_with_face(h, "other")
        candidate = h.index_face(0)
    h.send_associate(FacesRequest(owner, [own, others, candidate, absent_face(7)], 0.0))


@directed(C.AF_SHAPE, "a FaceId repeated", FACE)
def associate_repeated(h: Harness) -> None:
    with h.setup():
        user_id = new_user(h)
        face_id = h.index_face(0)
    h.send_associate(FacesRequest(user_id, [face_id, face_id], 0.0))


@directed(C.AF_STATUS, "a user that changed settles", FACE)
def status_settles(h: Harness) -> None:
    with h.setup():
        user_id = new_user(h)
        face_id = h.index_face(0)
    h.send_associate(FacesRequest(user_id, [face_id], 0.0))
    h.settle([user_id], C.AF_STATUS)
    h.check_user_listing(None)


@directed(C.DF_RELEASE, "the user's own face", WITH_FACE)
def disassociate_own(h: Harness) -> None:
    with h.setup():
        owner, face_id = user_with_face(h)
    h.send_disassociate(FacesRequest(owner, [face_id]))
    h.verify_user(owner, C.DF_RELEASE, [face_id])


@directed(C.DF_SHAPE, "faces of every kind in one request", WITH_FACE)
def disassociate_mixed(h: Harness) -> None:
    with h.setup():
        owner, own = user_with_face(h)
        _other, others = user_with_face(h, "other")
        unowned = h.index_face(0)
    h.send_disassociate(FacesRequest(owner, [own, others, unowned, absent_face(8)]))
