"""ClientRequestToken: replays, reuse with other parameters, and requests without a token."""

from __future__ import annotations

from conformance import checks
from conformance.checks import FacesRequest
from conformance.clauses import A, C
from conformance.harness.base import ids
from conformance.harness.users import UserOperations
from conformance.model import TokenRecord
from conformance.spec import DEFAULT_USER_MATCH_THRESHOLD

REPLAY_CLAUSES = {"AssociateFaces": C.AF_TOKEN_REPLAY, "DisassociateFaces": C.DF_TOKEN_REPLAY,
                  "CreateUser": C.CU_TOKEN_REPLAY, "DeleteUser": C.DU_TOKEN_REPLAY}
MISMATCH_CLAUSES = {"AssociateFaces": C.AF_TOKEN_MISMATCH,
                    "DisassociateFaces": C.DF_TOKEN_MISMATCH,
                    "CreateUser": C.CU_TOKEN_MISMATCH, "DeleteUser": C.DU_TOKEN_MISMATCH}


class TokenOperations(UserOperations):
    def replay(self, record: TokenRecord) -> None:
        """Same token, same parameters: the first response again, and no second effect."""
        clause = REPLAY_CLAUSES[record.operation]
        self.confirm_state([record.user_id])
        outcome = self.call(record.operation,
                            {**record.params, "ClientRequestToken": record.token})
        self.ledger.check(clause, outcome.ok and checks.same_response(outcome.body or {},
                                                                      record.response),
                          f"replaying {record.operation} with token {record.token} answered "
                          f"{outcome.error or outcome.body}, the first time it answered "
                          f"{record.response}")
        self.verify_user(record.user_id, clause)

    def reuse_token(self, record: TokenRecord, *, change_faces: bool, other_face: str,
                    other_user: str | None = None) -> None:
        """Same token, other parameters: IdempotentParameterMismatchException, no effect."""
        clause = MISMATCH_CLAUSES[record.operation]
        params = dict(record.params)
        touched = [record.user_id]
        if record.operation in ("CreateUser", "DeleteUser"):
            params["UserId"] = other_user or self.new_user_id("other")
            touched.append(params["UserId"])
        elif change_faces or record.operation == "DisassociateFaces":
            params["FaceIds"] = [*params["FaceIds"], other_face]
        else:
            threshold = float(params.get("UserMatchThreshold", DEFAULT_USER_MATCH_THRESHOLD))
            params["UserMatchThreshold"] = threshold / 2 + 1
        self.confirm_state(touched)
        outcome = self.call(record.operation, {**params, "ClientRequestToken": record.token})
        knock_ons = self.ledger.knock_ons[clause]
        checks.check_refused(self.ledger, clause, outcome,
                             ("IdempotentParameterMismatchException",),
                             f"{record.operation} reusing token {record.token} with other "
                             f"parameters")
        if self.ledger.knock_ons[clause] > knock_ons and record in self.model.tokens:
            # A known deviation took the token over: what it replays now is that
            # deviation's doing, not a second one.
            self.model.tokens.remove(record)
        for user_id in touched:
            self.verify_user(user_id, clause)

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
        if outcome.error == "IdempotentParameterMismatchException":
            self.ledger.observe(A.AMB_TOKEN_SCOPE, "shared", f"token {record.token}")
            self.verify_user(record.user_id, C.AF_TOKEN_MISMATCH)
            return
        self.ledger.observe(A.AMB_TOKEN_SCOPE, "per-operation", f"token {record.token}")
        verdict = checks.judge_disassociate(self.ledger, self.model, request, outcome)
        if verdict.rejected:
            return
        self.model.disassociate(request.user_id, verdict.released)
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

