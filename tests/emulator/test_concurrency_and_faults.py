"""Concurrent requests keep the invariants; injected faults refuse requests before any effect."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .conftest import COLLECTION, Rig, RigFactory, aws_error


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run ``calls`` at once in threads; their results (or exceptions) in order."""
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        start.wait(timeout=10)
        try:
            results[index] = calls[index]()
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def both_take_one_face(rig: Rig) -> tuple[int, str | None]:
    """Two users race for one face: (how many answers claim it, its owner)."""
    face = rig.face()
    users = [rig.user(f"racer-{face[:8]}-{i}") for i in range(2)]
    answers = race(*(lambda u=u: rig.associate(u, [face]) for u in users))
    claims = sum(1 for a in answers if isinstance(a, dict) and a["AssociatedFaces"])
    return claims, rig.owners()[face]


def test_two_users_racing_for_one_face_leave_one_owner(rig: Rig) -> None:
    for _ in range(5):
        claims, owner = both_take_one_face(rig)
        assert claims == 1 and owner is not None


def test_racing_requests_never_carry_a_user_past_100(rig: Rig) -> None:
    faces = rig.faces(120)
    rig.user("u")
    rig.associate("u", faces[:40])
    answers = race(lambda: rig.associate("u", faces[40:80]),
                   lambda: rig.associate("u", faces[80:120]))
    assert len(rig.faces_of("u")) == 80  # one of the two crossing requests was refused whole
    assert sum(isinstance(a, Exception) for a in answers) == 1


def test_throttling_every_nth_request(make_rig: RigFactory) -> None:
    rig = make_rig(throttle_every=3)
    rig.collection()                                  # request 1
    rig.client.create_user(CollectionId=COLLECTION, UserId="a")  # 2
    with aws_error("ThrottlingException"):
        rig.client.create_user(CollectionId=COLLECTION, UserId="b")  # 3: refused
    assert rig.users() == ["a"]                       # 4
    rig.client.create_user(CollectionId=COLLECTION, UserId="b")  # 5
    with aws_error("ThrottlingException"):
        rig.users()                                   # 6


def test_fault_every_nth_request_is_a_500(make_rig: RigFactory) -> None:
    rig = make_rig(fault_every=2)
    rig.collection()
    try:
        rig.client.create_user(CollectionId=COLLECTION, UserId="a")
    except Exception as error:
        response = error.response  # type: ignore[attr-defined]
        assert response["Error"]["Code"] == "InternalServerError"
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 500
    else:
        raise AssertionError("the second request should have failed")
    assert rig.users() == []
