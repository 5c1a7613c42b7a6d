"""AssociateFaces, DisassociateFaces, DeleteFaces, the cap, and invalid input.

Each method sends one request, has ``checks`` judge the answer, and applies to
the model exactly what the verdict accepted.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from conformance import checks
from conformance.checks import FacesRequest
from conformance.clauses import A, C
from conformance.driver import Outcome
from conformance.errors import Failure
from conformance.harness.base import answer_key, ids
from conformance.harness.observe import Observing
from conformance.spec import USER_FACE_CAP, InvalidCase

Verdict = TypeVar("Verdict")


class FaceOperations(Observing):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Token-less AssociateFaces requests that changed something, for AF-TOKEN-AUTO.
        self.untokened: list[FacesRequest] = []

    def send_associate(self, request: FacesRequest, *, retry: bool = True
                       ) -> checks.AssociateVerdict:
        outcome = self.call("AssociateFaces", request.params(self.collection))
        stale = self.repeats_an_earlier_answer(request, outcome)
        cached = stale or self.repeats_an_earlier_answer(request, outcome, raced=True)
        if cached and self.replayed_by_known_deviation():
            return checks.AssociateVerdict([], {}, rejected=False)
        verdict = self.judged(cached, lambda: checks.judge_associate(self.ledger, self.model,
                                                                    request, outcome))
        if verdict.busy and retry:
            return self.send_associate(self.after_busy(request), retry=False)
        if verdict.rejected:
            if not verdict.busy:
                self.verify_user(request.user_id, C.AF_CAP_USER if outcome.error ==
                                 "ServiceQuotaExceededException" else C.AF_INPUT,
                                 request.face_ids)
            return verdict
        # The model takes the change before anything is observed again: a listing made
        # before it would be held to the state before the call (AMB-EMPTY-AGAIN), and any
        # later call may re-read the target's state into it.
        if verdict.learned:
            self.model.learn(request.user_id, verdict.learned)
        self.model.associate(request.user_id, verdict.associated)
        if verdict.noop_updating:
            self.model.users[request.user_id].settling = True
        if request.token:
            self.remember_token("AssociateFaces", request.token,
                                request.params(self.collection), outcome.body or {},
                                request.user_id)
        elif verdict.associated:
            self.untokened.append(request)
        if stale and verdict.associated:
            self.check_acted_again(request, verdict.associated, owned=True)
        return verdict

    def send_disassociate(self, request: FacesRequest, *, retry: bool = True
                          ) -> checks.DisassociateVerdict:
        outcome = self.call("DisassociateFaces", request.params(self.collection))
        stale = self.repeats_an_earlier_answer(request, outcome)
        cached = stale or self.repeats_an_earlier_answer(request, outcome, raced=True)
        if cached and self.replayed_by_known_deviation():
            return checks.DisassociateVerdict([], rejected=False)
        verdict = self.judged(cached, lambda: checks.judge_disassociate(self.ledger, self.model,
                                                                       request, outcome))
        if verdict.busy and retry:
            return self.send_disassociate(self.after_busy(request), retry=False)
        if verdict.rejected:
            if not verdict.busy:
                self.verify_user(request.user_id, C.DF_USER_EXISTS, request.face_ids)
            return verdict
        self.apply_disassociation(request.user_id, verdict.released)
        if verdict.noop_updating:
            self.model.users[request.user_id].settling = True
        if request.token:
            self.remember_token("DisassociateFaces", request.token,
                                request.params(self.collection), outcome.body or {},
                                request.user_id)
        if stale and verdict.released:
            self.check_acted_again(request, verdict.released, owned=False)
        return verdict

    def after_busy(self, request: FacesRequest) -> FacesRequest:
        """A request refused as busy (AMB-BUSY), to send once more when the users that made
        it busy have settled: what the driver meant to do then happens. A fresh token, for
        a target may remember the refusal under the first one."""
        self.settle([request.user_id, *self.model.busy_makers(request.distinct_faces())])
        return dataclasses.replace(request, token=request.token and self.new_token("busy"))

    def repeats_an_earlier_answer(self, request: FacesRequest, outcome: Outcome, *,
                                  raced: bool = False) -> bool:
        """A request answered exactly like an earlier one identical but for its token.

        Every request sent here carries a fresh token (its own, or the SDK's), so it
        must act again; replays of a token go through ``replay`` instead. ``raced``: an
        answer a race got counts too. Which answers a race gets depends on its timing, so
        they only explain a wrong answer (a cache's); the sequential ones also have it
        checked that the repeat acted (a listing, the same in every run of a seed).
        """
        if not outcome.ok:
            return False
        # Every answer before this one (``call`` keeps them, this one last).
        earlier = self.earlier_answers.get(answer_key(outcome.operation, outcome.params), [])
        return any(checks.same_response(body, outcome.body or {})
                   for body, by_race in earlier[:-1] if by_race == raced)

    def judged(self, stale: bool, judge: Callable[[], Verdict]) -> Verdict:
        """Judge an answer; one that repeats the earlier answer to an identical request and
        is wrong now is a cached answer (AF-TOKEN-AUTO), not the clause it looks wrong under."""
        if not stale:
            return judge()
        try:
            return judge()
        except Failure as failure:
            self.ledger.check(C.AF_TOKEN_AUTO, False,
                              f"a request identical but for its token to an earlier one got "
                              f"the earlier answer again, which is wrong for it now "
                              f"({failure.clause}: {failure.message}): two calls were "
                              f"treated as one")
            raise

    def replayed_by_known_deviation(self) -> bool:
        """The earlier answer to an identical request, from a target known to answer token-less
        repeats from a cache (AF-TOKEN-AUTO): that deviation's doing, not a new one."""
        if C.AF_TOKEN_AUTO not in self.ledger.known:
            return False
        self.ledger.knock_on(C.AF_TOKEN_AUTO)
        return True

    def check_acted_again(self, request: FacesRequest, faces: list[str], *, owned: bool
                          ) -> None:
        """AF-TOKEN-AUTO: the repeat has a fresh token (its own or the SDK's): it acts again."""
        self.settle([request.user_id], C.AF_TOKEN_AUTO)
        held = set(ids(self.list_faces(clause=C.AF_TOKEN_AUTO, UserId=request.user_id),
                       "FaceId"))
        wrong = [f for f in faces if (f in held) != owned]
        # An answer that said it acted, from an operation known to not do what it says: the
        # first call may have had no effect either, so this is that deviation's doing.
        acting = C.AF_ASSOC if owned else C.DF_RELEASE
        self.ledger.check(C.AF_TOKEN_AUTO, not wrong,
                          f"a request identical but for its token to an earlier one got the "
                          f"earlier answer but had no effect on {wrong}: two calls were treated "
                          f"as one", frozenset({acting}) & self.ledger.known)

    def remove_faces(self, face_ids: list[str]) -> None:
        """DEL-OWNED, DEL-FACES: owned faces stay, unowned ones are gone."""
        outcome = self.call("DeleteFaces", {"FaceIds": face_ids})
        gone = checks.judge_delete_faces(self.ledger, self.model, face_ids, outcome)
        self.model.delete_faces(gone)
        if gone:
            listed = self.list_faces(clause=C.DEL_FACES, FaceIds=gone)
            self.ledger.check(C.DEL_FACES, not listed,
                              f"deleted faces still listed: {[f.get('FaceId') for f in listed]}")
        for owner in {f.owner for f in self.model.faces.values() if f.face_id in face_ids}:
            if owner:
                self.verify_user(owner, C.DEL_OWNED, face_ids)

    def fill_user(self, user_id: str, fill_to: int, then_add: int, *,
                  confirmed: bool = False) -> None:
        """AF-CAP-USER: fill a user to ``fill_to`` faces, then ask for ``then_add`` more
        (``confirmed``: the caller has just confirmed the user's state)."""
        persons = sorted(self.model.persons_of(user_id)) or [0]
        # The same bytes are the same person: new faces of a person the user holds match
        # it on any target, so the threshold (0 here anyway) cannot get in the way.
        held = len(self.model.users[user_id].faces)
        self.associate_new_faces(user_id, persons[0], fill_to - held)
        if held < fill_to or not confirmed:
            self.confirm_state([user_id])
        extra = [self.index_face(persons[0]) for _ in range(then_add)]
        self.send_associate(FacesRequest(user_id, extra, 0.0))
        self.settle([user_id])
        self.blame_state([user_id], C.AF_CAP_USER, extra)
        if len(self.model.users[user_id].faces) >= USER_FACE_CAP:
            # AMB-CAP-CALL: a call to a user at the cap that would add nothing (its own
            # face, an absent one, another user's) is answered face by face or refused whole
            # (S1.7); face by face, each may get its own outcome or the cap's
            # (AMB-CAP-PRECEDENCE).
            own = self.model.faces_of(user_id)[0]
            others = self.model.owned_faces(except_user=user_id)[:1]
            absent = str(uuid.UUID(int=self.ctx.next_id() + 1 << 64))
            self.send_associate(FacesRequest(user_id, [own, *others, absent], 0.0))
            self.settle([user_id])

    def associate_new_faces(self, user_id: str, person: int, count: int) -> None:
        """Index ``count`` new faces of ``person`` and associate them, a cap's worth at a time."""
        new = [self.index_face(person) for _ in range(max(0, count))]
        for start in range(0, len(new), USER_FACE_CAP):
            self.send_associate(FacesRequest(user_id, new[start:start + USER_FACE_CAP], 0.0))

    def send_invalid(self, user_id: str, case: InvalidCase, *, verify: bool = True
                     ) -> list[str]:
        """AF-INPUT, AF-CAP-REQUEST, AF-THRESHOLD-RANGE: the server rejects, nothing changes.

        The request is otherwise one that would associate an unowned face, so a server
        that lets the broken value through shows it by associating the face. Without
        ``verify`` the caller checks that nothing changed (``check_no_effect``) once,
        after several such requests: the faces returned are the ones sent.
        """
        # An absent FaceId where the target indexes no face: the answer is judged all the same.
        candidates = (self.model.unowned_faces()[:1] or self.faces_if_indexed(0)
                      or [str(uuid.UUID(int=self.ctx.next_id() + 1 << 80))])
        params: dict[str, Any] = {"CollectionId": self.collection, "UserId": user_id,
                                  "FaceIds": list(candidates), "UserMatchThreshold": 0.0}
        if case.member == "FaceIds":
            count = int(case.value)
            extra = [str(uuid.UUID(int=i + 1)) for i in range(max(0, count - 1))]
            params["FaceIds"] = [*candidates, *extra][:count]
        elif case.member == "FaceId":
            params["FaceIds"] = [*candidates, case.value]
        elif case.member == "CollectionId":
            params["CollectionId"] = (f"{self.ctx.resource_prefix}{case.value}" if case.suffix
                                      else case.value)
        else:
            params[case.member] = case.value
        outcome = self.call("AssociateFaces", params, raw_client=True)
        what = f"AssociateFaces with {case.member} {case.what}"
        if case.full_match_only and outcome.error == "ResourceNotFoundException":
            # AMB-PATTERN-ANCHOR: the model's pattern, unanchored, is found in the value, so
            # a server that searches for it takes the id as valid, and unknown.
            self.ledger.observe(A.AMB_PATTERN_ANCHOR, "search", what)
        else:
            checks.check_validation_error(self.ledger, case.clause, outcome, what)
            if case.full_match_only:
                self.ledger.observe(A.AMB_PATTERN_ANCHOR, "full-match", what)
        if verify:
            self.check_no_effect(user_id, case.clause, candidates)
        return candidates

    def check_no_effect(self, user_id: str, clause: C, candidates: list[str]) -> None:
        """After rejected requests: the user and the faces they named are unchanged."""
        self.verify_user(user_id, clause, candidates)
        listed = self.list_faces(clause=clause, FaceIds=candidates)
        owners = [u for u in self.owners_of(listed, clause=clause).values() if u]
        self.ledger.check(clause, not owners,
                          f"the rejected request still associated {candidates} to {owners}")
