"""Who an image shows and how alike two faces are: deterministic, so tests can plan outcomes."""

from __future__ import annotations

import hashlib
import math

# Below 100 so that a threshold of 100 refuses even a second image of the same person.
SAME_PERSON_CONFIDENCE = 99.9
# Different persons spread over [0, 99) so that every threshold decides something.
DIFFERENT_PERSON_SPAN = 99.0


def person_of(image: bytes) -> str:
    """The person an image shows: the same bytes are the same person, nothing else is."""
    return hashlib.sha256(image).hexdigest()


def pair_confidence(person_a: str, person_b: str) -> float:
    """Match confidence between two persons: symmetric, deterministic, spread over 0..99.9."""
    if person_a == person_b:
        return SAME_PERSON_CONFIDENCE
    low, high = sorted((person_a, person_b))
    draw = int.from_bytes(hashlib.sha256(f"{low}|{high}".encode()).digest()[:8], "big")
    # Floor, not round, so that the value stays below DIFFERENT_PERSON_SPAN.
    return math.floor(draw / 2**64 * DIFFERENT_PERSON_SPAN * 1000) / 1000


def match_confidence(image_a: bytes, image_b: bytes) -> float:
    """What the emulator answers for a face from ``image_a`` against one from ``image_b``."""
    return pair_confidence(person_of(image_a), person_of(image_b))
