"""The core of the harness: one collection of one run, and the one door its calls go through.

Nothing here draws a value or knows Hypothesis: the drivers (the state machine,
the directed checks, the race harness) decide what to send, the harness sends
it, has the checks judge the answer and applies to the model what they accepted.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from conformance import checks
from conformance.clauses import C
from conformance.driver import Driver, Outcome, RunAborted
from conformance.errors import UnfitPhoto
from conformance.images import FaceImages
from conformance.ledger import Ledger
from conformance.model import CollectionModel, TokenRecord
from conformance.needs import Broken, Need, NeedBroken


@dataclass
class RunContext:
    """What every harness of one run shares."""

    driver: Driver
    ledger: Ledger
    images: FaceImages
    settle_timeout: float
    resource_prefix: str
    seed: int = 0
    replay: str = ""  # the command that replays this run, for findings
    concurrency: bool = True
    # The live profile: every clause judged with the fewest calls (fewer pairs of persons
    # for AF-THRESHOLD-DEFAULT); its directed checks share collections (``harness.rooms``).
    frugal: bool = False
    settling_seen: bool = False  # a settle has needed more than one listing
    # The set-up steps this target cannot do (``conformance.needs``): the cases that need
    # one are blocked by the clause that broke it, and no harness tries it again.
    broken: dict[Need, Broken] = field(default_factory=dict)
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def next_id(self) -> int:
        return next(self.counter)

    def break_need(self, need: Need, clause: str, how: str) -> NeedBroken:
        """Record that the target cannot meet ``need``; the exception stops the case."""
        broken = self.broken.setdefault(need, Broken(need, clause, how))
        return NeedBroken(broken)

    def require(self, need: Need) -> None:
        """Stop a case that needs what this target has shown it cannot do."""
        if need in self.broken:
            raise NeedBroken(self.broken[need])

    def poll_delays(self) -> dict[str, float]:
        """How ``driver.poll`` spaces the listings of a settle. Live: fewer, longer waits,
        so a user that takes the whole minute AWS allows costs about a dozen ListUsers, and
        once a user was seen still settling, a wait before the first listing too."""
        if not self.frugal:
            return {}
        return {"first_delay": 0.25, "max_delay": max(1.0, self.settle_timeout / 6),
                "initial_delay": 0.25 if self.settling_seen else 0.0}


class HarnessBase:
    """One collection of its own, the model of it, and the calls made on it."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        ctx.driver.start_test_case()
        ctx.ledger.call_log = self.call_log
        ctx.ledger.state_in_doubt = False  # a fresh collection: nothing to re-read
        self.collection = f"{ctx.resource_prefix}c{ctx.next_id()}"
        ctx.driver.create_collection(self.collection)
        self.model = CollectionModel(self.collection)
        self.users_made = 0  # numbers new user ids, which must not collide
        self.deleted_user_ids: list[str] = []
        self.deleted_at: dict[str, float] = {}  # user -> monotonic time of its DeleteUser
        # user -> monotonic time it last released faces by DisassociateFaces: a search may
        # count them for it until the settle timeout has passed (SU-RELEASE).
        self.released_at: dict[str, float] = {}
        # parameters but the token -> every answer they got (``call``), and whether a race
        # sent it; the races send from several threads.
        self.earlier_answers: dict[str, list[tuple[dict[str, Any], bool]]] = {}
        self._answers_lock = threading.Lock()
        # (user, person) for each face a deleted user held: no search finds the user again.
        self.deleted_persons: list[tuple[str, int]] = []
        # AssociateFaces tokens already sent with DisassociateFaces (AMB-TOKEN-SCOPE).
        self.cross_tokens: set[str] = set()
        self.closed = False
        # ExternalImageId -> person, of the IndexFaces requests of unknown outcome: a face
        # they may have indexed unseen is the same person's.
        self.unknown_images: dict[str, int] = {}
        self._failures_before = ctx.ledger.failures_raised
        # In a collection shared by directed checks (``harness.rooms``), the unowned faces
        # earlier checks used are given out again instead of indexing new ones (each
        # IndexFaces on AWS is billed), but never twice to one check.
        # Users likewise (``spare_user``).
        self.reuse_faces = False
        self.handed_out: set[str] = set()
        self.handed_out_users: set[str] = set()
        self.filled_user: str | None = None  # see ``directed.user_holding``

    def begin_check(self) -> None:
        """A directed check starts on this shared collection: earlier checks' faces and
        users may be given out again."""
        self.reuse_faces = True
        self.handed_out.clear()
        self.handed_out_users.clear()

    def spare_user(self, person: int | None) -> str | None:
        """On a shared collection: a user an earlier check left holding exactly one face of
        ``person`` (None: a user that never held a face), not yet used by this check."""
        if not self.reuse_faces:
            return None
        for user in self.model.users.values():
            if user.user_id in self.handed_out_users or user.user_id == self.filled_user:
                continue
            if (not user.had_face if person is None else len(user.faces) == 1 and
                    self.model.faces[next(iter(user.faces))].person == person):
                self.handed_out_users.add(user.user_id)
                return user.user_id
        return None

    def rebase(self) -> None:
        """From now on ``failed`` counts only new failures (a shared collection, re-read)."""
        self._failures_before = self.ctx.ledger.failures_raised

    @property
    def failed(self) -> bool:
        """A check failed since this harness opened: its state is no longer the model's."""
        return self.ctx.ledger.failures_raised > self._failures_before

    def close(self) -> None:
        """Delete the collection; a failure to do so is kept for the run's report."""
        if self.closed:
            return
        self.closed = True
        error = self.ctx.driver.delete_collection(self.collection)
        if error:
            self.ctx.driver.cleanup_errors.append(error)

    @property
    def ledger(self) -> Ledger:
        return self.ctx.ledger

    def call_log(self) -> list[dict[str, Any]]:
        """This harness's calls so far, as a finding carries them."""
        return [entry.to_json() for entry in self.ctx.driver.log]

    # --- the door --------------------------------------------------------------------

    def call(self, operation: str, params: dict[str, Any], *, raw_client: bool = False,
             note: dict[str, Any] | None = None) -> Outcome:
        """Send one request on this harness's collection (unless ``params`` names another).

        Every answer to AssociateFaces or DisassociateFaces is kept by its parameters but
        the token, whichever path sent it (a race, a probe): a target that answers an
        identical request from a cache (AF-TOKEN-AUTO) may give any of them again."""
        full = {"CollectionId": self.collection, **params}
        outcome = self.ctx.driver.call(operation, full, raw_client=raw_client, note=note)
        if operation in _CACHEABLE and outcome.ok:
            key = answer_key(operation, full)
            raced = bool(note and "concurrent_group" in note)
            with self._answers_lock:
                self.earlier_answers[key] = [*self.earlier_answers.get(key, []),
                                             (outcome.body or {}, raced)]
        return outcome

    def apply_disassociation(self, user_id: str, released: list[str]) -> None:
        """The faces ``user_id`` released, into the model, and when (``released_at``)."""
        self.model.disassociate(user_id, released)
        if released:
            self.released_at[user_id] = time.monotonic()

    def new_token(self, suffix: str = "") -> str:
        # Unique across the run: tokens may be scoped per account.
        return f"{self.ctx.resource_prefix}t{self.ctx.next_id()}-{suffix}"[:64]

    def new_user_id(self, stem: str) -> str:
        user_id = f"{stem}{self.ctx.next_id()}"
        self.handed_out_users.add(user_id)
        return user_id

    def user_ids(self) -> list[str]:
        return sorted(self.model.users)

    def index_face(self, person: int, *, fresh: bool = False) -> str:
        """A face of ``person`` no one holds and this check has not used: a new one, unless
        an earlier check on this shared collection left one unowned (and not ``fresh``)."""
        if self.reuse_faces and not fresh:
            reused = next((f.face_id for f in self.model.faces.values() if f.owner is None
                           and f.person == person and f.face_id not in self.handed_out), None)
            if reused is not None:
                self.handed_out.add(reused)
                return reused
        self.ctx.require(Need.FACE)
        images = self.ctx.images
        # A fresh ExternalImageId each time: M.IF.1 lets a server save no duplicate for the
        # same image, collection and external id, and the suite indexes the same bytes again.
        outcome = self.call("IndexFaces", {"Image": {"Bytes": images.images[person]},
                                           "ExternalImageId": f"i{self.ctx.next_id()}"},
                            note={"image": images.names[person], "person": person})
        self.ledger.check(C.SCHEMA, outcome.ok,
                          f"IndexFaces of a one-face image was refused: {outcome.error}: "
                          f"{outcome.message}")
        body = checks.check_schema(self.ledger, C.SCHEMA, outcome)
        records = checks.entries(body, "FaceRecords")
        if images.photos and outcome.ok and len(records) != 1:
            raise RunAborted(UnfitPhoto(
                f"photo {images.names[person]}: IndexFaces found {len(records)} faces in it; "
                "each photo of faces_dir must show exactly one face (try: conformance photos "
                "check --target NAME)"))
        if not records:
            # Recorded before the check raises: every case that needs a face is blocked by
            # this one finding, and none sends IndexFaces again.
            broken = self.ctx.break_need(Need.FACE, C.SCHEMA,
                                         "IndexFaces indexes no face from an image of one face")
        self.ledger.check(C.SCHEMA, len(records) == 1,
                          f"IndexFaces of an image of one face indexed {len(records)} faces")
        if not records:
            raise broken
        face = records[0].get("Face")
        face_id = checks.text(face, "FaceId") if isinstance(face, dict) else ""
        if not face_id:
            # Every member is optional in the schema, but a face that is not named cannot
            # be used: like no face at all, it blocks what needs one.
            broken = self.ctx.break_need(Need.FACE, C.SCHEMA,
                                         "IndexFaces names no FaceId for the face it indexed")
        self.ledger.check(C.SCHEMA, bool(face_id),
                          f"IndexFaces of an image of one face answered {records[0]!r}, "
                          "which names no FaceId")
        if not face_id:
            raise broken
        if face_id in self.model.faces:
            broken = self.ctx.break_need(Need.SAME_PERSON, C.SCHEMA,
                                         "IndexFaces gives the same FaceId again")
        self.ledger.check(C.SCHEMA, face_id not in self.model.faces,
                          f"IndexFaces returned FaceId {face_id} that already exists")
        if face_id in self.model.faces:
            raise broken
        self.model.add_face(face_id, person)
        self.handed_out.add(face_id)
        return face_id

    def faces_if_indexed(self, person: int) -> list[str]:
        """A new face of ``person``, or none where the target indexes no face: for a set-up
        that is better with a face but judges its case without one."""
        try:
            return [self.index_face(person)]
        except NeedBroken:
            return []

    def remember_token(self, operation: str, token: str, params: dict[str, Any],
                       body: dict[str, Any], user_id: str) -> None:
        without = {"CollectionId": self.collection,
                   **{k: v for k, v in params.items() if k != "ClientRequestToken"}}
        self.model.tokens.append(TokenRecord(operation, token, without, body, user_id))


_CACHEABLE = frozenset({"AssociateFaces", "DisassociateFaces"})


def answer_key(operation: str, params: dict[str, Any]) -> str:
    """What a cache of identical requests (AF-TOKEN-AUTO) would key on: all but the token."""
    return json.dumps([operation, {k: v for k, v in params.items()
                                   if k != "ClientRequestToken"}], sort_keys=True)


def ids(items: list[dict[str, Any]], key: str) -> list[str]:
    return [str(item.get(key)) for item in items]


def statuses(users: list[dict[str, Any]]) -> dict[str, str]:
    return {str(u.get("UserId")): str(u.get("UserStatus")) for u in users}
