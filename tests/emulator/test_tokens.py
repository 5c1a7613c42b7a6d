"""ClientRequestToken: replay, mismatch, automatic tokens, and the scope reading."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.clauses import REPLAY_GONE, TOKEN_MISMATCH

from .conftest import COLLECTION, Rig, RigFactory, aws_error, strip


def test_associate_replay_returns_the_first_answer_without_effect(rig: Rig) -> None:
    face = rig.face()
    rig.user("u")
    first = rig.associate("u", [face], ClientRequestToken="tok-1")
    rig.disassociate("u", [face])
    assert rig.associate("u", [face], ClientRequestToken="tok-1") == first
    assert rig.owners() == {face: None}


def test_disassociate_replay_returns_the_first_answer_without_effect(rig: Rig) -> None:
    face = rig.face()
    rig.user("u")
    rig.associate("u", [face])
    first = rig.disassociate("u", [face], ClientRequestToken="tok-1")
    rig.associate("u", [face])
    assert rig.disassociate("u", [face], ClientRequestToken="tok-1") == first
    assert rig.owners() == {face: "u"}


def test_replay_of_an_error_is_the_same_error(rig: Rig) -> None:
    face = rig.face()
    with aws_error("ResourceNotFoundException"):
        rig.associate("late", [face], ClientRequestToken="tok-1")
    rig.user("late")
    with aws_error("ResourceNotFoundException"):
        rig.associate("late", [face], ClientRequestToken="tok-1")
    assert rig.owners() == {face: None}


def test_create_and_delete_user_replays_are_idempotent(rig: Rig) -> None:
    create = {"CollectionId": COLLECTION, "UserId": "u", "ClientRequestToken": "c-1"}
    assert strip(rig.client.create_user(**create)) == {}
    assert strip(rig.client.create_user(**create)) == {}
    delete = {"CollectionId": COLLECTION, "UserId": "u", "ClientRequestToken": "d-1"}
    assert strip(rig.client.delete_user(**delete)) == {}
    assert strip(rig.client.delete_user(**delete)) == {}
    assert rig.users() == []


def test_same_token_other_parameters_is_a_mismatch_without_effect(rig: Rig) -> None:
    a, b = rig.faces(2)
    rig.user("u")
    rig.associate("u", [a], ClientRequestToken="tok-1")
    with aws_error("IdempotentParameterMismatchException"):
        rig.associate("u", [b], ClientRequestToken="tok-1")
    with aws_error("IdempotentParameterMismatchException"):
        rig.associate("u", [a], ClientRequestToken="tok-1", UserMatchThreshold=10)
    assert rig.owners() == {a: "u", b: None}
    rig.client.create_user(CollectionId=COLLECTION, UserId="v", ClientRequestToken="c-1")
    with aws_error("IdempotentParameterMismatchException"):
        rig.client.create_user(CollectionId=COLLECTION, UserId="w", ClientRequestToken="c-1")
    assert rig.users() == ["u", "v"]


def test_without_a_token_two_identical_calls_are_two_calls(rig: Rig) -> None:
    rig.client.create_user(CollectionId=COLLECTION, UserId="u")
    with aws_error("ConflictException"):
        rig.client.create_user(CollectionId=COLLECTION, UserId="u")


def test_tokens_belong_to_their_collection(rig: Rig) -> None:
    rig.collection("other")
    rig.client.create_user(CollectionId=COLLECTION, UserId="u", ClientRequestToken="c-1")
    rig.client.create_user(CollectionId="other", UserId="u", ClientRequestToken="c-1")
    assert rig.users("other") == ["u"]


@pytest.mark.parametrize(("reading", "mismatch"), [("per-operation", False), ("shared", True)])
def test_token_scope(make_rig: RigFactory, reading: str, mismatch: bool) -> None:
    rig = make_rig(readings={"AMB-TOKEN-SCOPE": reading})
    rig.collection()
    rig.client.create_user(CollectionId=COLLECTION, UserId="u", ClientRequestToken="same")
    if mismatch:
        with aws_error("IdempotentParameterMismatchException"):
            rig.client.delete_user(CollectionId=COLLECTION, UserId="u", ClientRequestToken="same")
        assert rig.users() == ["u"]
    else:
        rig.client.delete_user(CollectionId=COLLECTION, UserId="u", ClientRequestToken="same")
        assert rig.users() == []


@pytest.mark.parametrize("operation", ["AssociateFaces", "DisassociateFaces", "CreateUser",
                                       "DeleteUser"])
def test_token_mismatch_first_response(make_rig: RigFactory, operation: str) -> None:
    """AMB-*-TOKEN-MISMATCH "first-response" (S0.24): the first answer again, no effect; the
    other operations keep answering IdempotentParameterMismatchException."""
    amb = TOKEN_MISMATCH[operation]
    rig = make_rig(readings={amb: "first-response"})
    rig.collection()
    a, b = rig.faces(2)
    rig.user("u")
    rig.user("v")
    rig.associate("u", [a])
    tok = {"ClientRequestToken": "tok"}
    calls: dict[str, tuple[Any, Any]] = {
        "AssociateFaces": (lambda: rig.associate("u", [b], **tok),
                           lambda: rig.associate("u", [b, a], **tok)),
        "DisassociateFaces": (lambda: rig.disassociate("u", [a], **tok),
                              lambda: rig.disassociate("u", [a, b], **tok)),
        "CreateUser": (lambda: strip(rig.client.create_user(
            CollectionId=COLLECTION, UserId="w", **tok)), lambda: strip(
            rig.client.create_user(CollectionId=COLLECTION, UserId="x", **tok))),
        "DeleteUser": (lambda: strip(rig.client.delete_user(
            CollectionId=COLLECTION, UserId="v", **tok)), lambda: strip(
            rig.client.delete_user(CollectionId=COLLECTION, UserId="u", **tok))),
    }
    firsts = {op: first_call() for op, (first_call, _) in calls.items()}
    owners, users = rig.owners(), rig.users()
    for op, (_, other_call) in calls.items():
        if op == operation:
            assert other_call() == firsts[op]
        else:
            with aws_error("IdempotentParameterMismatchException"):
                other_call()
    assert (rig.owners(), rig.users()) == (owners, users)


@pytest.mark.parametrize("operation", ["AssociateFaces", "DisassociateFaces", "DeleteUser"])
def test_replay_gone_not_found(make_rig: RigFactory, operation: str) -> None:
    """AMB-*-REPLAY-GONE "not-found" (M.DU.3, M.DF.2): a known token naming a user that is
    gone is refused ResourceNotFoundException; once the user exists again, the first answer."""
    rig = make_rig(readings={REPLAY_GONE[operation]: "not-found"})
    rig.collection()
    face = rig.face()
    rig.user("u")
    rig.associate("u", [face])
    request = {"CollectionId": COLLECTION, "UserId": "u", "ClientRequestToken": "tok"}
    send = {"AssociateFaces": lambda: rig.client.associate_faces(FaceIds=[face], **request),
            "DisassociateFaces": lambda: rig.client.disassociate_faces(FaceIds=[face],
                                                                       **request),
            "DeleteUser": lambda: rig.client.delete_user(**request)}[operation]
    first = strip(send())
    if operation != "DeleteUser":
        rig.client.delete_user(CollectionId=COLLECTION, UserId="u")
    with aws_error("ResourceNotFoundException"):
        send()
    assert rig.users() == []
    rig.user("u")
    assert strip(send()) == first
    assert rig.users() == ["u"] and rig.owners() == {face: None}
