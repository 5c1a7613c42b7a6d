"""Reading any answer: its schema, its members, a listing's items, a refusal's code.

These take any operation's answer. Every member is optional in the schema, and once the
schema's clause is a known deviation its failures are knock-ons: what reads on takes
members of the wrong type as absent, here, rather than trip over them.
"""

from __future__ import annotations

import math
from typing import Any

from conformance.clauses import A, C
from conformance.driver import READ_ONLY, Outcome
from conformance.ledger import Ledger
from conformance.schemas import validate_response
from conformance.spec import VALIDATION_CODES


def check_schema(ledger: Ledger, clause: C, outcome: Outcome,
                 explained_by: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The response body matches the operation's JSON Schema; returns the body (an
    object, {} for JSON of another type, which is this check's finding)."""
    body = outcome.body or {}
    problems = [f"the body is {outcome.malformed}"] if outcome.malformed else \
        validate_response(outcome.operation, body)
    ledger.check(clause, not problems,
                 f"{outcome.operation} response does not match its schema: {'; '.join(problems)}",
                 explained_by, doubts_state=outcome.operation not in _SHAPE_SAYS_NOTHING_OF_STATE)
    return body


# A misshapen answer of these says nothing of what the target holds: the listings change
# nothing, and the face an IndexFaces made is read from its answer apart (a FaceId that
# cannot be read breaks Need.FACE). So a knock-on of their shape needs no re-read of the
# state, which would cost a run with such a deviation a listing after every answer.
_SHAPE_SAYS_NOTHING_OF_STATE = READ_ONLY | {"IndexFaces"}


def entries(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The objects of the list ``body[key]``; none when it is not a list."""
    items = body.get(key)
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def finite(value: object) -> float | None:
    """``value`` as a float if it is a JSON number a float holds (not a bool, not an
    integer too large for one, not infinite), else None (the schema's finding)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def text(entry: dict[str, Any], key: str) -> str:
    """``entry[key]`` if it is a string, else "" (absent, or the schema's finding)."""
    value = entry.get(key)
    return value if isinstance(value, str) else ""


# A listing's items: the member that names each, and the others the harness reads as text.
_LISTED = {"Faces": ("FaceId", ("UserId", "ExternalImageId")),
           "Users": ("UserId", ("UserStatus",))}


def listing_problem(outcome: Outcome, key: str) -> tuple[C, str] | None:
    """What keeps a page of ListFaces (``key`` "Faces") or ListUsers ("Users") from being
    read, and whose deviation it is: JSON of another type is the schema's (which
    ``check_schema`` judges), an item that names no face or user is the listing's."""
    if outcome.malformed:
        return C.SCHEMA, f"the body is {outcome.malformed}"
    body = outcome.body or {}
    items = body.get(key)
    token = body.get("NextToken")
    if not isinstance(token, str | None):
        return C.SCHEMA, f"NextToken is {token!r}"
    if items is None:
        return None
    if not isinstance(items, list):
        return C.SCHEMA, f"{key} is {items!r}, not a list"
    name, others = _LISTED[key]
    for item in items:
        if not isinstance(item, dict):
            return C.SCHEMA, f"{key} holds {item!r}, not an object"
        wrong = [m for m in (name, *others) if not isinstance(item.get(m), str | None)]
        if wrong:
            return C.SCHEMA, f"{key} holds {item!r}, whose {wrong[0]} is not a string"
        if item.get(name) is None:
            clause = C.LIST_FACES if key == "Faces" else C.LIST_USERS
            return clause, f"{key} holds {item!r}, which has no {name}"
    return None


def check_refused(ledger: Ledger, clause: C, outcome: Outcome, codes: tuple[str, ...],
                  what: str) -> None:
    ledger.check(clause, outcome.error in codes,
                 f"{what}: expected {' or '.join(codes)}, got "
                 f"{outcome.error or 'success ' + short(outcome.body)}")


def check_validation_error(ledger: Ledger, clause: C, outcome: Outcome, what: str) -> None:
    """A constraint violation is rejected; which of the two codes is an ambiguity."""
    check_refused(ledger, clause, outcome, VALIDATION_CODES, what)
    if outcome.error in VALIDATION_CODES:  # else a known deviation, already reported
        ledger.observe(A.AMB_INVALID_CODE, str(outcome.error), what)


def same_response(first: dict[str, Any], second: dict[str, Any]) -> bool:
    """Equal bodies, ignoring the order of list items (a replay may list them in any order)."""
    return bool(_canonical(first) == _canonical(second))


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_canonical(v) for v in value), key=repr)
    return value


def short(body: dict[str, Any] | None, limit: int = 160) -> str:
    """A body as a finding quotes it: its repr, cut at ``limit`` characters."""
    text = repr(body)
    return text if len(text) <= limit else text[: limit - 3] + "..."

