"""The clause register and the ambiguity register (DESIGN.md sections 4 and 5).

Every check the suite makes names one clause from ``CLAUSES``; reports group
results by clause. Every place where the sources allow more than one reading
names one ambiguity from ``AMBIGUITIES``; the suite records the reading a
target showed (its behaviour profile) instead of failing it.

Sources: S0 = boto3 reference, S1 = Dart SDK reference, M = botocore model,
X = examples AWS itself published.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class _Id(StrEnum):
    """An id that reads as the plain string it is, in messages and reports alike."""

    def __repr__(self) -> str:
        return repr(self.value)


class C(_Id):
    """Clause ids: a misspelt id is an AttributeError at import and a mypy error."""

    AF_USER_EXISTS = "AF-USER-EXISTS"
    AF_COLL_EXISTS = "AF-COLL-EXISTS"
    AF_ASSOC = "AF-ASSOC"
    AF_IGNORE_SAME = "AF-IGNORE-SAME"
    AF_DIFF_USER = "AF-DIFF-USER"
    AF_NOT_FOUND = "AF-NOT-FOUND"
    AF_THRESHOLD = "AF-THRESHOLD"
    AF_THRESHOLD_DEFAULT = "AF-THRESHOLD-DEFAULT"
    AF_THRESHOLD_RANGE = "AF-THRESHOLD-RANGE"
    AF_CAP_USER = "AF-CAP-USER"
    AF_CAP_REQUEST = "AF-CAP-REQUEST"
    AF_INPUT = "AF-INPUT"
    AF_SHAPE = "AF-SHAPE"
    AF_STATUS = "AF-STATUS"
    AF_TOKEN_REPLAY = "AF-TOKEN-REPLAY"
    AF_TOKEN_MISMATCH = "AF-TOKEN-MISMATCH"
    AF_TOKEN_AUTO = "AF-TOKEN-AUTO"
    DF_USER_EXISTS = "DF-USER-EXISTS"
    DF_RELEASE = "DF-RELEASE"
    DF_DIFF_USER = "DF-DIFF-USER"
    DF_NOT_FOUND = "DF-NOT-FOUND"
    DF_SHAPE = "DF-SHAPE"
    DF_TOKEN_REPLAY = "DF-TOKEN-REPLAY"
    DF_TOKEN_MISMATCH = "DF-TOKEN-MISMATCH"
    CU_CREATED = "CU-CREATED"
    CU_CONFLICT = "CU-CONFLICT"
    CU_INPUT = "CU-INPUT"
    CU_TOKEN_REPLAY = "CU-TOKEN-REPLAY"
    CU_TOKEN_MISMATCH = "CU-TOKEN-MISMATCH"
    DU_NOT_FOUND = "DU-NOT-FOUND"
    DU_RELEASE = "DU-RELEASE"
    DU_TOKEN_REPLAY = "DU-TOKEN-REPLAY"
    DU_TOKEN_MISMATCH = "DU-TOKEN-MISMATCH"
    DEL_OWNED = "DEL-OWNED"
    DEL_FACES = "DEL-FACES"
    SCHEMA = "SCHEMA"
    LIST_FACES = "LIST-FACES"
    LIST_USERS = "LIST-USERS"
    CONC = "CONC"
    SU_FACE = "SU-FACE"
    SU_USER = "SU-USER"
    SUBI_IMAGE = "SUBI-IMAGE"
    SU_THRESHOLD = "SU-THRESHOLD"
    SU_NOT_FOUND = "SU-NOT-FOUND"
    SU_RELEASE = "SU-RELEASE"
    SU_SHAPE = "SU-SHAPE"
    SUBI_NO_FACE = "SUBI-NO-FACE"


class A(_Id):
    """Ambiguity ids, checked the same way."""

    AMB_CAP = "AMB-CAP"
    AMB_CAP_CROSS = "AMB-CAP-CROSS"
    AMB_OWNER_ID = "AMB-OWNER-ID"
    AMB_STATUS_NOW = "AMB-STATUS-NOW"
    AMB_FIRST_BATCH = "AMB-FIRST-BATCH"
    AMB_DUP_IDS = "AMB-DUP-IDS"
    AMB_INVALID_CODE = "AMB-INVALID-CODE"
    AMB_EMPTY_AGAIN = "AMB-EMPTY-AGAIN"
    AMB_TOKEN_SCOPE = "AMB-TOKEN-SCOPE"
    AMB_DF_UNOWNED = "AMB-DF-UNOWNED"
    AMB_DEL_UNKNOWN = "AMB-DEL-UNKNOWN"
    AMB_CAP_CALL = "AMB-CAP-CALL"
    AMB_DF_STATUS_NOW = "AMB-DF-STATUS-NOW"
    AMB_DF_OWNER_ID = "AMB-DF-OWNER-ID"
    AMB_STATUS_NOOP = "AMB-STATUS-NOOP"
    AMB_DF_STATUS_NOOP = "AMB-DF-STATUS-NOOP"
    AMB_LOW_CONF_FIELD = "AMB-LOW-CONF-FIELD"
    AMB_CONF_ROUNDING = "AMB-CONF-ROUNDING"
    AMB_BATCH_ORDER = "AMB-BATCH-ORDER"
    AMB_PATTERN_ANCHOR = "AMB-PATTERN-ANCHOR"
    AMB_FACE_USERID = "AMB-FACE-USERID"
    AMB_CAP_PRECEDENCE = "AMB-CAP-PRECEDENCE"
    AMB_BUSY = "AMB-BUSY"
    AMB_DU_SETTLE = "AMB-DU-SETTLE"
    AMB_TOKEN_MISMATCH = "AMB-TOKEN-MISMATCH"
    AMB_DF_TOKEN_MISMATCH = "AMB-DF-TOKEN-MISMATCH"
    AMB_CU_TOKEN_MISMATCH = "AMB-CU-TOKEN-MISMATCH"
    AMB_DU_TOKEN_MISMATCH = "AMB-DU-TOKEN-MISMATCH"
    AMB_REPLAY_GONE = "AMB-REPLAY-GONE"
    AMB_DF_REPLAY_GONE = "AMB-DF-REPLAY-GONE"
    AMB_DU_REPLAY_GONE = "AMB-DU-REPLAY-GONE"
    AMB_SU_SELF = "AMB-SU-SELF"
    AMB_SU_ECHO = "AMB-SU-ECHO"
    AMB_SUBI_NO_FACE = "AMB-SUBI-NO-FACE"


@dataclass(frozen=True)
class Clause:
    id: C
    text: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Ambiguity:
    id: A
    question: str
    readings: tuple[str, ...]
    # The clause a pinned reading is enforced under when the target departs from it.
    clause: C
    # reading -> the example or behaviour AWS itself has published (X) that contradicts it.
    # Such a reading passes under strictness "spec" and is listed under "differs from AWS";
    # strictness "aws" fails it under ``clause``.
    differs_from_aws: Mapping[str, str] = field(default_factory=dict)
    # reading -> a reading that also shows it now and then: a deletion that takes time is
    # seen done at the first look whenever that look comes late. Once the other is seen
    # too, the target's reading is the other (``shown``), and a pin of it allows both.
    shown_by: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.differs_from_aws) - set(self.readings)
        assert not unknown, f"{self.id}: differs_from_aws names no reading of it: {unknown}"

    @property
    def aws_readings(self) -> tuple[str, ...]:
        """The readings no published AWS source contradicts: those strictness "aws" allows."""
        return tuple(r for r in self.readings if r not in self.differs_from_aws)

    @property
    def aws_reading(self) -> str | None:
        """The reading AWS has published, where its sources leave exactly one."""
        left = self.aws_readings
        return left[0] if self.differs_from_aws and len(left) == 1 else None


def _only(readings: tuple[str, ...], published: str, source: str) -> dict[str, str]:
    """``differs_from_aws`` where ``source`` shows ``published``: every other reading."""
    assert published in readings, published
    return {r: source for r in readings if r != published}


# What AWS itself has published (DESIGN.md section 6, source X), as the lines of the
# "differs from AWS" list name it.
X_AF_EXAMPLE = ("AWS's AssociateFaces example (JavaScript SDK v3 AssociateFacesCommand, "
                "developer guide associate-faces.html)")
X_DF_EXAMPLE = "AWS's DisassociateFaces example (JavaScript SDK v3 DisassociateFacesCommand)"
X_SU_EXAMPLE = "AWS's SearchUsers example (JavaScript SDK v3 SearchUsersCommand)"
X_LIST_FACES = ("the developer guide's \"Listing faces and associated users in a collection\" "
                "(list-faces-in-collection-procedure.html: ListFaces lists faces \"and their "
                "associated users\"; JavaScript SDK v3 ListFacesCommand's Face has UserId)")


def _clauses(*rows: tuple[C, str, str]) -> dict[str, Clause]:
    return {cid: Clause(cid, text, tuple(src.split(","))) for cid, text, src in rows}


CLAUSES: dict[str, Clause] = _clauses(
    (C.AF_USER_EXISTS, "AssociateFaces on an unknown UserId: ResourceNotFoundException", "S0,M"),
    (C.AF_COLL_EXISTS, "AssociateFaces on an unknown collection: ResourceNotFoundException", "M"),
    (C.AF_ASSOC, "an existing unowned face that passes the threshold is associated, listed in "
     "AssociatedFaces, and from then on owned by the user (ListFaces shows it: Face.UserId, or "
     "the UserId filter, AMB-FACE-USERID)", "S0"),
    (C.AF_IGNORE_SAME, "a face already associated to this user is ignored: in neither list, "
     "nothing changes", "S0,S1"),
    (C.AF_DIFF_USER, "a face owned by another user is unsuccessful with "
     "ASSOCIATED_TO_A_DIFFERENT_USER and its ownership is unchanged", "S0"),
    (C.AF_NOT_FOUND, "a well-formed FaceId absent from the collection is unsuccessful with "
     "FACE_NOT_FOUND", "S0"),
    (C.AF_THRESHOLD, "for a user that has a face, a face whose match confidence is below "
     "UserMatchThreshold is unsuccessful with LOW_MATCH_CONFIDENCE and a Confidence below the "
     "threshold; for a user with no face the threshold does not apply", "S0,S1"),
    (C.AF_THRESHOLD_DEFAULT, "an omitted UserMatchThreshold means 75", "S0,S1"),
    (C.AF_THRESHOLD_RANGE, "a UserMatchThreshold outside 0..100 is rejected by the server",
     "S0,S1,M"),
    (C.AF_CAP_USER, "a user never holds more than 100 faces; at the cap further faces are "
     "refused", "S0,S1"),
    (C.AF_CAP_REQUEST, "1..100 FaceIds per request; more are rejected by the server", "S1,M"),
    (C.AF_INPUT, "ids outside their pattern or length (CollectionId, UserId, FaceId, "
     "ClientRequestToken) are rejected by the server, with no effect", "M"),
    (C.AF_SHAPE, "every AssociateFaces response matches the schema; every FaceId in it was "
     "requested; no FaceId in both lists or twice", "S0,M"),
    (C.AF_STATUS, "UserStatus is one of the enum; after a change it is UPDATING or ACTIVE and "
     "becomes ACTIVE within the settle timeout (a user that never held a face shows CREATED: "
     "CU-CREATED)", "S0,S1"),
    (C.AF_TOKEN_REPLAY, "the same ClientRequestToken with the same parameters returns the same "
     "response (or ResourceNotFoundException once the user is gone: AMB-REPLAY-GONE) and has "
     "no second effect", "S0,S1"),
    (C.AF_TOKEN_MISMATCH, "the same token with other parameters: "
     "IdempotentParameterMismatchException or the first response again (AMB-TOKEN-MISMATCH), "
     "and no effect", "S1,M"),
    (C.AF_TOKEN_AUTO, "with no token the SDK sends a fresh one: two identical calls are two "
     "calls", "S0,S1"),
    (C.DF_USER_EXISTS, "DisassociateFaces on an unknown UserId: ResourceNotFoundException", "M"),
    (C.DF_RELEASE, "the user's own faces are disassociated, listed in DisassociatedFaces, and "
     "from then on unowned", "M"),
    (C.DF_DIFF_USER, "a face owned by another user is unsuccessful with "
     "ASSOCIATED_TO_A_DIFFERENT_USER and stays with its owner", "M"),
    (C.DF_NOT_FOUND, "a well-formed FaceId absent from the collection is unsuccessful with "
     "FACE_NOT_FOUND", "M"),
    (C.DF_SHAPE, "every DisassociateFaces response matches the schema; every FaceId in it was "
     "requested; no FaceId in both lists or twice", "M"),
    (C.DF_TOKEN_REPLAY, "DisassociateFaces: the same token with the same parameters returns the "
     "same response (or ResourceNotFoundException once the user is gone: AMB-DF-REPLAY-GONE) "
     "and has no second effect", "M"),
    (C.DF_TOKEN_MISMATCH, "DisassociateFaces: the same token with other parameters: "
     "IdempotentParameterMismatchException or the first response again "
     "(AMB-DF-TOKEN-MISMATCH), and no effect", "M"),
    (C.CU_CREATED, "CreateUser answers {} and the new user shows CREATED (in listings and "
     "answers) until it first holds a face", "M,X,S0"),
    (C.CU_CONFLICT, "CreateUser with an existing UserId: ConflictException, no effect", "M"),
    (C.CU_INPUT, "CreateUser with a UserId or ClientRequestToken outside the model's length "
     "and pattern: ValidationException or InvalidParameterException, no user created", "M"),
    (C.CU_TOKEN_REPLAY, "CreateUser: the same token with the same parameters is idempotent",
     "M"),
    (C.CU_TOKEN_MISMATCH, "CreateUser: the same token with other parameters: "
     "IdempotentParameterMismatchException or the first response again "
     "(AMB-CU-TOKEN-MISMATCH), and no effect", "M"),
    (C.DU_NOT_FOUND, "DeleteUser on an unknown UserId: ResourceNotFoundException", "M"),
    (C.DU_RELEASE, "DeleteUser removes the user and releases its faces, which can then join "
     "other users", "M"),
    (C.DU_TOKEN_REPLAY, "DeleteUser: the same token with the same parameters is idempotent "
     "(ResourceNotFoundException while the user is gone: AMB-DU-REPLAY-GONE)", "M"),
    (C.DU_TOKEN_MISMATCH, "DeleteUser: the same token with other parameters: "
     "IdempotentParameterMismatchException or the first response again "
     "(AMB-DU-TOKEN-MISMATCH), and no effect", "M"),
    (C.DEL_OWNED, "DeleteFaces refuses a face that belongs to a user "
     "(UnsuccessfulFaceDeletions, ASSOCIATED_TO_AN_EXISTING_USER)", "M"),
    (C.DEL_FACES, "DeleteFaces deletes unowned faces (DeletedFaces) and they are gone", "M"),
    (C.SCHEMA, "responses of the other operations match their schema", "M"),
    (C.LIST_FACES, "ListFaces (with and without UserId) agrees with the model, across pages",
     "M"),
    (C.LIST_USERS, "ListUsers agrees with the model, across pages", "M"),
    (C.CONC, "concurrent requests never give one face two owners, nor a user more than 100 "
     "faces", "S0"),
    # The searches (issue 20), judged through the identity rule: the same image bytes are
    # the same person. "Finds" is at a threshold of at most 80 and a MaxUsers that leaves
    # room for every user of the person; a user holding only faces of other persons may be
    # a match only below every user of the person (its Similarity is the target's to say).
    (C.SU_FACE, "SearchUsers by the FaceId of a face of person k finds every user holding a "
     "face of k, the face's own user too (once: SU-SHAPE), above every user holding only "
     "faces of other persons; a user holding no face is never a match", "M"),
    (C.SU_USER, "SearchUsers by the UserId of a user holding faces of k finds every other "
     "user holding a face of k (the user itself may be left out: AMB-SU-SELF), above every "
     "user holding only faces of other persons; a user holding no face is never a match",
     "M"),
    (C.SUBI_IMAGE, "SearchUsersByImage of an image of person k finds every user holding a "
     "face of k, above every user holding only faces of other persons; a user holding no "
     "face is never a match", "M"),
    (C.SU_THRESHOLD, "every match of a search has a Similarity of at least "
     "UserMatchThreshold; an omitted threshold means 80", "M,X"),
    (C.SU_NOT_FOUND, "a search in an unknown collection, by an unknown UserId or by a FaceId "
     "absent from the collection (never indexed, or deleted): ResourceNotFoundException",
     "M"),
    (C.SU_RELEASE, "a search no longer finds a user by a face it disassociated, nor a user "
     "once it is deleted (within the settle timeout)", "M"),
    (C.SU_SHAPE, "every search response matches its schema; at most MaxUsers matches, no "
     "user twice, ordered by Similarity, highest first; SearchedFace or SearchedUser, where "
     "given, names what was searched (AMB-SU-ECHO); each match's UserStatus is ACTIVE or "
     "UPDATING (a match holds a face)", "M"),
    (C.SUBI_NO_FACE, "SearchUsersByImage of an image in which the target's IndexFaces finds "
     "no face matches no user and gives no SearchedFace (or is refused with "
     "InvalidParameterException: AMB-SUBI-NO-FACE)", "M"),
)


# Each ambiguity names the sentences that allow its readings (docs/audit.md has every row).
AMBIGUITIES: dict[str, Ambiguity] = {
    a.id: a
    for a in (
        # S1.7 vs S0.10, for a request that would add a face to a user at the cap.
        Ambiguity(A.AMB_CAP, "what happens at the 100-face cap",
                  ("exception", "unsuccessful-entries"), C.AF_CAP_USER),
        Ambiguity(A.AMB_CAP_CROSS, "a request that would cross 100 faces",
                  ("refused-whole", "filled-to-cap"), C.AF_CAP_USER),
        # S1.7 ("If more API calls are made after the limit is reached, a
        # ServiceQuotaExceededException will result") vs S0.9-S0.10 (face by face).
        Ambiguity(A.AMB_CAP_CALL, "an AssociateFaces call for a user already at 100 faces that "
                  "would add no face (only its own, other users' or absent faces)",
                  ("face-by-face", "exception-whole-call"), C.AF_CAP_USER),
        # S0.9 vs S0.10: a face that is the user's own, another user's or absent, sent to a
        # user already holding 100, meets two conditions; no sentence orders them.
        Ambiguity(A.AMB_CAP_PRECEDENCE, "a face that is the user's own, another user's or "
                  "absent, sent to a user already at 100: its own outcome or a cap refusal",
                  ("specific-first", "cap-first"), C.AF_CAP_USER),
        # M.E8 lists ConflictException with no condition; S0.15: UPDATING while
        # "associations or disassociations of FaceID(s)" take place (a face's change).
        Ambiguity(A.AMB_BUSY, "what makes a valid AssociateFaces or DisassociateFaces "
                  "request busy (ConflictException, no effect): the requested user is "
                  "UPDATING, or a face of the request is being changed", ("user", "face"),
                  C.AF_ASSOC),
        # M.DU.2: faces are disassociated before the user is deleted, and disassociation
        # takes time (S0.15).
        Ambiguity(A.AMB_DU_SETTLE, "is DeleteUser's effect (user gone, faces released) "
                  "immediate or eventual within the settle timeout", ("immediate", "eventual"),
                  C.DU_RELEASE, shown_by={"immediate": "eventual"}),
        # S0.36 (the owner or the requested user); S0.34 "metadata *like* FaceId, UserID":
        # the member may be left out.
        Ambiguity(A.AMB_OWNER_ID, "UserId in an AssociateFaces ASSOCIATED_TO_A_DIFFERENT_USER "
                  "entry", ("owner", "requested", "absent"), C.AF_DIFF_USER,
                  differs_from_aws=_only(("owner", "requested", "absent"), "owner",
                                         X_AF_EXAMPLE + " names the owner, 'demoUser2'")),
        # M.DF.5, M.DF.9: DisassociateFaces' documentation says nothing of the entry's UserId.
        Ambiguity(A.AMB_DF_OWNER_ID, "UserId in a DisassociateFaces "
                  "ASSOCIATED_TO_A_DIFFERENT_USER entry", ("owner", "requested", "absent"),
                  C.DF_DIFF_USER,
                  differs_from_aws=_only(("owner", "requested", "absent"), "owner",
                                         X_DF_EXAMPLE + " names the owner")),
        # S0.11-S0.15, S0.41.
        Ambiguity(A.AMB_STATUS_NOW, "UserStatus in the AssociateFaces response after a change",
                  ("UPDATING", "ACTIVE"), C.AF_STATUS,
                  differs_from_aws=_only(("UPDATING", "ACTIVE"), "UPDATING",
                                         X_AF_EXAMPLE + " answers UPDATING")),
        # M.DF.9: the status sentences S0.11-S0.15 are AssociateFaces' only.
        Ambiguity(A.AMB_DF_STATUS_NOW, "UserStatus in the DisassociateFaces response after a "
                  "change", ("UPDATING", "ACTIVE"), C.AF_STATUS,
                  differs_from_aws=_only(("UPDATING", "ACTIVE"), "UPDATING",
                                         X_DF_EXAMPLE + " answers UPDATING")),
        # S0.11 "the status of an operation which updates a UserID" (the call itself) vs
        # S0.13-S0.15 (the user's status).
        Ambiguity(A.AMB_STATUS_NOOP, "UserStatus in an AssociateFaces response that changed "
                  "nothing, for a settled user", ("current", "UPDATING"), C.AF_STATUS),
        Ambiguity(A.AMB_DF_STATUS_NOOP, "UserStatus in a DisassociateFaces response that "
                  "changed nothing, for a settled user", ("current", "UPDATING"), C.AF_STATUS),
        # S0.5 "a UserID that has at least one FaceID already associated".
        Ambiguity(A.AMB_FIRST_BATCH, "several faces sent to a user with no face yet",
                  ("no-threshold", "matched-in-request"), C.AF_THRESHOLD),
        # S0.3 "Each FaceId ... is associated": no order is given. Only "any-order" can be
        # told apart (a face refused with no earlier face of the request taken).
        Ambiguity(A.AMB_BATCH_ORDER, "faces of one request matched against each other: in "
                  "request order or in any order", ("request-order", "any-order"),
                  C.AF_THRESHOLD),
        # S0.9/S0.10 read per element of FaceIds ("per-occurrence"), or per distinct face.
        # AWS's examples have no repeated FaceId: what contradicts "per-occurrence" is the
        # form they publish, one entry per face, not an answer of AWS to a repeat.
        Ambiguity(A.AMB_DUP_IDS, "a FaceId repeated in one request",
                  ("once", "rejected", "per-occurrence"), C.AF_SHAPE,
                  differs_from_aws={"per-occurrence": X_AF_EXAMPLE + " and " + X_DF_EXAMPLE
                                    + " answer one entry per face requested (neither repeats "
                                    "a FaceId)"}),
        Ambiguity(A.AMB_INVALID_CODE, "the error for a constraint violation",
                  ("InvalidParameterException", "ValidationException"), C.AF_INPUT),
        # M: the unanchored patterns of CollectionId and UserId (ClientRequestToken's is
        # anchored): a "search" server accepts an id that contains a match.
        Ambiguity(A.AMB_PATTERN_ANCHOR, "are the model's unanchored id patterns whole-value "
                  "matches", ("full-match", "search"), C.AF_INPUT),
        # S0.13 vs S0.14.
        Ambiguity(A.AMB_EMPTY_AGAIN, "UserStatus after all faces are disassociated",
                  ("CREATED", "ACTIVE"), C.AF_STATUS),
        # S0.24/S1.32 "If you use the same token with multiple AssociateFaces requests, the
        # same response is returned" (M.DF.7, M.CU.4, M.DU.5 likewise) vs M.E6, which lists
        # IdempotentParameterMismatchException without saying when. Asked per operation.
        *(Ambiguity(amb, f"the same ClientRequestToken sent to {op} with other parameters",
                    ("exception", "first-response"), clause)
          for op, amb, clause in (
              ("AssociateFaces", A.AMB_TOKEN_MISMATCH, C.AF_TOKEN_MISMATCH),
              ("DisassociateFaces", A.AMB_DF_TOKEN_MISMATCH, C.DF_TOKEN_MISMATCH),
              ("CreateUser", A.AMB_CU_TOKEN_MISMATCH, C.CU_TOKEN_MISMATCH),
              ("DeleteUser", A.AMB_DU_TOKEN_MISMATCH, C.DU_TOKEN_MISMATCH))),
        # S0.24 (the same response) vs M.DU.3 "If the specified Collection or UserID is
        # already deleted or not found, a ResourceNotFoundException will be thrown", M.DF.2,
        # S0.1 "an existing UserID". CreateUser has no such sentence.
        *(Ambiguity(amb, f"a token of {op} sent again (same or other parameters) while the "
                    "user its request names does not exist", ("first-response", "not-found"),
                    clause)
          for op, amb, clause in (
              ("AssociateFaces", A.AMB_REPLAY_GONE, C.AF_TOKEN_REPLAY),
              ("DisassociateFaces", A.AMB_DF_REPLAY_GONE, C.DF_TOKEN_REPLAY),
              ("DeleteUser", A.AMB_DU_REPLAY_GONE, C.DU_TOKEN_REPLAY))),
        # S0.23, M.DF.7: only the dimension across operations is probed (docs/audit.md).
        Ambiguity(A.AMB_TOKEN_SCOPE, "is a token shared across operations",
                  ("per-operation", "shared"), C.AF_TOKEN_MISMATCH),
        # M.DF.4 vs M.DF.5.
        Ambiguity(A.AMB_DF_UNOWNED, "DisassociateFaces of an existing face that no user owns",
                  ("face-not-found", "ignored"), C.DF_NOT_FOUND),
        Ambiguity(A.AMB_DEL_UNKNOWN, "DeleteFaces of a FaceId absent from the collection",
                  ("face-not-found", "ignored"), C.DEL_FACES),
        # S0.38, M.9: Confidence is an optional member.
        Ambiguity(A.AMB_LOW_CONF_FIELD, "does a LOW_MATCH_CONFIDENCE entry carry Confidence",
                  ("present", "absent"), C.AF_THRESHOLD,
                  differs_from_aws=_only(("present", "absent"), "present",
                                         X_AF_EXAMPLE + " carries Confidence "
                                         "0.9375... on its LOW_MATCH_CONFIDENCE entry")),
        # S0.38 does not say Confidence is the exact value compared: only "rounded" can be
        # told apart (a refusal reporting a Confidence at or just above the threshold).
        Ambiguity(A.AMB_CONF_ROUNDING, "is a refused face's Confidence the exact value compared "
                  "with the threshold", ("exact", "rounded"), C.AF_THRESHOLD),
        # M.SU.1 "returns an array of UserID that match the FaceId or UserId": the user
        # searched by holds every face it is matched by.
        Ambiguity(A.AMB_SU_SELF, "is the user a SearchUsers by UserId searches by among its "
                  "matches", ("excluded", "included"), C.SU_USER,
                  differs_from_aws={"included": X_SU_EXAMPLE + " with MaxUsers 2 matches "
                                    "'demoUser1' alone, not 'DemoUser' searched by"}),
        # M.SU.7, M.SU.8: SearchedFace and SearchedUser are optional members; no sentence
        # says when they are given.
        Ambiguity(A.AMB_SU_ECHO, "does a SearchUsers response echo what it searched by "
                  "(SearchedFace.FaceId or SearchedUser.UserId)", ("echoed", "absent"),
                  C.SU_SHAPE,
                  differs_from_aws={"absent": X_SU_EXAMPLE + " answers SearchedUser "
                                    "{UserId: 'DemoUser'}"}),
        # M.SUBI.4 "the response will contain an empty UserMatches list and no SearchedFace
        # object" vs M.SUBI.5: InvalidParameterException, which SearchFacesByImage, the
        # face search, raises for an image with no face.
        Ambiguity(A.AMB_SUBI_NO_FACE, "SearchUsersByImage of an image with no face: an "
                  "empty answer, or InvalidParameterException", ("empty", "invalid-parameter"),
                  C.SUBI_NO_FACE),
        # M.LF.4: Face.UserId is an optional member and no sentence says ListFaces fills it;
        # M.LF.2: the UserId filter shows a user's faces either way.
        # X: the developer guide's ListFaces page lists faces "and their associated users".
        Ambiguity(A.AMB_FACE_USERID, "does ListFaces name a face's owner in Face.UserId",
                  ("listed", "filter-only"), C.LIST_FACES,
                  differs_from_aws=_only(("listed", "filter-only"), "listed", X_LIST_FACES)),
    )
}


# The token ambiguities asked once per operation, by operation (the emulator reads its
# reading per operation through them too).
TOKEN_MISMATCH: dict[str, A] = {"AssociateFaces": A.AMB_TOKEN_MISMATCH,
                                "DisassociateFaces": A.AMB_DF_TOKEN_MISMATCH,
                                "CreateUser": A.AMB_CU_TOKEN_MISMATCH,
                                "DeleteUser": A.AMB_DU_TOKEN_MISMATCH}
REPLAY_GONE: dict[str, A] = {"AssociateFaces": A.AMB_REPLAY_GONE,
                             "DisassociateFaces": A.AMB_DF_REPLAY_GONE,
                             "DeleteUser": A.AMB_DU_REPLAY_GONE}


def shown(ambiguity: str, counts: Mapping[str, int]) -> dict[str, int]:
    """The readings a run's observations of ``ambiguity`` show of the target: an observation
    that another observed reading also explains (``Ambiguity.shown_by``) counts as that one,
    so a fixed target shows one reading whenever its looks come."""
    folded = dict(counts)
    amb = AMBIGUITIES.get(ambiguity)
    for weak, strong in (amb.shown_by.items() if amb else ()):
        if folded.get(weak) and folded.get(strong):
            folded[strong] += folded.pop(weak)
    return folded


def differs_from_aws(profile: Mapping[str, Mapping[str, int]]) -> list[tuple[str, str, str]]:
    """(ambiguity, reading, source) for each reading a behaviour profile shows that AWS's
    own published examples or behaviour contradict, in register order: what the reports
    list under "differs from AWS" and what strictness "aws" fails."""
    return [(amb.id, reading, amb.differs_from_aws[reading])
            for amb in AMBIGUITIES.values()
            for reading, seen in sorted(profile.get(amb.id, {}).items())
            if seen and reading in amb.differs_from_aws]
