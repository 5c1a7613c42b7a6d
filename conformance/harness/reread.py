"""Re-reading the target's state: after a knock-on, and after each use of an operation
with a known deviation, the users and faces are read back and made the model's, so what
a deviation did is reported once, under its own clause. A directed check's set-up that
leaves another state than the model's blocks the check (``setup``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from conformance import checks
from conformance.driver import Outcome
from conformance.harness.base import RunContext
from conformance.harness.listings import Listings, SetupDeviated

# The operations that change state, and the prefix of their clauses.
_CHANGES = {"AssociateFaces": "AF-", "DisassociateFaces": "DF-", "CreateUser": "CU-",
            "DeleteUser": "DU-", "DeleteFaces": "DEL-"}


class OutcomeUnknown(Exception):
    """A request that changes state may have taken effect zero, one or several times (the
    client sent it again after a connection failed): nothing can be judged on it. The
    driver drops what it was doing; the harness re-reads the state before its next call."""

    def __init__(self, operation: str) -> None:
        super().__init__(f"the outcome of {operation} is unknown: a connection failed and "
                         "the client sent it again")
        self.operation = operation


class Rereading(Listings):
    """The door behind one guard: the target's state re-read when it is in doubt."""

    _reading_state = False
    adoptions = 0  # how often the target's state, read back, differed from the model
    # Known deviations of operations this harness used since, whose effect it re-read.
    doubted_by: frozenset[str] = frozenset()
    # Set by a request of unknown outcome: the next re-read is the transport's, no deviation.
    _unknown_since_read = False

    def __init__(self, ctx: RunContext) -> None:
        super().__init__(ctx)
        # Users named since the last re-read, and the knock-ons counted by then (see
        # ``_explain_touched_users``).
        self._touched: set[str] = set()
        self._knock_ons_seen = dict(ctx.ledger.knock_ons)

    def call(self, operation: str, params: dict[str, Any], *, raw_client: bool = False,
             note: dict[str, Any] | None = None) -> Outcome:
        """The door, behind one guard: after a knock-on, first re-read the target's state.

        An operation with a known deviation among its clauses may misreport what it did
        even when its answer looks right, so after each use of it the state is re-read
        too, rather than trusted to the model.
        """
        if self.ledger.state_in_doubt and not self._reading_state:
            self.adopt_target_state()
        if not self._reading_state:
            self._touched |= self._users_named(params)
        outcome = super().call(operation, params, raw_client=raw_client, note=note)
        if outcome.uncertain:
            self._after_unknown(outcome, note)
        prefix = _CHANGES.get(operation)
        if prefix and not self._reading_state:
            doubted = {c for c in self.ledger.known if c.startswith(prefix)}
            if doubted:
                self.doubted_by = self.doubted_by | doubted  # rebinds: per instance
                self.ledger.state_in_doubt = True
        return outcome

    def _after_unknown(self, outcome: Outcome, note: dict[str, Any] | None) -> None:
        """Re-read the state before the next call, and judge this answer only when one
        attempt's answer is all it claims: one face indexed, which exists whatever the
        earlier attempts did (a face they indexed is adopted as the same person's)."""
        self.ledger.state_in_doubt = True
        self._unknown_since_read = True
        if outcome.operation == "IndexFaces" and note and "person" in note:
            self.unknown_images[str(outcome.params.get("ExternalImageId"))] = note["person"]
            if outcome.ok and len(checks.entries(outcome.body or {}, "FaceRecords")) == 1:
                return
        raise OutcomeUnknown(outcome.operation)

    def adopt_target_state(self) -> None:
        """Read the users and faces back, unjudged, and make them the model's.

        A known deviation was just tolerated (a knock-on): what it did to the state is
        already reported, and must not be reported again by the next check that looks.
        """
        self.ledger.state_in_doubt = False
        self._reading_state = True
        try:
            users = self._read_all("ListUsers", "Users")
            faces = self._read_all("ListFaces", "Faces")
            if users is None or faces is None:
                return  # the listings themselves fail: the model stays as it is
            user_ids = {str(u.get("UserId")) for u in users}
            # Deleted users too: a deviation may have left faces owned by one.
            owners = self.owners_of(faces, [*sorted(user_ids), *self.deleted_user_ids],
                                    read=lambda u: self._read_all("ListFaces", "Faces",
                                                                  {"UserId": u}) or [])
        finally:
            self._reading_state = False
        for face in faces:
            person = self.unknown_images.get(str(face.get("ExternalImageId")))
            if person is not None:
                self.model.persons.setdefault(str(face.get("FaceId")), person)
        unknown, self._unknown_since_read = self._unknown_since_read, False
        if self.model.adopt(user_ids, owners) and not unknown:
            self.adoptions += 1
        self._explain_touched_users()

    def _users_named(self, params: dict[str, Any]) -> set[str]:
        """The users a request may change: the one it names, and the owners of its faces."""
        named = {str(params["UserId"])} if "UserId" in params else set()
        faces = (self.model.faces.get(f) for f in params.get("FaceIds") or ())
        return named | {face.owner for face in faces if face is not None and face.owner}

    def _explain_touched_users(self) -> None:
        """Users the requests since the last re-read named, when a known deviation knocked
        on meanwhile: that deviation may have changed them in ways no listing shows (a
        status, a count toward the cap), so their later failures there are its knock-ons."""
        knocked = frozenset(c for c, n in self.ledger.knock_ons.items()
                            if n > self._knock_ons_seen.get(c, 0))
        if knocked:
            for user_id in self._touched:
                self.model.explained[user_id] = self.model.explained_by(user_id) | knocked
        self._touched = set()
        self._knock_ons_seen = dict(self.ledger.knock_ons)

    @contextlib.contextmanager
    def setup(self) -> Iterator[None]:
        """The set-up of a directed check: it must leave the state the check needs.

        A knock-on of a known deviation during the set-up is fine when the state read
        back is still the model's (a response lacking a member, say); when it is not,
        the check cannot be judged: it is blocked by the clauses that knocked on.
        """
        knock_ons = dict(self.ledger.knock_ons)
        adoptions = self.adoptions
        self.doubted_by = frozenset()
        yield
        if self.ledger.state_in_doubt:
            self.adopt_target_state()
        if self.adoptions > adoptions:
            raise SetupDeviated(sorted({c for c, n in self.ledger.knock_ons.items()
                                        if n > knock_ons.get(c, 0)} | self.doubted_by))
