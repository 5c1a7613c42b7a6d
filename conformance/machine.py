"""The state machine: generated sequences of calls, each drawn here and sent by the harness.

Every Hypothesis test case gets a fresh ``Harness``, and so a collection of its
own. Rules only draw: who, which faces, which threshold, which token. The
harness sends, has the checks judge, and applies what they accepted; the race
harness sends concurrent requests. Rules draw from the model's state, so they
mostly make sense, and shrink towards short, readable sequences.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from conformance import race
from conformance.checks import FacesRequest
from conformance.driver import OperationMissing
from conformance.harness import UNKNOWN_PROBES, Harness, RunContext
from conformance.harness.listings import SetupDeviated
from conformance.harness.reread import OutcomeUnknown
from conformance.needs import NeedBroken
from conformance.spec import INVALID_CASES, SEARCHES
from conformance.strategies import (
    TOKEN_SUFFIXES,
    USER_ID_STEMS,
    thresholds,
    well_formed_face_ids,
)

PERSONS_PER_RUN = 6  # enough pairs for thresholds to matter; photos may give fewer
Step = TypeVar("Step", bound=Callable[..., None])
Option = TypeVar("Option")


def _pick(data: st.DataObject, options: Sequence[Option], label: str = "") -> Option:
    """One of ``options``, shrinking towards the first, as from ``sampled_from``.

    Drawn as an index: ``st.integers`` strategies are cached, while a ``sampled_from`` of
    the model's current state is a new strategy that Hypothesis validates at each draw.
    """
    if not options:
        reject()  # what drawing from an empty sampled_from does
    return options[data.draw(st.integers(0, len(options) - 1), label=label or None)]


def _drops_unknown_outcomes(step: Step) -> Step:
    """A step whose request has an unknown outcome stops there, unjudged; the harness
    re-reads the state before its next call, and the test case goes on from that. So does
    a step that needs what the target cannot do (``conformance.needs``), or that met a
    listing it cannot read (``SetupDeviated``): its deviation is already a finding, and
    the other steps go on without it."""

    @functools.wraps(step)
    def tolerant(self: ConformanceMachine, *args: Any, **kwargs: Any) -> None:
        with contextlib.suppress(OutcomeUnknown, NeedBroken, SetupDeviated):
            # A known deviation's effect is read back before the step draws from the model,
            # not at its first call: a rule must not pick a user the deviation brought back
            # as one that is gone.
            if self.h.ledger.state_in_doubt:
                self.h.adopt_target_state()
            step(self, *args, **kwargs)

    return cast(Step, tolerant)


class ConformanceMachine(RuleBasedStateMachine):
    ctx: RunContext  # bound by ``machine_for``

    def __init__(self) -> None:
        super().__init__()
        self.h = Harness(self.ctx)
        # Rules that index a hundred faces run at most once per test case: they are most
        # of the calls, and the directed cap check reaches the cap anyway.
        self.heavy_rules_run: set[str] = set()

    # --- drawing -----------------------------------------------------------------------

    def draw_user(self, data: st.DataObject) -> str:
        return _pick(data, self.h.user_ids(), label="user")

    def maybe_token(self, data: st.DataObject) -> str | None:
        if not data.draw(st.booleans(), label="token"):
            return None
        return self.h.new_token(data.draw(TOKEN_SUFFIXES))

    def draw_face_ids(self, data: st.DataObject, user_id: str) -> list[str]:
        """A mix of the user's own faces, other users', unowned ones, and absent ids."""
        model = self.h.model
        pools = {
            "own": model.faces_of(user_id) if user_id in model.users else [],
            "other": model.owned_faces(except_user=user_id),
            "candidate": model.unowned_faces(),
            "gone": list(model.gone_faces),
        }
        kinds = [k for k, pool in pools.items() if pool] + ["absent"]
        chosen: list[str] = []
        for _ in range(data.draw(st.integers(1, 6), label="faces")):
            kind = _pick(data, kinds, label="kind")
            if kind == "absent":
                chosen.append(data.draw(well_formed_face_ids, label="absent id"))
            else:
                chosen.append(_pick(data, pools[kind], label=kind))
        # A repeat one time in four; shrinking (towards False) removes it from minimal examples.
        if data.draw(st.booleans(), label="repeat") and data.draw(st.booleans()):
            chosen.append(chosen[0])
        return chosen

    def known_confidences(self, user_id: str) -> list[float]:
        model = self.h.model
        users_faces = frozenset(model.users[user_id].faces)
        return sorted(c.exact for (faces, _), c in model.confidences.items()
                      if faces == users_faces and c.exact is not None)

    def draw_threshold(self, data: st.DataObject, user_id: str) -> float | None:
        return data.draw(thresholds(self.known_confidences(user_id)), label="threshold")

    # --- users -------------------------------------------------------------------------

    @initialize()
    @_drops_unknown_outcomes
    def start_with_users_and_faces(self) -> None:
        """Two users and faces of three persons, so that every rule applies from step one."""
        for user_id in ("u0", "u1"):
            self.h.add_user(user_id)
        for person in range(min(3, self.ctx.images.persons)):
            self.h.index_face(person)

    @rule(data=st.data())
    @_drops_unknown_outcomes
    def create_user(self, data: st.DataObject) -> None:
        reuse = [u for u in self.h.deleted_user_ids if u not in self.h.model.users]
        reuse_one: bool = data.draw(st.booleans(), label="reuse deleted id")
        if reuse and reuse_one:
            user_id = _pick(data, reuse, label="user")
        else:
            user_id = _pick(data, USER_ID_STEMS, label="stem") + str(
                self.h.users_made)
        self.h.add_user(user_id, self.maybe_token(data))

    @precondition(lambda self: self.h.model.users)
    @rule(data=st.data())
    @_drops_unknown_outcomes
    def create_existing_user(self, data: st.DataObject) -> None:
        self.h.create_again(self.draw_user(data))

    @precondition(lambda self: self.h.model.users)
    @rule(data=st.data())
    @_drops_unknown_outcomes
    def delete_user(self, data: st.DataObject) -> None:
        self.h.remove_user(self.draw_user(data), self.maybe_token(data))

    @rule(data=st.data())
    @_drops_unknown_outcomes
    def probe_unknown_resources(self, data: st.DataObject) -> None:
        """One rule for the four probes, so that together they are drawn no more often than
        any single rule that changes state."""
        self.h.probe_unknown(_pick(data, UNKNOWN_PROBES, label="probe"),
                             data.draw(well_formed_face_ids, label="face"))

    # --- faces -------------------------------------------------------------------------

    @rule(data=st.data())
    @_drops_unknown_outcomes
    def index_faces(self, data: st.DataObject) -> None:
        person = data.draw(st.integers(0, min(PERSONS_PER_RUN, self.ctx.images.persons) - 1),
                           label="person")
        for _ in range(data.draw(st.integers(1, 3), label="copies")):
            self.h.index_face(person)

    @precondition(lambda self: self.h.model.users)
    @rule(data=st.data())
    @_drops_unknown_outcomes
    def associate_faces(self, data: st.DataObject) -> None:
        user_id = self.draw_user(data)
        self.h.send_associate(FacesRequest(user_id, self.draw_face_ids(data, user_id),
                                           self.draw_threshold(data, user_id),
                                           self.maybe_token(data)))

    @precondition(lambda self: any(self.h.model.confidences))
    @rule(data=st.data())
    @_drops_unknown_outcomes
    def retry_known_face(self, data: st.DataObject) -> None:
        """AF-THRESHOLD metamorphic: a face refused with Confidence c is accepted at t <= c."""
        model = self.h.model
        options = [(u, f) for (faces, f), c in model.confidences.items()
                   for u, user in model.users.items()
                   if frozenset(user.faces) == faces and model.classify(u, f) == "candidate"]
        if not options:
            return
        user_id, face_id = _pick(data, options, label="known face")
        self.h.settle([user_id])
        self.h.send_associate(FacesRequest(user_id, [face_id],
                                           self.draw_threshold(data, user_id)))

    @precondition(lambda self: self.ctx.images.persons >= 2)
    @rule(data=st.data())
    @_drops_unknown_outcomes
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
        h = self.h
        user_id = h.new_user_id("pair")
        h.add_user(user_id)
        h.send_associate(FacesRequest(user_id, [h.index_face(first)]))
        face_id = h.index_face(second)
        for threshold in (100.0, None):
            h.settle([user_id])
            h.send_associate(FacesRequest(user_id, [face_id], threshold))
        known = h.model.confidence(user_id, face_id)
        if h.model.classify(user_id, face_id) == "candidate" and known and known.exact:
            h.settle([user_id])
            lower = _pick(data, [0.0, max(0.0, known.exact - 1)], label="lower")
            h.send_associate(FacesRequest(user_id, [face_id], lower))
        h.ledger.reached("threshold-pair-probed")

    @precondition(lambda self: self.h.model.users)
    @rule(data=st.data())
    @_drops_unknown_outcomes
    def disassociate_faces(self, data: st.DataObject) -> None:
        user_id = self.draw_user(data)
        self.h.send_disassociate(FacesRequest(user_id, self.draw_face_ids(data, user_id),
                                              token=self.maybe_token(data)))

    @precondition(lambda self: self.h.model.faces)
    @rule(data=st.data())
    @_drops_unknown_outcomes
    def delete_faces(self, data: st.DataObject) -> None:
        pools = [p for p in (self.h.model.owned_faces(), self.h.model.unowned_faces()) if p]
        face_ids = [_pick(data, _pick(data, pools), label="face")
                    for _ in range(data.draw(st.integers(1, 3), label="count"))]
        if data.draw(st.booleans(), label="with absent id"):
            face_ids.append(data.draw(well_formed_face_ids, label="absent"))
        self.h.remove_faces(face_ids)

    @precondition(lambda self: self.h.model.users and "fill" not in self.heavy_rules_run)
    @rule(data=st.data())
    @_drops_unknown_outcomes
    def fill_user_near_cap(self, data: st.DataObject) -> None:
        """Reach the hard states on purpose: a user at 98..100, then a request past the cap."""
        self.heavy_rules_run.add("fill")
        self.h.fill_user(self.draw_user(data),
                         _pick(data, [98, 99, 100], label="fill to"),
                         data.draw(st.integers(1, 3), label="then add"))

    # --- tokens --------------------------------------------------------------------------

    @precondition(lambda self: self.h.model.tokens)
    @rule(data=st.data())
    @_drops_unknown_outcomes
    def replay_token(self, data: st.DataObject) -> None:
        self.h.replay(_pick(data, self.h.model.tokens, label="earlier request"))

    @precondition(lambda self: self.h.model.tokens)
    @rule(data=st.data())
    @_drops_unknown_outcomes
    def reuse_token_with_other_parameters(self, data: st.DataObject) -> None:
        record = _pick(data, self.h.model.tokens, label="earlier request")
        self.h.reuse_token(record, change_faces=data.draw(st.booleans(), label="change faces"),
                           other_face=data.draw(well_formed_face_ids, label="other face"))

    @precondition(lambda self: self.h.model.tokens)
    @rule(data=st.data())
    @_drops_unknown_outcomes
    def reuse_token_across_operations(self, data: st.DataObject) -> None:
        records = self.h.cross_operation_records()
        if not records:
            return
        self.h.reuse_token_across_operations(
            _pick(data, records, label="earlier request"),
            data.draw(well_formed_face_ids))

    @precondition(lambda self: self.h.untokened)
    @rule(data=st.data())
    @_drops_unknown_outcomes
    def repeat_without_token(self, data: st.DataObject) -> None:
        earlier = _pick(data, self.h.untokened, label="earlier request")
        self.h.untokened.remove(earlier)
        self.h.repeat_without_token(earlier)

    # --- invalid input, concurrency, listings ----------------------------------------------

    @precondition(lambda self: self.h.model.users)
    @rule(data=st.data())
    @_drops_unknown_outcomes
    def send_invalid_input(self, data: st.DataObject) -> None:
        self.h.send_invalid(self.draw_user(data),
                            _pick(data, INVALID_CASES, label="broken"))

    @precondition(lambda self: self.ctx.concurrency and len(self.h.model.users) >= 2
                  and race.judged(self.h, "one-face"))
    @rule(data=st.data())
    @_drops_unknown_outcomes
    def race_for_one_face(self, data: st.DataObject) -> None:
        first, second = data.draw(st.lists(st.sampled_from(self.h.user_ids()), min_size=2,
                                           max_size=2, unique=True), label="users")
        race.race_for_one_face(self.h, first, second,
                               data.draw(st.integers(0, self.ctx.images.persons - 1)))

    @precondition(lambda self: self.ctx.concurrency and self.h.model.users
                  and "race" not in self.heavy_rules_run and race.judged(self.h, "cap"))
    @rule(data=st.data())
    @_drops_unknown_outcomes
    def race_to_the_cap(self, data: st.DataObject) -> None:
        self.heavy_rules_run.add("race")
        race.race_to_the_cap(self.h, self.draw_user(data))

    @rule(page_size=st.sampled_from([1, 2, 3, None]), data=st.data())
    @_drops_unknown_outcomes
    def observe_the_state(self, page_size: int | None, data: st.DataObject) -> None:
        """The listings, then a search of the state they confirmed: one rule, so that the
        searches take no share of the steps from the others."""
        self.h.check_state(page_size)
        if self.h.model.faces and not set(self.ctx.driver.missing) >= SEARCHES:
            with contextlib.suppress(OperationMissing):  # its clauses are "not checked"
                self.search_the_associations(data)

    def search_the_associations(self, data: st.DataObject) -> None:
        """SU-FACE, SU-USER, SUBI-IMAGE, SU-THRESHOLD, SU-SHAPE: a search of the settled
        state, by an image, a FaceId or a UserId, at a drawn threshold and MaxUsers."""
        h = self.h
        kind = _pick(data, ["image", "face", "user"], label="search by")
        # The draw never depends on what the run has learnt (a batch draws alike in any
        # process, and a replay meets the same choices): a search the target lacks gives
        # way to the other, whose clauses alone are then judged.
        missing = self.ctx.driver.missing
        if kind == "image" and "SearchUsersByImage" in missing:
            kind = "face"
        elif kind != "image" and "SearchUsers" in missing:
            kind = "image"
        extra: dict[str, Any] = {}
        threshold = _pick(data, [None, 80.0, 50.0, 0.0, 99.0], label="threshold")
        if threshold is not None:
            extra["UserMatchThreshold"] = threshold
        max_users = _pick(data, [None, None, 1, 2], label="max users")  # None: room for all
        if max_users is not None:
            extra["MaxUsers"] = max_users
        # What a user holds first: a search of a person no one holds shows little.
        held = sorted(f for u in h.user_ids() for f in h.model.faces_of(u))
        if kind == "image":
            persons = sorted({h.model.faces[f].person for f in held}) or list(range(min(
                PERSONS_PER_RUN, self.ctx.images.persons)))
            search = h.by_image(_pick(data, persons, label="person"), **extra)
        elif kind == "face":
            search = h.by_face(_pick(data, held or sorted(h.model.faces), label="face"),
                               **extra)
        else:
            holders = [u for u in h.user_ids() if h.model.users[u].faces]
            if not holders:
                return
            search = h.by_user(_pick(data, holders, label="user"), **extra)
        # Confirmed by the listings just now, but not every user's faces are listed: a
        # search that disagrees has the state judged first.
        h.search(search, search.clause, confirm_state=True)
        h.ledger.reached("searched")

    def teardown(self) -> None:
        try:
            # A target seen not to settle, or a listing that cannot be read, stops the
            # final comparison as it stops a step.
            if not self.h.failed:
                with contextlib.suppress(NeedBroken, SetupDeviated):
                    self.h.check_state(None)
        finally:
            self.h.close()


def machine_for(ctx: RunContext) -> type[ConformanceMachine]:
    """A machine class bound to one run's context (Hypothesis instantiates it with no args)."""
    return type("ConformanceMachine", (ConformanceMachine,), {"ctx": ctx})
