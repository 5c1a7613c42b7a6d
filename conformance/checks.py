"""The checks: each judges one response against the model and names the clause it enforces.

Pure functions of (ledger, model, request, outcome). They never call the target
and never change the model: they return what the model should apply, and the
state machine applies it. A departure raises the clause's ``Failure`` through
``Ledger.check``; a reading of an ambiguity is recorded through ``Ledger.observe``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from conformance.clauses import A, C
from conformance.driver import READ_ONLY, Outcome
from conformance.ledger import Ledger
from conformance.model import CollectionModel, Learned, User
from conformance.schemas import validate_response
from conformance.spec import (
    BUSY_CODE,
    CONFIDENCE_MARGIN,
    DEFAULT_USER_MATCH_THRESHOLD,
    USER_FACE_CAP,
    VALIDATION_CODES,
)


@dataclass(frozen=True)
class FacesRequest:
    """An AssociateFaces or DisassociateFaces request, as the machine built it."""

    user_id: str
    face_ids: list[str]
    threshold: float | None = None  # None: omitted (AssociateFaces only)
    token: str | None = None

    def params(self, collection_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {"CollectionId": collection_id, "UserId": self.user_id,
                               "FaceIds": list(self.face_ids)}
        if self.threshold is not None:
            out["UserMatchThreshold"] = self.threshold
        if self.token is not None:
            out["ClientRequestToken"] = self.token
        return out

    def distinct_faces(self) -> list[str]:
        return list(dict.fromkeys(self.face_ids))

    @property
    def has_repeats(self) -> bool:
        return len(set(self.face_ids)) != len(self.face_ids)


def check_schema(ledger: Ledger, clause: C, outcome: Outcome,
                 explained_by: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The response body matches the operation's JSON Schema; returns the body (an
    object, {} for JSON of another type, which is this check's finding)."""
    body = outcome.body or {}
    problems = [f"the body is {outcome.malformed}"] if outcome.malformed else \
        validate_response(outcome.operation, body)
    ledger.check(clause, not problems,
                 f"{outcome.operation} response does not match its schema: {'; '.join(problems)}",
                 explained_by, doubts_state=outcome.operation not in _SHAPE_SAYS_NOTHING_OF_STATE)
    return body


# A misshapen answer of these says nothing of what the target holds: the listings change
# nothing, and the face an IndexFaces made is read from its answer apart (a FaceId that
# cannot be read breaks Need.FACE). So a knock-on of their shape needs no re-read of the
# state, which would cost a run with such a deviation a listing after every answer.
_SHAPE_SAYS_NOTHING_OF_STATE = READ_ONLY | {"IndexFaces"}


# Reading an answer. Every member is optional in the schema, and once the schema's clause
# is a known deviation its failures are knock-ons: what reads on takes members of the
# wrong type as absent, here, rather than trip over them.

def entries(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The objects of the list ``body[key]``; none when it is not a list."""
    items = body.get(key)
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def text(entry: dict[str, Any], key: str) -> str:
    """``entry[key]`` if it is a string, else "" (absent, or the schema's finding)."""
    value = entry.get(key)
    return value if isinstance(value, str) else ""


# A listing's items: the member that names each, and the others the harness reads as text.
_LISTED = {"Faces": ("FaceId", ("UserId", "ExternalImageId")),
           "Users": ("UserId", ("UserStatus",))}


def listing_problem(outcome: Outcome, key: str) -> tuple[C, str] | None:
    """What keeps a page of ListFaces (``key`` "Faces") or ListUsers ("Users") from being
    read, and whose deviation it is: JSON of another type is the schema's (which
    ``check_schema`` judges), an item that names no face or user is the listing's."""
    if outcome.malformed:
        return C.SCHEMA, f"the body is {outcome.malformed}"
    body = outcome.body or {}
    items = body.get(key)
    token = body.get("NextToken")
    if not isinstance(token, str | None):
        return C.SCHEMA, f"NextToken is {token!r}"
    if items is None:
        return None
    if not isinstance(items, list):
        return C.SCHEMA, f"{key} is {items!r}, not a list"
    name, others = _LISTED[key]
    for item in items:
        if not isinstance(item, dict):
            return C.SCHEMA, f"{key} holds {item!r}, not an object"
        wrong = [m for m in (name, *others) if not isinstance(item.get(m), str | None)]
        if wrong:
            return C.SCHEMA, f"{key} holds {item!r}, whose {wrong[0]} is not a string"
        if item.get(name) is None:
            clause = C.LIST_FACES if key == "Faces" else C.LIST_USERS
            return clause, f"{key} holds {item!r}, which has no {name}"
    return None


def check_refused(ledger: Ledger, clause: C, outcome: Outcome, codes: tuple[str, ...],
                  what: str) -> None:
    ledger.check(clause, outcome.error in codes,
                 f"{what}: expected {' or '.join(codes)}, got "
                 f"{outcome.error or 'success ' + _short(outcome.body)}")


def check_validation_error(ledger: Ledger, clause: C, outcome: Outcome, what: str) -> None:
    """A constraint violation is rejected; which of the two codes is an ambiguity."""
    check_refused(ledger, clause, outcome, VALIDATION_CODES, what)
    if outcome.error in VALIDATION_CODES:  # else a known deviation, already reported
        ledger.observe(A.AMB_INVALID_CODE, str(outcome.error), what)


def _entries(body: dict[str, Any], ok_key: str, bad_key: str
             ) -> tuple[list[str], dict[str, dict[str, Any]], list[str]]:
    done = [text(e, "FaceId") for e in entries(body, ok_key)]
    bad_list = entries(body, bad_key)
    bad = {text(e, "FaceId"): e for e in bad_list}
    listed = done + [text(e, "FaceId") for e in bad_list]
    return done, bad, listed


def _unreadable(ledger: Ledger, clause: C, body: dict[str, Any], *keys: str) -> bool:
    """True when a list of faces' outcomes in ``body`` is of another type than the
    schema's (not a list of objects with a string FaceId): no face's outcome can be read
    from it. ``check_schema`` has just judged that under ``clause``, so this is a knock-on,
    and the harness re-reads the state before its next call."""
    broken = [k for k in keys if not isinstance(body.get(k), list | None) or any(
        not isinstance(e, dict) or not isinstance(e.get("FaceId"), str | None)
        for e in body.get(k) or [])]
    if broken:
        ledger.check(clause, False, f"the response's {broken[0]} cannot be read: "
                     f"{_short(body.get(broken[0]))}")
    return bool(broken)


def _check_listing_shape(ledger: Ledger, clause: C, request: FacesRequest,
                         done: list[str], bad: dict[str, dict[str, Any]],
                         listed: list[str]) -> None:
    """Every listed FaceId was requested; none is in both lists, nor twice in the list of
    successes. A FaceId may be unsuccessful once per time it was requested (AMB-DUP-IDS
    "per-occurrence": S0.10 read per element of FaceIds).

    Only an entry with a reason tells the readings apart: a face the cap refuses (no
    reason) was a candidate once, its repeats ignored as already taken by this request
    (S0.9), so it has one entry under either reading."""
    unrequested = sorted(set(listed) - set(request.face_ids))
    ledger.check(clause, not unrequested,
                 f"the response names FaceIds that were not requested: {unrequested}")
    failed = listed[len(done):]
    both = sorted(set(done) & set(failed))
    twice = sorted(f for f, n in Counter(done).items() if n > 1)
    ledger.check(clause, not twice and not both,
                 f"FaceIds listed twice or in both lists: {sorted(set(twice) | set(both))}")
    asked = Counter(request.face_ids)
    over = sorted(f for f, n in Counter(failed).items() if n > asked[f])
    ledger.check(clause, not over, f"FaceIds listed twice or in both lists: {over}")
    repeated = [f for f, n in asked.items() if n > 1 and f in bad and _reasons(bad[f])]
    counts = [Counter(failed)[f] for f in repeated if f in failed]
    if any(n > 1 for n in counts):
        ledger.observe(A.AMB_DUP_IDS, "per-occurrence",
                       f"FaceIds {request.face_ids}: a repeated face has an entry per occurrence")
    elif counts:
        ledger.observe(A.AMB_DUP_IDS, "once",
                       f"FaceIds {request.face_ids}: a repeated face has one entry")


def _reasons(entry: dict[str, Any]) -> list[str]:
    reasons = entry.get("Reasons")
    return [r for r in reasons if isinstance(r, str)] if isinstance(reasons, list) else []


def _check_other_user_entry(ledger: Ledger, clause: C, model: CollectionModel,
                            request: FacesRequest, face_id: str, done: list[str],
                            bad: dict[str, dict[str, Any]], verb: str) -> None:
    owner = model.owner_of(face_id)
    ledger.check(clause, face_id not in done,
                 f"face {face_id} owned by {owner!r} was {verb} for {request.user_id!r}")
    entry = bad.get(face_id)
    ledger.check(clause, entry is not None and
                 "ASSOCIATED_TO_A_DIFFERENT_USER" in _reasons(entry),
                 f"face {face_id} owned by {owner!r} should be unsuccessful with "
                 f"ASSOCIATED_TO_A_DIFFERENT_USER, got {entry!r}")
    if entry is None:
        return  # a known deviation, already reported: nothing more to read
    named = entry.get("UserId")
    # S0.34 "metadata *like* FaceId, UserID, and Reasons": the member may be left out.
    ledger.check(clause, named in (owner, request.user_id, None),
                 f"the ASSOCIATED_TO_A_DIFFERENT_USER entry for {face_id} names UserId "
                 f"{named!r}, neither the owner {owner!r} nor the requested user")
    reading = "absent" if named is None else "owner" if named == owner else "requested"
    # The sources let the two operations differ: each has its own ambiguity.
    ambiguity = A.AMB_OWNER_ID if clause == C.AF_DIFF_USER else A.AMB_DF_OWNER_ID
    ledger.observe(ambiguity, reading, f"face {face_id} of {owner!r} requested for "
                   f"{request.user_id!r}, entry names {named!r}")


def _check_not_found_entry(ledger: Ledger, clause: C, face_id: str, done: list[str],
                           bad: dict[str, dict[str, Any]], verb: str) -> None:
    ledger.check(clause, face_id not in done,
                 f"face {face_id} is not in the collection but was {verb}")
    entry = bad.get(face_id)
    ledger.check(clause, entry is not None and "FACE_NOT_FOUND" in _reasons(entry),
                 f"face {face_id} is not in the collection: expected an unsuccessful entry "
                 f"with FACE_NOT_FOUND, got {entry!r}")


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
            SPECIFIC_REASONS & set(_reasons(entry)):
        return False
    ledger.observe(A.AMB_CAP_PRECEDENCE, "cap-first",
                   f"face {face_id} refused with no reason at {held}")
    return True


def _specific_first(ledger: Ledger, held: int, face_id: str, shown: bool) -> None:
    if held == USER_FACE_CAP and shown:
        ledger.observe(A.AMB_CAP_PRECEDENCE, "specific-first",
                       f"face {face_id} given its own outcome at {held}")


def accept_busy(ledger: Ledger, model: CollectionModel, request: FacesRequest,
                operation: str) -> bool:
    """AMB-BUSY: a ConflictException with no effect is legal while the requested user is
    UPDATING ("user") or a face of the request is being changed by a settling user (its
    owner, or the user that released it: "face", S0.15), or while it may still be
    CREATING. Recorded only where the two readings differ. True when accepted."""
    user = model.users[request.user_id]
    makers = model.busy_makers(request.distinct_faces())
    if model.may_be_creating(request.user_id):
        # A user still being created (CREATING) is neither UPDATING nor changing a face:
        # a refusal then is legal under either reading, and tells them not apart.
        return True
    if user.settling == bool(makers):
        return user.settling  # both or neither: nothing tells them apart
    ledger.observe(A.AMB_BUSY, "user" if user.settling else "face",
                   f"{operation} to {request.user_id!r} refused as busy"
                   + (f" (settling: {sorted(makers)})" if makers else ""))
    return True


def check_repeats(ledger: Ledger, shape: C, request: FacesRequest, outcome: Outcome) -> bool:
    """AMB-DUP-IDS "rejected". True when the request was rejected for its repeats (and is
    done with): a legal answer to a request with repeats, so the shape clause held. How an
    answered request lists them ("once", "per-occurrence") is observed by
    ``_check_listing_shape``, where a repeated face is listed."""
    if not request.has_repeats:
        return False
    if outcome.error in VALIDATION_CODES:
        ledger.check(shape, True, "")
        ledger.observe(A.AMB_DUP_IDS, "rejected", f"FaceIds {request.face_ids}")
        return True
    return False


def check_status(ledger: Ledger, model: CollectionModel, user_id: str, status: Any,
                 changed: bool, context: str, operation: str = "AssociateFaces") -> bool:
    """AF-STATUS on the UserStatus of an AssociateFaces or DisassociateFaces response.

    The readings are recorded per operation (the sources let the two differ). True when
    a call that changed nothing answered UPDATING for a settled user (AMB-STATUS-NOOP):
    the user may then list as UPDATING for a while.
    """
    disassociate = operation == "DisassociateFaces"
    if changed:
        ledger.check(C.AF_STATUS, status in ("UPDATING", "ACTIVE"),
                     f"{context}: after a change UserStatus must be UPDATING or ACTIVE, "
                     f"got {status!r}", model.explained_by(user_id))
        ledger.observe(A.AMB_DF_STATUS_NOW if disassociate else A.AMB_STATUS_NOW, str(status),
                       context)
        return False
    if ledger.state_in_doubt:
        return False  # after a knock-on in this answer, "nothing changed" is only a guess
    noop = A.AMB_DF_STATUS_NOOP if disassociate else A.AMB_STATUS_NOOP
    options = model.status_options(user_id)
    if status == "UPDATING" and status not in options:
        # S0.11: "the status of an operation which updates a UserID": this call's.
        ledger.observe(noop, "UPDATING", f"{context}: nothing changed")
        return True
    # A user that never held a face shows CREATED: CreateUser's clause (CU-CREATED).
    ledger.check(C.AF_STATUS if model.users[user_id].had_face else C.CU_CREATED,
                 status in options,
                 f"{context}: nothing changed, so UserStatus must be one of "
                 f"{sorted(options)}, got {status!r}", model.explained_by(user_id))
    if not model.users[user_id].settling:
        ledger.observe(noop, "current", f"{context}: nothing changed")
    return False


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
    if _unreadable(ledger, C.AF_SHAPE, body, "AssociatedFaces", "UnsuccessfulFaceAssociations"):
        return AssociateVerdict([], {}, rejected=False)
    done, bad, listed = _entries(body, "AssociatedFaces", "UnsuccessfulFaceAssociations")
    _check_listing_shape(ledger, C.AF_SHAPE, request, done, bad, listed)
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
            _check_other_user_entry(ledger, C.AF_DIFF_USER, model, request, face_id, done, bad,
                                    "associated")
            _specific_first(ledger, held, face_id, "ASSOCIATED_TO_A_DIFFERENT_USER" in
                            _reasons(bad.get(face_id) or {}))
        elif kind == "absent":
            _check_not_found_entry(ledger, C.AF_NOT_FOUND, face_id, done, bad, "associated")
            _specific_first(ledger, held, face_id,
                            "FACE_NOT_FOUND" in _reasons(bad.get(face_id) or {}))
        elif face_id in bad:
            entry = bad[face_id]
            if "LOW_MATCH_CONFIDENCE" in _reasons(entry):
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
    return float(confidence)


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
        ledger.check(clause, taken,
                     f"face {first} matched {request.user_id!r} earlier ({known}) so it must be "
                     f"accepted at threshold {threshold}, but was not")
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


@dataclass(frozen=True)
class DisassociateVerdict:
    released: list[str]
    rejected: bool
    busy: bool = False
    noop_updating: bool = False  # AMB-DF-STATUS-NOOP, as for AssociateVerdict


def judge_disassociate(ledger: Ledger, model: CollectionModel, request: FacesRequest,
                       outcome: Outcome) -> DisassociateVerdict:
    user = model.users.get(request.user_id)
    if user is None:
        check_refused(ledger, C.DF_USER_EXISTS, outcome, ("ResourceNotFoundException",),
                      f"DisassociateFaces on unknown user {request.user_id!r}")
        return DisassociateVerdict([], rejected=True)
    if check_repeats(ledger, C.DF_SHAPE, request, outcome):
        return DisassociateVerdict([], rejected=True)
    if outcome.error == BUSY_CODE and accept_busy(ledger, model, request, "DisassociateFaces"):
        return DisassociateVerdict([], rejected=True, busy=True)
    ledger.check(C.DF_RELEASE, outcome.ok,
                 f"a valid DisassociateFaces request was refused: {outcome.error}: "
                 f"{outcome.message}")
    body = check_schema(ledger, C.DF_SHAPE, outcome)
    if _unreadable(ledger, C.DF_SHAPE, body, "DisassociatedFaces",
                   "UnsuccessfulFaceDisassociations"):
        return DisassociateVerdict([], rejected=False)
    done, bad, listed = _entries(body, "DisassociatedFaces", "UnsuccessfulFaceDisassociations")
    _check_listing_shape(ledger, C.DF_SHAPE, request, done, bad, listed)

    released = []
    for face_id in request.distinct_faces():
        kind = model.classify(request.user_id, face_id)
        if kind == "own":
            ledger.check(C.DF_RELEASE, face_id in done and face_id not in bad,
                         f"face {face_id} is {request.user_id!r}'s and must be in "
                         f"DisassociatedFaces")
            released.append(face_id)
        elif kind == "other":
            _check_other_user_entry(ledger, C.DF_DIFF_USER, model, request, face_id, done, bad,
                                    "disassociated")
        elif kind == "absent":
            _check_not_found_entry(ledger, C.DF_NOT_FOUND, face_id, done, bad, "disassociated")
        else:
            ledger.check(C.DF_NOT_FOUND, face_id not in done,
                         f"face {face_id} belongs to no user but was reported disassociated")
            entry = bad.get(face_id)
            if entry is None:
                ledger.observe(A.AMB_DF_UNOWNED, "ignored", f"unowned face {face_id}")
            else:
                ledger.check(C.DF_NOT_FOUND, "FACE_NOT_FOUND" in _reasons(entry),
                             f"unowned face {face_id}: expected FACE_NOT_FOUND, got {entry!r}")
                ledger.observe(A.AMB_DF_UNOWNED, "face-not-found", f"unowned face {face_id}")

    ledger.check(C.DF_SHAPE, "UserStatus" in body,
                 "the DisassociateFaces response has no UserStatus")
    status = body.get("UserStatus")
    emptied = bool(released) and not (user.faces - set(released))
    noop_updating = False
    if not isinstance(status, str):
        pass  # absent or no string: DF-SHAPE's finding, and no status to judge
    elif emptied and status == "CREATED":
        ledger.check(C.AF_STATUS, True, "")
    else:
        noop_updating = check_status(ledger, model, request.user_id, status, bool(released),
                                     f"DisassociateFaces of {len(request.face_ids)} faces from "
                                     f"{request.user_id!r}", "DisassociateFaces")
    return DisassociateVerdict(released, rejected=False, noop_updating=noop_updating)


def judge_delete_faces(ledger: Ledger, model: CollectionModel, face_ids: list[str],
                       outcome: Outcome) -> list[str]:
    """DEL-OWNED and DEL-FACES; returns the faces the model should delete."""
    ledger.check(C.DEL_FACES, outcome.ok,
                 f"DeleteFaces was refused: {outcome.error}: {outcome.message}")
    # The entries are judged before the schema: a reason outside the enum is the deviation
    # of the clause whose reason it is, and the schema's complaint about it a knock-on.
    before = {c: ledger.knock_ons[c] for c in (C.DEL_OWNED, C.DEL_FACES)}
    body = outcome.body or {}
    gone = _judge_deletions(ledger, model, face_ids, body)
    explained = frozenset(c for c, n in before.items() if ledger.knock_ons[c] > n)
    check_schema(ledger, C.SCHEMA, outcome, explained)
    return gone


def _judge_deletions(ledger: Ledger, model: CollectionModel, face_ids: list[str],
                     body: dict[str, Any]) -> list[str]:
    # Read before the schema is checked, so nothing is taken for the type it should be.
    listed = body.get("DeletedFaces")
    deleted = [f for f in listed if isinstance(f, str)] if isinstance(listed, list) else []
    bad = {text(e, "FaceId"): e for e in entries(body, "UnsuccessfulFaceDeletions")}
    gone = []
    for face_id in dict.fromkeys(face_ids):
        face = model.faces.get(face_id)
        if face is not None and face.owner is not None:
            entry = bad.get(face_id)
            ledger.check(C.DEL_OWNED, face_id not in deleted,
                         f"face {face_id} belongs to {face.owner!r} but DeleteFaces deleted it")
            ledger.check(C.DEL_OWNED, entry is not None and
                         "ASSOCIATED_TO_AN_EXISTING_USER" in _reasons(entry),
                         f"face {face_id} belongs to {face.owner!r}: expected an "
                         f"ASSOCIATED_TO_AN_EXISTING_USER entry, got {entry!r}")
        elif face is not None:
            ledger.check(C.DEL_FACES, face_id in deleted,
                         f"unowned face {face_id} was not in DeletedFaces")
            gone.append(face_id)
        else:
            ledger.check(C.DEL_FACES, face_id not in deleted,
                         f"face {face_id} is not in the collection but DeleteFaces says it "
                         f"deleted it")
            entry = bad.get(face_id)
            if entry is None:
                ledger.observe(A.AMB_DEL_UNKNOWN, "ignored", f"absent face {face_id}")
            else:
                ledger.check(C.DEL_FACES, "FACE_NOT_FOUND" in _reasons(entry),
                             f"absent face {face_id}: expected FACE_NOT_FOUND, got {entry!r}")
                ledger.observe(A.AMB_DEL_UNKNOWN, "face-not-found", f"absent face {face_id}")
    return gone


def same_response(first: dict[str, Any], second: dict[str, Any]) -> bool:
    """Equal bodies, ignoring the order of list items (a replay may list them in any order)."""
    return bool(_canonical(first) == _canonical(second))


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_canonical(v) for v in value), key=repr)
    return value


def _short(body: dict[str, Any] | None, limit: int = 160) -> str:
    text = repr(body)
    return text if len(text) <= limit else text[: limit - 3] + "..."
