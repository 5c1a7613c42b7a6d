"""The emulated account's data: collections, their faces and users, and the lookups on them.

No operation lives here, and no reading or deviation: operations decide, storage
only holds what they decided and finds it again (moto's models.py, without rules).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from conformance.emulator.errors import (
    InvalidPaginationTokenException,
    ResourceNotFoundException,
)

if TYPE_CHECKING:
    from conformance.emulator.tokens import Remembered

Request = dict[str, Any]
_Item = TypeVar("_Item")


@dataclass
class Face:
    face_id: str
    image_id: str
    person: str
    seq: int
    detection_confidence: float
    external_image_id: str | None = None
    user_id: str | None = None  # the one source of truth for ownership
    # The user that last disassociated it, until it is associated again (AMB-BUSY "face").
    released_by: str | None = None


@dataclass
class User:
    user_id: str
    seq: int
    # Monotonic time of the last association or disassociation; None while never changed.
    changed_at: float | None = None
    # Monotonic time of its CreateUser: it lists as CREATING for a while (creating_seconds).
    created_at: float | None = None
    # Monotonic time of a DeleteUser still under way (AMB-DU-SETTLE "eventual"): the user
    # still lists and holds its faces, but no request can name it any more.
    deleted_at: float | None = None


@dataclass
class Collection:
    collection_id: str
    seq: int
    created_epoch: float
    tags: dict[str, str] = field(default_factory=dict)  # CreateCollection's Tags
    faces: dict[str, Face] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    # (scope, token) -> what it produced; scope is the operation or "*" when shared.
    tokens: dict[tuple[str, str], Remembered] = field(default_factory=dict)
    # Only under the deviation "dedupe-without-token": parameters -> what they produced.
    by_params: dict[str, Remembered] = field(default_factory=dict)

    def faces_of(self, user_id: str) -> list[Face]:
        return [f for f in self.faces.values() if f.user_id == user_id]


class Storage:
    """All collections of one emulated account and region, and the order things were made in."""

    def __init__(self) -> None:
        self.collections: dict[str, Collection] = {}
        self._seq = 0

    def next_seq(self) -> int:
        """A number that orders everything made, for listing in creation order."""
        self._seq += 1
        return self._seq

    def collection(self, request: Request) -> Collection:
        collection_id = request["CollectionId"]
        if collection_id not in self.collections:
            raise ResourceNotFoundException(f"The collection id: {collection_id} does not exist")
        return self.collections[collection_id]

    def user(self, collection: Collection, user_id: str) -> User:
        if user_id not in collection.users or collection.users[user_id].deleted_at is not None:
            raise ResourceNotFoundException(
                f"The user id: {user_id} does not exist in collection "
                f"{collection.collection_id}")
        return collection.users[user_id]

    def new_user(self, collection: Collection, user_id: str) -> User:
        user = User(user_id, self.next_seq())
        collection.users[user_id] = user
        return user


def page(operation: str, scope: str, items: Sequence[_Item], seq: Callable[[_Item], int],
         request: Request, default_size: int) -> tuple[list[_Item], int | None, str | None]:
    """One page of ``items`` (in creation order): (page, seq it starts after, NextToken)."""
    # A digest keeps the token within the model's 255 characters whatever the scope.
    scope = hashlib.sha256(scope.encode()).hexdigest()[:16]
    after = _decode_page_token(operation, scope, request.get("NextToken"))
    size = request.get("MaxResults") or default_size
    # In sequence order, whatever order the items are held in: a token says "after this
    # sequence number", and an item given a new number (re-created) must not hide the rest.
    remaining = sorted((i for i in items if after is None or seq(i) > after), key=seq)
    chosen = remaining[:size]
    next_token = None
    if len(remaining) > size:
        raw = json.dumps({"op": operation, "scope": scope, "after": seq(chosen[-1])})
        next_token = base64.urlsafe_b64encode(raw.encode()).decode()
    return chosen, after, next_token


def _decode_page_token(operation: str, scope: str, token: str | None) -> int | None:
    if token is None:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        if data["op"] == operation and data["scope"] == scope:
            after = data["after"]
            if isinstance(after, int):
                return after
    except (ValueError, TypeError, KeyError):
        pass
    raise InvalidPaginationTokenException(f"Invalid pagination token: {token}")
