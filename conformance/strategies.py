"""Hypothesis strategies for the values the state machine sends. Valid by construction.

The invalid values (for AF-INPUT and friends) are explicit lists in ``spec``, each
a specific way to break one constraint of the botocore model, so a failure names
exactly which constraint the server let through.
"""

from __future__ import annotations

import functools
import string

from hypothesis import strategies as st

# UserId: [a-zA-Z0-9_.\-:]+, 1..128. The stems make ids that exercise the odd characters.
USER_ID_STEMS = ("u", "user.", "U_", "a:b-", "Z")
TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_"

well_formed_face_ids = st.uuids().map(str)


_THRESHOLDS_ANYWHERE: tuple[st.SearchStrategy[float | None], ...] = (
    st.none(), st.just(0.0), st.just(100.0), st.just(75.0),
    st.floats(0, 100, allow_nan=False).map(lambda t: round(t, 3)),
)
_NUDGES = st.sampled_from([-5.0, -1.0, -0.6, 0.6, 1.0, 5.0])


def thresholds(known_confidences: list[float]) -> st.SearchStrategy[float | None]:
    """Omitted, the ends of the range, anywhere in it, and right around what the target said."""
    return _thresholds(tuple(known_confidences))


@functools.lru_cache(maxsize=256)
def _thresholds(known: tuple[float, ...]) -> st.SearchStrategy[float | None]:
    # Cached: a strategy is validated when first drawn from, and a rule draws one a step.
    if not known:
        return st.one_of(_THRESHOLDS_ANYWHERE)
    return st.one_of(*_THRESHOLDS_ANYWHERE, st.builds(
        lambda c, delta: min(100.0, max(0.0, round(c + delta, 3))),
        st.sampled_from(known), _NUDGES))


TOKEN_SUFFIXES = st.text(TOKEN_ALPHABET, min_size=0, max_size=12)
