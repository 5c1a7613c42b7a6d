"""The state the spec says a collection is in. Pure Python: no I/O, no Hypothesis.

The state machine applies to this model only what the checks have accepted,
so the model is always a state the spec allows. Where the spec cannot predict
(match confidences), the model remembers what the target itself reported and
holds it to that later (metamorphic relations).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from conformance.clauses import C
from conformance.spec import CONFIDENCE_MARGIN

FaceClass = Literal["own", "other", "absent", "candidate"]


@dataclass
class Face:
    face_id: str
    person: int
    owner: str | None = None
    # The clause of the last change of owner, to blame when a listing disagrees.
    changed_by: C | None = None
    # The user that last released it (DisassociateFaces, DeleteUser): while that user
    # settles, the face may still be being changed (AMB-BUSY "face").
    released_by: str | None = None


@dataclass
class User:
    user_id: str
    faces: set[str] = field(default_factory=set)
    had_face: bool = False  # ever held a face: CREATED until then (AF-STATUS)
    settling: bool = False  # changed since last seen settled: may still be UPDATING


@dataclass
class Confidence:
    """What the target has told us about one face's match against one user vector."""

    exact: float | None = None  # reported in a LOW_MATCH_CONFIDENCE entry
    at_least: float | None = None  # accepted at this threshold

    def predicts(self, threshold: float) -> bool | None:
        """True: must be accepted at ``threshold``; False: must be refused; None: unknown."""
        if self.exact is not None:
            if threshold <= self.exact - CONFIDENCE_MARGIN:
                return True
            if threshold >= self.exact + CONFIDENCE_MARGIN:
                return False
            return None
        if self.at_least is not None and threshold <= self.at_least:
            return True
        return None


@dataclass(frozen=True)
class Learned:
    """What one AssociateFaces answer told about one face against the user's current faces."""

    face_id: str
    refused_with: float | None = None  # the Confidence of its LOW_MATCH_CONFIDENCE entry
    accepted_at: float | None = None  # the threshold it passed


@dataclass(frozen=True)
class TokenRecord:
    """A successful request sent with an explicit ClientRequestToken, for replays."""

    operation: str
    token: str
    params: dict[str, Any]  # the request without its token
    response: dict[str, Any]  # the body, without ResponseMetadata
    user_id: str


@dataclass
class CollectionModel:
    collection_id: str
    faces: dict[str, Face] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    # Deleted faces, in deletion order: they must stay absent.
    gone_faces: dict[str, None] = field(default_factory=dict)
    confidences: dict[tuple[frozenset[str], str], Confidence] = field(default_factory=dict)
    tokens: list[TokenRecord] = field(default_factory=list)
    # Every face ever indexed -> its person: a face a deviation kept after its deletion
    # can be taken back into the model (``adopt``).
    persons: dict[str, int] = field(default_factory=dict)
    # UserId -> known deviations that changed that user behind the model's back (a
    # CreateUser that emptied it, faces left naming it after DeleteUser): its status and
    # its count toward the cap are theirs to explain, not AF-STATUS's or AF-CAP-USER's.
    # Kept by id, not on the User: what they left behind outlives a delete and re-create.
    explained: dict[str, frozenset[str]] = field(default_factory=dict)

    # --- questions -------------------------------------------------------------------

    def explained_by(self, user_id: str) -> frozenset[str]:
        return self.explained.get(user_id, frozenset())

    def classify(self, user_id: str, face_id: str) -> FaceClass:
        face = self.faces.get(face_id)
        if face is None:
            return "absent"
        if face.owner == user_id:
            return "own"
        if face.owner is not None:
            return "other"
        return "candidate"

    def owner_of(self, face_id: str) -> str | None:
        return self.faces[face_id].owner

    def persons_of(self, user_id: str) -> set[int]:
        return {self.faces[f].person for f in self.users[user_id].faces}

    # Lists come in creation order, never sorted by id: FaceIds are random, and Hypothesis
    # needs the same choices to pick the same faces when it replays a test case.
    def faces_of(self, user_id: str) -> list[str]:
        held = self.users[user_id].faces
        return [f for f in self.faces if f in held]

    def owned_faces(self, *, except_user: str | None = None) -> list[str]:
        return [f.face_id for f in self.faces.values() if f.owner not in (None, except_user)]

    def unowned_faces(self) -> list[str]:
        return [f.face_id for f in self.faces.values() if f.owner is None]

    def may_be_creating(self, user_id: str) -> bool:
        """CREATING (in M.10's enum; no sentence defines it) is a user still being created:
        a transitional status, as UPDATING is, that may show from CreateUser until the
        user is first seen settled (within the settle timeout), and never after a change."""
        user = self.users[user_id]
        return user.settling and not user.had_face

    def status_options(self, user_id: str) -> set[str]:
        """The UserStatus values a listing may show for the user right now."""
        user = self.users[user_id]
        settled = self.settled_status_options(user_id)
        if self.may_be_creating(user_id):
            return settled | {"CREATING"}
        return settled | {"UPDATING", "ACTIVE"} if user.settling else settled

    def settled_status_options(self, user_id: str) -> set[str]:
        user = self.users[user_id]
        if not user.had_face:
            return {"CREATED"}
        if user.faces:
            return {"ACTIVE"}
        return {"CREATED", "ACTIVE"}  # AMB-EMPTY-AGAIN: the machine records which

    def busy_makers(self, face_ids: list[str]) -> set[str]:
        """The settling users that may make a change to these faces wait (AMB-BUSY "face"):
        each face's owner, and the user that last released it, while it still exists."""
        makers = set()
        for face_id in face_ids:
            face = self.faces.get(face_id)
            for who in (face.owner, face.released_by) if face is not None else ():
                if who is not None and who in self.users and self.users[who].settling:
                    makers.add(who)
        return makers

    def made_by(self, face_ids: Iterable[str], known: Iterable[str]) -> frozenset[str]:
        """The known deviations among the clauses of the changes that last moved these faces:
        a wrong state of theirs is that change's doing, a knock-on wherever it is seen."""
        known = set(known)
        return frozenset(face.changed_by for face in (self.faces.get(f) for f in face_ids)
                         if face is not None and face.changed_by in known)

    def cause_of(self, face_ids: set[str]) -> C:
        """The clause of the change that should have put these faces where the model has them."""
        for face_id in sorted(face_ids):
            face = self.faces.get(face_id)
            if face is not None and face.changed_by:
                return face.changed_by
        return C.LIST_FACES

    def confidence(self, user_id: str, face_id: str) -> Confidence | None:
        key = (frozenset(self.users[user_id].faces), face_id)
        return self.confidences.get(key)

    # --- changes the checks have accepted ---------------------------------------------

    def add_face(self, face_id: str, person: int) -> None:
        self.faces[face_id] = Face(face_id, person)
        self.persons[face_id] = person

    def create_user(self, user_id: str) -> None:
        self.users[user_id] = User(user_id, settling=True)

    def delete_user(self, user_id: str) -> None:
        for face_id in self.users.pop(user_id).faces:
            self.faces[face_id].owner = None
            self.faces[face_id].changed_by = C.DU_RELEASE
            self.faces[face_id].released_by = user_id

    def associate(self, user_id: str, face_ids: list[str]) -> None:
        user = self.users[user_id]
        for face_id in face_ids:
            self.faces[face_id].owner = user_id
            self.faces[face_id].changed_by = C.AF_ASSOC
            user.faces.add(face_id)
        if face_ids:
            user.had_face = True
            user.settling = True

    def disassociate(self, user_id: str, face_ids: list[str]) -> None:
        user = self.users[user_id]
        for face_id in face_ids:
            self.faces[face_id].owner = None
            self.faces[face_id].changed_by = C.DF_RELEASE
            self.faces[face_id].released_by = user_id
            user.faces.discard(face_id)
        if face_ids:
            user.settling = True

    def adopt(self, users: set[str], owners: dict[str, str | None]) -> bool:
        """Take the target's state as the model's, after a known deviation may have moved it
        (``owners``: every face of the collection and its owner). True when it differed."""
        before = (set(self.users), {f: face.owner for f, face in self.faces.items()})
        for user_id in [u for u in self.users if u not in users]:
            del self.users[user_id]
        for user_id in users - set(self.users):
            self.users[user_id] = User(user_id, settling=True)
        for face_id in [f for f in self.faces if f not in owners]:
            del self.faces[face_id]
            self.gone_faces[face_id] = None
        for face_id in [f for f in owners if f not in self.faces and f in self.persons]:
            self.faces[face_id] = Face(face_id, self.persons[face_id])
            self.gone_faces.pop(face_id, None)
        for user in self.users.values():
            # A face the suite never indexed (an id it never sent) is no face of the model.
            faces = {f for f, owner in owners.items() if owner == user.user_id and f in self.faces}
            if faces != user.faces:
                user.faces = faces
                user.had_face = user.had_face or bool(faces)
                user.settling = True  # its status may lag behind what just happened
        for face_id, owner in owners.items():
            face = self.faces.get(face_id)
            if face is not None:
                face.owner = owner  # perhaps a deleted user, if a deviation left it so
        return before != (set(self.users), {f: face.owner for f, face in self.faces.items()})

    def delete_faces(self, face_ids: list[str]) -> None:
        for face_id in face_ids:
            del self.faces[face_id]
            self.gone_faces[face_id] = None

    def learn(self, user_id: str, learned: Learned) -> None:
        """Before ``associate``: what the target said of the face against the user's faces."""
        key = (frozenset(self.users[user_id].faces), learned.face_id)
        known = self.confidences.setdefault(key, Confidence())
        if learned.refused_with is not None:
            known.exact = learned.refused_with
        if learned.accepted_at is not None:
            known.at_least = max(learned.accepted_at, known.at_least or 0.0)
