"""ClientRequestToken: replays, reuse with other parameters, and requests without a token."""

from __future__ import annotations

from conformance import checks
from conformance.checks import FacesRequest
from conformance.clauses import REPLAY_GONE, TOKEN_MISMATCH, A, C
from conformance.harness.base import ids
from conformance.harness.users import UserOperations
from conformance.model import TokenRecord
from conformance.spec import DEFAULT_USER_MATCH_THRESHOLD

REPLAY_CLAUSES = {"AssociateFaces": C.AF_TOKEN_REPLAY, "DisassociateFaces": C.DF_TOKEN_REPLAY,
                  "CreateUser": C.CU_TOKEN_REPLAY, "DeleteUser": C.DU_TOKEN_REPLAY}
MISMATCH_CLAUSES = {"AssociateFaces": C.AF_TOKEN_MISMATCH,
                    "DisassociateFaces": C.DF_TOKEN_MISMATCH,
                    "CreateUser": C.CU_TOKEN_MISMATCH, "DeleteUser": C.DU_TOKEN_MISMATCH}


NOT_FOUND = "ResourceNotFoundException"
MISMATCH = "IdempotentParameterMismatchException"


class TokenOperations(UserOperations):
    def replay(self, record: TokenRecord) -> None:
        """Same token, same parameters: the first response again, and no second effect.

        If the user the request names is gone, ResourceNotFoundException is a legal
        answer too (AMB-*-REPLAY-GONE): M.DU.3, M.DF.2 against S0.24."""
        clause = REPLAY_CLAUSES[record.operation]
        self.confirm_state([record.user_id])
        outcome = self.call(record.operation,
                            {**record.params, "ClientRequestToken": record.token})
        first = outcome.ok and checks.same_response(outcome.body or {}, record.response)
        gone = self._gone(record.operation, record.user_id)
        not_found = gone is not None and outcome.error == NOT_FOUND
        self.ledger.check(clause, first or not_found,
                          f"replaying {record.operation} with token {record.token} answered "
                          f"{outcome.error or outcome.body}, the first time it answered "
                          f"{record.response}" + (f" (or {NOT_FOUND}: user "
                                                  f"{record.user_id!r} is gone)" if gone else ""))
        if gone is not None:
            self.ledger.observe(gone, "not-found" if not_found else "first-response",
                                f"{record.operation} token {record.token} replayed after user "
                                f"{record.user_id!r} was deleted")
        self.verify_users([record.user_id], clause)

    def reuse_token(self, record: TokenRecord, *, change_faces: bool, other_face: str,
                    other_user: str | None = None) -> None:
        """Same token, other parameters: IdempotentParameterMismatchException or the first
        response again (AMB-*-TOKEN-MISMATCH), or ResourceNotFoundException if the user the
        request names does not exist (AMB-*-REPLAY-GONE); no effect whichever."""
        clause = MISMATCH_CLAUSES[record.operation]
        params = dict(record.params)
        touched = [record.user_id]
        if record.operation in ("CreateUser", "DeleteUser"):
            params["UserId"] = other_user or self.new_user_id("other")
            touched.append(params["UserId"])
        elif change_faces or record.operation == "DisassociateFaces":
            # Other faces, not more: a request that ran would then answer about other faces,
            # so its answer can never pass for the first response (AMB-*-TOKEN-MISMATCH).
            params["FaceIds"] = [other_face]
        else:
            threshold = float(params.get("UserMatchThreshold", DEFAULT_USER_MATCH_THRESHOLD))
            # Another threshold, always: t / 2 + 1 is t itself at 2, a replay and no mismatch.
            params["UserMatchThreshold"] = threshold / 2 + 1 if threshold != 2 else 3.0
        self.confirm_state(touched)
        outcome = self.call(record.operation, {**params, "ClientRequestToken": record.token})
        knock_ons = self.ledger.knock_ons[clause]
        first = outcome.ok and checks.same_response(outcome.body or {}, record.response)
        gone = self._gone(record.operation, params["UserId"])
        not_found = gone is not None and outcome.error == NOT_FOUND
        what = f"{record.operation} reusing token {record.token} with other parameters"
        self.ledger.check(clause, first or not_found or outcome.error == MISMATCH,
                          f"{what}: expected {MISMATCH} or the first response "
                          f"{record.response} again"
                          + (f" (or {NOT_FOUND}: no user {params['UserId']!r})" if gone else "")
                          + f", got {outcome.error or outcome.body}")
        if not_found and gone is not None:
            self.ledger.observe(gone, "not-found", what)
        elif first or outcome.error == MISMATCH:
            self.ledger.observe(TOKEN_MISMATCH[record.operation],
                                "first-response" if first else "exception", what)
        if (self.ledger.knock_ons[clause] > knock_ons or clause in self.ledger.known) \
                and record in self.model.tokens:
            # A known deviation took the token over (even where its answer looked like the
            # first response): what it replays now is that deviation's doing, not another.
            self.model.tokens.remove(record)
        self.verify_users(touched, clause)

    def verify_users(self, user_ids: list[str], clause: C) -> None:
        """No effect on these users: each exists or not as modelled, and holds its faces.

        Existence is checked here, not only the faces: CreateUser and DeleteUser answer {}
        whether they acted or replayed, so the answer cannot tell a second effect."""
        # Read before a known deviation of the operation re-reads the state into the model
        # (``Rereading.call``): the state was confirmed just before the token's call, so a
        # user that appeared or went is that call's doing, and the token clause's.
        self._reading_state = True
        try:
            listed = {u.get("UserId") for u in self.list_users(clause=clause)}
        finally:
            self._reading_state = False
        # Existence of every user first: verifying one may re-read the state into the model.
        modelled = {user_id: user_id in self.model.users for user_id in user_ids}
        for user_id, exists in modelled.items():
            self.ledger.check(clause, (user_id in listed) == exists,
                              f"user {user_id!r} must {'' if exists else 'not '}exist, but "
                              f"ListUsers {'does not show' if exists else 'shows'} it")
        for user_id in (u for u, exists in modelled.items() if exists):
            if user_id in self.model.users:  # still, after the state was re-read
                self.verify_user(user_id, clause)

    def _gone(self, operation: str, user_id: str) -> A | None:
        """The REPLAY-GONE ambiguity of ``operation`` if the user its request names does not
        exist (CreateUser has none: a replay that creates the user again is a second effect)."""
        return REPLAY_GONE.get(operation) if user_id not in self.model.users else None

    def cross_operation_records(self) -> list[TokenRecord]:
        """AssociateFaces tokens never yet sent with DisassociateFaces, for a user that exists.

        Only a token's first use by another operation tells its scope: a second
        DisassociateFaces with other faces is refused by a per-operation target too
        (its own DisassociateFaces use of the token), and would read as ``shared``.
        """
        return [r for r in self.model.tokens
                if r.operation == "AssociateFaces" and r.user_id in self.model.users
                and r.token not in self.cross_tokens]

    def reuse_token_across_operations(self, record: TokenRecord, face_id: str) -> None:
        """AMB-TOKEN-SCOPE: a token of AssociateFaces sent, for the first time, with
        DisassociateFaces (the one dimension of token scope the suite probes)."""
        assert record.operation == "AssociateFaces" and record.token not in self.cross_tokens
        self.cross_tokens.add(record.token)
        request = FacesRequest(record.user_id, [face_id], token=record.token)
        outcome = self.call("DisassociateFaces", request.params(self.collection))
        # Shared: refused as a mismatch, or answered with AssociateFaces' first response
        # (S0.24 read across operations); a DisassociateFaces answer has other members.
        if outcome.error == MISMATCH or (outcome.ok and checks.same_response(
                outcome.body or {}, record.response)):
            self.ledger.observe(A.AMB_TOKEN_SCOPE, "shared", f"token {record.token}")
            self.verify_user(record.user_id, C.AF_TOKEN_MISMATCH)
            return
        self.ledger.observe(A.AMB_TOKEN_SCOPE, "per-operation", f"token {record.token}")
        verdict = checks.judge_disassociate(self.ledger, self.model, request, outcome)
        if verdict.rejected:
            return
        self.apply_disassociation(request.user_id, verdict.released)
        if verdict.noop_updating:
            self.model.users[request.user_id].settling = True
        # From now on the token is also this DisassociateFaces request's: replays judge it.
        self.remember_token("DisassociateFaces", record.token,
                            request.params(self.collection), outcome.body or {},
                            request.user_id)

    def repeat_without_token(self, earlier: FacesRequest) -> None:
        """AF-TOKEN-AUTO: undo an earlier token-less request, send it again: it acts again."""
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
        faces = set(ids(self.list_faces(clause=C.AF_TOKEN_AUTO, UserId=earlier.user_id),
                        "FaceId"))
        self.ledger.check(C.AF_TOKEN_AUTO, set(verdict.associated) <= faces,
                          f"a second identical token-less request said it associated "
                          f"{verdict.associated} but the user holds "
                          f"{sorted(set(verdict.associated) - faces)} no longer")

