"""The numbers, codes and invalid values the sources fix, each named after its clause.

One module, so that a check, a strategy and a directed scenario can never
disagree about what the spec says (DESIGN.md section 4). No I/O, no Hypothesis.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.clauses import C

USER_FACE_CAP = 100  # AF-CAP-USER: faces one user may hold
REQUEST_FACE_IDS_MAX = 100  # AF-CAP-REQUEST: FaceIds in one AssociateFaces request
DEFAULT_USER_MATCH_THRESHOLD = 75.0  # AF-THRESHOLD-DEFAULT
SEARCH_THRESHOLD_DEFAULT = 80.0  # SU-THRESHOLD: M.SU.5, M.SUBI.3 "Default value of 80"
# The searches (issue 20): only directed checks send them, and a target may declare them
# optional (``Target.optional_operations``, ``run --searches-optional``).
SEARCHES = frozenset({"SearchUsers", "SearchUsersByImage"})
THRESHOLD_MIN, THRESHOLD_MAX = 0.0, 100.0  # AF-THRESHOLD-RANGE

# AF-INPUT and AMB-INVALID-CODE: the two codes a server may reject a constraint violation with.
VALIDATION_CODES = ("InvalidParameterException", "ValidationException")
# A user that is UPDATING may refuse further changes for a while (ConflictException is in
# the operations' error lists); the suite lets that pass, with no effect, and retries later.
BUSY_CODE = "ConflictException"

# Confidences closer than this to a threshold are not used to predict an outcome (AF-THRESHOLD):
# a live service may round, and ">=" versus ">" at the boundary is not specified.
CONFIDENCE_MARGIN = 0.5


# (what is wrong, the value). Each is sent with an otherwise valid request.
BAD_THRESHOLDS = ((-1.0, "below 0"), (-0.001, "just below 0"), (100.001, "just above 100"),
                  (101.0, "above 100"), (1000.0, "far above 100"))
BAD_FACE_IDS = (("not-a-face-id", "not a UUID"),
                ("4A1B2C3D-0000-4000-8000-00000000000A", "upper-case hex"),
                ("4a1b2c3d000040008000000000000000a", "no dashes"),
                ("4a1b2c3d-0000-4000-8000-00000000000", "one hex digit short"))
# Every id member with a pattern has a value of a valid length in which its pattern cannot
# be found anywhere (no character the pattern allows): every reading of AMB-PATTERN-ANCHOR
# refuses it, so it is sent under every strictness and catches a server that checks the
# length but no pattern. FaceId's and ClientRequestToken's values below are all such.
NOWHERE_MATCHED = "!!!"  # no character of UserId's or CollectionId's pattern
BAD_USER_IDS = (("", "empty"), ("x" * 129, "129 characters"),
                (NOWHERE_MATCHED, "no character of the pattern"), ("bad user!", "space and !"),
                ("user/1", "slash"))
# The values above that contain a match of their unanchored pattern (AMB-PATTERN-ANCHOR).
SEARCH_MATCHED = frozenset({"bad user!", "user/1", "!bad", "/x"})
BAD_TOKENS = (("bad token!", "space and !"), ("x" * 65, "65 characters"), ("", "empty"),
              ("tok.en", "dot"))
# Appended to the run's resource prefix so the request can name nothing but ours: the
# prefix holds a match of the pattern, so none of these is refused by every reading.
BAD_COLLECTION_SUFFIXES = (("!bad", "character outside the pattern"), ("x" * 256,
                           "longer than 255"), ("/x", "slash"))
# Sent whole: no collection of anyone's can have such an id, under any reading, so the
# driver's safety guard lets a request name it without the run's prefix.
BAD_COLLECTION_IDS = ((NOWHERE_MATCHED, "no character of the pattern"),)
UNNAMEABLE_COLLECTION_IDS = frozenset(v for v, _ in BAD_COLLECTION_IDS)


@dataclass(frozen=True)
class InvalidCase:
    """One way to break one constraint of an AssociateFaces request."""

    member: str  # the request member it breaks, or "FaceIds" for the count
    value: str | float  # for "FaceIds", how many ids to send
    what: str
    clause: C
    # Invalid only if the model's unanchored pattern must match the whole value
    # (AMB-PATTERN-ANCHOR): the value contains a match.
    full_match_only: bool = False
    # CollectionId: the value is appended to the run's resource prefix.
    suffix: bool = False


INVALID_CASES: tuple[InvalidCase, ...] = (
    *(InvalidCase("UserMatchThreshold", v, w, C.AF_THRESHOLD_RANGE) for v, w in BAD_THRESHOLDS),
    InvalidCase("FaceIds", 0, "no FaceIds", C.AF_CAP_REQUEST),
    InvalidCase("FaceIds", 101, "101 FaceIds", C.AF_CAP_REQUEST),
    *(InvalidCase("FaceId", v, w, C.AF_INPUT) for v, w in BAD_FACE_IDS),
    *(InvalidCase("UserId", v, w, C.AF_INPUT, v in SEARCH_MATCHED) for v, w in BAD_USER_IDS),
    *(InvalidCase("ClientRequestToken", v, w, C.AF_INPUT) for v, w in BAD_TOKENS),
    *(InvalidCase("CollectionId", v, w, C.AF_INPUT, v in SEARCH_MATCHED, suffix=True)
      for v, w in BAD_COLLECTION_SUFFIXES),
    *(InvalidCase("CollectionId", v, w, C.AF_INPUT) for v, w in BAD_COLLECTION_IDS),
)
