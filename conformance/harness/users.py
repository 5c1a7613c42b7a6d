"""CreateUser, DeleteUser, and the requests on users and collections that do not exist."""

from __future__ import annotations

import time
from typing import Any

from conformance import checks
from conformance.checks import FacesRequest
from conformance.clauses import A, C
from conformance.driver import Outcome, poll
from conformance.harness.base import statuses
from conformance.harness.faces import FaceOperations
from conformance.spec import (
    BAD_TOKENS,
    BAD_USER_IDS,
    BUSY_CODE,
    NOWHERE_MATCHED,
    SEARCH_MATCHED,
)

# The requests on something that does not exist, one per clause that says what follows.
UNKNOWN_PROBES = ("associate", "collection", "disassociate", "delete")


class UserOperations(FaceOperations):
    def add_user(self, user_id: str, token: str | None = None) -> None:
        """CU-CREATED: CreateUser answers {} and the new user lists as CREATED."""
        self.users_made += 1
        params: dict[str, Any] = {"UserId": user_id}
        if token:
            params["ClientRequestToken"] = token
        outcome = self.call("CreateUser", params)
        deleted_at = self.deleted_at.get(user_id)
        if (outcome.error == BUSY_CODE and deleted_at is not None
                and time.monotonic() - deleted_at < self.ctx.settle_timeout):
            outcome = self._create_after_deletion(user_id, params)
            token = params.get("ClientRequestToken")
        self.ledger.check(C.CU_CREATED, outcome.ok,
                          f"CreateUser {user_id!r} was refused: {outcome.error}: {outcome.message}")
        body = checks.check_schema(self.ledger, C.SCHEMA, outcome)
        self.ledger.check(C.CU_CREATED, body == {}, f"CreateUser answered {body}, expected {{}}")
        self.model.create_user(user_id)
        if self.ctx.frugal and (self.ledger.case or ("",))[0] != C.CU_CREATED:
            # Live: the listing is CU-CREATED's own check's; the next listing of the user
            # (a settle, a check of the listing) holds its status to CREATED as well.
            return self._remember_created(user_id, token, params, body)
        status = statuses(self.list_users(clause=C.CU_CREATED)).get(user_id)
        self.ledger.check(C.CU_CREATED, status in ("CREATED", "CREATING"),
                          f"new user {user_id!r} lists as {status!r}, expected CREATED")
        self._remember_created(user_id, token, params, body)

    def _remember_created(self, user_id: str, token: str | None, params: dict[str, Any],
                          body: dict[str, Any]) -> None:
        if token:
            self.remember_token("CreateUser", token, params, body, user_id)

    def _create_after_deletion(self, user_id: str, params: dict[str, Any]) -> Outcome:
        """AMB-DU-SETTLE "eventual": the id of a user deleted less than the settle timeout
        ago may still be taken (M.DU.2). CreateUser is sent again until it is free, each
        time with a fresh token (a target may remember the refusal under the first)."""
        answers: list[Outcome] = []

        def created() -> bool:
            if "ClientRequestToken" in params:
                params["ClientRequestToken"] = self.new_token("again")
            answers.append(self.call("CreateUser", params))
            return answers[-1].error != BUSY_CODE

        left = self.deleted_at[user_id] + self.ctx.settle_timeout - time.monotonic()
        if poll(created, left) and answers[-1].ok:
            self.ledger.observe(A.AMB_DU_SETTLE, "eventual",
                                f"CreateUser {user_id!r} refused ConflictException just after "
                                f"DeleteUser, then accepted")
        return answers[-1]

    def create_again(self, user_id: str) -> None:
        """CU-CONFLICT: CreateUser of an existing user is refused and changes nothing."""
        self.confirm_state([user_id])
        outcome = self.call("CreateUser", {"UserId": user_id})
        checks.check_refused(self.ledger, C.CU_CONFLICT, outcome, ("ConflictException",),
                             f"CreateUser of existing user {user_id!r}")
        self.verify_user(user_id, C.CU_CONFLICT)

    def remove_user(self, user_id: str, token: str | None = None) -> None:
        """DU-RELEASE: the user is gone and its faces belong to no one."""
        params: dict[str, Any] = {"UserId": user_id}
        if token:
            params["ClientRequestToken"] = token
        outcome = self.call("DeleteUser", params)
        if outcome.error == BUSY_CODE and self.model.users[user_id].settling:
            # Busy (AMB-BUSY): the user's faces are its own, so both readings agree and
            # nothing is recorded. Once more, settled, as for the other operations.
            self.settle([user_id])
            if "ClientRequestToken" in params:
                params["ClientRequestToken"] = token = self.new_token("busy")
            outcome = self.call("DeleteUser", params)
            if outcome.error == BUSY_CODE:
                return
        self.ledger.check(C.DU_RELEASE, outcome.ok,
                          f"DeleteUser {user_id!r} was refused: {outcome.error}: {outcome.message}")
        body = checks.check_schema(self.ledger, C.SCHEMA, outcome)
        released = self.model.faces_of(user_id)
        self.deleted_persons += [(user_id, self.model.faces[f].person) for f in released]
        self.model.delete_user(user_id)
        self.deleted_user_ids.append(user_id)
        self.deleted_at[user_id] = time.monotonic()
        if token:
            self.remember_token("DeleteUser", token, params, body, user_id)
        self.await_deletion(user_id, released)

    def await_deletion(self, user_id: str, released: list[str]) -> None:
        """DU-RELEASE: the user no longer lists and its faces name no user, at once
        (AMB-DU-SETTLE "immediate") or within the settle timeout ("eventual": M.DU.2, its
        faces are disassociated first, which takes time, S0.15)."""
        problems: list[str] = []

        def gone() -> bool:
            problems.clear()
            if user_id in {u.get("UserId") for u in self.list_users(clause=C.DU_RELEASE)}:
                problems.append(f"user {user_id!r} must not exist, but ListUsers shows it")
            listed = self.list_faces(clause=C.DU_RELEASE, FaceIds=released) if released else []
            owners = self.owners_of(listed, clause=C.DU_RELEASE) if listed else {}
            still_owned = [f for f, owner in owners.items() if owner]
            if still_owned:
                problems.append(f"faces {still_owned} still name a user after DeleteUser "
                                f"{user_id!r}")
            return not problems

        if gone():
            self.ledger.observe(A.AMB_DU_SETTLE, "immediate", f"DeleteUser {user_id!r}")
            return
        # A known deviation of this clause cannot be waited out: one look is enough.
        timeout = 0.0 if C.DU_RELEASE in self.ledger.known else self.ctx.settle_timeout
        if poll(gone, timeout):
            self.ledger.observe(A.AMB_DU_SETTLE, "eventual", f"DeleteUser {user_id!r}")
            return
        self.ledger.check(C.DU_RELEASE, False, f"{'; '.join(problems)} (after the settle "
                          f"timeout of {timeout} s)")

    def create_invalid_users(self) -> None:
        """CU-INPUT: CreateUser with a UserId or ClientRequestToken the model rules out is
        refused with a validation error and creates no user.

        A UserId that holds a match of the model's unanchored pattern ("bad user!") may be
        taken as valid (AMB-PATTERN-ANCHOR "search", which AF-INPUT's probes record), so it
        is sent only where that ambiguity is pinned to "full-match". One in which the
        pattern is found nowhere ("!!!") is refused by every reading: it is always sent."""
        anchored = self.ledger.allowed(A.AMB_PATTERN_ANCHOR) == ("full-match",)
        user_ids = [(v, w) for v, w in BAD_USER_IDS if anchored or v not in SEARCH_MATCHED]
        tokens = list(BAD_TOKENS)
        if self.ctx.frugal:
            # Live, for the call budget: of UserId its length and its pattern (the value no
            # reading takes); of the token its pattern (anchored: no reading takes it).
            user_ids = [v for v in user_ids if len(v[0]) > 128 or v[0] == NOWHERE_MATCHED]
            tokens = tokens[:1]
        for value, what in user_ids:
            self._create_invalid({"UserId": value}, f"UserId {what}")
        for value, what in tokens:
            self._create_invalid({"UserId": self.new_user_id("badtoken"),
                                  "ClientRequestToken": value}, f"ClientRequestToken {what}")
        listed = {str(u.get("UserId")) for u in self.list_users(clause=C.CU_INPUT)}
        created = sorted(u for u in listed if u not in self.model.users)
        self.ledger.check(C.CU_INPUT, not created,
                          f"rejected CreateUser requests still created users {created}")

    def _create_invalid(self, params: dict[str, Any], what: str) -> None:
        outcome = self.call("CreateUser", params, raw_client=True)
        checks.check_validation_error(self.ledger, C.CU_INPUT, outcome, f"CreateUser with {what}")

    def probe_unknown(self, kind: str, absent_face: str) -> None:
        """AF-USER-EXISTS, AF-COLL-EXISTS, DF-USER-EXISTS, DU-NOT-FOUND: refused, no effect."""
        user_id = self.new_user_id("nobody")
        if kind == "associate":
            faces = self.model.unowned_faces()[:2] or [absent_face]
            request = FacesRequest(user_id, faces, 0.0)
            outcome = self.call("AssociateFaces", request.params(self.collection))
            checks.judge_associate(self.ledger, self.model, request, outcome)
            self.verify_user(user_id, C.AF_USER_EXISTS)
        elif kind == "collection":
            missing = f"{self.ctx.resource_prefix}missing{self.ctx.next_id()}"
            outcome = self.call("AssociateFaces", {
                "CollectionId": missing, "UserId": "u0", "FaceIds": [absent_face]})
            checks.check_refused(self.ledger, C.AF_COLL_EXISTS, outcome,
                                 ("ResourceNotFoundException",),
                                 f"AssociateFaces on unknown collection {missing!r}")
        elif kind == "disassociate":
            self.send_disassociate(FacesRequest(user_id, [absent_face]))
        else:
            outcome = self.call("DeleteUser", {"UserId": user_id})
            checks.check_refused(self.ledger, C.DU_NOT_FOUND, outcome,
                                 ("ResourceNotFoundException",),
                                 f"DeleteUser of unknown user {user_id!r}")
