"""How the reference emulator behaves: the readings it takes, its timing, and seeded deviations.

The default ``Behaviour()`` is the implementation we would ship if we were AWS:
every clause of the register, and the readings AWS has published where it has
published one. Legal variants change ``readings``, ``settle_seconds`` or ``creating_seconds``;
mutants (``conformance.mutants``) add names from ``DEVIATIONS`` or leave
operations out (``missing_operations``); fault injection (``throttle_every``,
``fault_every``) imitates a live service's transport so the suite's retries can
be tested without AWS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from conformance.clauses import AMBIGUITIES

DEFAULT_READINGS: Mapping[str, str] = MappingProxyType({
    "AMB-CAP": "exception",
    "AMB-CAP-CROSS": "refused-whole",
    "AMB-OWNER-ID": "owner",
    "AMB-STATUS-NOW": "UPDATING",
    "AMB-FIRST-BATCH": "no-threshold",
    "AMB-DUP-IDS": "once",
    "AMB-INVALID-CODE": "InvalidParameterException",
    "AMB-EMPTY-AGAIN": "CREATED",
    "AMB-TOKEN-SCOPE": "per-operation",
    "AMB-DF-UNOWNED": "face-not-found",
    "AMB-DEL-UNKNOWN": "face-not-found",
    "AMB-CAP-CALL": "face-by-face",
    "AMB-DF-STATUS-NOW": "UPDATING",
    "AMB-DF-OWNER-ID": "owner",
    "AMB-STATUS-NOOP": "current",
    "AMB-DF-STATUS-NOOP": "current",
    "AMB-LOW-CONF-FIELD": "present",
    "AMB-CONF-ROUNDING": "exact",
    "AMB-BATCH-ORDER": "request-order",
    "AMB-PATTERN-ANCHOR": "full-match",
    "AMB-FACE-USERID": "listed",
    "AMB-CAP-PRECEDENCE": "specific-first",
    "AMB-BUSY": "user",
    "AMB-DU-SETTLE": "immediate",
    "AMB-TOKEN-MISMATCH": "exception",
    "AMB-DF-TOKEN-MISMATCH": "exception",
    "AMB-CU-TOKEN-MISMATCH": "exception",
    "AMB-DU-TOKEN-MISMATCH": "exception",
    "AMB-REPLAY-GONE": "first-response",
    "AMB-DF-REPLAY-GONE": "first-response",
    "AMB-DU-REPLAY-GONE": "first-response",
    "AMB-SU-SELF": "excluded",
    "AMB-SU-ECHO": "echoed",
    "AMB-SUBI-NO-FACE": "empty",
})

# Seeded deviations, each breaking one clause in a way emulator authors really do.
# name -> what the emulator then does. The clause each breaks is in conformance.mutants.
DEVIATIONS: Mapping[str, str] = MappingProxyType({
    "move-owned-face": "AssociateFaces moves a face owned by another user to the requesting user",
    "report-already-associated": "a face already associated to this user is reported again in "
    "AssociatedFaces",
    "accept-unknown-user": "AssociateFaces on an unknown UserId creates the user and associates",
    "unknown-collection-not-found-entries": "AssociateFaces on an unknown collection answers "
    "every face FACE_NOT_FOUND instead of ResourceNotFoundException",
    "drop-unknown-face": "a FaceId absent from the collection is silently left out of both lists",
    "unknown-user-wrong-code": "AssociateFaces on an unknown UserId answers "
    "InvalidParameterException instead of ResourceNotFoundException",
    "threshold-ignored": "UserMatchThreshold is never applied",
    "threshold-on-empty-user": "the threshold is applied to a user with no face (every face "
    "refused at a threshold above 0)",
    "low-confidence-reports-threshold": "a LOW_MATCH_CONFIDENCE entry reports the threshold as "
    "its Confidence instead of the match confidence",
    "threshold-inverted": "the threshold comparison is inverted: a face whose match "
    "confidence is at or above UserMatchThreshold is refused, one below it taken",
    "default-threshold-50": "an omitted UserMatchThreshold means 50, not 75",
    "zero-threshold-is-default": "a UserMatchThreshold of 0 is read as absent (falsy default) "
    "and 75 applies",
    "threshold-range-unchecked": "a UserMatchThreshold outside 0..100 is accepted",
    "cap-off-by-one": "a user may hold 101 faces",
    "cap-checked-per-request": "the cap is checked once per request, against the count before "
    "the request, so a request may carry a user past 100",
    "refusal-not-rolled-back": "a request refused with ServiceQuotaExceededException keeps the "
    "faces it associated before the refusal",
    "request-max-unchecked": "more than 100 FaceIds in one request are accepted",
    "faceid-pattern-unchecked": "a malformed FaceId is answered FACE_NOT_FOUND instead of being "
    "rejected",
    "userid-length-unchecked": "AssociateFaces accepts a UserId longer than 128 characters",
    "cu-userid-unchecked": "CreateUser accepts a UserId longer than 128 characters or "
                           "outside the model's pattern (a space, a slash)",
    "token-pattern-unchecked": "AssociateFaces accepts a ClientRequestToken outside its pattern",
    # Pattern-blind: the length is checked, the pattern never (not even searched for).
    "userid-pattern-unchecked": "AssociateFaces checks UserId's length but not its pattern",
    "collectionid-pattern-unchecked": "AssociateFaces checks CollectionId's length but not its "
                                      "pattern",
    "cu-userid-pattern-unchecked": "CreateUser checks UserId's length but not its pattern",
    "cu-token-pattern-unchecked": "CreateUser checks ClientRequestToken's length but not its "
                                  "pattern",
    "missing-user-status": "the AssociateFaces response has no UserStatus",
    "confidence-as-string": "Confidence in an unsuccessful entry is a string",
    "echo-duplicate-face": "a FaceId repeated in the request is listed twice in AssociatedFaces",
    "status-never-settles": "UserStatus stays UPDATING forever after a change",
    "new-user-active": "a new user lists as ACTIVE instead of CREATED",
    "creating-never-ends": "a new user lists as CREATING until its first change, never CREATED",
    "token-replayed-against-today": "a replayed AssociateFaces token re-executes the request "
    "against the current state instead of returning the first response",
    "dedupe-without-token": "identical AssociateFaces or DisassociateFaces requests are "
    "deduplicated by their parameters, so two calls without a token count as one",
    "mismatch-wrong-code": "an AssociateFaces token reused with other parameters answers "
    "ConflictException instead of IdempotentParameterMismatchException",
    "no-lock": "requests are served without the backend lock, with a window between check and "
    "act",
    "df-releases-other-users-face": "DisassociateFaces releases a face owned by another user",
    "df-drop-unknown-face": "DisassociateFaces leaves an unknown FaceId out of both lists",
    "df-no-release": "DisassociateFaces reports success but the face stays owned",
    "df-unknown-user-ok": "DisassociateFaces on an unknown UserId answers with empty lists",
    "cu-overwrite-existing": "CreateUser on an existing UserId succeeds and empties the user",
    "cu-replay-conflict": "replaying CreateUser with the same token answers ConflictException",
    "du-keeps-faces-owned": "DeleteUser leaves the user's faces owned by the deleted user",
    "du-unknown-ok": "DeleteUser on an unknown UserId succeeds",
    "delete-owned-face": "DeleteFaces deletes a face that belongs to a user",
    "list-faces-drops-page-edge": "ListFaces drops the first item of every page after the first",
    # Only a listing paged by three or more shows it: the directed checks page by one, so
    # exploration finds it (and tests of the exploring and shrinking phases rely on that).
    "list-faces-skips-with-pages-of-three": "ListFaces with MaxResults 3 or more drops the "
                                            "first item of every page after the first",
    "list-users-repeats-page-edge": "ListUsers repeats the last item of a page at the start of "
    "the next",
    "list-faces-ignores-userid": "ListFaces ignores its UserId filter",
    "assoc-not-persisted": "AssociateFaces reports faces as associated but does not record the "
    "ownership",
    "df-missing-user-status": "the DisassociateFaces response has no UserStatus",
    "df-token-ignored": "DisassociateFaces does not remember tokens, so a replay executes again",
    "df-replay-executes": "replaying DisassociateFaces with the same token runs the request "
    "again instead of returning the first response",
    "df-mismatch-ignored": "DisassociateFaces with a reused token and other parameters executes "
    "the new request instead of answering IdempotentParameterMismatchException",
    "cu-mismatch-ignored": "CreateUser with a reused token and another UserId creates that user "
    "instead of answering IdempotentParameterMismatchException",
    "du-replay-executes": "replaying DeleteUser with the same token deletes the user again, "
    "so a user created again with that UserId since is deleted",
    "du-mismatch-ignored": "DeleteUser with a reused token and another UserId deletes that user "
    "instead of answering IdempotentParameterMismatchException",
    "delete-unowned-kept": "DeleteFaces reports unowned faces as deleted but keeps them",
    "index-faces-confidence-string": "IndexFaces answers Face.Confidence as a string",
    # The stub emulator of issue 18: a half-built server whose set-up steps deviate.
    "index-nothing": "IndexFaces indexes no face from an image of one face (FaceRecords: [])",
    "list-users-ignores-max-results": "ListUsers ignores MaxResults: every user on one page",
    "tokens-ignored": "no operation remembers a ClientRequestToken: every request runs as new",
    "validation-absent": "no length, pattern or range of a request is checked, only its "
    "required members and types",
    "delete-faces-bad-reason": "DeleteFaces gives a FaceId absent from the collection a reason "
    "outside the model's enum",
    # The searches (issue 20): each reads the associations wrong in one way.
    "su-face-finds-nobody": "SearchUsers by FaceId finds no user",
    "su-user-finds-nobody": "SearchUsers by UserId finds no user",
    "subi-ignores-person": "SearchUsersByImage finds every user holding a face, whoever the "
    "image shows",
    "su-threshold-ignored": "the searches ignore UserMatchThreshold: every user holding a face "
    "is a match",
    "su-max-users-ignored": "the searches ignore MaxUsers",
    "su-absent-face-empty": "SearchUsers by an absent FaceId answers no match instead of "
    "ResourceNotFoundException",
    "search-sees-released-faces": "the searches still count a face for the user that "
    "disassociated it",
    "subi-no-face-matches": "SearchUsersByImage of an image with no face searches all the "
    "same: every user holding a face is a match",
})


@dataclass(frozen=True)
class Behaviour:
    readings: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_READINGS))
    # How long a user stays UPDATING after a change before it is ACTIVE.
    settle_seconds: float = 0.0
    # How long a new user lists as CREATING after CreateUser before it is CREATED (M.10's
    # enum has CREATING; no sentence says when). Requests to it are served meanwhile.
    creating_seconds: float = 0.0
    # While a user is UPDATING (within settle_seconds of a change), refuse the requests
    # AMB-BUSY's reading calls busy with ConflictException, as a live service may.
    busy_conflicts: bool = False
    # A search matches no user that is still UPDATING: its faces count only once its change
    # has settled. M.SU.7's UserStatus enum lets a match be UPDATING; no sentence says a
    # search must already see a change that has not settled.
    searches_wait_for_settling: bool = False
    deviations: frozenset[str] = frozenset()
    # Fault injection, deterministic: every Nth request (0 = never) is refused before
    # it has any effect, with ThrottlingException (HTTP 400) or InternalServerError (500).
    throttle_every: int = 0
    fault_every: int = 0
    # Operations the emulator does not implement, as an emulator still being built: each
    # is answered UnknownOperationException (HTTP 400), as an unknown X-Amz-Target is.
    missing_operations: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for amb, reading in self.readings.items():
            if amb not in AMBIGUITIES:
                raise ValueError(f"unknown ambiguity {amb!r}")
            if reading not in AMBIGUITIES[amb].readings:
                raise ValueError(f"{amb} has no reading {reading!r}; "
                                 f"choose one of {AMBIGUITIES[amb].readings}")
        unknown = self.deviations - DEVIATIONS.keys()
        if unknown:
            raise ValueError(f"unknown deviations {sorted(unknown)}")
        if self.missing_operations:
            # Imported here: the operations register as their modules load, after this one.
            from conformance.emulator.backend import OPERATIONS

            unserved = self.missing_operations - OPERATIONS.keys()
            if unserved:
                raise ValueError(f"unknown operations {sorted(unserved)}; the emulator serves "
                                 f"{', '.join(sorted(OPERATIONS))}")

    def implements(self, operation: str) -> bool:
        return operation not in self.missing_operations

    def reading(self, ambiguity: str) -> str:
        return self.readings.get(ambiguity, DEFAULT_READINGS[ambiguity])

    def deviates(self, name: str) -> bool:
        assert name in DEVIATIONS, name
        return name in self.deviations
