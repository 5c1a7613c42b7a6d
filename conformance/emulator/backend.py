"""The reference emulator's backend: pure Python, nothing of HTTP (moto's models.py).

Every operation is one method taking the request dict as botocore sends it
(blobs still base64) and returning the response dict. The methods live in three
groups (``faces``, ``users``, ``associations``) that ``Backend`` composes; each
goes through ``_serve``, which applies what all operations share, in this order:
the lock, fault injection, validation (``validation``), and, for the four
operations with a ClientRequestToken, idempotency (``tokens``). Nothing has an
effect before all of these have passed.

How the emulator reads each ambiguity, and the seeded deviations, come from
``Behaviour``: every deviation is one ``self._deviates("name")`` test next to
the reference line it perturbs.

The names other modules imported from here before the split are re-exported.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from conformance.emulator.associations import (
    DEFAULT_USER_MATCH_THRESHOLD,
    USER_FACE_CAP,
    AssociationOperations,
)
from conformance.emulator.behaviour import Behaviour
from conformance.emulator.core import (
    ACCOUNT,
    FACE_MODEL_VERSION,
    OPERATIONS,
    REGION,
    Request,
    Response,
    _Method,
)
from conformance.emulator.errors import (
    ConflictException,
    EmulatorError,
    IdempotentParameterMismatchException,
    ImageTooLargeException,
    InternalServerError,
    InvalidImageFormatException,
    InvalidPaginationTokenException,
    InvalidParameterException,
    InvalidS3ObjectException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ThrottlingException,
    UnknownOperationException,
    ValidationException,
)
from conformance.emulator.faces import FaceOperations
from conformance.emulator.identity import (
    DIFFERENT_PERSON_SPAN,
    SAME_PERSON_CONFIDENCE,
    match_confidence,
    pair_confidence,
    person_of,
)
from conformance.emulator.tokens import IDEMPOTENT_OPERATIONS, Idempotency
from conformance.emulator.users import DEFAULT_SEARCH_THRESHOLD, UserOperations
from conformance.emulator.validation import (
    Violation,
    check_request,
    input_violations,
    output_violations,
)

__all__ = [
    "ACCOUNT",
    "DEFAULT_SEARCH_THRESHOLD",
    "DEFAULT_USER_MATCH_THRESHOLD",
    "DIFFERENT_PERSON_SPAN",
    "FACE_MODEL_VERSION",
    "IDEMPOTENT_OPERATIONS",
    "OPERATIONS",
    "REGION",
    "SAME_PERSON_CONFIDENCE",
    "USER_FACE_CAP",
    "Backend",
    "ConflictException",
    "EmulatorError",
    "IdempotentParameterMismatchException",
    "ImageTooLargeException",
    "InternalServerError",
    "InvalidImageFormatException",
    "InvalidPaginationTokenException",
    "InvalidParameterException",
    "InvalidS3ObjectException",
    "Request",
    "ResourceAlreadyExistsException",
    "ResourceNotFoundException",
    "Response",
    "ServiceQuotaExceededException",
    "ThrottlingException",
    "UnknownOperationException",
    "ValidationException",
    "Violation",
    "input_violations",
    "match_confidence",
    "output_violations",
    "pair_confidence",
    "person_of",
]


class Backend(FaceOperations, UserOperations, AssociationOperations):
    """All collections of one emulated account and region."""

    def __init__(self, behaviour: Behaviour | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(behaviour, clock)
        self._lock = threading.Lock()
        self._tokens = Idempotency(self.behaviour)
        self._served = 0

    def handle(self, operation: str, request: Request) -> Response:
        """Serve ``operation`` (an AWS name such as "AssociateFaces")."""
        if operation not in OPERATIONS:
            raise UnknownOperationException(f"operation {operation!r} is not supported")
        if not self.behaviour.implements(operation):
            raise UnknownOperationException(f"operation {operation!r} is not implemented by "
                                            "this emulator (missing_operations)")
        method: Callable[[Request], Response] = getattr(self, OPERATIONS[operation])
        return method(request)

    def _serve(self, operation: str, method: _Method, request: Request) -> Response:
        with self._guard():
            self._inject_faults()
            check_request(operation, request, self.behaviour)
            collection = self._store.collections.get(request.get("CollectionId", ""))
            if collection is not None:
                self.finish_deletions(collection)
            if operation in IDEMPOTENT_OPERATIONS:
                return self._tokens.serve(collection, operation, request,
                                          lambda: method(self, request))
            return method(self, request)

    def _guard(self) -> AbstractContextManager[object]:
        return nullcontext() if self._deviates("no-lock") else self._lock

    def _inject_faults(self) -> None:
        self._served += 1
        b = self.behaviour
        if b.throttle_every and self._served % b.throttle_every == 0:
            raise ThrottlingException(f"Rate exceeded (request {self._served} of the emulator's "
                                      f"1 in {b.throttle_every} throttling)")
        if b.fault_every and self._served % b.fault_every == 0:
            raise InternalServerError(f"injected fault (request {self._served} of the "
                                      f"emulator's 1 in {b.fault_every} faults)")
