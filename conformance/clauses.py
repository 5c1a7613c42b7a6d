"""The clause register and the ambiguity register (DESIGN.md sections 4 and 5).

Every check the suite makes names one clause from ``CLAUSES``; reports group
results by clause. Every place where the sources allow more than one reading
names one ambiguity from ``AMBIGUITIES``; the suite records the reading a
target showed (its behaviour profile) instead of failing it.

Sources: S0 = boto3 reference, S1 = Dart SDK reference, M = botocore model,
X = examples AWS itself published.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Clause:
    id: str
    text: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Ambiguity:
    id: str
    question: str
    readings: tuple[str, ...]
    # The clause a pinned reading is enforced under when the target departs from it.
    clause: str
    # The reading AWS has published (source X), required under strictness "aws".
    aws_reading: str | None = None


def _clauses(*rows: tuple[str, str, str]) -> dict[str, Clause]:
    return {cid: Clause(cid, text, tuple(src.split(","))) for cid, text, src in rows}


CLAUSES: dict[str, Clause] = _clauses(
    ("AF-USER-EXISTS", "AssociateFaces on an unknown UserId: ResourceNotFoundException", "S0,M"),
    ("AF-COLL-EXISTS", "AssociateFaces on an unknown collection: ResourceNotFoundException", "M"),
    ("AF-ASSOC", "an existing unowned face that passes the threshold is associated, listed in "
     "AssociatedFaces, and from then on owned by the user (ListFaces shows Face.UserId)", "S0"),
    ("AF-IGNORE-SAME", "a face already associated to this user is ignored: in neither list, "
     "nothing changes", "S0,S1"),
    ("AF-DIFF-USER", "a face owned by another user is unsuccessful with "
     "ASSOCIATED_TO_A_DIFFERENT_USER and its ownership is unchanged", "S0"),
    ("AF-NOT-FOUND", "a well-formed FaceId absent from the collection is unsuccessful with "
     "FACE_NOT_FOUND", "S0"),
    ("AF-THRESHOLD", "for a user that has a face, a face whose match confidence is below "
     "UserMatchThreshold is unsuccessful with LOW_MATCH_CONFIDENCE and a Confidence below the "
     "threshold; for a user with no face the threshold does not apply", "S0,S1"),
    ("AF-THRESHOLD-DEFAULT", "an omitted UserMatchThreshold means 75", "S0,S1"),
    ("AF-THRESHOLD-RANGE", "a UserMatchThreshold outside 0..100 is rejected by the server",
     "S0,S1,M"),
    ("AF-CAP-USER", "a user never holds more than 100 faces; at the cap further faces are "
     "refused", "S0,S1"),
    ("AF-CAP-REQUEST", "1..100 FaceIds per request; more are rejected by the server", "S1,M"),
    ("AF-INPUT", "ids outside their pattern or length (CollectionId, UserId, FaceId, "
     "ClientRequestToken) are rejected by the server, with no effect", "M"),
    ("AF-SHAPE", "every AssociateFaces response matches the schema; every FaceId in it was "
     "requested; no FaceId in both lists or twice", "S0,M"),
    ("AF-STATUS", "UserStatus is one of the enum; CREATED while the user never had a face; after "
     "a change it is UPDATING or ACTIVE and becomes ACTIVE within the settle timeout", "S0,S1"),
    ("AF-TOKEN-REPLAY", "the same ClientRequestToken with the same parameters returns the same "
     "response and has no second effect", "S0,S1"),
    ("AF-TOKEN-MISMATCH", "the same token with other parameters: "
     "IdempotentParameterMismatchException and no effect", "S1,M"),
    ("AF-TOKEN-AUTO", "with no token the SDK sends a fresh one: two identical calls are two "
     "calls", "S0,S1"),
    ("DF-USER-EXISTS", "DisassociateFaces on an unknown UserId: ResourceNotFoundException", "M"),
    ("DF-RELEASE", "the user's own faces are disassociated, listed in DisassociatedFaces, and "
     "from then on unowned", "M"),
    ("DF-DIFF-USER", "a face owned by another user is unsuccessful with "
     "ASSOCIATED_TO_A_DIFFERENT_USER and stays with its owner", "M"),
    ("DF-NOT-FOUND", "a well-formed FaceId absent from the collection is unsuccessful with "
     "FACE_NOT_FOUND", "M"),
    ("DF-SHAPE", "every DisassociateFaces response matches the schema; every FaceId in it was "
     "requested; no FaceId in both lists or twice", "M"),
    ("DF-TOKEN-REPLAY", "DisassociateFaces: the same token with the same parameters returns the "
     "same response and has no second effect", "M"),
    ("DF-TOKEN-MISMATCH", "DisassociateFaces: the same token with other parameters: "
     "IdempotentParameterMismatchException and no effect", "M"),
    ("CU-CREATED", "CreateUser answers {} and the new user lists as CREATED", "M,X"),
    ("CU-CONFLICT", "CreateUser with an existing UserId: ConflictException, no effect", "M"),
    ("CU-TOKEN-REPLAY", "CreateUser: the same token with the same parameters is idempotent",
     "M"),
    ("CU-TOKEN-MISMATCH", "CreateUser: the same token with other parameters: "
     "IdempotentParameterMismatchException and no effect", "M"),
    ("DU-NOT-FOUND", "DeleteUser on an unknown UserId: ResourceNotFoundException", "M"),
    ("DU-RELEASE", "DeleteUser removes the user and releases its faces, which can then join "
     "other users", "M"),
    ("DU-TOKEN-REPLAY", "DeleteUser: the same token with the same parameters is idempotent",
     "M"),
    ("DU-TOKEN-MISMATCH", "DeleteUser: the same token with other parameters: "
     "IdempotentParameterMismatchException and no effect", "M"),
    ("DEL-OWNED", "DeleteFaces refuses a face that belongs to a user "
     "(UnsuccessfulFaceDeletions, ASSOCIATED_TO_AN_EXISTING_USER)", "M"),
    ("DEL-FACES", "DeleteFaces deletes unowned faces (DeletedFaces) and they are gone", "M"),
    ("SCHEMA", "responses of the other operations match their schema", "M"),
    ("LIST-FACES", "ListFaces (with and without UserId) agrees with the model, across pages",
     "M"),
    ("LIST-USERS", "ListUsers agrees with the model, across pages", "M"),
    ("CONC", "concurrent requests never give one face two owners, nor a user more than 100 "
     "faces", "S0"),
)


AMBIGUITIES: dict[str, Ambiguity] = {
    a.id: a
    for a in (
        Ambiguity("AMB-CAP", "what happens at the 100-face cap",
                  ("exception", "unsuccessful-entries"), "AF-CAP-USER"),
        Ambiguity("AMB-CAP-CROSS", "a request that would cross 100 faces",
                  ("refused-whole", "filled-to-cap"), "AF-CAP-USER"),
        Ambiguity("AMB-OWNER-ID", "UserId in an ASSOCIATED_TO_A_DIFFERENT_USER entry",
                  ("owner", "requested"), "AF-DIFF-USER", aws_reading="owner"),
        Ambiguity("AMB-STATUS-NOW", "UserStatus in the response after a change",
                  ("UPDATING", "ACTIVE"), "AF-STATUS", aws_reading="UPDATING"),
        Ambiguity("AMB-FIRST-BATCH", "several faces sent to a user with no face yet",
                  ("no-threshold", "matched-in-request"), "AF-THRESHOLD"),
        Ambiguity("AMB-DUP-IDS", "a FaceId repeated in one request", ("once", "rejected"),
                  "AF-SHAPE"),
        Ambiguity("AMB-INVALID-CODE", "the error for a constraint violation",
                  ("InvalidParameterException", "ValidationException"), "AF-INPUT"),
        Ambiguity("AMB-EMPTY-AGAIN", "UserStatus after all faces are disassociated",
                  ("CREATED", "ACTIVE"), "AF-STATUS"),
        Ambiguity("AMB-TOKEN-SCOPE", "is a token shared across operations",
                  ("per-operation", "shared"), "AF-TOKEN-MISMATCH"),
        Ambiguity("AMB-DF-UNOWNED", "DisassociateFaces of an existing face that no user owns",
                  ("face-not-found", "ignored"), "DF-NOT-FOUND"),
        Ambiguity("AMB-DEL-UNKNOWN", "DeleteFaces of a FaceId absent from the collection",
                  ("face-not-found", "ignored"), "DEL-FACES"),
    )
}
