"""UserStatus over time: CREATING for a moment after CreateUser (``creating_seconds``), CREATED
until a first change, UPDATING while a change settles, then ACTIVE."""

from __future__ import annotations

from collections.abc import Callable

from conformance.emulator.behaviour import Behaviour
from conformance.emulator.storage import Collection, User


class Settling:
    """The status of users, timed by ``clock``, ``behaviour.settle_seconds`` and
    ``behaviour.creating_seconds``."""

    def __init__(self, behaviour: Behaviour, clock: Callable[[], float]) -> None:
        self.behaviour = behaviour
        self._clock = clock

    def status(self, collection: Collection, user: User) -> str:
        if user.changed_at is None:
            if self._deviates("new-user-active"):
                return "ACTIVE"
            creating = (user.created_at is not None
                        and self._clock() - user.created_at < self.behaviour.creating_seconds)
            return "CREATING" if creating or self._deviates("creating-never-ends") else "CREATED"
        settling = self._clock() - user.changed_at < self.behaviour.settle_seconds
        if settling or self._deviates("status-never-settles"):
            return "UPDATING"
        if collection.faces_of(user.user_id):
            return "ACTIVE"
        return self.behaviour.reading("AMB-EMPTY-AGAIN")

    def status_after(self, collection: Collection, user: User, changed: bool,
                     operation: str = "AssociateFaces") -> str:
        """The UserStatus an answer of ``operation`` reports right after it changed ``user``
        (AMB-STATUS-NOW, AMB-DF-STATUS-NOW) or not (AMB-STATUS-NOOP, AMB-DF-STATUS-NOOP)."""
        prefix = "AMB-" if operation == "AssociateFaces" else "AMB-DF-"
        if changed:
            return self.behaviour.reading(f"{prefix}STATUS-NOW")
        if self.behaviour.reading(f"{prefix}STATUS-NOOP") == "UPDATING":
            return "UPDATING"  # the status of this call, an update (S0.11)
        return self.status(collection, user)

    def updating(self, user: User | None) -> bool:
        """The user is within ``settle_seconds`` of a change: its faces are being changed."""
        return (user is not None and user.changed_at is not None
                and self._clock() - user.changed_at < self.behaviour.settle_seconds)

    def changed(self, user: User) -> None:
        """Start ``user`` settling anew: its faces changed now."""
        user.changed_at = self._clock()

    def touch(self, collection: Collection, user_id: str | None) -> None:
        """Start the owner of a face settling, if the face has one that still exists."""
        user = collection.users.get(user_id) if user_id is not None else None
        if user is not None:
            self.changed(user)

    def _deviates(self, name: str) -> bool:
        return self.behaviour.deviates(name)
