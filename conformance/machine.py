"""The state machine: generated sequences of calls, each response judged against the model.

Every Hypothesis test case gets a fresh collection of its own. Rules draw
requests from the model's state (so they mostly make sense), send them through
the driver, let ``checks`` judge the response, and apply to the model only what
was judged correct. Rules that observe (listings, settling, verifying that a
refused request changed nothing) are where state-level departures show.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from conformance import checks
from conformance.checks import FacesRequest
from conformance.driver import Driver, Outcome, poll
from conformance.errors import Failure
from conformance.ledger import Ledger
from conformance.model import CAP, CollectionModel, TokenRecord
from conformance.strategies import (
    INVALID_CASES,
    USER_ID_STEMS,
    InvalidCase,
    thresholds,
    token_suffixes,
    well_formed_face_ids,
)

PERSONS_PER_RUN = 6  # enough pairs for thresholds to matter; photos may give fewer
UNKNOWN_PROBES = ("associate", "collection", "disassociate", "delete")


@dataclass
class FaceImages:
    """The images IndexFaces is given: same bytes, same person (DESIGN section 3)."""

    images: list[bytes]
    names: list[str]  # how a reproducer refers to each: "face_image(3)" or a file path

    @property
    def persons(self) -> int:
        return len(self.images)


@dataclass
class RunContext:
    """What every test case of one run shares."""

    driver: Driver
    ledger: Ledger
    images: FaceImages
    settle_timeout: float
    resource_prefix: str
    seed: int = 0
    replay: str = ""  # the command that replays this run, for findings
    concurrency: bool = True
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def next_id(self) -> int:
        return next(self.counter)


F = TypeVar("F", bound=Callable[..., Any])


def records_calls(method: F) -> F:
    """Attach the test case's API calls to a failure, for the report and the reproducer."""

    @functools.wraps(method)
    def wrapper(self: ConformanceMachine, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Failure as failure:
            self.failed = True
            if not failure.calls:
                failure.calls = [e.to_json() for e in self.ctx.driver.log]
            raise

    return wrapper  # type: ignore[return-value]


class ConformanceMachine(RuleBasedStateMachine):
    ctx: RunContext  # bound by ``machine_for``

    def __init__(self) -> None:
        super().__init__()
        self.failed = False
        self.ctx.driver.start_test_case()
        self.collection = f"{self.ctx.resource_prefix}c{self.ctx.next_id()}"
        self.ctx.driver.create_collection(self.collection)
        self.model = CollectionModel(self.collection)
        self.deleted_user_ids: list[str] = []
        # Token-less AssociateFaces requests that changed something, for AF-TOKEN-AUTO.
        self.untokened: list[FacesRequest] = []
        # Rules that index a hundred faces run at most once per test case: they are most
        # of the calls, and the run's directed scenario reaches the cap anyway.
        self.heavy_rules_run: set[str] = set()
        self.users_made = 0  # numbers new user ids, which must not collide
        # Responses by request (token left out): a server that deduplicates by parameters
        # (AF-TOKEN-AUTO) answers an identical later request with the earlier body.
        self.untokened_answers: dict[str, dict[str, Any]] = {}

    # --- plumbing ----------------------------------------------------------------------

    @property
    def ledger(self) -> Ledger:
        return self.ctx.ledger

    def call(self, operation: str, params: dict[str, Any], *, raw_client: bool = False,
             note: dict[str, Any] | None = None) -> Outcome:
        return self.ctx.driver.call(operation, {"CollectionId": self.collection, **params},
                                    raw_client=raw_client, note=note)

    def new_token(self, data: st.DataObject) -> str:
        # Unique across the run (tokens may be scoped per account), drawn tail for variety.
        return f"{self.ctx.resource_prefix}t{self.ctx.next_id()}-{data.draw(token_suffixes())}"[:64]

    def maybe_token(self, data: st.DataObject) -> str | None:
        return self.new_token(data) if data.draw(st.booleans(), label="token") else None

    def index_face(self, person: int) -> str:
        outcome = self.call("IndexFaces", {"Image": {"Bytes": self.ctx.images.images[person]}},
                            note={"image": self.ctx.images.names[person], "person": person})
        self.ledger.check("SCHEMA", outcome.ok,
                          f"IndexFaces of a one-face image was refused: {outcome.error}: "
                          f"{outcome.message}")
        body = checks.check_schema(self.ledger, "SCHEMA", outcome)
        records = body.get("FaceRecords") or []
        self.ledger.check("SCHEMA", len(records) == 1,
                          f"IndexFaces of an image of one face indexed {len(records)} faces")
        face_id = records[0]["Face"]["FaceId"]
        self.ledger.check("SCHEMA", face_id not in self.model.faces,
                          f"IndexFaces returned FaceId {face_id} that already exists")
        self.model.add_face(face_id, person)
        return str(face_id)

    def user_ids(self) -> list[str]:
        return sorted(self.model.users)

    # --- observing -----------------------------------------------------------------------

    def list_users(self, page_size: int | None = None, clause: str = "LIST-USERS"
                   ) -> list[dict[str, Any]]:
        return self._paginate("ListUsers", {}, "Users", page_size, clause)

    def list_faces(self, page_size: int | None = None, clause: str = "LIST-FACES",
                   **params: Any) -> list[dict[str, Any]]:
        faces = self._paginate("ListFaces", params, "Faces", page_size, clause)
        if "UserId" in params:
            strangers = [f.get("FaceId") for f in faces if f.get("UserId") != params["UserId"]]
            self.ledger.check("LIST-FACES", not strangers,
                              f"ListFaces(UserId={params['UserId']!r}) lists faces that name "
                              f"another user or none: {strangers[:5]}")
        return faces

    def _paginate(self, operation: str, params: dict[str, Any], key: str,
                  page_size: int | None, clause: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token: str | None = None
        limit = (len(self.model.faces) + len(self.model.users)) // (page_size or 1) + 5
        for _ in range(limit):
            request = dict(params)
            if page_size:
                request["MaxResults"] = page_size
            if token:
                request["NextToken"] = token
            outcome = self.call(operation, request)
            self.ledger.check(clause, outcome.ok,
                              f"{operation} {request} was refused: {outcome.error}: "
                              f"{outcome.message}")
            body = checks.check_schema(self.ledger, "SCHEMA", outcome)
            page = body.get(key) or []
            self.ledger.check(clause, page_size is None or len(page) <= page_size,
                              f"{operation} returned {len(page)} items for MaxResults {page_size}")
            items.extend(page)
            token = body.get("NextToken")
            if not token:
                return items
        self.ledger.check(clause, False,
                          f"{operation} kept returning NextToken after {limit} pages")
        return items

    def settle(self, user_ids: list[str] | None = None, clause: str | None = None,
               touched: list[str] | None = None) -> None:
        """AF-STATUS: every changed user becomes ACTIVE (or CREATED) within the settle timeout.

        A wrong status is often only the symptom of a wrong state (a face that was not
        really associated leaves its user CREATED): ``blame_state`` looks for that first,
        and blames ``clause`` (or the face's last change) rather than AF-STATUS.
        """
        waiting = [u for u in (user_ids if user_ids is not None else self.user_ids())
                   if u in self.model.users and self.model.users[u].settling]
        if not waiting:
            return
        last: dict[str, Any] = {}

        def all_settled() -> bool:
            listed = _statuses(self.list_users(clause="AF-STATUS"))
            last.update(listed)
            for user_id in waiting:
                status = listed.get(user_id)
                if status not in self.model.status_options(user_id):
                    self.blame_state([user_id], clause, touched)
                    self.ledger.check("AF-STATUS", False,
                                      f"user {user_id!r} lists as {status!r}; expected one of "
                                      f"{sorted(self.model.status_options(user_id))}")
            return all(listed.get(u) in self.model.settled_status_options(u) for u in waiting)

        settled = poll(all_settled, self.ctx.settle_timeout)
        if not settled:
            self.blame_state(waiting, clause, touched)
        self.ledger.check("AF-STATUS", settled,
                          f"users {[(u, last.get(u)) for u in waiting]} did not settle within the "
                          f"settle timeout of {self.ctx.settle_timeout} s")
        for user_id in waiting:
            user = self.model.users[user_id]
            if user.had_face and not user.faces:
                self.ledger.observe("AMB-EMPTY-AGAIN", str(last.get(user_id)),
                                    f"user {user_id!r} after all its faces left")
            user.settling = False
        self.ledger.reached("settled")

    def blame_state(self, user_ids: list[str], clause: str | None = None,
                    touched: list[str] | None = None) -> None:
        """The users' faces by ListFaces are what the model says, or a clause fails.

        A difference in the faces the last request named (``touched``; all faces when
        None) is that request's, and fails ``clause``. Any other difference was there
        before it, and fails the clause of the change that last moved those faces.
        """
        for user_id in user_ids:
            if user_id not in self.model.users:
                continue
            listed = set(_ids(self.list_faces(UserId=user_id), "FaceId"))
            expected = self.model.users[user_id].faces
            difference = listed ^ expected
            ours = difference if touched is None else difference & set(touched)
            culprit = clause if clause and (ours or not difference) else \
                self.model.cause_of(difference)
            self.ledger.check(culprit, not difference,
                              f"user {user_id!r} holds {len(listed)} faces by ListFaces, "
                              f"expected {len(expected)}: extra {sorted(listed - expected)[:5]}, "
                              f"missing {sorted(expected - listed)[:5]}")

    def confirm_state(self, user_ids: list[str]) -> None:
        """Before a request whose lack of effect will be checked: the state is as modelled."""
        self.settle(user_ids)
        self.blame_state(user_ids)

    def verify_user(self, user_id: str, clause: str, touched: list[str] | None = None
                    ) -> None:
        """After a request that must have had no effect on the user (or that must have
        removed it): the user is exactly as the model says."""
        if user_id not in self.model.users:
            listed = {u.get("UserId") for u in self.list_users(clause=clause)}
            self.ledger.check(clause, user_id not in listed,
                              f"user {user_id!r} must not exist, but ListUsers shows it")
            return
        self.settle([user_id], clause, touched)
        self.blame_state([user_id], clause, touched)

    # --- users -------------------------------------------------------------------------

    @rule(data=st.data())
    @records_calls
    def create_user(self, data: st.DataObject) -> None:
        reuse = [u for u in self.deleted_user_ids if u not in self.model.users]
        reuse_one: bool = data.draw(st.booleans(), label="reuse deleted id")
        if reuse and reuse_one:
            user_id = data.draw(st.sampled_from(reuse), label="user")
        else:
            user_id = data.draw(st.sampled_from(USER_ID_STEMS), label="stem") + str(
                self.users_made)
        self.add_user(user_id, self.maybe_token(data))

    def add_user(self, user_id: str, token: str | None = None) -> None:
        self.users_made += 1
        params: dict[str, Any] = {"UserId": user_id}
        if token:
            params["ClientRequestToken"] = token
        outcome = self.call("CreateUser", params)
        self.ledger.check("CU-CREATED", outcome.ok,
                          f"CreateUser {user_id!r} was refused: {outcome.error}: {outcome.message}")
        body = checks.check_schema(self.ledger, "SCHEMA", outcome)
        self.ledger.check("CU-CREATED", body == {}, f"CreateUser answered {body}, expected {{}}")
        self.model.create_user(user_id)
        status = _statuses(self.list_users(clause="CU-CREATED")).get(user_id)
        self.ledger.check("CU-CREATED", status in ("CREATED", "CREATING"),
                          f"new user {user_id!r} lists as {status!r}, expected CREATED")
        if token:
            self._remember_token("CreateUser", token, params, body, user_id)

    @precondition(lambda self: self.model.users)
    @rule(data=st.data())
    @records_calls
    def create_existing_user(self, data: st.DataObject) -> None:
        self.create_again(data.draw(st.sampled_from(self.user_ids()), label="user"))

    def create_again(self, user_id: str) -> None:
        self.confirm_state([user_id])
        outcome = self.call("CreateUser", {"UserId": user_id})
        checks.check_refused(self.ledger, "CU-CONFLICT", outcome, ("ConflictException",),
                             f"CreateUser of existing user {user_id!r}")
        self.verify_user(user_id, "CU-CONFLICT")

    @precondition(lambda self: self.model.users)
    @rule(data=st.data())
    @records_calls
    def delete_user(self, data: st.DataObject) -> None:
        self.remove_user(data.draw(st.sampled_from(self.user_ids()), label="user"),
                         self.maybe_token(data))

    def remove_user(self, user_id: str, token: str | None = None) -> None:
        params: dict[str, Any] = {"UserId": user_id}
        if token:
            params["ClientRequestToken"] = token
        outcome = self.call("DeleteUser", params)
        if outcome.error == checks.BUSY_CODE and self.model.users[user_id].settling:
            return
        self.ledger.check("DU-RELEASE", outcome.ok,
                          f"DeleteUser {user_id!r} was refused: {outcome.error}: {outcome.message}")
        body = checks.check_schema(self.ledger, "SCHEMA", outcome)
        released = self.model.faces_of(user_id)
        self.model.delete_user(user_id)
        self.deleted_user_ids.append(user_id)
        if token:
            self._remember_token("DeleteUser", token, params, body, user_id)
        self.verify_user(user_id, "DU-RELEASE")
        if released:
            listed = self.list_faces(clause="DU-RELEASE", FaceIds=released)
            still_owned = [f.get("FaceId") for f in listed if f.get("UserId")]
            self.ledger.check("DU-RELEASE", not still_owned,
                              f"faces {still_owned} still name a user after DeleteUser "
                              f"{user_id!r}")

    @rule(data=st.data())
    @records_calls
    def probe_unknown_resources(self, data: st.DataObject) -> None:
        """AF-USER-EXISTS, AF-COLL-EXISTS, DF-USER-EXISTS, DU-NOT-FOUND: refused, no effect.

        One rule for the four probes, so that together they are drawn no more often than
        any single rule that changes state.
        """
        self.probe_unknown(data.draw(st.sampled_from(UNKNOWN_PROBES), label="probe"),
                           data.draw(well_formed_face_ids, label="face"))

    def probe_unknown(self, kind: str, absent_face: str) -> None:
        user_id = f"nobody{self.ctx.next_id()}"
        if kind == "associate":
            faces = self.model.unowned_faces()[:2] or [absent_face]
            request = FacesRequest(user_id, faces, 0.0)
            outcome = self.call("AssociateFaces", request.params(self.collection))
            checks.judge_associate(self.ledger, self.model, request, outcome)
            self.verify_user(user_id, "AF-USER-EXISTS")
        elif kind == "collection":
            missing = f"{self.ctx.resource_prefix}missing{self.ctx.next_id()}"
            outcome = self.ctx.driver.call("AssociateFaces", {
                "CollectionId": missing, "UserId": "u0", "FaceIds": [absent_face]})
            checks.check_refused(self.ledger, "AF-COLL-EXISTS", outcome,
                                 ("ResourceNotFoundException",),
                                 f"AssociateFaces on unknown collection {missing!r}")
        elif kind == "disassociate":
            self.send_disassociate(FacesRequest(user_id, [absent_face]))
        else:
            outcome = self.call("DeleteUser", {"UserId": user_id})
            checks.check_refused(self.ledger, "DU-NOT-FOUND", outcome,
                                 ("ResourceNotFoundException",),
                                 f"DeleteUser of unknown user {user_id!r}")

    # --- faces -------------------------------------------------------------------------

    @initialize()
    @records_calls
    def start_with_users_and_faces(self) -> None:
        """Two users and faces of three persons, so that every rule applies from step one."""
        for user_id in ("u0", "u1"):
            self.add_user(user_id)
        for person in range(min(3, self.ctx.images.persons)):
            self.index_face(person)

    @rule(data=st.data())
    @records_calls
    def index_faces(self, data: st.DataObject) -> None:
        person = data.draw(st.integers(0, min(PERSONS_PER_RUN, self.ctx.images.persons) - 1),
                           label="person")
        for _ in range(data.draw(st.integers(1, 3), label="copies")):
            self.index_face(person)

    def draw_face_ids(self, data: st.DataObject, user_id: str) -> list[str]:
        """A mix of the user's own faces, other users', unowned ones, and absent ids."""
        pools = {
            "own": self.model.faces_of(user_id) if user_id in self.model.users else [],
            "other": self.model.owned_faces(except_user=user_id),
            "candidate": self.model.unowned_faces(),
            "gone": list(self.model.gone_faces),
        }
        kinds = [k for k, pool in pools.items() if pool] + ["absent"]
        chosen: list[str] = []
        for _ in range(data.draw(st.integers(1, 6), label="faces")):
            kind = data.draw(st.sampled_from(kinds), label="kind")
            if kind == "absent":
                chosen.append(data.draw(well_formed_face_ids, label="absent id"))
            else:
                chosen.append(data.draw(st.sampled_from(pools[kind]), label=kind))
        # A repeat one time in four; shrinking (towards False) removes it from minimal examples.
        if data.draw(st.booleans(), label="repeat") and data.draw(st.booleans()):
            chosen.append(chosen[0])
        return chosen

    def known_confidences(self, user_id: str) -> list[float]:
        users_faces = frozenset(self.model.users[user_id].faces)
        return sorted(c.exact for (faces, _), c in self.model.confidences.items()
                      if faces == users_faces and c.exact is not None)

    @precondition(lambda self: self.model.users)
    @rule(data=st.data())
    @records_calls
    def associate_faces(self, data: st.DataObject) -> None:
        user_id = data.draw(st.sampled_from(self.user_ids()), label="user")
        request = FacesRequest(user_id, self.draw_face_ids(data, user_id),
                               data.draw(thresholds(self.known_confidences(user_id)),
                                         label="threshold"),
                               self.maybe_token(data))
        self.send_associate(request)

    def send_associate(self, request: FacesRequest) -> checks.AssociateVerdict:
        before = len(self.model.users[request.user_id].faces)
        settled = not self.model.users[request.user_id].settling
        outcome = self.call("AssociateFaces", request.params(self.collection))
        stale = self.repeats_an_earlier_answer(request, outcome)
        verdict = checks.judge_associate(self.ledger, self.model, request, outcome)
        if stale and verdict.associated:
            self.check_acted_again(request, verdict.associated, owned=True)
        if verdict.rejected:
            if not verdict.busy:
                self.verify_user(request.user_id, "AF-CAP-USER" if outcome.error ==
                                 "ServiceQuotaExceededException" else "AF-INPUT",
                                 request.face_ids)
            return verdict
        candidates = [f for f in request.distinct_faces()
                      if self.model.classify(request.user_id, f) == "candidate"]
        if settled and candidates and before > 0:
            first = candidates[0]
            threshold = request.threshold if request.threshold is not None else 75.0
            if first in verdict.refusals:
                self.model.remember_refusal(request.user_id, first, verdict.refusals[first])
            elif first in verdict.associated:
                self.model.remember_acceptance(request.user_id, first, threshold)
        self.model.associate(request.user_id, verdict.associated)
        if request.token:
            self._remember_token("AssociateFaces", request.token,
                                 request.params(self.collection), outcome.body or {},
                                 request.user_id)
        elif verdict.associated:
            self.untokened.append(request)
        return verdict

    @precondition(lambda self: any(self.model.confidences))
    @rule(data=st.data())
    @records_calls
    def retry_known_face(self, data: st.DataObject) -> None:
        """AF-THRESHOLD metamorphic: a face refused with Confidence c is accepted at t <= c."""
        options = [(u, f) for (faces, f), c in self.model.confidences.items()
                   for u, user in self.model.users.items()
                   if frozenset(user.faces) == faces and self.model.classify(u, f) == "candidate"]
        if not options:
            return
        user_id, face_id = data.draw(st.sampled_from(options), label="known face")
        self.settle([user_id])
        self.send_associate(FacesRequest(user_id, [face_id], data.draw(
            thresholds(self.known_confidences(user_id)), label="threshold")))

    @precondition(lambda self: self.ctx.images.persons >= 2)
    @rule(data=st.data())
    @records_calls
    def probe_threshold_of_a_pair(self, data: st.DataObject) -> None:
        """AF-THRESHOLD-DEFAULT and AF-THRESHOLD, metamorphic, on one pair of persons.

        A new user holds one face of person p. A face of person q is sent at threshold
        100: it is refused and the target says its Confidence c. Sent again with no
        threshold it must be accepted when c >= 75 and refused when c < 75; refused, it
        must then be accepted at 0 or at a threshold just below c.
        """
        first, second = data.draw(st.lists(st.integers(0, self.ctx.images.persons - 1),
                                           min_size=2, max_size=2, unique=True),
                                  label="persons")
        user_id = f"pair{self.ctx.next_id()}"
        self.add_user(user_id)
        self.send_associate(FacesRequest(user_id, [self.index_face(first)]))
        face_id = self.index_face(second)
        for threshold in (100.0, None):
            self.settle([user_id])
            self.send_associate(FacesRequest(user_id, [face_id], threshold))
        known = self.model.confidence(user_id, face_id)
        if self.model.classify(user_id, face_id) == "candidate" and known and known.exact:
            self.settle([user_id])
            lower = data.draw(st.sampled_from([0.0, max(0.0, known.exact - 1)]), label="lower")
            self.send_associate(FacesRequest(user_id, [face_id], lower))
        self.ledger.reached("threshold-pair-probed")

    @precondition(lambda self: self.model.users)
    @rule(data=st.data())
    @records_calls
    def disassociate_faces(self, data: st.DataObject) -> None:
        user_id = data.draw(st.sampled_from(self.user_ids()), label="user")
        request = FacesRequest(user_id, self.draw_face_ids(data, user_id),
                               token=self.maybe_token(data))
        self.send_disassociate(request)

    def repeats_an_earlier_answer(self, request: FacesRequest, outcome: Outcome) -> bool:
        """A request answered exactly like an earlier one identical but for its token.

        Every request sent here carries a fresh token (its own, or the SDK's), so it
        must act again; replays of a token go through ``replay`` instead.
        """
        if not outcome.ok:
            return False
        params = dataclasses.replace(request, token=None).params(self.collection)
        key = json.dumps([outcome.operation, params], sort_keys=True)
        earlier = self.untokened_answers.get(key)
        self.untokened_answers[key] = outcome.body or {}
        return earlier is not None and checks.same_response(earlier, outcome.body or {})

    def check_acted_again(self, request: FacesRequest, faces: list[str], *, owned: bool
                          ) -> None:
        """AF-TOKEN-AUTO: the repeat has a fresh token (its own or the SDK's): it acts again."""
        self.settle([request.user_id], "AF-TOKEN-AUTO")
        held = set(_ids(self.list_faces(clause="AF-TOKEN-AUTO", UserId=request.user_id),
                        "FaceId"))
        wrong = [f for f in faces if (f in held) != owned]
        self.ledger.check("AF-TOKEN-AUTO", not wrong,
                          f"a request identical but for its token to an earlier one got the "
                          f"earlier answer but had no effect on {wrong}: two calls were treated "
                          f"as one")

    def send_disassociate(self, request: FacesRequest) -> checks.DisassociateVerdict:
        outcome = self.call("DisassociateFaces", request.params(self.collection))
        stale = self.repeats_an_earlier_answer(request, outcome)
        verdict = checks.judge_disassociate(self.ledger, self.model, request, outcome)
        if stale and verdict.released:
            self.check_acted_again(request, verdict.released, owned=False)
        if verdict.rejected:
            if not verdict.busy:
                self.verify_user(request.user_id, "DF-USER-EXISTS", request.face_ids)
            return verdict
        self.model.disassociate(request.user_id, verdict.released)
        if request.token:
            self._remember_token("DisassociateFaces", request.token,
                                 request.params(self.collection), outcome.body or {},
                                 request.user_id)
        return verdict

    @precondition(lambda self: self.model.faces)
    @rule(data=st.data())
    @records_calls
    def delete_faces(self, data: st.DataObject) -> None:
        owned = self.model.owned_faces()
        unowned = self.model.unowned_faces()
        pools = [p for p in (owned, unowned) if p]
        face_ids = [data.draw(st.sampled_from(data.draw(st.sampled_from(pools))), label="face")
                    for _ in range(data.draw(st.integers(1, 3), label="count"))]
        if data.draw(st.booleans(), label="with absent id"):
            face_ids.append(data.draw(well_formed_face_ids, label="absent"))
        self.remove_faces(face_ids)

    def remove_faces(self, face_ids: list[str]) -> None:
        outcome = self.call("DeleteFaces", {"FaceIds": face_ids})
        gone = checks.judge_delete_faces(self.ledger, self.model, face_ids, outcome)
        self.model.delete_faces(gone)
        if gone:
            listed = self.list_faces(clause="DEL-FACES", FaceIds=gone)
            self.ledger.check("DEL-FACES", not listed,
                              f"deleted faces still listed: {[f.get('FaceId') for f in listed]}")
        for owner in {f.owner for f in self.model.faces.values() if f.face_id in face_ids}:
            if owner:
                self.verify_user(owner, "DEL-OWNED", face_ids)

    # --- the cap -------------------------------------------------------------------------

    @precondition(lambda self: self.model.users and "fill" not in self.heavy_rules_run)
    @rule(data=st.data())
    @records_calls
    def fill_user_near_cap(self, data: st.DataObject) -> None:
        """Reach the hard states on purpose: a user at 98..100, then a request past the cap."""
        self.heavy_rules_run.add("fill")
        user_id = data.draw(st.sampled_from(self.user_ids()), label="user")
        self.fill_user(user_id, data.draw(st.sampled_from([98, 99, 100]), label="fill to"),
                       data.draw(st.integers(1, 3), label="then add"))

    def fill_user(self, user_id: str, fill_to: int, then_add: int) -> None:
        user = self.model.users[user_id]
        persons = sorted(self.model.persons_of(user_id)) or [0]
        # The same bytes are the same person: new faces of a person the user holds match
        # it on any target, so the threshold (0 here anyway) cannot get in the way.
        needed = max(0, fill_to - len(user.faces))
        new = [self.index_face(persons[0]) for _ in range(needed)]
        for start in range(0, len(new), CAP):
            self.send_associate(FacesRequest(user_id, new[start:start + CAP], 0.0))
        self.confirm_state([user_id])
        extra = [self.index_face(persons[0]) for _ in range(then_add)]
        self.send_associate(FacesRequest(user_id, extra, 0.0))
        self.settle([user_id])
        self.blame_state([user_id], "AF-CAP-USER", extra)

    # --- tokens --------------------------------------------------------------------------

    def _remember_token(self, operation: str, token: str, params: dict[str, Any],
                        body: dict[str, Any], user_id: str) -> None:
        without = {"CollectionId": self.collection,
                   **{k: v for k, v in params.items() if k != "ClientRequestToken"}}
        self.model.tokens.append(TokenRecord(operation, token, without, body, user_id))

    REPLAY_CLAUSES = {"AssociateFaces": "AF-TOKEN-REPLAY", "DisassociateFaces": "DF-TOKEN-REPLAY",
                      "CreateUser": "CU-TOKEN-REPLAY", "DeleteUser": "DU-TOKEN-REPLAY"}
    MISMATCH_CLAUSES = {"AssociateFaces": "AF-TOKEN-MISMATCH",
                        "DisassociateFaces": "DF-TOKEN-MISMATCH",
                        "CreateUser": "CU-TOKEN-MISMATCH", "DeleteUser": "DU-TOKEN-MISMATCH"}

    @precondition(lambda self: self.model.tokens)
    @rule(data=st.data())
    @records_calls
    def replay_token(self, data: st.DataObject) -> None:
        self.replay(data.draw(st.sampled_from(self.model.tokens), label="earlier request"))

    def replay(self, record: TokenRecord) -> None:
        """Same token, same parameters: the first response again, and no second effect."""
        clause = self.REPLAY_CLAUSES[record.operation]
        self.confirm_state([record.user_id])
        outcome = self.ctx.driver.call(record.operation,
                                       {**record.params, "ClientRequestToken": record.token})
        self.ledger.check(clause, outcome.ok and checks.same_response(outcome.body or {},
                                                                      record.response),
                          f"replaying {record.operation} with token {record.token} answered "
                          f"{outcome.error or outcome.body}, the first time it answered "
                          f"{record.response}")
        self.verify_user(record.user_id, clause)

    @precondition(lambda self: self.model.tokens)
    @rule(data=st.data())
    @records_calls
    def reuse_token_with_other_parameters(self, data: st.DataObject) -> None:
        record = data.draw(st.sampled_from(self.model.tokens), label="earlier request")
        self.reuse_token(record, change_faces=data.draw(st.booleans(), label="change faces"),
                         other_face=data.draw(well_formed_face_ids, label="other face"))

    def reuse_token(self, record: TokenRecord, *, change_faces: bool, other_face: str,
                    other_user: str | None = None) -> None:
        """Same token, other parameters: IdempotentParameterMismatchException, no effect."""
        clause = self.MISMATCH_CLAUSES[record.operation]
        params = dict(record.params)
        touched = [record.user_id]
        if record.operation in ("CreateUser", "DeleteUser"):
            params["UserId"] = other_user or f"other{self.ctx.next_id()}"
            touched.append(params["UserId"])
        elif change_faces or record.operation == "DisassociateFaces":
            params["FaceIds"] = [*params["FaceIds"], other_face]
        else:
            params["UserMatchThreshold"] = float(params.get("UserMatchThreshold", 75.0)) / 2 + 1
        self.confirm_state(touched)
        outcome = self.ctx.driver.call(record.operation,
                                       {**params, "ClientRequestToken": record.token})
        checks.check_refused(self.ledger, clause, outcome,
                             ("IdempotentParameterMismatchException",),
                             f"{record.operation} reusing token {record.token} with other "
                             f"parameters")
        for user_id in touched:
            self.verify_user(user_id, clause)

    def exercise_basics(self) -> None:
        """Each simple clause once per run, in the order a reader would check them, so a
        broken basic is reported under its own clause before exploration finds its
        consequences."""
        owner, other = (f"basic{self.ctx.next_id()}" for _ in range(2))
        self.add_user(owner)
        self.add_user(other)
        first, second = self.index_face(0), self.index_face(0)
        absent = [str(uuid.UUID(int=n)) for n in (3, 4, 5)]
        self.send_associate(FacesRequest(owner, [first], 0.0))
        self.confirm_state([owner])
        self.send_associate(FacesRequest(owner, [first, second], 0.0))
        self.send_associate(FacesRequest(other, [first, absent[0]], 0.0))
        self.send_disassociate(FacesRequest(other, [first, absent[1]]))
        self.send_disassociate(FacesRequest(owner, [second]))
        self.confirm_state([owner])
        repeated = self.index_face(0)
        self.send_associate(FacesRequest(other, [repeated, repeated], 0.0))
        for kind in UNKNOWN_PROBES:
            self.probe_unknown(kind, absent[2])
        self.create_again(owner)
        self.remove_faces([first, second, absent[2]])
        self.remove_user(owner)

    def exercise_cap(self) -> None:
        """The cap: a request that would cross 100 from 98, then a user at 99 and at 100."""
        user_id = f"cap{self.ctx.next_id()}"
        self.add_user(user_id)
        self.fill_user(user_id, 98, 3)
        self.fill_user(user_id, 99, 2)
        self.fill_user(user_id, 100, 1)

    def exercise_tokens(self) -> None:
        """Every token clause once per run, not by luck: for each of the four operations a
        request with a token, its replay after the state changed, and the token reused
        with other parameters."""
        user_id = f"tokens{self.ctx.next_id()}"
        self.add_user(user_id)
        face_id = self.index_face(0)
        tokens = [f"{self.ctx.resource_prefix}t{self.ctx.next_id()}-scenario" for _ in range(4)]
        self.send_associate(FacesRequest(user_id, [face_id], 0.0, tokens[0]))
        self.send_disassociate(FacesRequest(user_id, [face_id], token=tokens[1]))
        associated, disassociated = self.model.tokens[-2:]
        self.replay(associated)  # the face was released since: it must stay released
        self.reuse_token(associated, change_faces=True, other_face=str(uuid.UUID(int=1)))
        again = FacesRequest(user_id, [face_id], 0.0)
        self.send_associate(again)
        self.replay(disassociated)  # the face is owned again: it must stay owned
        self.reuse_token(disassociated, change_faces=True, other_face=str(uuid.UUID(int=2)))
        # AF-TOKEN-AUTO: the same token-less request twice, with a change between, acts twice.
        self.send_disassociate(FacesRequest(user_id, [face_id]))
        self.send_associate(again)
        other_user = f"tokens{self.ctx.next_id()}"
        self.add_user(other_user, tokens[2])
        created = self.model.tokens[-1]
        self.replay(created)
        self.reuse_token(created, change_faces=False, other_face="")
        self.remove_user(other_user, tokens[3])
        deleted = self.model.tokens[-1]
        self.replay(deleted)
        # Another user that exists: a mismatched DeleteUser must leave it alone.
        self.reuse_token(deleted, change_faces=False, other_face="", other_user=user_id)

    @precondition(lambda self: self.model.tokens)
    @rule(data=st.data())
    @records_calls
    def reuse_token_across_operations(self, data: st.DataObject) -> None:
        """AMB-TOKEN-SCOPE: a token of AssociateFaces sent with DisassociateFaces."""
        records = [r for r in self.model.tokens
                   if r.operation == "AssociateFaces" and r.user_id in self.model.users]
        if not records:
            return
        record = data.draw(st.sampled_from(records), label="earlier request")
        request = FacesRequest(record.user_id, [data.draw(well_formed_face_ids)],
                               token=record.token)
        outcome = self.call("DisassociateFaces", request.params(self.collection))
        if outcome.error == "IdempotentParameterMismatchException":
            self.ledger.observe("AMB-TOKEN-SCOPE", "shared", f"token {record.token}")
            self.verify_user(record.user_id, "AF-TOKEN-MISMATCH")
            return
        self.ledger.observe("AMB-TOKEN-SCOPE", "per-operation", f"token {record.token}")
        verdict = checks.judge_disassociate(self.ledger, self.model, request, outcome)
        self.model.disassociate(request.user_id, verdict.released)

    @precondition(lambda self: self.untokened)
    @rule(data=st.data())
    @records_calls
    def repeat_without_token(self, data: st.DataObject) -> None:
        """AF-TOKEN-AUTO: undo an earlier token-less request, send it again: it acts again."""
        earlier = data.draw(st.sampled_from(self.untokened), label="earlier request")
        self.untokened.remove(earlier)
        user = self.model.users.get(earlier.user_id)
        if user is None:
            return
        back = [f for f in earlier.distinct_faces() if f in user.faces]
        if not back:
            return
        self.send_disassociate(FacesRequest(earlier.user_id, back))
        self.settle([earlier.user_id])
        again = FacesRequest(earlier.user_id, back, 0.0)
        verdict = self.send_associate(again)
        if verdict.rejected:
            return
        self.settle([earlier.user_id])
        faces = set(_ids(self.list_faces(clause="AF-TOKEN-AUTO", UserId=earlier.user_id),
                         "FaceId"))
        self.ledger.check("AF-TOKEN-AUTO", set(verdict.associated) <= faces,
                          f"a second identical token-less request said it associated "
                          f"{verdict.associated} but the user holds "
                          f"{sorted(set(verdict.associated) - faces)} no longer")

    # --- invalid input -------------------------------------------------------------------

    @precondition(lambda self: self.model.users)
    @rule(data=st.data())
    @records_calls
    def send_invalid_input(self, data: st.DataObject) -> None:
        self.send_invalid(data.draw(st.sampled_from(self.user_ids()), label="user"),
                          data.draw(st.sampled_from(INVALID_CASES), label="broken"))

    def send_invalid(self, user_id: str, case: InvalidCase) -> None:
        """AF-INPUT, AF-CAP-REQUEST, AF-THRESHOLD-RANGE: the server rejects, nothing changes.

        The request is otherwise one that would associate an unowned face, so a server
        that lets the broken value through shows it by associating the face.
        """
        candidates = self.model.unowned_faces()[:1] or [self.index_face(0)]
        params: dict[str, Any] = {"CollectionId": self.collection, "UserId": user_id,
                                  "FaceIds": list(candidates), "UserMatchThreshold": 0.0}
        if case.member == "FaceIds":
            count = int(case.value)
            extra = [str(uuid.UUID(int=i + 1)) for i in range(max(0, count - 1))]
            params["FaceIds"] = [*candidates, *extra][:count]
        elif case.member == "FaceId":
            params["FaceIds"] = [*candidates, case.value]
        elif case.member == "CollectionId":
            params["CollectionId"] = f"{self.ctx.resource_prefix}{case.value}"
        else:
            params[case.member] = case.value
        outcome = self.ctx.driver.call("AssociateFaces", params, raw_client=True)
        checks.check_validation_error(self.ledger, case.clause, outcome,
                                      f"AssociateFaces with {case.member} {case.what}")
        self.verify_user(user_id, case.clause, candidates)
        listed = self.list_faces(clause=case.clause, FaceIds=candidates)
        owners = [f.get("UserId") for f in listed if f.get("UserId")]
        self.ledger.check(case.clause, not owners,
                          f"the rejected request still associated {candidates} to {owners}")

    def exercise_invalid_input(self) -> None:
        """Every invalid value once per run, each sent for an existing user."""
        user_id = f"invalid{self.ctx.next_id()}"
        self.add_user(user_id)
        for case in INVALID_CASES:
            self.send_invalid(user_id, case)

    # --- concurrency ---------------------------------------------------------------------

    def _race(self, requests: list[FacesRequest]) -> list[Outcome]:
        barrier = threading.Barrier(len(requests))
        results: list[Outcome | BaseException | None] = [None] * len(requests)

        def send(i: int) -> None:
            try:
                barrier.wait(timeout=10)
                results[i] = self.call("AssociateFaces", requests[i].params(self.collection))
            except BaseException as exc:  # re-raised in the caller's thread
                results[i] = exc

        threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        for r in results:
            if isinstance(r, BaseException):
                raise r
        return [r for r in results if isinstance(r, Outcome)]

    @precondition(lambda self: self.ctx.concurrency and len(self.model.users) >= 2)
    @rule(data=st.data())
    @records_calls
    def race_for_one_face(self, data: st.DataObject) -> None:
        """CONC: one unowned face sent to two users at once gets at most one owner."""
        first, second = data.draw(st.lists(st.sampled_from(self.user_ids()), min_size=2,
                                           max_size=2, unique=True), label="users")
        face_id = self.index_face(data.draw(st.integers(0, self.ctx.images.persons - 1)))
        outcomes = self._race([FacesRequest(first, [face_id], 0.0),
                               FacesRequest(second, [face_id], 0.0)])
        claims = [u for u, o in zip((first, second), outcomes, strict=True)
                  if o.ok and face_id in [e.get("FaceId") for e in
                                          (o.body or {}).get("AssociatedFaces") or []]]
        self.ledger.check("CONC", len(claims) <= 1,
                          f"two concurrent requests both associated face {face_id}: {claims}")
        winner = claims[0] if claims else None
        if winner:
            self.model.associate(winner, [face_id])
        self.settle([first, second])
        listed = self.list_faces(clause="CONC", FaceIds=[face_id])
        owner = listed[0].get("UserId") if listed else None
        self.ledger.check("CONC", owner == winner,
                          f"face {face_id} is owned by {owner!r} but the responses said "
                          f"{winner or 'nobody'} took it")
        if winner:
            # Which user won is up to the target's scheduling: put the face back, and let
            # both users settle, so the state, and so what later rules draw (remembered
            # confidences depend on which users are settled), does not depend on it.
            self.send_disassociate(FacesRequest(winner, [face_id]))
            self.settle([first, second])
        self.ledger.reached("race-one-face")

    @precondition(lambda self: self.ctx.concurrency and self.model.users
                  and "race" not in self.heavy_rules_run)
    @rule(data=st.data())
    @records_calls
    def race_to_the_cap(self, data: st.DataObject) -> None:
        """CONC: two requests at once for a user at 98 never take it past 100."""
        self.heavy_rules_run.add("race")
        user_id = data.draw(st.sampled_from(self.user_ids()), label="user")
        person = (sorted(self.model.persons_of(user_id)) or [0])[0]
        needed = max(0, CAP - 2 - len(self.model.users[user_id].faces))
        fill = [self.index_face(person) for _ in range(needed)]
        for start in range(0, len(fill), CAP):
            self.send_associate(FacesRequest(user_id, fill[start:start + CAP], 0.0))
        self.settle([user_id])
        batches = [[self.index_face(person) for _ in range(2)] for _ in range(2)]
        outcomes = self._race([FacesRequest(user_id, b, 0.0) for b in batches])
        claimed = {str(e.get("FaceId")) for o in outcomes if o.ok
                   for e in (o.body or {}).get("AssociatedFaces") or []}
        self.settle([user_id])
        listed = set(_ids(self.list_faces(clause="CONC", UserId=user_id), "FaceId"))
        self.ledger.check("CONC", len(listed) <= CAP,
                          f"after two concurrent requests user {user_id!r} holds {len(listed)} "
                          f"faces")
        new = listed & {f for b in batches for f in b}
        self.ledger.check("CONC", new == claimed,
                          f"the responses claimed {sorted(claimed)} but the user holds "
                          f"{sorted(new)} of the raced faces")
        raced = [f for b in batches for f in b if f in new]
        self.model.associate(user_id, raced)
        self.ledger.reached("race-to-cap")
        if raced:  # which batch won is the target's scheduling: undo it (see race_for_one_face)
            self.send_disassociate(FacesRequest(user_id, raced))
            self.settle([user_id])

    # --- listings --------------------------------------------------------------------------

    @rule(page_size=st.sampled_from([1, 2, 3, None]))
    @records_calls
    def compare_listings(self, page_size: int | None) -> None:
        self.check_state(page_size)

    def check_state(self, page_size: int | None) -> None:
        """LIST-FACES, LIST-USERS: the listings, page by page, are the model."""
        self.settle()
        faces = self.list_faces(page_size)
        ids = _ids(faces, "FaceId")
        self.ledger.check("LIST-FACES", len(ids) == len(set(ids)),
                          f"ListFaces lists some faces twice (page size {page_size})")
        self.ledger.check("LIST-FACES", set(ids) == set(self.model.faces),
                          f"ListFaces (page size {page_size}) lists {len(set(ids))} faces, the "
                          f"collection has {len(self.model.faces)}: missing "
                          f"{sorted(set(self.model.faces) - set(ids))[:5]}, extra "
                          f"{sorted(set(ids) - set(self.model.faces))[:5]}")
        wrong_owner = [f for f in faces if f.get("UserId") != self.model.faces[f["FaceId"]].owner]
        if wrong_owner:
            # Confirmed by ListFaces(UserId) too, it is the state that is wrong, not the listing.
            self.blame_state(self.user_ids(), None)
        for face in wrong_owner:
            expected = self.model.faces[face["FaceId"]].owner
            self.ledger.check("LIST-FACES", False,
                              f"face {face['FaceId']} lists UserId {face.get('UserId')!r}, "
                              f"expected {expected!r}")
        for user_id in self.user_ids()[:3]:
            listed = _ids(self.list_faces(page_size, UserId=user_id), "FaceId")
            expected_faces = self.model.users[user_id].faces
            self.ledger.check("LIST-FACES", sorted(listed) == sorted(expected_faces),
                              f"ListFaces(UserId={user_id!r}, page size {page_size}) lists "
                              f"{len(listed)} faces, expected {len(expected_faces)}")
        users = self.list_users(page_size)
        user_ids = _ids(users, "UserId")
        self.ledger.check("LIST-USERS", sorted(user_ids) == self.user_ids(),
                          f"ListUsers (page size {page_size}) lists {user_ids}, expected "
                          f"{self.user_ids()}")
        for listed_user in users:
            options = self.model.settled_status_options(str(listed_user.get("UserId")))
            self.ledger.check("AF-STATUS", listed_user.get("UserStatus") in options,
                              f"settled user {listed_user.get('UserId')!r} lists as "
                              f"{listed_user.get('UserStatus')!r}, expected one of "
                              f"{sorted(options)}")

    def teardown(self) -> None:
        try:
            if not self.failed:
                records_calls(ConformanceMachine.check_state)(self, None)
        finally:
            error = self.ctx.driver.delete_collection(self.collection)
            if error:
                self.ctx.driver.cleanup_errors.append(error)


def _ids(items: list[dict[str, Any]], key: str) -> list[str]:
    return [str(item.get(key)) for item in items]


def _statuses(users: list[dict[str, Any]]) -> dict[str, str]:
    return {str(u.get("UserId")): str(u.get("UserStatus")) for u in users}


def machine_for(ctx: RunContext) -> type[ConformanceMachine]:
    """A machine class bound to one run's context (Hypothesis instantiates it with no args)."""
    return type("ConformanceMachine", (ConformanceMachine,), {"ctx": ctx})
