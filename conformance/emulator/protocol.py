"""The AWS JSON 1.1 layer: unpack a request, call the backend, pack its answer (cf. moto).

It never raises: whatever goes wrong becomes an AWS-shaped error answer, and
an exception the backend did not mean (a bug of the emulator) becomes
InternalServerError 500 with its traceback on stderr.
"""

from __future__ import annotations

import json
import sys
import traceback
import uuid
from collections.abc import Mapping

from conformance.emulator.backend import OPERATIONS, Backend, EmulatorError

TARGET_PREFIX = "RekognitionService."
CONTENT_TYPE = "application/x-amz-json-1.1"
# A 5 MB image (the IndexFaces limit) is 7 MB in base64; the margin lets a somewhat
# larger image through to be answered ImageTooLargeException, as AWS does.
MAX_BODY_BYTES = 10 * 1024 * 1024

Answer = tuple[int, dict[str, str], bytes]


def handle(backend: Backend, headers: Mapping[str, str], body: bytes) -> Answer:
    """Answer one HTTP request: (status, headers, body)."""
    try:
        operation = _operation(headers)
        if len(body) > MAX_BODY_BYTES:
            return body_too_large(len(body))
        request = _parse(body)
        return _answer(200, backend.handle(operation, request))
    except EmulatorError as error:
        return error_answer(error.code, error.message, error.http_status)
    except Exception:
        traceback.print_exc(file=sys.stderr)
        return error_answer("InternalServerError", "the emulator failed; see its stderr", 500)


def body_too_large(length: int) -> Answer:
    """The answer to a body over MAX_BODY_BYTES, which the server need not even read."""
    return error_answer("RequestEntityTooLargeException",
                        f"request body of {length} bytes exceeds the emulator's limit of "
                        f"{MAX_BODY_BYTES} bytes", 413)


def error_answer(code: str, message: str, status: int) -> Answer:
    headers = {"x-amzn-ErrorType": code}
    return _answer(status, {"__type": code, "message": message}, headers)


def _answer(status: int, payload: object, extra: dict[str, str] | None = None) -> Answer:
    body = json.dumps(payload).encode()
    headers = {"Content-Type": CONTENT_TYPE, "Content-Length": str(len(body)),
               "x-amzn-RequestId": str(uuid.uuid4()), **(extra or {})}
    return status, headers, body


class _ProtocolError(EmulatorError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, 400)


def _operation(headers: Mapping[str, str]) -> str:
    target = next((v for k, v in headers.items() if k.lower() == "x-amz-target"), None)
    if target is None:
        raise _ProtocolError("UnknownOperationException", "missing X-Amz-Target header")
    prefix, _, operation = target.partition(".")
    if f"{prefix}." != TARGET_PREFIX or operation not in OPERATIONS:
        raise _ProtocolError("UnknownOperationException",
                             f"unknown operation {target!r}; this emulator serves "
                             f"{TARGET_PREFIX}{{{', '.join(sorted(OPERATIONS))}}}")
    return operation


def _parse(body: bytes) -> dict[str, object]:
    if not body.strip():
        return {}  # botocore sends "{}", but an empty body means the same
    try:
        request = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise _ProtocolError("SerializationException", f"request body is not JSON: {error}") \
            from None
    if not isinstance(request, dict):
        raise _ProtocolError("SerializationException",
                             f"request body must be a JSON object, not {type(request).__name__}")
    return request
