"""Holding the state to the model: settling, blaming, and the listings checked.

State-level departures show here. A wrong listing is often only the symptom of
a wrong change earlier (a face that was not really associated leaves its user
CREATED): ``blame_state`` names the change at fault, not the symptom.
"""

from __future__ import annotations

from typing import Any

from conformance.clauses import A, C
from conformance.driver import poll
from conformance.harness.base import ids, statuses
from conformance.harness.reread import Rereading
from conformance.needs import Need, NeedBroken


class Observing(Rereading):
    """Settling, blaming a wrong state on its change, and the listings held to the model."""

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
