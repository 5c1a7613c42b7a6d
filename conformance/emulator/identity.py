"""Who an image shows and how alike two faces are: deterministic, so tests can plan outcomes."""

from __future__ import annotations

import hashlib
import math

from conformance.images import NO_FACE_MARK

# Below 100 so that a threshold of 100 refuses even a second image of the same person.
SAME_PERSON_CONFIDENCE = 99.9
# Different persons spread over [0, 99) so that every threshold decides something.
DIFFERENT_PERSON_SPAN = 99.0
# Every face sits in the same place of its image.
FACE_BOX = {"Width": 0.5, "Height": 0.6, "Left": 0.25, "Top": 0.2}


def shows_face(image: bytes) -> bool:
    """Whether an image shows a face: every image but the suite's image of no one."""
    return NO_FACE_MARK not in image


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


def detection_confidence(person: str) -> float:
    """How sure the emulator is that an image of ``person`` shows a face: only needs to look
    like AWS's (detection confidence is not match confidence)."""
    return 99.0 + int(person[:4], 16) / 0x10000
