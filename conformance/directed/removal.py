"""DisassociateFaces, CreateUser of an existing user and DeleteUser, DeleteFaces."""

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

# --- DisassociateFaces ---------------------------------------------------------------------


@directed(C.DF_DIFF_USER, "a face another user holds", WITH_FACE)
def disassociate_others(h: Harness) -> None:
    with h.setup():
        owner, face_id = user_with_face(h)
        other = new_user(h, "other")
    h.send_disassociate(FacesRequest(other, [face_id]))
    h.verify_user(owner, C.DF_DIFF_USER, [face_id])


@directed(C.DF_NOT_FOUND, "a FaceId not in the collection")
def disassociate_absent(h: Harness) -> None:
    with h.setup():
        owner = new_user(h)
    h.send_disassociate(FacesRequest(owner, [absent_face(5)]))
    h.verify_user(owner, C.DF_NOT_FOUND, [absent_face(5)])


@directed(C.DF_USER_EXISTS, "an unknown UserId")
def disassociate_unknown_user(h: Harness) -> None:
    h.probe_unknown("disassociate", absent_face(6))


# --- users ---------------------------------------------------------------------------------


@directed(C.CU_CONFLICT, "an existing UserId")
def create_existing(h: Harness) -> None:
    with h.setup():
        user_id = new_user(h)
    h.create_again(user_id)


@directed(C.DU_NOT_FOUND, "an unknown UserId")
def delete_unknown_user(h: Harness) -> None:
    h.probe_unknown("delete", absent_face(6))


@directed(C.DU_RELEASE, "a user holding a face, which then joins another user", WITH_FACE)
def delete_user_with_face(h: Harness) -> None:
    with h.setup():
        owner, face_id = user_with_face(h)
        other = new_user(h, "other")
    h.remove_user(owner)
    h.send_associate(FacesRequest(other, [face_id], 0.0))
    h.verify_user(other, C.DU_RELEASE, [face_id])


# --- DeleteFaces ---------------------------------------------------------------------------


@directed(C.DEL_OWNED, "a face a user holds", WITH_FACE)
def delete_owned(h: Harness) -> None:
    with h.setup():
        _owner, face_id = user_with_face(h)
    h.remove_faces([face_id])


@directed(C.DEL_FACES, "an unowned face", FACE)
def delete_unowned(h: Harness) -> None:
    with h.setup():
        face_id = h.index_face(0)
    h.remove_faces([face_id])
    h.check_face_listing(None)


@directed(C.DEL_FACES, "a FaceId not in the collection")
def delete_absent(h: Harness) -> None:
    with h.setup():
        h.faces_if_indexed(0)  # the collection holds a face, which must stay
    h.remove_faces([absent_face(9)])
