"""The emulator's error answers, one class per AWS error code (moto's exceptions.py).

A class's name is the code the answer carries as ``__type``, so ``raise
ResourceNotFoundException("...")`` reads like the answer it produces.
"""

from __future__ import annotations

from typing import ClassVar


class EmulatorError(Exception):
    """An error answer: ``code`` becomes the JSON ``__type``, ``http_status`` the HTTP status."""

    def __init__(self, code: str, message: str, http_status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status


class _AwsError(EmulatorError):
    """An error whose class name is its AWS code."""

    http_status_of_kind: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(type(self).__name__, message, self.http_status_of_kind)


class ResourceNotFoundException(_AwsError):
    pass


class ResourceAlreadyExistsException(_AwsError):
    pass


class InvalidParameterException(_AwsError):
    pass


class ValidationException(_AwsError):
    pass


class ConflictException(_AwsError):
    pass


class IdempotentParameterMismatchException(_AwsError):
    pass


class ServiceQuotaExceededException(_AwsError):
    pass


class ImageTooLargeException(_AwsError):
    pass


class InvalidImageFormatException(_AwsError):
    pass


class InvalidS3ObjectException(_AwsError):
    pass


class InvalidPaginationTokenException(_AwsError):
    pass


class ThrottlingException(_AwsError):
    pass


class UnknownOperationException(_AwsError):
    pass


class InternalServerError(_AwsError):
    http_status_of_kind = 500


INVALID_INPUT_ERRORS: dict[str, type[_AwsError]] = {
    "InvalidParameterException": InvalidParameterException,
    "ValidationException": ValidationException,
}
