"""Hypothesis strategies for the values the state machine sends. Valid by construction.

The invalid values (for AF-INPUT and friends) are explicit lists, each a
specific way to break one constraint of the botocore model, so a failure names
exactly which constraint the server let through.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from hypothesis import strategies as st

# UserId: [a-zA-Z0-9_.\-:]+, 1..128. The stems make ids that exercise the odd characters.
USER_ID_STEMS = ("u", "user.", "U_", "a:b-", "Z")
TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_"

well_formed_face_ids = st.uuids().map(str)


def thresholds(known_confidences: list[float]) -> st.SearchStrategy[float | None]:
    """Omitted, the ends of the range, anywhere in it, and right around what the target said."""
    options: list[st.SearchStrategy[float | None]] = [
        st.none(), st.just(0.0), st.just(100.0), st.just(75.0),
        st.floats(0, 100, allow_nan=False).map(lambda t: round(t, 3)),
    ]
    if known_confidences:
        options.append(st.builds(
            lambda c, delta: min(100.0, max(0.0, round(c + delta, 3))),
            st.sampled_from(known_confidences),
            st.sampled_from([-5.0, -1.0, -0.6, 0.6, 1.0, 5.0]),
        ))
    return st.one_of(options)


# (what is wrong, the value). Each is sent with an otherwise valid request.
BAD_THRESHOLDS = ((-1.0, "below 0"), (-0.001, "just below 0"), (100.001, "just above 100"),
                  (101.0, "above 100"), (1000.0, "far above 100"))
BAD_FACE_IDS = (("not-a-face-id", "not a UUID"),
                ("4A1B2C3D-0000-4000-8000-00000000000A", "upper-case hex"),
                ("4a1b2c3d000040008000000000000000a", "no dashes"),
                ("4a1b2c3d-0000-4000-8000-00000000000", "one hex digit short"))
BAD_USER_IDS = (("", "empty"), ("x" * 129, "129 characters"), ("bad user!", "space and !"),
                ("user/1", "slash"))
BAD_TOKENS = (("bad token!", "space and !"), ("x" * 65, "65 characters"), ("", "empty"),
              ("tok.en", "dot"))
# Appended to the run's resource prefix so the request can name nothing but ours.
BAD_COLLECTION_SUFFIXES = (("!bad", "character outside the pattern"), ("x" * 256,
                           "longer than 255"), ("/x", "slash"))


@dataclass(frozen=True)
class InvalidCase:
    """One way to break one constraint of an AssociateFaces request."""

    member: str  # the request member it breaks, or "FaceIds" for the count
    value: str | float  # for "FaceIds", how many ids to send
    what: str
    clause: str


INVALID_CASES: tuple[InvalidCase, ...] = (
    *(InvalidCase("UserMatchThreshold", v, w, "AF-THRESHOLD-RANGE") for v, w in BAD_THRESHOLDS),
    InvalidCase("FaceIds", 0, "no FaceIds", "AF-CAP-REQUEST"),
    InvalidCase("FaceIds", 101, "101 FaceIds", "AF-CAP-REQUEST"),
    *(InvalidCase("FaceId", v, w, "AF-INPUT") for v, w in BAD_FACE_IDS),
    *(InvalidCase("UserId", v, w, "AF-INPUT") for v, w in BAD_USER_IDS),
    *(InvalidCase("ClientRequestToken", v, w, "AF-INPUT") for v, w in BAD_TOKENS),
    *(InvalidCase("CollectionId", v, w, "AF-INPUT") for v, w in BAD_COLLECTION_SUFFIXES),
)


def token_suffixes() -> st.SearchStrategy[str]:
    return st.text(TOKEN_ALPHABET, min_size=0, max_size=12)
