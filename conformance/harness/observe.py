"""Observing the target: paged listings, settling, and holding the state to the model.

State-level departures show here. A wrong listing is often only the symptom of
a wrong change earlier (a face that was not really associated leaves its user
CREATED): ``blame_state`` names the change at fault, not the symptom.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from conformance import checks
from conformance.clauses import A, C
from conformance.driver import Outcome, poll
from conformance.harness.base import HarnessBase, RunContext, ids, statuses
from conformance.needs import Need, NeedBroken

_MAX_PAGES = 1000
# The operations that change state, and the prefix of their clauses.
_CHANGES = {"AssociateFaces": "AF-", "DisassociateFaces": "DF-", "CreateUser": "CU-",
            "DeleteUser": "DU-", "DeleteFaces": "DEL-"}


class SetupDeviated(Exception):
    """A directed check's set-up did not leave the state it needs, because of known
    deviations under other clauses: the check is blocked by them. Raised too where a
    listing cannot be read (``_paginate``): what needed it is blocked by the listing's
    deviation, and a step of exploration stops there (``machine``)."""

    def __init__(self, clauses: list[str]) -> None:
        super().__init__(", ".join(clauses))
        self.clauses = clauses


class OutcomeUnknown(Exception):
    """A request that changes state may have taken effect zero, one or several times (the
    client sent it again after a connection failed): nothing can be judged on it. The
    driver drops what it was doing; the harness re-reads the state before its next call."""

    def __init__(self, operation: str) -> None:
        super().__init__(f"the outcome of {operation} is unknown: a connection failed and "
                         "the client sent it again")
        self.operation = operation


class Observing(HarnessBase):
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

    def _read_all(self, operation: str, key: str, params: dict[str, Any] | None = None
                  ) -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = []
        token: str | None = None
        for _ in range(_MAX_PAGES):
            outcome = self.call(operation, {**(params or {}), **({"NextToken": token}
                                                                  if token else {})})
            body = outcome.body or {}
            if not outcome.ok or checks.listing_problem(outcome, key):
                return None  # the listing cannot be read: the model stays as it is
            items.extend(body.get(key) or [])
            token = body.get("NextToken")
            if not token:
                return items
        return None

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

    def list_users(self, page_size: int | None = None, clause: C = C.LIST_USERS
                   ) -> list[dict[str, Any]]:
        return self._paginate("ListUsers", {}, "Users", page_size, clause)

    def list_faces(self, page_size: int | None = None, clause: C = C.LIST_FACES,
                   **params: Any) -> list[dict[str, Any]]:
        faces = self._paginate("ListFaces", params, "Faces", page_size, clause)
        user_id = params.get("UserId")
        self._observe_face_user_ids(faces, user_id)
        if user_id is not None:
            # A face without UserId is a stranger only where the target names owners there.
            named = self.face_user_id_reading() == "listed"
            strangers = [f for f in faces
                         if (f.get("UserId") or None) != user_id and (f.get("UserId") or named)]
            self.ledger.check(C.LIST_FACES, not strangers,
                              f"ListFaces(UserId={user_id!r}) lists faces that name another "
                              f"user or none: {[f.get('FaceId') for f in strangers][:5]}",
                              # the filter at fault, not the state: no re-read needed
                              doubts_state=False)
            # A known deviation of the filter: the faces it let through are not the user's,
            # and must not be blamed on whatever is being checked.
            faces = [f for f in faces if f not in strangers]
        return faces

    # --- who owns a face (AMB-FACE-USERID) ----------------------------------------------

    def face_user_id_reading(self) -> str | None:
        """The reading of AMB-FACE-USERID this target showed so far, if any."""
        seen = self.ledger.readings.get(A.AMB_FACE_USERID)
        if seen and seen["listed"]:
            return "listed"
        return "filter-only" if seen and seen["filter-only"] else None

    def _observe_face_user_ids(self, faces: list[dict[str, Any]], user_id: str | None) -> None:
        """``listed``: a face names its owner. ``filter-only``: ListFaces(UserId) lists a face
        the user holds, without naming it; a target that names owners never does that."""
        if any(f.get("UserId") for f in faces):
            self.ledger.observe(A.AMB_FACE_USERID, "listed", "ListFaces names a face's UserId")
            return
        user = self.model.users.get(user_id) if user_id is not None else None
        held = [f.get("FaceId") for f in faces if user and f.get("FaceId") in user.faces]
        if held:
            self.ledger.observe(A.AMB_FACE_USERID, "filter-only",
                                f"ListFaces(UserId={user_id!r}) lists {held[0]} without UserId")

    def owners_of(self, faces: list[dict[str, Any]], users: Iterable[str] | None = None,
                  clause: C = C.LIST_FACES,
                  read: Callable[[str], list[dict[str, Any]]] | None = None
                  ) -> dict[str, str | None]:
        """The owner of each listed face, as the target says (AMB-FACE-USERID).

        From Face.UserId when the target names owners there; else (M.LF.4: the member is
        optional) from ListFaces(UserId=u) for each of ``users``, read with ``read`` (a
        judged ListFaces under ``clause`` by default). By default the users are the model's,
        the owners it gives faces and the users deleted, which a deviation may leave owning.
        """
        owners = {str(f.get("FaceId")): f.get("UserId") or None for f in faces}
        if not owners or any(owners.values()) or self.face_user_id_reading() == "listed":
            return owners
        if read is None:
            def read(u: str) -> list[dict[str, Any]]:
                if u in self.model.users:
                    return self.list_faces(clause=clause, UserId=u)
                # M.LF.2 leaves the answer for an unknown user open (an empty list or
                # ResourceNotFoundException): either says it owns nothing.
                return self._read_all("ListFaces", "Faces", {"UserId": u}) or []
        if users is None:
            users = sorted({*self.user_ids(), *self.deleted_user_ids,
                            *(f.owner for f in self.model.faces.values() if f.owner)})
        for user_id in users:
            for face in read(user_id):
                if str(face.get("FaceId")) in owners:
                    owners[str(face.get("FaceId"))] = user_id
        return owners

    def _paginate(self, operation: str, params: dict[str, Any], key: str,
                  page_size: int | None, clause: C) -> list[dict[str, Any]]:
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
            body = checks.check_schema(self.ledger, C.SCHEMA, outcome)
            problem = checks.listing_problem(outcome, key)
            if problem:
                # Its types were the schema's to judge, just now: a knock-on of SCHEMA here.
                # A face or user listed without its id is the listing's own deviation.
                culprit, what = problem
                self.ledger.check(culprit, False, f"{operation} {request}: {what}")
                raise SetupDeviated([culprit])
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

    def settle(self, user_ids: list[str] | None = None, clause: C | None = None,
               touched: list[str] | None = None) -> None:
        """AF-STATUS: every changed user becomes ACTIVE (or CREATED) within the settle timeout.

        A wrong status is often only the symptom of a wrong state: ``blame_state``
        looks for that first, and blames ``clause`` (or the face's last change)
        rather than AF-STATUS.

        A wait that times out is one finding, and breaks ``Need.SETTLES`` (``_unsettled``).
        From then on no settle on this target waits: it looks once, and users not settled
        at that look stop the case or step (``NeedBroken``), blocked by the clause whose
        wait timed out, with no new finding. Every wait would otherwise cost the whole
        timeout again, and a never-settling target would take a wait per check.
        """
        waiting = [u for u in (user_ids if user_ids is not None else self.user_ids())
                   if u in self.model.users and self.model.users[u].settling]
        if not waiting:
            return
        last: dict[str, Any] = {}
        polls = 0

        def all_settled() -> bool:
            nonlocal polls
            polls += 1
            listed = statuses(self.list_users(clause=C.AF_STATUS))
            last.update(listed)
            for user_id in waiting:
                status = listed.get(user_id)
                if status not in self.model.status_options(user_id):
                    self.blame_state([user_id], clause, touched)
                    self.ledger.check(self.status_clause(user_id), False,
                                      f"user {user_id!r} lists as {status!r}; expected one of "
                                      f"{sorted(self.model.status_options(user_id))}",
                                      self.model.explained_by(user_id))
                    return True  # a known deviation, tolerated: waiting cannot mend it
            return all(listed.get(u) in self.model.settled_status_options(u) for u in waiting)

        broken = self.ctx.broken.get(Need.SETTLES)
        if broken is None:
            settled = poll(all_settled, self.ctx.settle_timeout, **self.ctx.poll_delays())
        else:
            settled = all_settled()  # one look, no wait: this target was seen not to settle
        self.ctx.settling_seen = self.ctx.settling_seen or polls > 1
        if settled:
            self.ledger.check(C.AF_STATUS, True, "")
        elif broken is not None:
            raise NeedBroken(broken)
        else:
            self.blame_state(waiting, clause, touched)
            self._unsettled(waiting, last)
        for user_id in waiting:
            user = self.model.users[user_id]
            if user.had_face and not user.faces:
                self.ledger.observe(A.AMB_EMPTY_AGAIN, str(last.get(user_id)),
                                    f"user {user_id!r} after all its faces left")
            user.settling = False
        self.ledger.reached("settled")

    def _unsettled(self, waiting: list[str], last: dict[str, Any]) -> None:
        """The users still in a transitional status after the settle timeout fail their
        status clause: CU-CREATED for a user still CREATING, AF-STATUS after a change."""
        late = [u for u in waiting
                if last.get(u) not in self.model.settled_status_options(u)] or waiting
        for judged in sorted({self.status_clause(u) for u in late}):
            users = [u for u in late if self.status_clause(u) == judged]
            explained = frozenset().union(*(self.model.explained_by(u) for u in users))
            # Recorded before the check raises: no later settle on this target waits, and
            # the cases that need a settled user are blocked by the clause whose finding
            # this is (a known deviation's, when one explains the status).
            self.ctx.break_need(Need.SETTLES, min(explained - {judged}, default=judged),
                                f"a user still lists as {last.get(users[0])!r} after the "
                                f"settle timeout of {self.ctx.settle_timeout:g} s")
            self.ledger.check(judged, False,
                              f"users {[(u, last.get(u)) for u in users]} did not settle "
                              f"within the settle timeout of {self.ctx.settle_timeout} s",
                              explained)

    def status_clause(self, user_id: str) -> C:
        """A user that never held a face lists as CREATED: CreateUser's clause says so.
        After a change, what it lists as is AF-STATUS's."""
        user = self.model.users.get(user_id)
        return C.AF_STATUS if user is not None and user.had_face else C.CU_CREATED

    def blame_state(self, user_ids: list[str], clause: C | None = None,
                    touched: list[str] | None = None) -> None:
        """The users' faces by ListFaces are what the model says, or a clause fails.

        A difference in the faces the last request named (``touched``; all faces when
        None) is that request's, and fails ``clause``. Any other difference was there
        before it, and fails the clause of the change that last moved those faces.
        """
        for user_id in user_ids:
            if user_id not in self.model.users:
                continue
            listed = set(ids(self.list_faces(UserId=user_id), "FaceId"))
            user = self.model.users.get(user_id)
            if user is None:
                continue  # gone from the state the listing first read back (a knock-on)
            expected = user.faces
            difference = listed ^ expected
            ours = difference if touched is None else difference & set(touched)
            culprit = clause if clause and (ours or not difference) else \
                self.model.cause_of(difference)
            self.ledger.check(culprit, not difference,
                              f"user {user_id!r} holds {len(listed)} faces by ListFaces, "
                              f"expected {len(expected)}: extra {sorted(listed - expected)[:5]}, "
                              f"missing {sorted(expected - listed)[:5]}",
                              self.model.made_by(difference, self.ledger.known))

    def confirm_state(self, user_ids: list[str]) -> None:
        """Before a request whose lack of effect will be checked: the state is as modelled."""
        self.settle(user_ids)
        self.blame_state(user_ids)

    def verify_user(self, user_id: str, clause: C, touched: list[str] | None = None) -> None:
        """After a request that must have had no effect on the user (or that must have
        removed it): the user is exactly as the model says."""
        if user_id not in self.model.users:
            listed = {u.get("UserId") for u in self.list_users(clause=clause)}
            self.ledger.check(clause, user_id not in listed,
                              f"user {user_id!r} must not exist, but ListUsers shows it")
            return
        self.settle([user_id], clause, touched)
        self.blame_state([user_id], clause, touched)

    def check_state(self, page_size: int | None) -> None:
        """LIST-FACES, LIST-USERS: the listings, page by page, are the model."""
        self.settle()
        self.check_face_listing(page_size)
        for user_id in self.user_ids()[:3]:
            self.check_user_faces(user_id, page_size)
        self.check_user_listing(page_size)

    def check_face_listing(self, page_size: int | None) -> None:
        """LIST-FACES: ListFaces names every face of the collection once, with its owner."""
        faces = self.list_faces(page_size)
        face_ids = ids(faces, "FaceId")
        self.ledger.check(C.LIST_FACES, len(face_ids) == len(set(face_ids)),
                          f"ListFaces lists some faces twice (page size {page_size})")
        missing_or_extra = set(face_ids) ^ set(self.model.faces)
        self.ledger.check(C.LIST_FACES, not missing_or_extra,
                          f"ListFaces (page size {page_size}) lists {len(set(face_ids))} faces, "
                          f"the collection has {len(self.model.faces)}: missing "
                          f"{sorted(set(self.model.faces) - set(face_ids))[:5]}, extra "
                          f"{sorted(set(face_ids) - set(self.model.faces))[:5]}",
                          self.model.made_by(missing_or_extra, self.ledger.known))
        owners = self.owners_of(faces)
        wrong_owner = [f for f, owner in owners.items() if f in self.model.faces
                       and owner != self.model.faces[f].owner]
        if wrong_owner:
            # Confirmed by ListFaces(UserId) too, it is the state that is wrong, not the listing.
            self.blame_state(self.user_ids(), None)
        for face_id in wrong_owner:
            expected = self.model.faces[face_id].owner
            self.ledger.check(C.LIST_FACES, False,
                              f"face {face_id} is owned by {owners[face_id]!r} by ListFaces, "
                              f"expected {expected!r}",
                              self.model.made_by([face_id], self.ledger.known))

    def check_user_faces(self, user_id: str, page_size: int | None) -> None:
        """LIST-FACES: ListFaces(UserId) names exactly the user's faces."""
        listed = ids(self.list_faces(page_size, UserId=user_id), "FaceId")
        expected_faces = self.model.users[user_id].faces
        # A face left naming an earlier user of this id (DU-RELEASE) is that deviation's.
        differing = set(listed) ^ set(expected_faces)
        self.ledger.check(C.LIST_FACES, sorted(listed) == sorted(expected_faces),
                          f"ListFaces(UserId={user_id!r}, page size {page_size}) lists "
                          f"{len(listed)} faces, expected {len(expected_faces)}",
                          self.model.explained_by(user_id)
                          | self.model.made_by(differing, self.ledger.known))

    def check_user_listing(self, page_size: int | None) -> None:
        """LIST-USERS: ListUsers names every user once, each with a status it may show now:
        a settled user a settled status; a user not yet seen settled may still be in a
        transitional one (CREATING after CreateUser, UPDATING after a change)."""
        users = self.list_users(page_size)
        user_ids = ids(users, "UserId")
        self.ledger.check(C.LIST_USERS, sorted(user_ids) == self.user_ids(),
                          f"ListUsers (page size {page_size}) lists {user_ids}, expected "
                          f"{self.user_ids()}")
        for listed_user in users:
            if str(listed_user.get("UserId")) not in self.model.users:
                continue  # already reported above
            user_id = str(listed_user.get("UserId"))
            options = self.model.status_options(user_id)
            settled = "settling" if self.model.users[user_id].settling else "settled"
            self.ledger.check(self.status_clause(user_id),
                              listed_user.get("UserStatus") in options,
                              f"{settled} user {user_id!r} lists as "
                              f"{listed_user.get('UserStatus')!r}, expected one of "
                              f"{sorted(options)}", self.model.explained_by(user_id))
