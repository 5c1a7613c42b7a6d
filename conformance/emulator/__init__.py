"""The reference emulator: Rekognition's collection, face and user operations on 127.0.0.1.

``Backend`` holds the state and rules, ``protocol`` speaks AWS JSON 1.1,
``EmulatorServer`` serves it over HTTP and ``inprocess_client`` without a
socket; ``Behaviour`` chooses its readings of
the ambiguities and its seeded deviations.
"""

from conformance.emulator.backend import (
    OPERATIONS,
    Backend,
    EmulatorError,
    match_confidence,
    pair_confidence,
    person_of,
)
from conformance.emulator.behaviour import DEFAULT_READINGS, DEVIATIONS, Behaviour
from conformance.emulator.inprocess import attach, inprocess_client, inprocess_client_pair
from conformance.emulator.server import EmulatorServer, serve_forever_cli

__all__ = [
    "DEFAULT_READINGS",
    "DEVIATIONS",
    "OPERATIONS",
    "Backend",
    "Behaviour",
    "EmulatorError",
    "EmulatorServer",
    "attach",
    "inprocess_client",
    "inprocess_client_pair",
    "match_confidence",
    "pair_confidence",
    "person_of",
    "serve_forever_cli",
]
