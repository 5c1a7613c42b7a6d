"""Tokens: replays, reuse with other parameters, requests without one; and CreateUser's
invalid input."""

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


def _associate_token(h: Harness) -> tuple[str, str]:
    """A user, a face, and an AssociateFaces with a token that took it; inside a set-up."""
    user_id = new_user(h, "tokens")
    face_id = h.index_face(0)
    h.send_associate(FacesRequest(user_id, [face_id], 0.0, h.new_token("directed")))
    return user_id, face_id


@directed(C.AF_TOKEN_REPLAY, "after the face was released", FACE)
def associate_replay(h: Harness) -> None:
    with h.setup():
        user_id, face_id = _associate_token(h)
        record = h.model.tokens[-1]
        h.send_disassociate(FacesRequest(user_id, [face_id]))
    h.replay(record)


@directed(C.AF_TOKEN_REPLAY, "after the user was deleted", FACE)
def associate_replay_gone(h: Harness) -> None:
    """AMB-REPLAY-GONE: the first response again, or ResourceNotFoundException (M.DF.2's
    sentence has no AssociateFaces twin, but S0.1 asks for "an existing UserID")."""
    with h.setup():
        user_id, _ = _associate_token(h)
        record = h.model.tokens[-1]
        h.remove_user(user_id)
    h.replay(record)


@directed(C.AF_TOKEN_MISMATCH, "other FaceIds")
def associate_mismatch_faces(h: Harness) -> None:
    """The faces are absent, so a target that indexes none is judged too: a request that
    ran again answers about the other face, never the first response."""
    with h.setup():
        user_id = new_user(h, "tokens")
        h.send_associate(FacesRequest(user_id, [absent_face(10)], 0.0, h.new_token("directed")))
    h.reuse_token(h.model.tokens[-1], change_faces=True, other_face=absent_face(1))


@directed(C.AF_TOKEN_MISMATCH, "another threshold", FACE)
def associate_mismatch_threshold(h: Harness) -> None:
    with h.setup():
        _associate_token(h)
    h.reuse_token(h.model.tokens[-1], change_faces=False, other_face="")


@directed(C.AF_TOKEN_AUTO, "the same request twice without a token, undone between", FACE)
def associate_twice_without_token(h: Harness) -> None:
    with h.setup():
        user_id = new_user(h, "tokens")
        face_id = h.index_face(0)
        request = FacesRequest(user_id, [face_id], 0.0)
        h.send_associate(request)
        h.send_disassociate(FacesRequest(user_id, [face_id]))
        h.confirm_state([user_id])
    h.send_associate(request)
    h.verify_user(user_id, C.AF_TOKEN_AUTO, [face_id])


@directed(C.DF_TOKEN_REPLAY, "after the face came back", WITH_FACE)
def disassociate_replay(h: Harness) -> None:
    with h.setup():
        user_id, face_id = user_with_face(h, "tokens")
        h.send_disassociate(FacesRequest(user_id, [face_id], token=h.new_token("directed")))
        record = h.model.tokens[-1]
        h.send_associate(FacesRequest(user_id, [face_id], 0.0))
    h.replay(record)


@directed(C.DF_TOKEN_REPLAY, "after the user was deleted", WITH_FACE)
def disassociate_replay_gone(h: Harness) -> None:
    """AMB-DF-REPLAY-GONE: M.DF.2 "If the User is not present already, then a
    ResourceNotFound exception is thrown", or the first response again (M.DF.7)."""
    with h.setup():
        user_id, face_id = user_with_face(h, "tokens")
        h.send_disassociate(FacesRequest(user_id, [face_id], token=h.new_token("directed")))
        record = h.model.tokens[-1]
        h.remove_user(user_id)
    h.replay(record)


@directed(C.DF_TOKEN_MISMATCH, "other FaceIds")
def disassociate_mismatch(h: Harness) -> None:
    """Absent faces, as AF-TOKEN-MISMATCH's "other FaceIds"."""
    with h.setup():
        user_id = new_user(h, "tokens")
        h.send_disassociate(FacesRequest(user_id, [absent_face(11)],
                                         token=h.new_token("directed")))
    h.reuse_token(h.model.tokens[-1], change_faces=True, other_face=absent_face(2))


@directed(C.CU_INPUT, "a UserId or token outside the model")
def create_invalid_users(h: Harness) -> None:
    h.create_invalid_users()


@directed(C.CU_TOKEN_REPLAY, "the same CreateUser again")
def create_replay(h: Harness) -> None:
    with h.setup():
        h.add_user(h.new_user_id("tokens"), h.new_token("directed"))
    h.replay(h.model.tokens[-1])


@directed(C.CU_TOKEN_MISMATCH, "another UserId")
def create_mismatch(h: Harness) -> None:
    with h.setup():
        h.add_user(h.new_user_id("tokens"), h.new_token("directed"))
    h.reuse_token(h.model.tokens[-1], change_faces=False, other_face="")


@directed(C.DU_TOKEN_REPLAY, "the same DeleteUser again")
def delete_replay(h: Harness) -> None:
    with h.setup():
        user_id = new_user(h, "tokens")
        h.remove_user(user_id, h.new_token("directed"))
    h.replay(h.model.tokens[-1])


@directed(C.DU_TOKEN_REPLAY, "after a user of that UserId was created again")
def delete_replay_recreated(h: Harness) -> None:
    """The user exists again, so ResourceNotFoundException is not an answer (M.DU.3 needs
    it gone): the first response again, and the new user is kept."""
    with h.setup():
        user_id = new_user(h, "tokens")
        h.remove_user(user_id, h.new_token("directed"))
        record = h.model.tokens[-1]
        h.add_user(user_id)
    h.replay(record)


@directed(C.DU_TOKEN_MISMATCH, "another, existing UserId")
def delete_mismatch(h: Harness) -> None:
    with h.setup():
        keep = new_user(h, "keep")
        user_id = new_user(h, "tokens")
        h.remove_user(user_id, h.new_token("directed"))
    h.reuse_token(h.model.tokens[-1], change_faces=False, other_face="", other_user=keep)
