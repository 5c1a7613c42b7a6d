"""AssociateFaces: what was taken, by the kind of each face, the threshold and the cap."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.checks.answers import check_refused, check_schema, finite
from conformance.checks.faces import (
    FacesRequest,
    accept_busy,
    check_listing_shape,
    check_not_found_entry,
    check_other_user_entry,
    check_repeats,
    check_status,
    outcome_lists,
    reasons_of,
    unreadable,
)
from conformance.clauses import A, C
from conformance.driver import Outcome
from conformance.ledger import Ledger
from conformance.model import CollectionModel, Learned, User
from conformance.spec import (
    BUSY_CODE,
    CONFIDENCE_MARGIN,
    DEFAULT_USER_MATCH_THRESHOLD,
    USER_FACE_CAP,
)

# The reasons of the enum (M.9) a face's own outcome carries; the cap has none.
SPECIFIC_REASONS = frozenset({"FACE_NOT_FOUND", "ASSOCIATED_TO_A_DIFFERENT_USER",
                              "LOW_MATCH_CONFIDENCE"})


def _cap_first(ledger: Ledger, held: int, face_id: str, done: list[str],
               bad: dict[str, dict[str, Any]]) -> bool:
    """AMB-CAP-PRECEDENCE "cap-first": at 100 (S0.10 "there are already 100 faces"), a face
    that is the user's own, another's or absent refused like the cap refuses, with no
    reason of the enum. True when accepted so; its ownership is held to the model later."""
    entry = bad.get(face_id)
    if held != USER_FACE_CAP or entry is None or face_id in done or \
            SPECIFIC_REASONS & set(reasons_of(entry)):
        return False
    ledger.observe(A.AMB_CAP_PRECEDENCE, "cap-first",
                   f"face {face_id} refused with no reason at {held}")
    return True


def _specific_first(ledger: Ledger, held: int, face_id: str, shown: bool) -> None:
    if held == USER_FACE_CAP and shown:
        ledger.observe(A.AMB_CAP_PRECEDENCE, "specific-first",
                       f"face {face_id} given its own outcome at {held}")



@dataclass(frozen=True)
class AssociateVerdict:
    """What the check accepted, which is what the model must apply."""

    associated: list[str]
    refusals: dict[str, float]  # face -> reported confidence (LOW_MATCH_CONFIDENCE)
    rejected: bool  # refused whole (error): the harness verifies it had no effect
    busy: bool = False
    # Nothing changed, yet it answered UPDATING (AMB-STATUS-NOOP): the user may list so.
    noop_updating: bool = False
    # What the answer taught about the first candidate's match against the user's faces.
    learned: Learned | None = None


# A face of each kind, and the clause whose deviation would take it like an unowned one.
_COUNTED_BY_DEVIATION = {"other": C.AF_DIFF_USER, "absent": C.AF_NOT_FOUND,
                         "own": C.AF_IGNORE_SAME}


def judge_associate(ledger: Ledger, model: CollectionModel, request: FacesRequest,
                    outcome: Outcome) -> AssociateVerdict:
    user = model.users.get(request.user_id)
    if user is None:
        check_refused(ledger, C.AF_USER_EXISTS, outcome, ("ResourceNotFoundException",),
                      f"AssociateFaces on unknown user {request.user_id!r}")
        return AssociateVerdict([], {}, rejected=True)
    if check_repeats(ledger, C.AF_SHAPE, request, outcome):
        return AssociateVerdict([], {}, rejected=True)

    faces = request.distinct_faces()
    classes = {f: model.classify(request.user_id, f) for f in faces}
    candidates = [f for f in faces if classes[f] == "candidate"]
    held = len(user.faces)
    crosses = held + len(candidates) > USER_FACE_CAP
    if crosses:
        ledger.reached("request-crossing-cap" if held < USER_FACE_CAP else "request-at-cap")

    at_cap = held >= USER_FACE_CAP
    # Known deviations that let faces of other kinds count toward the cap (another user's
    # face taken, an absent one, an own one again): the target may count what they let in.
    miscounted = frozenset(clause for kind, clause in _COUNTED_BY_DEVIATION.items()
                           if clause in ledger.known and kind in classes.values())
    explained = model.explained_by(request.user_id) | miscounted
    if outcome.error == "ServiceQuotaExceededException":
        ledger.check(C.AF_CAP_USER, crosses or at_cap,
                     f"ServiceQuotaExceededException though the user holds {held} faces and "
                     f"the request adds at most {len(candidates)}", explained)
        if not crosses:
            # S1.7: "If more API calls are made after the limit is reached, a
            # ServiceQuotaExceededException will result": any call, even one adding nothing.
            ledger.observe(A.AMB_CAP_CALL, "exception-whole-call",
                           f"user at {held}, a request adding no face")
            return AssociateVerdict([], {}, rejected=True)
        # AMB-CAP is asked of a user at the cap; a request crossing it from below is
        # AMB-CAP-CROSS's question (filling to 100 leaves entries for the rest, whatever
        # the answer at 100 is).
        if held >= USER_FACE_CAP:
            ledger.observe(A.AMB_CAP, "exception", f"user at {held}, {len(candidates)} new "
                           "faces")
        else:
            ledger.observe(A.AMB_CAP_CROSS, "refused-whole",
                           f"user at {held}, {len(candidates)} new faces")
        return AssociateVerdict([], {}, rejected=True)
    if outcome.error == BUSY_CODE and accept_busy(ledger, model, request, "AssociateFaces"):
        return AssociateVerdict([], {}, rejected=True, busy=True)
    ledger.check(C.AF_ASSOC, outcome.ok,
                 f"a valid AssociateFaces request was refused: {outcome.error}: "
                 f"{outcome.message}")

    body = check_schema(ledger, C.AF_SHAPE, outcome)
    if unreadable(ledger, C.AF_SHAPE, body, "AssociatedFaces", "UnsuccessfulFaceAssociations"):
        return AssociateVerdict([], {}, rejected=False)
    done, bad, listed = outcome_lists(body, "AssociatedFaces", "UnsuccessfulFaceAssociations")
    check_listing_shape(ledger, C.AF_SHAPE, request, done, bad, listed)
    if at_cap and not candidates:
        ledger.observe(A.AMB_CAP_CALL, "face-by-face", f"user at {held}, a request adding "
                       f"no face was answered")

    explicit = request.threshold is not None
    threshold = request.threshold if request.threshold is not None else DEFAULT_USER_MATCH_THRESHOLD
    # With the threshold omitted, the comparison is judged under the default's clause,
    # unless the comparison itself is known to deviate: then it is that deviation's doing
    # (AF-THRESHOLD-DEFAULT's own check compares an omitted threshold with 75 given).
    threshold_clause = (C.AF_THRESHOLD if explicit or C.AF_THRESHOLD in ledger.known
                        else C.AF_THRESHOLD_DEFAULT)
    refusals: dict[str, float] = {}  # refused with LOW_MATCH_CONFIDENCE and a Confidence
    low_matched: list[str] = []  # refused with LOW_MATCH_CONFIDENCE, with or without one
    cap_refused: list[str] = []

    for face_id in faces:
        kind = classes[face_id]
        if kind != "candidate" and _cap_first(ledger, held, face_id, done, bad):
            continue
        if kind == "own":
            ledger.check(C.AF_IGNORE_SAME, face_id not in listed,
                         f"face {face_id} is already {request.user_id!r}'s and must be ignored, "
                         f"but the response lists it")
            _specific_first(ledger, held, face_id, face_id not in listed)
        elif kind == "other":
            check_other_user_entry(ledger, C.AF_DIFF_USER, model, request, face_id, done, bad,
                                    "associated")
            _specific_first(ledger, held, face_id, "ASSOCIATED_TO_A_DIFFERENT_USER" in
                            reasons_of(bad.get(face_id) or {}))
        elif kind == "absent":
            check_not_found_entry(ledger, C.AF_NOT_FOUND, face_id, done, bad, "associated")
            _specific_first(ledger, held, face_id,
                            "FACE_NOT_FOUND" in reasons_of(bad.get(face_id) or {}))
        elif face_id in bad:
            entry = bad[face_id]
            if "LOW_MATCH_CONFIDENCE" in reasons_of(entry):
                low_matched.append(face_id)
                confidence = _check_low_match(ledger, model, request, face_id, entry,
                                              candidates, done, threshold, threshold_clause)
                if confidence is not None:
                    refusals[face_id] = confidence
            else:
                cap_refused.append(face_id)
        else:
            ledger.check(C.AF_ASSOC, face_id in done,
                         f"face {face_id} exists and is unowned, but is in neither list")

    associated = [f for f in candidates if f in done]
    _check_predictions(ledger, model, request, candidates, associated, refusals, threshold,
                       threshold_clause)
    _check_cap(ledger, held, candidates, associated, low_matched, cap_refused, explained)
    ledger.check(C.AF_SHAPE, "UserStatus" in body, "the AssociateFaces response has no UserStatus")
    noop_updating = False
    # Its absence is AF-SHAPE's finding, a value that is no string the schema's (under
    # AF-SHAPE too): neither leaves a status to judge.
    if isinstance(body.get("UserStatus"), str):
        noop_updating = check_status(ledger, model, request.user_id, body["UserStatus"],
                                     bool(associated),
                                     f"AssociateFaces of {len(faces)} faces to "
                                     f"{request.user_id!r}")
    return AssociateVerdict(associated, refusals, rejected=False, noop_updating=noop_updating,
                            learned=_learned(user, candidates, associated, refusals, threshold))


def _learned(user: User, candidates: list[str], associated: list[str],
             refusals: dict[str, float], threshold: float) -> Learned | None:
    """Only a request of one candidate, to a settled user that held faces, tells something
    about one face against one user vector: in a request of several, any of them may be
    matched against faces the same request added, in any order (AMB-BATCH-ORDER)."""
    if user.settling or len(candidates) != 1 or not user.faces:
        return None
    first = candidates[0]
    if first in refusals:
        return Learned(first, refused_with=refusals[first])
    if first in associated:
        return Learned(first, accepted_at=threshold)
    return None


def _check_low_match(ledger: Ledger, model: CollectionModel, request: FacesRequest,
                     face_id: str, entry: dict[str, Any], candidates: list[str],
                     done: list[str], threshold: float, clause: C) -> float | None:
    """A LOW_MATCH_CONFIDENCE refusal; returns its Confidence, None when it has none."""
    held = len(model.users[request.user_id].faces)
    if held == 0:
        # Nothing to match against but faces this request took (S0.5), in any order (S0.3).
        taken = [c for c in candidates if c != face_id and c in done]
        ledger.check(C.AF_THRESHOLD, bool(taken),
                     f"user {request.user_id!r} has no face and the request associated none, "
                     f"so the threshold does not apply, but face {face_id} was refused with "
                     f"LOW_MATCH_CONFIDENCE")
        ledger.observe(A.AMB_FIRST_BATCH, "matched-in-request",
                       f"face {face_id} refused in a first batch of {len(candidates)}")
        earlier = candidates[:candidates.index(face_id)]
        if not any(c in done for c in earlier):
            ledger.observe(A.AMB_BATCH_ORDER, "any-order",
                           f"face {face_id} refused in a first batch of {len(candidates)} though "
                           f"no face listed before it was taken")
    ledger.check(clause, threshold > 0,
                 f"threshold 0 refuses nothing, but {face_id} was refused with "
                 f"LOW_MATCH_CONFIDENCE ({entry!r})")
    if entry.get("Confidence") is None:
        # S0.38 describes Confidence, M.9 makes it optional.
        ledger.observe(A.AMB_LOW_CONF_FIELD, "absent", f"LOW_MATCH_CONFIDENCE entry for {face_id}")
        return None
    confidence = entry.get("Confidence")
    # A Confidence that is not a number is the shape's deviation (the schema reports it).
    ledger.check(C.AF_SHAPE if "Confidence" in entry else clause,
                 isinstance(confidence, int | float),
                 f"LOW_MATCH_CONFIDENCE entry for {face_id} has no numeric Confidence: {entry!r}")
    if not isinstance(confidence, int | float):
        return None  # a known deviation, already reported: nothing to learn from it
    ledger.observe(A.AMB_LOW_CONF_FIELD, "present", f"LOW_MATCH_CONFIDENCE entry for {face_id}")
    # S0.38 does not say the reported value is the one compared: it may be rounded.
    ledger.check(clause, confidence < threshold + CONFIDENCE_MARGIN,
                 f"face {face_id} refused with LOW_MATCH_CONFIDENCE at threshold {threshold} "
                 f"but its Confidence {confidence} is not below it")
    if confidence >= threshold:
        ledger.observe(A.AMB_CONF_ROUNDING, "rounded",
                       f"face {face_id} refused at threshold {threshold} with Confidence "
                       f"{confidence}")
    return finite(confidence)


def _check_predictions(ledger: Ledger, model: CollectionModel, request: FacesRequest,
                       candidates: list[str], associated: list[str],
                       refusals: dict[str, float], threshold: float, clause: C) -> None:
    """Metamorphic relations on the threshold, using what the target reported earlier.

    Only a request of one candidate is predicted: in a request of several, any of them
    may be matched against faces the same request added, in any order (AMB-BATCH-ORDER).
    At threshold 100 a face of a person the user does not hold is never taken.
    """
    user = model.users[request.user_id]
    if not candidates:
        return
    first = candidates[0]
    taken = first in associated
    persons = model.persons_of(request.user_id)
    if not persons:
        _observe_first_batch(ledger, model, request, candidates, associated, threshold)
        return
    if threshold >= 100 and model.faces[first].person not in persons:
        ledger.check(clause, not taken,
                     f"face {first} shows a person {request.user_id!r} does not hold, yet it was "
                     f"accepted at threshold 100 (two people never match with confidence 100)")
    if user.settling or len(candidates) != 1:  # the user vector may be changing: no prediction
        return
    known = model.confidence(request.user_id, first)
    prediction = known.predicts(threshold) if known else None
    cap_may_refuse = len(user.faces) + len(candidates) > USER_FACE_CAP
    if prediction is True and not cap_may_refuse:
        now = refusals.get(first)
        if known and known.exact is not None and now is not None:
            # Refused again, with another Confidence for the same face against the same
            # faces: the reported Confidence is at fault, whatever the threshold.
            ledger.check(C.AF_THRESHOLD, abs(now - known.exact) < CONFIDENCE_MARGIN,
                         f"face {first} was refused for {request.user_id!r} with Confidence "
                         f"{known.exact}, and now with Confidence {now} against the same faces")
        # Learned from an acceptance with the threshold omitted, on a target whose default
        # is known to be wrong: the match was never at 75, and this is that deviation's.
        by_default = frozenset({C.AF_THRESHOLD_DEFAULT}) & ledger.known if (
            known is not None and known.exact is None
            and known.at_least == DEFAULT_USER_MATCH_THRESHOLD) else frozenset()
        ledger.check(clause, taken,
                     f"face {first} matched {request.user_id!r} earlier ({known}) so it must be "
                     f"accepted at threshold {threshold}, but was not", by_default)
    elif prediction is False:
        ledger.check(clause, not taken,
                     f"face {first} was refused for {request.user_id!r} with Confidence "
                     f"{known.exact if known else '?'} so it must be refused at threshold "
                     f"{threshold}, but was accepted")


def _observe_first_batch(ledger: Ledger, model: CollectionModel, request: FacesRequest,
                         candidates: list[str], associated: list[str],
                         threshold: float) -> None:
    """AMB-FIRST-BATCH "no-threshold" shows only where matching would surely have refused:
    at threshold 100, a later face of another person than the first."""
    if threshold < 100 or not associated or associated[0] != candidates[0]:
        return
    first_person = model.faces[candidates[0]].person
    for face_id in candidates[1:]:
        if model.faces[face_id].person != first_person and face_id in associated:
            ledger.observe(A.AMB_FIRST_BATCH, "no-threshold",
                           f"first batch of {len(candidates)} to {request.user_id!r} at 100")
            return


def _check_cap(ledger: Ledger, held: int, candidates: list[str], associated: list[str],
               refusals: list[str], cap_refused: list[str],
               explained: frozenset[str] = frozenset()) -> None:
    after = held + len(associated)
    ledger.check(C.AF_CAP_USER, after <= USER_FACE_CAP,
                 f"the user held {held} faces and {len(associated)} more were associated: "
                 f"{after} is over the cap of {USER_FACE_CAP}")
    if after == USER_FACE_CAP:
        ledger.reached("user-at-100")
    elif after == USER_FACE_CAP - 1:
        ledger.reached("user-at-99")
    if not cap_refused:
        return
    eligible = len(candidates) - len(refusals)
    ledger.check(C.AF_ASSOC, held + eligible > USER_FACE_CAP,
                 f"faces {cap_refused} are unowned and passed the threshold but were refused "
                 f"though the user holds only {held} faces", explained)
    if held >= USER_FACE_CAP:
        ledger.observe(A.AMB_CAP, "unsuccessful-entries", f"user at {held}, {eligible} new "
                       "faces")
    else:
        reading = "filled-to-cap" if associated else "refused-whole"
        ledger.observe(A.AMB_CAP_CROSS, reading, f"user at {held}, {eligible} new faces")
    ledger.reached("cap-refusal")
