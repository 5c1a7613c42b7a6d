"""Input validation: the request schemas of ``conformance.schemas``, worded as AWS words it.

The emulator has no validator of its own: ``schemas.request_validator`` finds
what is wrong, against the JSON Schemas generated from the botocore model, and
this module only turns that into AWS's messages and error codes, skipping the
constraints a seeded deviation leaves unchecked.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conformance.emulator.behaviour import Behaviour
from conformance.emulator.errors import (
    INVALID_INPUT_ERRORS,
    EmulatorError,
    ImageTooLargeException,
)
from conformance.schemas import OPERATIONS as SCHEMA_OPERATIONS
from conformance.schemas import request_is_valid, request_validator, validate_response

Request = dict[str, Any]

# The botocore model's ImageBlob maximum. The schema bounds the base64 text, which
# cannot say 5242880 bytes exactly (6990508 characters hold up to 5242881 bytes).
IMAGE_MAX_BYTES = 5 * 1024 * 1024

# Deviations that stop the server checking one constraint: deviation -> (field,
# constraints, the one operation it concerns or None for every operation).
UNCHECKED: dict[str, tuple[str, frozenset[str], str | None]] = {
    "threshold-range-unchecked": ("UserMatchThreshold", frozenset({"min", "max", "finite"}),
                                  None),
    "request-max-unchecked": ("FaceIds", frozenset({"max"}), None),
    "faceid-pattern-unchecked": ("FaceIds.member", frozenset({"pattern"}), None),
    "userid-length-unchecked": ("UserId", frozenset({"max"}), "AssociateFaces"),
    "token-pattern-unchecked": ("ClientRequestToken", frozenset({"pattern"}), "AssociateFaces"),
    "cu-userid-unchecked": ("UserId", frozenset({"max", "pattern"}), "CreateUser"),
    "userid-pattern-unchecked": ("UserId", frozenset({"pattern"}), "AssociateFaces"),
    "collectionid-pattern-unchecked": ("CollectionId", frozenset({"pattern"}), "AssociateFaces"),
    "cu-userid-pattern-unchecked": ("UserId", frozenset({"pattern"}), "CreateUser"),
    "cu-token-pattern-unchecked": ("ClientRequestToken", frozenset({"pattern"}), "CreateUser"),
}

# What a server that checks only members and types leaves unchecked ("validation-absent").
_BOUNDS = frozenset({"min", "max", "pattern", "finite"})

# Where several constraints fail at one place, AWS lists them in this order.
_RANK = {"required": 0, "type": 0, "finite": 0, "min": 1, "max": 2, "size": 2, "pattern": 3,
         "enum": 4}
_TYPE_RULES = {"structure": "a structure", "map": "a map", "list": "a list",
               "string": "a string", "blob": "base64-encoded bytes", "integer": "an integer",
               "number": "a number", "boolean": "a boolean"}


@dataclass(frozen=True)
class Violation:
    path: str  # where, with list indices: "FaceIds[3]"
    field: str  # which member, without indices, so deviations can name it: "FaceIds.member"
    constraint: str  # required | type | min | max | pattern | enum | finite | size
    message: str
    value: Any = None  # the offending value
    limit: Any = None  # the schema's bound or (anchored) pattern


@dataclass(frozen=True)
class RequestViolation:
    """One way a request breaks its schema, located so that a server can word its own error."""

    path: str  # where, with list indices: "FaceIds[3]"
    member: str  # which member, without indices: "FaceIds.member", "Tags.key"
    # required | type | finite | min | max | pattern | enum | unknown (a member the
    # operation does not have) | another JSON Schema keyword
    constraint: str
    kind: str  # the shape: structure | map | list | string | blob | integer | number | boolean
    value: Any  # the offending value; None for a missing required member
    limit: Any  # the schema's bound, pattern, enum or type; a blob's bounds count characters
    location: tuple[str | int, ...]  # the path as keys and indices, to order violations


_CONSTRAINTS = {"minLength": "min", "minItems": "min", "minimum": "min", "minProperties": "min",
                "maxLength": "max", "maxItems": "max", "maximum": "max", "maxProperties": "max",
                "contentEncoding": "type", "additionalProperties": "unknown"}


def request_violations(operation: str, params: Mapping[str, Any]) -> list[RequestViolation]:
    """Every way ``params`` breaks the request schema (``schemas.request_validator``).

    Where a value has the wrong type, only that is reported for it.
    """
    if request_is_valid(operation, params):  # most requests: skip jsonschema's slow walk
        return []
    found = [_request_violation(e) for e in request_validator(operation).iter_errors(params)]
    mistyped = {v.location for v in found if v.constraint in ("type", "finite")}
    return [v for v in found
            if v.location not in mistyped or v.constraint in ("type", "finite")]


def _request_violation(error: Any) -> RequestViolation:
    schema_path = list(error.absolute_schema_path)[:-1]  # the last step is the keyword
    instance_path = list(error.absolute_path)
    path, member, step = "", "", 0
    tokens = iter(schema_path)
    for token in tokens:
        if token == "properties":
            name = next(tokens)
            path, member, step = _join(path, name), _join(member, name), step + 1
        elif token == "items":
            path, member, step = f"{path}[{instance_path[step]}]", f"{member}.member", step + 1
        elif token == "additionalProperties":
            path, member = f"{path}.{instance_path[step]}", f"{member}.value"
            step += 1
        elif token == "propertyNames":
            path, member = f"{path}.{error.instance}", f"{member}.key"
    keyword = str(error.validator)
    value, location = error.instance, tuple(instance_path)
    if keyword == "required":  # the missing member is the error's last path step
        name = instance_path[-1]
        path, member, value, location = _join(path, name), _join(member, name), None, location
    return RequestViolation(path, member, _CONSTRAINTS.get(keyword, keyword),
                            _kind(error.schema), value, error.validator_value, location)


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _kind(schema: Any) -> str:
    kind = schema.get("type") if isinstance(schema, dict) else None
    if kind == "object":
        return "structure" if "properties" in schema else "map"
    if kind == "string" and schema.get("contentEncoding") == "base64":
        return "blob"
    return {"array": "list"}.get(kind, kind) if isinstance(kind, str) else "any"


def input_violations(operation: str, request: Request) -> list[Violation]:
    """Every way ``request`` breaks the model's constraints, in request order, AWS-worded."""
    # A member the operation does not have is ignored, as the service does.
    found = [v for v in request_violations(operation, request) if v.constraint != "unknown"]
    found.sort(key=lambda v: (_order(request, v), _RANK.get(v.constraint, 5)))
    violations = [Violation(v.path, v.member, v.constraint, _message(v), v.value, v.limit)
                  for v in found
                  if not (v.kind == "blob" and v.constraint == "max")]
    return violations + _oversized_images(request)


def output_violations(operation: str, response: Request) -> list[str]:
    """Every way ``response`` breaks the response schema: the emulator's own self-check."""
    return validate_response(operation, response)


def check_request(operation: str, request: Request, behaviour: Behaviour) -> None:
    """Raise the error AWS answers to an invalid ``request``; nothing if it is valid.

    An operation with no generated schema (ListTagsForResource, which only ``conformance
    cleanup`` calls) checks its parameters itself.
    """
    if operation not in SCHEMA_OPERATIONS:
        return
    found = [v for v in input_violations(operation, request)
             if not _unchecked(operation, v, behaviour) and not _searched(v, behaviour)
             and not (behaviour.deviates("validation-absent")
                      and v.constraint in _BOUNDS)]
    too_large = [v for v in found if v.constraint == "size"]
    if too_large:
        raise ImageTooLargeException(too_large[0].message)
    if found:
        count = f"{len(found)} validation error{'s' if len(found) > 1 else ''} detected"
        raise invalid_input(behaviour, f"{count}: " + "; ".join(v.message for v in found[:5]))
    if (operation in ("AssociateFaces", "DisassociateFaces")
            and behaviour.reading("AMB-DUP-IDS") == "rejected"):
        counts: Counter[str] = Counter(request["FaceIds"])
        repeated = sorted(f for f, n in counts.items() if n > 1)
        if repeated:
            raise invalid_input(behaviour, f"FaceIds must not repeat a FaceId: {repeated}")


def invalid_input(behaviour: Behaviour, message: str) -> EmulatorError:
    """The error for invalid input under the emulator's reading of AMB-INVALID-CODE."""
    return INVALID_INPUT_ERRORS[behaviour.reading("AMB-INVALID-CODE")](message)


def decode_blob(value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def _unchecked(operation: str, violation: Violation, behaviour: Behaviour) -> bool:
    return any(behaviour.deviates(name) and violation.field == member
               and violation.constraint in constraints and only in (None, operation)
               for name, (member, constraints, only) in UNCHECKED.items())


def _searched(violation: Violation, behaviour: Behaviour) -> bool:
    """AMB-PATTERN-ANCHOR "search": a value that contains a match of a pattern the model
    leaves unanchored satisfies it (the schema anchors it as ``^(?:...)$``)."""
    if violation.constraint != "pattern" or behaviour.reading("AMB-PATTERN-ANCHOR") != "search":
        return False
    limit, value = violation.limit, violation.value
    if not (isinstance(limit, str) and isinstance(value, str)
            and limit.startswith("^(?:") and limit.endswith(")$")):
        return False  # a pattern the model anchors itself (ClientRequestToken's)
    return re.search(limit[4:-2], value) is not None


def _oversized_images(request: Request) -> list[Violation]:
    # The only blob of these operations is an image, and AWS names its own error for it.
    image = request.get("Image")
    blob = decode_blob(image.get("Bytes")) if isinstance(image, dict) else None
    if blob is None or len(blob) <= IMAGE_MAX_BYTES:
        return []
    return [Violation("Image.Bytes", "Image.Bytes", "size",
                      f"Image size {len(blob)} bytes exceeds the {IMAGE_MAX_BYTES} bytes limit")]


def _order(request: Request, violation: RequestViolation) -> tuple[int, ...]:
    """Where ``violation`` sits in ``request``: missing members first, then request order."""
    node: Any = request
    order: list[int] = []
    for depth, step in enumerate(violation.location):
        last = depth == len(violation.location) - 1
        if isinstance(node, dict):
            keys = list(node)
            missing = step not in keys or (last and violation.constraint == "required")
            order.append(-1 if missing else keys.index(step))
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            order.append(step)
            node = node[step]
        else:
            order.append(-1)
            node = None
    return tuple(order)


def _message(violation: RequestViolation) -> str:
    if violation.constraint == "required":
        return (f"Value null at '{violation.path}' failed to satisfy constraint: "
                "Member must not be null")
    value = violation.value
    shown = value if len(repr(value)) <= 80 else f"{repr(value)[:77]}..."
    return f"Value {shown!r} at '{violation.path}' failed to satisfy constraint: " \
           f"{_rule(violation)}"


def _rule(violation: RequestViolation) -> str:
    constraint, limit, kind = violation.constraint, violation.limit, violation.kind
    if constraint == "type":
        return f"Member must be {_TYPE_RULES.get(kind, kind)}"
    if constraint == "finite":
        return "Member must be a finite number"
    if constraint in ("min", "max"):
        what = "value" if kind in ("integer", "number") else "length"
        if kind == "blob":  # the schema counts base64 characters; AWS counts bytes
            limit = 3 * (limit // 4 - 1) + 1
        relation = "greater" if constraint == "min" else "less"
        return f"Member must have {what} {relation} than or equal to {limit}"
    if constraint == "pattern":
        # The schema anchors the model's pattern; AWS quotes it as the model has it.
        if limit.startswith("^(?:") and limit.endswith(")$"):
            limit = limit[4:-2]
        return f"Member must satisfy regular expression pattern: {limit}"
    if constraint == "enum":
        return f"Member must satisfy enum value set: {limit}"
    return f"Member must satisfy {constraint}: {limit}"
