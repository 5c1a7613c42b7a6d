"""What the operation groups share: the registry of operations and the helpers they call.

Each group (``faces``, ``users``, ``associations``) is a mixin of ``OperationsBase``
whose methods are registered with ``@operation("AwsName")``; ``Backend``
composes them and supplies ``_serve``, the path every operation takes.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from conformance.emulator import storage
from conformance.emulator.behaviour import Behaviour
from conformance.emulator.errors import (
    EmulatorError,
    InvalidImageFormatException,
    InvalidS3ObjectException,
)
from conformance.emulator.settling import Settling
from conformance.emulator.storage import Storage
from conformance.emulator.validation import decode_blob, invalid_input

Request = dict[str, Any]
Response = dict[str, Any]

REGION = "us-east-1"
ACCOUNT = "123456789012"
FACE_MODEL_VERSION = "7.0"

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"

_Method = Callable[[Any, Request], Response]
_Item = TypeVar("_Item")

# AWS operation name -> Backend method name, filled by @operation.
OPERATIONS: dict[str, str] = {}


def operation(name: str) -> Callable[[_Method], _Method]:
    """Register the decorated method as the AWS operation ``name``, served by ``_serve``."""

    def register(method: _Method) -> _Method:
        @functools.wraps(method)
        def serve(self: OperationsBase, request: Request) -> Response:
            return self._serve(name, method, request)

        OPERATIONS[name] = method.__name__
        return serve

    return register


class OperationsBase:
    """State and helpers every operation group reads; no operation of its own."""

    def __init__(self, behaviour: Behaviour | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.behaviour = behaviour if behaviour is not None else Behaviour()
        self._clock = clock
        self._store = Storage()
        self._settling = Settling(self.behaviour, clock)

    def _serve(self, operation: str, method: _Method, request: Request) -> Response:
        raise NotImplementedError("Backend composes the operation groups and serves them")

    def _deviates(self, name: str) -> bool:
        return self.behaviour.deviates(name)

    def _reading(self, ambiguity: str) -> str:
        return self.behaviour.reading(ambiguity)

    def _invalid(self, message: str) -> EmulatorError:
        return invalid_input(self.behaviour, message)

    def _image(self, request: Request) -> bytes:
        """The bytes of the request's Image (IndexFaces, SearchUsersByImage): who it shows is
        ``identity.person_of`` of them."""
        image = request["Image"]
        if "Bytes" in image and "S3Object" in image:
            raise self._invalid("Image must hold either Bytes or S3Object, not both")
        if "S3Object" in image:
            raise InvalidS3ObjectException("The emulator has no S3: send the image as Bytes")
        if "Bytes" not in image:
            raise self._invalid("Image must hold Bytes or S3Object")
        data = decode_blob(image["Bytes"]) or b""
        if not data.startswith((_PNG_SIGNATURE, _JPEG_SIGNATURE)):
            raise InvalidImageFormatException("Request has invalid image format: the emulator "
                                              "reads PNG and JPEG")
        return data

    def _face_ids(self, request: Request) -> list[str]:
        """The request's FaceIds in request order: each once (AMB-DUP-IDS "once"), or every
        occurrence (AMB-DUP-IDS "per-occurrence", for AssociateFaces and DisassociateFaces)."""
        return list(dict.fromkeys(request["FaceIds"]))

    def _occurrences(self, request: Request) -> list[str]:
        if self._reading("AMB-DUP-IDS") == "per-occurrence":
            return list(request["FaceIds"])
        return self._face_ids(request)

    def _different_user_entry(self, operation: str, face_id: str, owner: str,
                              requested: str) -> Response:
        """An ASSOCIATED_TO_A_DIFFERENT_USER entry, its UserId per AMB-(DF-)OWNER-ID."""
        ambiguity = "AMB-OWNER-ID" if operation == "AssociateFaces" else "AMB-DF-OWNER-ID"
        reading = self._reading(ambiguity)
        entry: Response = {"FaceId": face_id, "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"]}
        if reading != "absent":
            entry["UserId"] = owner if reading == "owner" else requested
        return entry

    def _page(self, operation: str, scope: str, items: Sequence[_Item],
              seq: Callable[[_Item], int], request: Request,
              default_size: int) -> tuple[list[_Item], int | None, str | None]:
        return storage.page(operation, scope, items, seq, request, default_size)
