"""The reference emulator's state and rules: pure Python, nothing of HTTP (moto's models.py).

Every operation is one method taking the request dict as botocore sends it
(blobs still base64) and returning the response dict. The ``@_operation``
decorator wraps each method with what all operations share, in this order:
the lock, fault injection, validation against the botocore model, and, for
the four operations with a ClientRequestToken, idempotency. Nothing has an
effect before all of these have passed.

How the emulator reads each ambiguity, and the seeded deviations, come from
``Behaviour``: every deviation is one ``self._deviates("name")`` test next to
the reference line it perturbs.
"""

from __future__ import annotations

import base64
import binascii
import copy
import functools
import hashlib
import json
import math
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import botocore.session

from conformance.emulator.behaviour import Behaviour

Request = dict[str, Any]
Response = dict[str, Any]

REGION = "us-east-1"
ACCOUNT = "123456789012"
FACE_MODEL_VERSION = "7.0"
USER_FACE_CAP = 100
DEFAULT_USER_MATCH_THRESHOLD = 75.0
DEFAULT_SEARCH_THRESHOLD = 80.0
# Below 100 so that a threshold of 100 refuses even a second image of the same person.
SAME_PERSON_CONFIDENCE = 99.9
# Different persons spread over [0, 99) so that every threshold decides something.
DIFFERENT_PERSON_SPAN = 99.0

# Every face sits in the same place of its image.
_BOX = {"Width": 0.5, "Height": 0.6, "Left": 0.25, "Top": 0.2}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"

# The operations whose requests carry a ClientRequestToken.
IDEMPOTENT_OPERATIONS = frozenset({"AssociateFaces", "DisassociateFaces", "CreateUser",
                                   "DeleteUser"})


# --- errors ---------------------------------------------------------------------------------

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


_INVALID_INPUT_ERRORS: dict[str, type[_AwsError]] = {
    "InvalidParameterException": InvalidParameterException,
    "ValidationException": ValidationException,
}


# --- identity and match confidence ----------------------------------------------------------

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


# --- validation against the botocore model --------------------------------------------------

@dataclass(frozen=True)
class Violation:
    path: str  # where, with list indices: "FaceIds[3]"
    field: str  # which member, without indices, so deviations can name it: "FaceIds.member"
    constraint: str  # required | type | min | max | pattern | enum | finite | size
    message: str


@functools.cache
def _service_model() -> Any:
    return botocore.session.get_session().get_service_model("rekognition")


@functools.cache
def _pattern(regex: str) -> re.Pattern[str] | None:
    try:
        return re.compile(regex)
    except re.error:
        # Python's re lacks \p{..} classes (only the Tags patterns use them): not checked.
        return None


def input_violations(operation: str, request: Request) -> list[Violation]:
    """Every way ``request`` breaks the botocore model's constraints for ``operation``."""
    return _violations(_service_model().operation_model(operation).input_shape, request)


def output_violations(operation: str, response: Response) -> list[Violation]:
    """Every way ``response`` breaks the model's output shape: the emulator's own self-check."""
    return _violations(_service_model().operation_model(operation).output_shape, response)


def _violations(shape: Any, value: Request) -> list[Violation]:
    found: list[Violation] = []
    if shape is not None:
        _walk(shape, value, "", "", found)
    return found


def _walk(shape: Any, value: Any, path: str, name: str, out: list[Violation]) -> None:
    kind = shape.type_name
    meta = shape.metadata

    def violate(constraint: str, rule: str) -> None:
        shown = value if len(repr(value)) <= 80 else f"{repr(value)[:77]}..."
        out.append(Violation(path, name, constraint,
                             f"Value {shown!r} at '{path}' failed to satisfy constraint: {rule}"))

    def bounds(size: float, what: str) -> None:
        if "min" in meta and size < meta["min"]:
            violate("min", f"Member must have {what} greater than or equal to {meta['min']}")
        if "max" in meta and size > meta["max"]:
            violate("max", f"Member must have {what} less than or equal to {meta['max']}")

    if kind == "structure":
        if not isinstance(value, dict):
            violate("type", "Member must be a structure")
            return
        for required in shape.required_members:
            if value.get(required) is None:
                out.append(Violation(_join(path, required), _join(name, required), "required",
                                     f"Value null at '{_join(path, required)}' failed to "
                                     "satisfy constraint: Member must not be null"))
        for key, item in value.items():
            if key in shape.members and item is not None:
                _walk(shape.members[key], item, _join(path, key), _join(name, key), out)
    elif kind == "list":
        if not isinstance(value, list):
            violate("type", "Member must be a list")
            return
        bounds(len(value), "length")
        for index, item in enumerate(value):
            _walk(shape.member, item, f"{path}[{index}]", f"{name}.member", out)
    elif kind == "map":
        if not isinstance(value, dict):
            violate("type", "Member must be a map")
            return
        bounds(len(value), "length")
        for key, item in value.items():
            _walk(shape.key, key, f"{path}.{key}", f"{name}.key", out)
            _walk(shape.value, item, f"{path}.{key}", f"{name}.value", out)
    elif kind == "string":
        if not isinstance(value, str):
            violate("type", "Member must be a string")
            return
        bounds(len(value), "length")
        regex = _pattern(meta["pattern"]) if "pattern" in meta else None
        if regex is not None and not regex.fullmatch(value):
            violate("pattern", f"Member must satisfy regular expression pattern: "
                    f"{meta['pattern']}")
        if shape.enum and value not in shape.enum:
            violate("enum", f"Member must satisfy enum value set: {shape.enum}")
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            violate("type", "Member must be an integer")
            return
        bounds(value, "value")
    elif kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            violate("type", "Member must be a number")
            return
        if not math.isfinite(value):
            violate("finite", "Member must be a finite number")
            return
        bounds(value, "value")
    elif kind == "boolean":
        if not isinstance(value, bool):
            violate("type", "Member must be a boolean")
    elif kind == "blob":
        blob = _decode_blob(value)
        if blob is None:
            violate("type", "Member must be base64-encoded bytes")
            return
        if "min" in meta and len(blob) < meta["min"]:
            violate("min", f"Member must have length greater than or equal to {meta['min']}")
        # The only blob of these operations is an image, and AWS names its own error for it.
        if "max" in meta and len(blob) > meta["max"]:
            out.append(Violation(path, name, "size",
                                 f"Image size {len(blob)} bytes exceeds the {meta['max']} "
                                 "bytes limit"))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _decode_blob(value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


# Deviations that stop the server checking one constraint: deviation -> (field, constraints).
_UNCHECKED: dict[str, tuple[str, frozenset[str]]] = {
    "threshold-range-unchecked": ("UserMatchThreshold", frozenset({"min", "max", "finite"})),
    "request-max-unchecked": ("FaceIds", frozenset({"max"})),
    "faceid-pattern-unchecked": ("FaceIds.member", frozenset({"pattern"})),
    "userid-length-unchecked": ("UserId", frozenset({"max"})),
    "token-pattern-unchecked": ("ClientRequestToken", frozenset({"pattern"})),
}

# Deviations under which one operation executes a request whose token was used with other
# parameters, as if the token were new: operation -> deviation.
_MISMATCH_IGNORED: dict[str, str] = {
    "DisassociateFaces": "df-mismatch-ignored",
    "CreateUser": "cu-mismatch-ignored",
    "DeleteUser": "du-mismatch-ignored",
}


# --- state ----------------------------------------------------------------------------------

@dataclass
class _Face:
    face_id: str
    image_id: str
    person: str
    seq: int
    detection_confidence: float
    external_image_id: str | None = None
    user_id: str | None = None  # the one source of truth for ownership


@dataclass
class _User:
    user_id: str
    seq: int
    # Monotonic time of the last association or disassociation; None while never changed.
    changed_at: float | None = None


@dataclass
class _Remembered:
    """What a ClientRequestToken (or, under a deviation, a parameter set) produced."""

    operation: str
    params: Request
    outcome: Response | EmulatorError

    def replay(self) -> Response:
        if isinstance(self.outcome, EmulatorError):
            raise self.outcome.with_traceback(None)
        return copy.deepcopy(self.outcome)


@dataclass
class _Collection:
    collection_id: str
    seq: int
    created_epoch: float
    faces: dict[str, _Face] = field(default_factory=dict)
    users: dict[str, _User] = field(default_factory=dict)
    # (scope, token) -> what it produced; scope is the operation or "*" when shared.
    tokens: dict[tuple[str, str], _Remembered] = field(default_factory=dict)
    # Only under the deviation "dedupe-without-token": parameters -> what they produced.
    by_params: dict[str, _Remembered] = field(default_factory=dict)

    def faces_of(self, user_id: str) -> list[_Face]:
        return [f for f in self.faces.values() if f.user_id == user_id]


_Method = Callable[["Backend", Request], Response]
_Item = TypeVar("_Item")

# AWS operation name -> Backend method name, filled by @_operation.
OPERATIONS: dict[str, str] = {}


def _operation(name: str) -> Callable[[_Method], _Method]:
    def register(method: _Method) -> _Method:
        @functools.wraps(method)
        def serve(self: Backend, request: Request) -> Response:
            return self._serve(name, method, request)

        OPERATIONS[name] = method.__name__
        return serve

    return register


class Backend:
    """All collections of one emulated account and region."""

    def __init__(self, behaviour: Behaviour | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.behaviour = behaviour if behaviour is not None else Behaviour()
        self._clock = clock
        self._lock = threading.Lock()
        self._collections: dict[str, _Collection] = {}
        self._seq = 0
        self._served = 0

    def handle(self, operation: str, request: Request) -> Response:
        """Serve ``operation`` (an AWS name such as "AssociateFaces")."""
        if operation not in OPERATIONS:
            raise UnknownOperationException(f"operation {operation!r} is not supported")
        method: Callable[[Request], Response] = getattr(self, OPERATIONS[operation])
        return method(request)

    # --- what every operation goes through ------------------------------------------------

    def _serve(self, operation: str, method: _Method, request: Request) -> Response:
        with self._guard():
            self._inject_faults()
            self._validate(operation, request)
            if operation in IDEMPOTENT_OPERATIONS:
                return self._idempotent(operation, request, lambda: method(self, request))
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

    def _validate(self, operation: str, request: Request) -> None:
        found = [v for v in input_violations(operation, request) if not self._unchecked(v)]
        too_large = [v for v in found if v.constraint == "size"]
        if too_large:
            raise ImageTooLargeException(too_large[0].message)
        if found:
            count = f"{len(found)} validation error{'s' if len(found) > 1 else ''} detected"
            raise self._invalid(f"{count}: " + "; ".join(v.message for v in found[:5]))
        if (operation in ("AssociateFaces", "DisassociateFaces")
                and self._reading("AMB-DUP-IDS") == "rejected"):
            counts: Counter[str] = Counter(request["FaceIds"])
            repeated = sorted(f for f, n in counts.items() if n > 1)
            if repeated:
                raise self._invalid(f"FaceIds must not repeat a FaceId: {repeated}")

    def _unchecked(self, violation: Violation) -> bool:
        return any(self._deviates(name) and violation.field == member
                   and violation.constraint in constraints
                   for name, (member, constraints) in _UNCHECKED.items())

    def _idempotent(self, operation: str, request: Request,
                    run: Callable[[], Response]) -> Response:
        """Run ``run`` once per ClientRequestToken: a replay answers what the first call did."""
        collection = self._collections.get(request["CollectionId"])
        if collection is None:
            return run()  # it answers for the missing collection; nowhere to remember it
        params = {k: v for k, v in request.items() if k != "ClientRequestToken"}
        params_key = json.dumps([operation, params], sort_keys=True)
        dedupes = (operation in ("AssociateFaces", "DisassociateFaces")
                   and self._deviates("dedupe-without-token"))
        if dedupes and params_key in collection.by_params:
            return collection.by_params[params_key].replay()
        token = request.get("ClientRequestToken")
        # botocore always sends a token; a hand-made request without one is never replayed.
        key = None
        if token is not None:
            scope = operation if self._reading("AMB-TOKEN-SCOPE") == "per-operation" else "*"
            key = (scope, token)
            seen = collection.tokens.get(key)
            if seen is not None:
                same = seen.operation == operation and seen.params == params
                if same or self._deviates("token-cached-without-params"):
                    return self._replay(operation, seen, run)
                if self._deviates("mismatch-wrong-code"):
                    raise ConflictException(f"ClientRequestToken {token} was used with other "
                                            "parameters")
                mismatch_ignored = _MISMATCH_IGNORED.get(operation)
                if mismatch_ignored is None or not self._deviates(mismatch_ignored):
                    raise IdempotentParameterMismatchException(
                        f"ClientRequestToken {token} was already used by {seen.operation} "
                        "with other parameters")
                # Under the deviation, the request runs below as if its token were new.
        outcome: Response | EmulatorError
        try:
            outcome = run()
        except EmulatorError as error:
            outcome = error
        remembered = _Remembered(operation, params, copy.deepcopy(outcome)
                                 if isinstance(outcome, dict) else outcome)
        forgets_token = operation == "DisassociateFaces" and self._deviates("df-token-ignored")
        if key is not None and not forgets_token:
            collection.tokens[key] = remembered
        if dedupes:
            collection.by_params[params_key] = remembered
        if isinstance(outcome, EmulatorError):
            raise outcome
        return outcome

    def _replay(self, operation: str, seen: _Remembered,
                run: Callable[[], Response]) -> Response:
        if self._deviates("token-replayed-against-today"):
            return run()
        if operation == "CreateUser" and self._deviates("cu-replay-conflict"):
            raise ConflictException("a user with this UserId already exists")
        if operation == "DeleteUser" and self._deviates("du-replay-not-found"):
            raise ResourceNotFoundException(f"The user id: {seen.params['UserId']} does not "
                                            f"exist in collection {seen.params['CollectionId']}")
        return seen.replay()

    # --- helpers --------------------------------------------------------------------------

    def _deviates(self, name: str) -> bool:
        return self.behaviour.deviates(name)

    def _reading(self, ambiguity: str) -> str:
        return self.behaviour.reading(ambiguity)

    def _invalid(self, message: str) -> EmulatorError:
        return _INVALID_INPUT_ERRORS[self._reading("AMB-INVALID-CODE")](message)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _collection(self, request: Request) -> _Collection:
        collection_id = request["CollectionId"]
        if collection_id not in self._collections:
            raise ResourceNotFoundException(f"The collection id: {collection_id} does not exist")
        return self._collections[collection_id]

    def _user(self, collection: _Collection, user_id: str) -> _User:
        if user_id not in collection.users:
            raise ResourceNotFoundException(
                f"The user id: {user_id} does not exist in collection "
                f"{collection.collection_id}")
        return collection.users[user_id]

    def _new_user(self, collection: _Collection, user_id: str) -> _User:
        user = _User(user_id, self._next_seq())
        collection.users[user_id] = user
        return user

    def _face_ids(self, request: Request) -> list[str]:
        """The request's FaceIds, each once, in request order (AMB-DUP-IDS "once")."""
        return list(dict.fromkeys(request["FaceIds"]))

    def _status(self, collection: _Collection, user: _User) -> str:
        if user.changed_at is None:
            return "ACTIVE" if self._deviates("new-user-active") else "CREATED"
        settling = self._clock() - user.changed_at < self.behaviour.settle_seconds
        if settling or self._deviates("status-never-settles"):
            return "UPDATING"
        if collection.faces_of(user.user_id):
            return "ACTIVE"
        return self._reading("AMB-EMPTY-AGAIN")

    def _status_after(self, collection: _Collection, user: _User, changed: bool) -> str:
        if changed:
            return self._reading("AMB-STATUS-NOW")
        return self._status(collection, user)

    def _owner_for_entry(self, owner: str, requested: str) -> str:
        return owner if self._reading("AMB-OWNER-ID") == "owner" else requested

    def _touch(self, collection: _Collection, user_id: str | None) -> None:
        user = collection.users.get(user_id) if user_id is not None else None
        if user is not None:
            user.changed_at = self._clock()

    def _page(self, operation: str, scope: str, items: Sequence[_Item],
              seq: Callable[[_Item], int], request: Request,
              default_size: int) -> tuple[list[_Item], int | None, str | None]:
        """One page of ``items`` (in creation order): (page, seq it starts after, NextToken)."""
        # A digest keeps the token within the model's 255 characters whatever the scope.
        scope = hashlib.sha256(scope.encode()).hexdigest()[:16]
        after = self._decode_page_token(operation, scope, request.get("NextToken"))
        size = request.get("MaxResults") or default_size
        remaining = [i for i in items if after is None or seq(i) > after]
        page = remaining[:size]
        next_token = None
        if len(remaining) > size:
            raw = json.dumps({"op": operation, "scope": scope, "after": seq(page[-1])})
            next_token = base64.urlsafe_b64encode(raw.encode()).decode()
        return page, after, next_token

    @staticmethod
    def _decode_page_token(operation: str, scope: str, token: str | None) -> int | None:
        if token is None:
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode()))
            if data["op"] == operation and data["scope"] == scope:
                after = data["after"]
                if isinstance(after, int):
                    return after
        except (ValueError, TypeError, KeyError):
            pass
        raise InvalidPaginationTokenException(f"Invalid pagination token: {token}")

    # --- collections ----------------------------------------------------------------------

    @_operation("CreateCollection")
    def create_collection(self, request: Request) -> Response:
        collection_id = request["CollectionId"]
        if collection_id in self._collections:
            raise ResourceAlreadyExistsException(
                f"The collection id: {collection_id} already exists")
        self._collections[collection_id] = _Collection(collection_id, self._next_seq(),
                                                       time.time())
        return {"StatusCode": 200, "CollectionArn": self._arn(collection_id),
                "FaceModelVersion": FACE_MODEL_VERSION}

    @_operation("DeleteCollection")
    def delete_collection(self, request: Request) -> Response:
        collection = self._collection(request)
        del self._collections[collection.collection_id]
        return {"StatusCode": 200}

    @_operation("DescribeCollection")
    def describe_collection(self, request: Request) -> Response:
        collection = self._collection(request)
        return {"FaceCount": len(collection.faces), "UserCount": len(collection.users),
                "FaceModelVersion": FACE_MODEL_VERSION,
                "CollectionARN": self._arn(collection.collection_id),
                "CreationTimestamp": collection.created_epoch}

    @_operation("ListCollections")
    def list_collections(self, request: Request) -> Response:
        page, _, next_token = self._page("ListCollections", "", list(self._collections.values()),
                                         lambda c: c.seq, request, default_size=1000)
        response: Response = {"CollectionIds": [c.collection_id for c in page],
                              "FaceModelVersions": [FACE_MODEL_VERSION] * len(page)}
        if next_token:
            response["NextToken"] = next_token
        return response

    @staticmethod
    def _arn(collection_id: str) -> str:
        return f"aws:rekognition:{REGION}:{ACCOUNT}:collection/{collection_id}"

    # --- faces ----------------------------------------------------------------------------

    @_operation("IndexFaces")
    def index_faces(self, request: Request) -> Response:
        collection = self._collection(request)
        image = request["Image"]
        if "Bytes" in image and "S3Object" in image:
            raise self._invalid("Image must hold either Bytes or S3Object, not both")
        if "S3Object" in image:
            raise InvalidS3ObjectException("The emulator has no S3: send the image as Bytes")
        if "Bytes" not in image:
            raise self._invalid("Image must hold Bytes or S3Object")
        data = _decode_blob(image["Bytes"]) or b""
        if not data.startswith((_PNG_SIGNATURE, _JPEG_SIGNATURE)):
            raise InvalidImageFormatException("Request has invalid image format: the emulator "
                                              "reads PNG and JPEG")
        person = person_of(data)
        # Detection confidence is not match confidence; it only needs to look like AWS's.
        detected = 99.0 + int(person[:4], 16) / 0x10000
        face = _Face(str(uuid.uuid4()), str(uuid.uuid4()), person, self._next_seq(), detected,
                     request.get("ExternalImageId"))
        collection.faces[face.face_id] = face
        record = self._face_fields(face)
        if self._deviates("index-faces-confidence-string"):
            record["Confidence"] = str(record["Confidence"])
        return {
            "FaceRecords": [{
                "Face": record,
                "FaceDetail": {"BoundingBox": dict(_BOX), "Confidence": detected},
            }],
            "FaceModelVersion": FACE_MODEL_VERSION,
            "UnindexedFaces": [],
        }

    @staticmethod
    def _face_fields(face: _Face) -> Response:
        fields: Response = {"FaceId": face.face_id, "ImageId": face.image_id,
                            "BoundingBox": dict(_BOX), "Confidence": face.detection_confidence,
                            "IndexFacesModelVersion": FACE_MODEL_VERSION}
        if face.external_image_id is not None:
            fields["ExternalImageId"] = face.external_image_id
        return fields

    @_operation("ListFaces")
    def list_faces(self, request: Request) -> Response:
        collection = self._collection(request)
        faces = list(collection.faces.values())
        user_id = request.get("UserId")
        if user_id is not None and not self._deviates("list-faces-ignores-userid"):
            faces = [f for f in faces if f.user_id == user_id]
        if request.get("FaceIds") is not None:
            wanted = set(request["FaceIds"])
            faces = [f for f in faces if f.face_id in wanted]
        # The filters are part of the scope so a token cannot be replayed under other filters.
        scope = json.dumps([collection.collection_id, user_id, request.get("FaceIds")])
        page, after, next_token = self._page("ListFaces", scope, faces, lambda f: f.seq,
                                             request, default_size=1000)
        if after is not None and self._deviates("list-faces-drops-page-edge"):
            page = page[1:]
        listed = []
        for face in page:
            entry = self._face_fields(face)
            if face.user_id is not None:
                entry["UserId"] = face.user_id
            listed.append(entry)
        response: Response = {"Faces": listed, "FaceModelVersion": FACE_MODEL_VERSION}
        if next_token:
            response["NextToken"] = next_token
        return response

    @_operation("DeleteFaces")
    def delete_faces(self, request: Request) -> Response:
        collection = self._collection(request)
        deleted: list[str] = []
        refused: list[Response] = []
        for face_id in self._face_ids(request):
            face = collection.faces.get(face_id)
            if face is None:
                if self._reading("AMB-DEL-UNKNOWN") == "face-not-found":
                    refused.append({"FaceId": face_id, "Reasons": ["FACE_NOT_FOUND"]})
                continue
            if face.user_id is not None and not self._deviates("delete-owned-face"):
                refused.append({"FaceId": face_id, "UserId": face.user_id,
                                "Reasons": ["ASSOCIATED_TO_AN_EXISTING_USER"]})
                continue
            self._touch(collection, face.user_id)
            if not self._deviates("delete-unowned-kept"):  # only unowned faces get this far
                del collection.faces[face_id]
            deleted.append(face_id)
        response: Response = {"UnsuccessfulFaceDeletions": refused}
        if deleted:  # the model's FaceIdList has min 1: an empty list is left out
            response["DeletedFaces"] = deleted
        return response

    # --- users ----------------------------------------------------------------------------

    @_operation("CreateUser")
    def create_user(self, request: Request) -> Response:
        collection = self._collection(request)
        user_id = request["UserId"]
        if user_id in collection.users:
            if not self._deviates("cu-overwrite-existing"):
                raise ConflictException(f"The user id: {user_id} already exists")
            for face in collection.faces_of(user_id):
                face.user_id = None
        self._new_user(collection, user_id)
        return {}

    @_operation("DeleteUser")
    def delete_user(self, request: Request) -> Response:
        collection = self._collection(request)
        user_id = request["UserId"]
        if user_id not in collection.users and self._deviates("du-unknown-ok"):
            return {}
        self._user(collection, user_id)
        if not self._deviates("du-keeps-faces-owned"):
            for face in collection.faces_of(user_id):
                face.user_id = None
        del collection.users[user_id]
        return {}

    @_operation("ListUsers")
    def list_users(self, request: Request) -> Response:
        collection = self._collection(request)
        users = list(collection.users.values())
        page, after, next_token = self._page("ListUsers", collection.collection_id, users,
                                             lambda u: u.seq, request, default_size=100)
        if after is not None and self._deviates("list-users-repeats-page-edge"):
            page = [u for u in users if u.seq == after] + page
        response: Response = {"Users": [{"UserId": u.user_id,
                                         "UserStatus": self._status(collection, u)}
                                        for u in page]}
        if next_token:
            response["NextToken"] = next_token
        return response

    # --- associations ---------------------------------------------------------------------

    @_operation("AssociateFaces")
    def associate_faces(self, request: Request) -> Response:
        face_ids = self._face_ids(request)
        if (request["CollectionId"] not in self._collections
                and self._deviates("unknown-collection-not-found-entries")):
            return {"AssociatedFaces": [],
                    "UnsuccessfulFaceAssociations": [
                        {"FaceId": f, "Reasons": ["FACE_NOT_FOUND"]} for f in face_ids],
                    "UserStatus": "CREATED"}
        collection = self._collection(request)
        user_id = request["UserId"]
        if user_id not in collection.users and self._deviates("unknown-user-wrong-code"):
            raise InvalidParameterException(f"The user id: {user_id} does not exist")
        if user_id not in collection.users and self._deviates("accept-unknown-user"):
            self._new_user(collection, user_id)
        user = self._user(collection, user_id)
        threshold = self._threshold(request)
        held = [f.person for f in collection.faces_of(user_id)]

        associated: list[str] = []
        unsuccessful: list[Response] = []
        candidates: list[_Face] = []
        for face_id in face_ids:
            face = collection.faces.get(face_id)
            if face is None:
                if not self._deviates("drop-unknown-face"):
                    unsuccessful.append({"FaceId": face_id, "Reasons": ["FACE_NOT_FOUND"]})
                continue
            if face.user_id == user_id:
                if self._deviates("report-already-associated"):
                    associated.append(face_id)
                continue
            if face.user_id is not None and not self._deviates("move-owned-face"):
                unsuccessful.append({"FaceId": face_id,
                                     "UserId": self._owner_for_entry(face.user_id, user_id),
                                     "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"]})
                continue
            confidence = self._confidence(face.person, held, [c.person for c in candidates])
            if confidence is not None and confidence < threshold:
                reported: Any = (threshold if self._deviates("low-confidence-reports-threshold")
                                 else confidence)
                if self._deviates("confidence-as-string"):
                    reported = str(reported)
                unsuccessful.append({"FaceId": face_id, "Confidence": reported,
                                     "Reasons": ["LOW_MATCH_CONFIDENCE"]})
                continue
            candidates.append(face)

        taken, refused, over_quota = self._split_at_cap(len(held), candidates)
        if over_quota:
            if self._deviates("refusal-not-rolled-back"):
                self._associate(collection, user, taken)
            raise ServiceQuotaExceededException(
                f"The user id: {user_id} holds {len(held)} faces; adding {len(candidates)} "
                f"would exceed the limit of {USER_FACE_CAP} faces per user")
        if self._deviates("no-lock"):
            time.sleep(0.02)  # the window in which a concurrent request decides the same
        self._associate(collection, user, taken)
        associated += [f.face_id for f in taken]
        # The reason enum has no value for the cap, so such entries carry no reason.
        unsuccessful += [{"FaceId": f.face_id, "Reasons": []} for f in refused]
        if self._deviates("echo-duplicate-face"):
            once = set(associated)
            associated = [f for f in request["FaceIds"] if f in once]

        response: Response = {"AssociatedFaces": [{"FaceId": f} for f in associated],
                              "UnsuccessfulFaceAssociations": unsuccessful}
        if not self._deviates("missing-user-status"):
            response["UserStatus"] = self._status_after(collection, user, bool(taken))
        return response

    def _threshold(self, request: Request) -> float:
        default = 50.0 if self._deviates("default-threshold-50") else DEFAULT_USER_MATCH_THRESHOLD
        given = request.get("UserMatchThreshold")
        if self._deviates("zero-threshold-is-default"):
            return float(given or default)
        return default if given is None else float(given)

    def _confidence(self, person: str, held: list[str], earlier: list[str]) -> float | None:
        """Match confidence of ``person`` against the user, or None where no threshold applies.

        ``held`` are the persons of the user's faces at the start of the request,
        ``earlier`` those of faces accepted earlier in this request.
        """
        if self._deviates("threshold-ignored"):
            return None
        if held:
            references = held
        elif self._deviates("threshold-on-empty-user"):
            return 0.0
        elif self._reading("AMB-FIRST-BATCH") == "matched-in-request" and earlier:
            references = earlier
        else:
            return None
        return max(pair_confidence(person, other) for other in references)

    def _split_at_cap(self, held: int,
                      candidates: list[_Face]) -> tuple[list[_Face], list[_Face], bool]:
        """(faces taken, faces refused by the cap, whether the request must fail instead)."""
        cap = USER_FACE_CAP + 1 if self._deviates("cap-off-by-one") else USER_FACE_CAP
        room = max(cap - held, 0)
        if self._deviates("cap-checked-per-request") and held < cap:
            room = len(candidates)
        if len(candidates) <= room:
            return candidates, [], False
        whole = self._reading("AMB-CAP-CROSS") == "refused-whole"
        if self._reading("AMB-CAP") == "exception":
            # Filling to the cap leaves only a user already at the cap to be refused.
            return candidates[:room], candidates[room:], whole or room == 0
        if whole:
            return [], candidates, False
        return candidates[:room], candidates[room:], False

    def _associate(self, collection: _Collection, user: _User, faces: list[_Face]) -> None:
        for face in faces:
            self._touch(collection, face.user_id)  # only under "move-owned-face" is it owned
            if not self._deviates("assoc-not-persisted"):
                face.user_id = user.user_id
        if faces:
            user.changed_at = self._clock()

    @_operation("DisassociateFaces")
    def disassociate_faces(self, request: Request) -> Response:
        collection = self._collection(request)
        user_id = request["UserId"]
        if user_id not in collection.users and self._deviates("df-unknown-user-ok"):
            return {"DisassociatedFaces": [], "UnsuccessfulFaceDisassociations": [],
                    "UserStatus": "CREATED"}
        user = self._user(collection, user_id)
        released: list[_Face] = []
        unsuccessful: list[Response] = []
        for face_id in self._face_ids(request):
            face = collection.faces.get(face_id)
            if face is None:
                if not self._deviates("df-drop-unknown-face"):
                    unsuccessful.append({"FaceId": face_id, "Reasons": ["FACE_NOT_FOUND"]})
            elif face.user_id == user_id:
                released.append(face)
            elif face.user_id is not None:
                if self._deviates("df-releases-other-users-face"):
                    released.append(face)
                else:
                    unsuccessful.append({"FaceId": face_id,
                                         "UserId": self._owner_for_entry(face.user_id, user_id),
                                         "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"]})
            elif self._reading("AMB-DF-UNOWNED") == "face-not-found":
                unsuccessful.append({"FaceId": face_id, "Reasons": ["FACE_NOT_FOUND"]})
        for face in released:
            self._touch(collection, face.user_id)
            if not self._deviates("df-no-release"):
                face.user_id = None
        response: Response = {"DisassociatedFaces": [{"FaceId": f.face_id} for f in released],
                              "UnsuccessfulFaceDisassociations": unsuccessful}
        if not self._deviates("df-missing-user-status"):
            response["UserStatus"] = self._status_after(collection, user, bool(released))
        return response

    @_operation("SearchUsers")
    def search_users(self, request: Request) -> Response:
        collection = self._collection(request)
        face_id: str | None = request.get("FaceId")
        user_id: str | None = request.get("UserId")
        if (face_id is None) == (user_id is None):
            raise self._invalid("SearchUsers takes exactly one of FaceId and UserId")
        response: Response = {"FaceModelVersion": FACE_MODEL_VERSION}
        if face_id is not None:
            if face_id not in collection.faces:
                raise ResourceNotFoundException(f"The face id: {face_id} does not exist")
            persons = [collection.faces[face_id].person]
            response["SearchedFace"] = {"FaceId": face_id}
        else:
            assert user_id is not None
            self._user(collection, user_id)
            persons = [f.person for f in collection.faces_of(user_id)]
            response["SearchedUser"] = {"UserId": user_id}
        threshold = request.get("UserMatchThreshold", DEFAULT_SEARCH_THRESHOLD)
        matches: list[tuple[float, int, _User]] = []
        for user in collection.users.values():
            theirs = [f.person for f in collection.faces_of(user.user_id)]
            if user.user_id == user_id or not theirs or not persons:
                continue
            similarity = max(pair_confidence(a, b) for a in persons for b in theirs)
            if similarity >= threshold:
                matches.append((similarity, user.seq, user))
        matches.sort(key=lambda m: (-m[0], m[1]))
        response["UserMatches"] = [
            {"Similarity": similarity,
             "User": {"UserId": user.user_id, "UserStatus": self._status(collection, user)}}
            for similarity, _, user in matches[:request.get("MaxUsers", 5)]]
        return response

