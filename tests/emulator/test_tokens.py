"""ClientRequestToken: replay, mismatch, automatic tokens, and the scope reading."""

from __future__ import annotations

import pytest

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
