"""DisassociateFaces and DeleteFaces: which faces were released, and which deleted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.checks.answers import check_refused, check_schema, entries, text
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
from conformance.model import CollectionModel
from conformance.spec import BUSY_CODE


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
    if unreadable(ledger, C.DF_SHAPE, body, "DisassociatedFaces",
                   "UnsuccessfulFaceDisassociations"):
        return DisassociateVerdict([], rejected=False)
    done, bad, listed = outcome_lists(body, "DisassociatedFaces", "UnsuccessfulFaceDisassociations")
    check_listing_shape(ledger, C.DF_SHAPE, request, done, bad, listed)

    released = []
    for face_id in request.distinct_faces():
        kind = model.classify(request.user_id, face_id)
        if kind == "own":
            ledger.check(C.DF_RELEASE, face_id in done and face_id not in bad,
                         f"face {face_id} is {request.user_id!r}'s and must be in "
                         f"DisassociatedFaces")
            released.append(face_id)
        elif kind == "other":
            check_other_user_entry(ledger, C.DF_DIFF_USER, model, request, face_id, done, bad,
                                    "disassociated")
        elif kind == "absent":
            check_not_found_entry(ledger, C.DF_NOT_FOUND, face_id, done, bad, "disassociated")
        else:
            ledger.check(C.DF_NOT_FOUND, face_id not in done,
                         f"face {face_id} belongs to no user but was reported disassociated")
            entry = bad.get(face_id)
            if entry is None:
                ledger.observe(A.AMB_DF_UNOWNED, "ignored", f"unowned face {face_id}")
            else:
                ledger.check(C.DF_NOT_FOUND, "FACE_NOT_FOUND" in reasons_of(entry),
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
                         "ASSOCIATED_TO_AN_EXISTING_USER" in reasons_of(entry),
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
                ledger.check(C.DEL_FACES, "FACE_NOT_FOUND" in reasons_of(entry),
                             f"absent face {face_id}: expected FACE_NOT_FOUND, got {entry!r}")
                ledger.observe(A.AMB_DEL_UNKNOWN, "face-not-found", f"absent face {face_id}")
    return gone
