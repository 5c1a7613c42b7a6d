"""The pure model of a collection: classification, effects, statuses and remembered confidences."""

from __future__ import annotations

import pytest

from conformance.model import CollectionModel, Confidence, Learned
from conformance.spec import CONFIDENCE_MARGIN

# Ids deliberately out of sorted order, so that creation order and sorted order differ.
FACES = ["f-c", "f-a", "f-e", "f-b", "f-d"]


def fresh(settled: bool = True) -> CollectionModel:
    """Faces f-c(p0) f-a(p1) f-e(p2) f-b(p3) f-d(p4), users u1 and u2, nothing owned."""
    model = CollectionModel("coll")
    for person, face_id in enumerate(FACES):
        model.add_face(face_id, person)
    model.create_user("u1")
    model.create_user("u2")
    if settled:
        settle(model)
    return model


def settle(model: CollectionModel) -> None:
    """What the machine does once it has seen every user settled."""
    for user in model.users.values():
        user.settling = False


# --------------------------------------------------------------------------- classify


def test_classify_own_other_absent_candidate() -> None:
    model = fresh()
    model.associate("u1", ["f-c"])
    model.associate("u2", ["f-a"])
    assert model.classify("u1", "f-c") == "own"
    assert model.classify("u1", "f-a") == "other"
    assert model.classify("u2", "f-c") == "other"
    assert model.classify("u2", "f-a") == "own"
    assert model.classify("u1", "f-e") == "candidate"
    assert model.classify("u1", "no-such-face") == "absent"


def test_classify_deleted_face_is_absent_and_remembered_as_gone() -> None:
    model = fresh()
    model.delete_faces(["f-e", "f-c"])
    assert model.classify("u1", "f-e") == "absent"
    assert model.classify("u1", "f-c") == "absent"
    assert list(model.gone_faces) == ["f-e", "f-c"]  # deletion order
    assert "f-e" not in model.faces and "f-c" not in model.faces


def test_classify_for_an_unknown_user_is_still_answered() -> None:
    model = fresh()
    model.associate("u1", ["f-c"])
    assert model.classify("ghost", "f-c") == "other"
    assert model.classify("ghost", "f-a") == "candidate"


# --------------------------------------------------------------------------- effects


def test_create_user_starts_empty_and_settling() -> None:
    model = CollectionModel("coll")
    model.create_user("u1")
    user = model.users["u1"]
    assert user.faces == set()
    assert user.had_face is False
    assert user.settling is True


def test_associate_sets_owner_faces_and_flags() -> None:
    model = fresh()
    model.associate("u1", ["f-a", "f-e"])
    user = model.users["u1"]
    assert user.faces == {"f-a", "f-e"}
    assert user.had_face is True
    assert user.settling is True
    assert model.owner_of("f-a") == "u1"
    assert model.owner_of("f-e") == "u1"
    assert model.owner_of("f-c") is None


def test_associate_nothing_changes_nothing() -> None:
    model = fresh()
    model.associate("u1", [])
    user = model.users["u1"]
    assert user.faces == set()
    assert user.had_face is False
    assert user.settling is False


def test_disassociate_releases_and_keeps_had_face() -> None:
    model = fresh()
    model.associate("u1", ["f-a", "f-e"])
    settle(model)
    model.disassociate("u1", ["f-a"])
    user = model.users["u1"]
    assert user.faces == {"f-e"}
    assert model.owner_of("f-a") is None
    assert model.owner_of("f-e") == "u1"
    assert user.had_face is True
    assert user.settling is True


def test_disassociate_nothing_does_not_unsettle() -> None:
    model = fresh()
    model.associate("u1", ["f-a"])
    settle(model)
    model.disassociate("u1", [])
    assert model.users["u1"].settling is False
    assert model.users["u1"].faces == {"f-a"}


def test_delete_user_releases_its_faces_only() -> None:
    model = fresh()
    model.associate("u1", ["f-a", "f-e"])
    model.associate("u2", ["f-c"])
    model.delete_user("u1")
    assert "u1" not in model.users
    assert model.owner_of("f-a") is None
    assert model.owner_of("f-e") is None
    assert model.owner_of("f-c") == "u2"
    # Released faces may now join another user.
    assert model.classify("u2", "f-a") == "candidate"


def test_delete_faces_of_several() -> None:
    model = fresh()
    model.delete_faces(["f-b"])
    model.delete_faces(["f-a", "f-d"])
    assert list(model.faces) == ["f-c", "f-e"]
    assert list(model.gone_faces) == ["f-b", "f-a", "f-d"]


def test_persons_of() -> None:
    model = fresh()
    model.add_face("f-z", 1)  # a second face of person 1
    model.associate("u1", ["f-a", "f-z", "f-e"])
    assert model.persons_of("u1") == {1, 2}
    assert model.persons_of("u2") == set()


# --------------------------------------------------------------------------- statuses


def test_status_of_a_new_user() -> None:
    model = fresh(settled=False)
    # Right after CreateUser a live service may still show CREATING.
    assert model.status_options("u1") == {"CREATED", "CREATING"}
    assert model.settled_status_options("u1") == {"CREATED"}
    settle(model)
    assert model.status_options("u1") == {"CREATED"}
    assert model.settled_status_options("u1") == {"CREATED"}


def test_status_with_faces() -> None:
    model = fresh()
    model.associate("u1", ["f-a"])
    assert model.settled_status_options("u1") == {"ACTIVE"}
    assert model.status_options("u1") == {"ACTIVE", "UPDATING"}
    settle(model)
    assert model.status_options("u1") == {"ACTIVE"}
    assert model.settled_status_options("u1") == {"ACTIVE"}


def test_status_emptied_again_may_be_created_or_active() -> None:
    model = fresh()
    model.associate("u1", ["f-a", "f-e"])
    settle(model)
    model.disassociate("u1", ["f-a", "f-e"])
    assert model.settled_status_options("u1") == {"CREATED", "ACTIVE"}  # AMB-EMPTY-AGAIN
    assert model.status_options("u1") == {"CREATED", "ACTIVE", "UPDATING"}
    settle(model)
    assert model.status_options("u1") == {"CREATED", "ACTIVE"}


def test_status_never_had_a_face_is_created_even_after_an_empty_change() -> None:
    model = fresh()
    model.associate("u1", [])
    model.disassociate("u1", [])
    assert model.status_options("u1") == {"CREATED"}


def test_status_after_faces_deleted_through_the_owner_is_unchanged() -> None:
    # delete_user releases; the other user's status is untouched.
    model = fresh()
    model.associate("u1", ["f-a"])
    model.associate("u2", ["f-c"])
    settle(model)
    model.delete_user("u1")
    assert model.status_options("u2") == {"ACTIVE"}


# --------------------------------------------------------------------------- Confidence


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [
        (0.0, True),
        (60.0 - CONFIDENCE_MARGIN, True),
        (60.0 - CONFIDENCE_MARGIN + 0.01, None),
        (60.0, None),
        (60.0 + CONFIDENCE_MARGIN - 0.01, None),
        (60.0 + CONFIDENCE_MARGIN, False),
        (100.0, False),
    ],
)
def test_confidence_predicts_from_an_exact_value_with_the_margin(
        threshold: float, expected: bool | None) -> None:
    assert Confidence(exact=60.0).predicts(threshold) is expected


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [(0.0, True), (79.9, True), (80.0, True), (80.01, None), (100.0, None)],
)
def test_confidence_predicts_from_at_least(threshold: float, expected: bool | None) -> None:
    assert Confidence(at_least=80.0).predicts(threshold) is expected


def test_confidence_with_nothing_known_predicts_nothing() -> None:
    assert Confidence().predicts(0.0) is None
    assert Confidence().predicts(75.0) is None


def test_confidence_exact_takes_precedence_over_at_least() -> None:
    known = Confidence(exact=60.0, at_least=90.0)
    assert known.predicts(70.0) is False
    assert known.predicts(50.0) is True
    assert known.predicts(60.0) is None


# --------------------------------------------------------------------------- memory


def test_remember_refusal_is_keyed_by_the_users_face_set() -> None:
    model = fresh()
    model.associate("u1", ["f-c"])
    assert model.confidence("u1", "f-a") is None
    model.learn("u1", Learned("f-a", refused_with=42.5))
    known = model.confidence("u1", "f-a")
    assert known is not None and known.exact == 42.5
    assert (frozenset({"f-c"}), "f-a") in model.confidences
    # Another face of the user: another user vector, nothing known about it.
    model.associate("u1", ["f-e"])
    assert model.confidence("u1", "f-a") is None
    # Back to the same face set: the same memory applies again.
    model.disassociate("u1", ["f-e"])
    known = model.confidence("u1", "f-a")
    assert known is not None and known.exact == 42.5


def test_remembered_confidence_follows_the_face_set_not_the_user_id() -> None:
    model = fresh()
    model.associate("u1", ["f-c"])
    model.learn("u1", Learned("f-a", refused_with=30.0))
    model.delete_user("u1")
    model.associate("u2", ["f-c"])
    known = model.confidence("u2", "f-a")
    assert known is not None and known.exact == 30.0


def test_remember_refusal_overwrites_the_exact_value() -> None:
    model = fresh()
    model.associate("u1", ["f-c"])
    model.learn("u1", Learned("f-a", refused_with=42.0))
    model.learn("u1", Learned("f-a", refused_with=41.0))
    known = model.confidence("u1", "f-a")
    assert known is not None and known.exact == 41.0


def test_remember_acceptance_keeps_the_highest_threshold() -> None:
    model = fresh()
    model.associate("u1", ["f-c"])
    model.learn("u1", Learned("f-a", accepted_at=70.0))
    model.learn("u1", Learned("f-a", accepted_at=60.0))
    known = model.confidence("u1", "f-a")
    assert known is not None and known.at_least == 70.0 and known.exact is None
    model.learn("u1", Learned("f-a", accepted_at=90.0))
    assert known.at_least == 90.0
    assert known.predicts(90.0) is True


def test_remember_acceptance_at_zero_is_remembered() -> None:
    model = fresh()
    model.associate("u1", ["f-c"])
    model.learn("u1", Learned("f-a", accepted_at=0.0))
    known = model.confidence("u1", "f-a")
    assert known is not None and known.at_least == 0.0
    assert known.predicts(0.0) is True
    assert known.predicts(1.0) is None


def test_refusal_and_acceptance_share_one_record() -> None:
    model = fresh()
    model.associate("u1", ["f-c"])
    model.learn("u1", Learned("f-a", accepted_at=50.0))
    model.learn("u1", Learned("f-a", refused_with=55.0))
    known = model.confidence("u1", "f-a")
    assert known == Confidence(exact=55.0, at_least=50.0)
    assert len(model.confidences) == 1


def test_remember_acceptance_is_keyed_before_the_association() -> None:
    model = fresh()
    model.associate("u1", ["f-c"])
    model.learn("u1", Learned("f-a", accepted_at=80.0))  # before associate, as documented
    model.associate("u1", ["f-a"])
    assert (frozenset({"f-c"}), "f-a") in model.confidences
    assert model.confidence("u1", "f-a") is None  # the face set is now {f-c, f-a}


# --------------------------------------------------------------------------- creation order


def test_faces_of_is_in_creation_order() -> None:
    model = fresh()
    model.associate("u1", ["f-d", "f-c", "f-e"])  # association order differs too
    assert model.faces_of("u1") == ["f-c", "f-e", "f-d"]
    assert model.faces_of("u2") == []


def test_owned_and_unowned_faces_are_in_creation_order() -> None:
    model = fresh()
    model.associate("u2", ["f-d", "f-c"])
    model.associate("u1", ["f-b", "f-a"])
    assert model.owned_faces() == ["f-c", "f-a", "f-b", "f-d"]
    assert model.owned_faces(except_user="u1") == ["f-c", "f-d"]
    assert model.owned_faces(except_user="u2") == ["f-a", "f-b"]
    assert model.unowned_faces() == ["f-e"]


def test_lists_skip_deleted_faces_and_follow_releases() -> None:
    model = fresh()
    model.associate("u1", ["f-a", "f-b"])
    model.delete_faces(["f-c"])
    model.disassociate("u1", ["f-a"])
    assert model.unowned_faces() == ["f-a", "f-e", "f-d"]
    assert model.owned_faces() == ["f-b"]
    assert model.faces_of("u1") == ["f-b"]
