"""What the checks of AssociateFaces and DisassociateFaces share: the request, the two
lists of faces' outcomes an answer gives, busy refusals, repeated FaceIds, UserStatus."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from conformance.checks.answers import entries, short, text
from conformance.clauses import A, C
from conformance.driver import Outcome
from conformance.ledger import Ledger
from conformance.model import CollectionModel
from conformance.spec import VALIDATION_CODES


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


def outcome_lists(body: dict[str, Any], ok_key: str, bad_key: str
             ) -> tuple[list[str], dict[str, dict[str, Any]], list[str]]:
    done = [text(e, "FaceId") for e in entries(body, ok_key)]
    bad_list = entries(body, bad_key)
    bad = {text(e, "FaceId"): e for e in bad_list}
    listed = done + [text(e, "FaceId") for e in bad_list]
    return done, bad, listed


def unreadable(ledger: Ledger, clause: C, body: dict[str, Any], *keys: str) -> bool:
    """True when a list of faces' outcomes in ``body`` is of another type than the
    schema's (not a list of objects with a string FaceId): no face's outcome can be read
    from it. ``check_schema`` has just judged that under ``clause``, so this is a knock-on,
    and the harness re-reads the state before its next call."""
    broken = [k for k in keys if not isinstance(body.get(k), list | None) or any(
        not isinstance(e, dict) or not isinstance(e.get("FaceId"), str | None)
        for e in body.get(k) or [])]
    if broken:
        ledger.check(clause, False, f"the response's {broken[0]} cannot be read: "
                     f"{short(body.get(broken[0]))}")
    return bool(broken)


def check_listing_shape(ledger: Ledger, clause: C, request: FacesRequest,
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
    repeated = [f for f, n in asked.items() if n > 1 and f in bad and reasons_of(bad[f])]
    counts = [Counter(failed)[f] for f in repeated if f in failed]
    if any(n > 1 for n in counts):
        ledger.observe(A.AMB_DUP_IDS, "per-occurrence",
                       f"FaceIds {request.face_ids}: a repeated face has an entry per occurrence")
    elif counts:
        ledger.observe(A.AMB_DUP_IDS, "once",
                       f"FaceIds {request.face_ids}: a repeated face has one entry")


def reasons_of(entry: dict[str, Any]) -> list[str]:
    reasons = entry.get("Reasons")
    return [r for r in reasons if isinstance(r, str)] if isinstance(reasons, list) else []


def check_other_user_entry(ledger: Ledger, clause: C, model: CollectionModel,
                            request: FacesRequest, face_id: str, done: list[str],
                            bad: dict[str, dict[str, Any]], verb: str) -> None:
    owner = model.owner_of(face_id)
    ledger.check(clause, face_id not in done,
                 f"face {face_id} owned by {owner!r} was {verb} for {request.user_id!r}")
    entry = bad.get(face_id)
    ledger.check(clause, entry is not None and
                 "ASSOCIATED_TO_A_DIFFERENT_USER" in reasons_of(entry),
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


def check_not_found_entry(ledger: Ledger, clause: C, face_id: str, done: list[str],
                           bad: dict[str, dict[str, Any]], verb: str) -> None:
    ledger.check(clause, face_id not in done,
                 f"face {face_id} is not in the collection but was {verb}")
    entry = bad.get(face_id)
    ledger.check(clause, entry is not None and "FACE_NOT_FOUND" in reasons_of(entry),
                 f"face {face_id} is not in the collection: expected an unsuccessful entry "
                 f"with FACE_NOT_FOUND, got {entry!r}")


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
    ``check_listing_shape``, where a repeated face is listed."""
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
