"""Which of the suite's operations a target implements: one harmless request each.

``probe(clients, prefix)`` creates a collection ``<prefix>probe`` (with the
suite's marker tags), sends each operation the suite calls one request that
can change nothing but that collection, deletes the collection, and reads each
answer as:

``implemented``
    a success, or a refusal the server words as the operation's own (an AWS error
    code such as ResourceNotFoundException or InvalidParameterException): it
    understood the request.
``missing``
    UnknownOperationException, InvalidAction and the like; HTTP 501, 404 or 405;
    or a 5xx, after retries, whose body is HTML or says "not implemented".
``unclear``
    anything else: a 5xx with a JSON body, throttling after retries, access denied,
    a broken connection. The run will find out.

``missing_operations_screen(result)`` is the one screen a user gets when
operations are missing. The probe's own client retries little (a persistent 500
is a 500 three times), so that probing a server that has none of the operations
takes seconds, not minutes.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from conformance.driver import UNSUPPORTED_CODES, UNSUPPORTED_STATUSES
from conformance.images import face_image
from conformance.marker import marker_tags
from conformance.targets import Clients

Status = Literal["implemented", "missing", "unclear"]

# The operations the suite calls, in the order the probe sends them.
OPERATIONS: tuple[str, ...] = (
    "CreateCollection", "IndexFaces", "ListFaces", "CreateUser", "ListUsers", "AssociateFaces",
    "DisassociateFaces", "DeleteFaces", "DeleteUser", "DeleteCollection",
)
PROBE_ATTEMPTS = 3
_NOT_IMPLEMENTED = re.compile(r"not\s+(yet\s+)?implemented|unknown operation|"
                              r"unsupported operation", re.IGNORECASE)
_HTML = re.compile(rb"^\s*(<!doctype html|<html)", re.IGNORECASE)
_ACCESS_DENIED = frozenset({"AccessDeniedException", "AccessDenied",
                            "UnrecognizedClientException"})
_THROTTLED = frozenset({"ThrottlingException", "ProvisionedThroughputExceededException",
                        "LimitExceededException"})


@dataclass(frozen=True)
class Capability:
    operation: str
    status: Status
    detail: str  # what the server answered, in a few words


def _requests(prefix: str, image: bytes) -> dict[str, dict[str, Any]]:
    collection = f"{prefix}probe"
    absent = str(uuid.UUID(int=1))  # a well-formed FaceId nobody holds
    user = "probe-user"
    return {
        "CreateCollection": {"CollectionId": collection, "Tags": marker_tags(prefix)},
        "IndexFaces": {"CollectionId": collection, "Image": {"Bytes": image}, "MaxFaces": 1},
        "ListFaces": {"CollectionId": collection},
        "CreateUser": {"CollectionId": collection, "UserId": user},
        "ListUsers": {"CollectionId": collection},
        "AssociateFaces": {"CollectionId": collection, "UserId": user, "FaceIds": [absent]},
        "DisassociateFaces": {"CollectionId": collection, "UserId": user, "FaceIds": [absent]},
        "DeleteFaces": {"CollectionId": collection, "FaceIds": [absent]},
        "DeleteUser": {"CollectionId": collection, "UserId": user},
        "DeleteCollection": {"CollectionId": collection},
    }


def probe(clients: Clients, prefix: str, *, image: bytes | None = None) -> dict[str, Capability]:
    """Send each of the suite's operations one harmless request and read the answers.

    ``prefix`` is the run's prefix: the probe touches only ``<prefix>probe``, which it
    creates and deletes. ``image`` is what IndexFaces is sent (default: the suite's
    synthetic face 0; for live AWS pass a photo to have a face indexed).
    """
    from conformance.emulator.inprocess import ENDPOINT_URL

    in_process = clients.endpoint_url == ENDPOINT_URL or (clients.endpoint_url is None \
        and clients.raw.meta.endpoint_url == ENDPOINT_URL)
    client = clients.raw if in_process else _probe_client(clients)
    last_body: dict[str, bytes] = {}

    def keep_body(http_response: Any = None, **_: Any) -> None:
        if http_response is not None:
            last_body["body"] = http_response.content or b""

    client.meta.events.register("after-call.rekognition", keep_body)
    result: dict[str, Capability] = {}
    try:
        for operation, params in _requests(prefix, image or face_image(0)).items():
            last_body.clear()
            method = getattr(client, _snake(operation))
            try:
                method(**params)
            except ClientError as error:
                result[operation] = _read_refusal(operation, error, last_body.get("body", b""))
            except BotoCoreError as error:
                result[operation] = Capability(operation, "unclear",
                                               f"transport: {type(error).__name__}")
            else:
                result[operation] = Capability(operation, "implemented", "answered")
    finally:
        client.meta.events.unregister("after-call.rekognition", keep_body)
    return result


def _snake(operation: str) -> str:
    from botocore import xform_name

    return str(xform_name(operation))


def _probe_client(clients: Clients) -> Any:
    """A client like the target's raw one, with few retries and short timeouts."""
    import boto3
    from botocore.config import Config

    base = clients.raw
    credentials = base._get_credentials()  # botocore keeps them here; no public accessor
    frozen = credentials.get_frozen_credentials() if credentials is not None else None
    config = Config(connect_timeout=3, read_timeout=15, parameter_validation=False,
                    retries={"mode": "standard", "total_max_attempts": PROBE_ATTEMPTS},
                    user_agent_extra="rekognition-conformance-probe")
    return boto3.client(
        "rekognition", endpoint_url=clients.endpoint_url, region_name=clients.region,
        aws_access_key_id=frozen.access_key if frozen else None,
        aws_secret_access_key=frozen.secret_key if frozen else None,
        aws_session_token=frozen.token if frozen else None, config=config)


def _read_refusal(operation: str, error: ClientError, body: bytes) -> Capability:
    info = error.response.get("Error", {})
    code = str(info.get("Code") or "")
    message = str(info.get("Message") or "")
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    said = f"HTTP {status} {code}".rstrip() + (f": {message}" if message else "")
    text = body.decode("utf-8", "replace")
    if code in UNSUPPORTED_CODES or status in UNSUPPORTED_STATUSES:
        return Capability(operation, "missing", _short(said))
    if status >= 500:
        if _HTML.match(body):
            return Capability(operation, "missing", _short(f"HTTP {status} with an HTML page, "
                                                           f"{PROBE_ATTEMPTS} times"))
        if _NOT_IMPLEMENTED.search(text) or _NOT_IMPLEMENTED.search(message):
            return Capability(operation, "missing", _short(said or text))
        return Capability(operation, "unclear", _short(f"{said}, {PROBE_ATTEMPTS} times"))
    if code in _ACCESS_DENIED:
        return Capability(operation, "unclear", _short(f"{said} (the credentials may not "
                                                       f"allow rekognition:{operation})"))
    if code in _THROTTLED:
        return Capability(operation, "unclear", _short(f"{said} after retries"))
    if _NOT_IMPLEMENTED.search(message):
        return Capability(operation, "missing", _short(said))
    if code and not code.isdigit():
        return Capability(operation, "implemented", _short(f"refused as its own: {said}"))
    return Capability(operation, "unclear", _short(said or text))


def _short(text: str, width: int = 72) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def missing(result: Mapping[str, Capability]) -> list[str]:
    return [op for op, cap in result.items() if cap.status == "missing"]


def missing_operations_screen(result: Mapping[str, Capability]) -> str:
    """One screen: what is missing, what is unclear, what the run can still judge."""
    gone = missing(result)
    unclear = [c for c in result.values() if c.status == "unclear"]
    here = [op for op, cap in result.items() if cap.status == "implemented"]
    width = max((len(op) for op in result), default=0)
    if not gone and not unclear:
        return f"The target implements all {len(result)} operations the suite calls."
    lines = [f"The target does not implement {len(gone)} of the {len(result)} operations "
             "the suite calls:" if gone else
             f"The target implements the operations the suite calls, but {len(unclear)} "
             "answered unclearly:"]
    lines += [f"  missing  {op:{width}}  {result[op].detail}" for op in gone]
    lines += [f"  unclear  {c.operation:{width}}  {c.detail}" for c in unclear]
    lines.append(f"Implemented: {', '.join(here) if here else 'none'}.")
    if gone and not here:
        lines.append("Nothing can be judged: this server does not serve Rekognition's "
                     "collection and user-vector operations.")
    elif gone:
        lines.append("Clauses that need a missing operation are not checked; the rest are "
                     "judged.")
    return "\n".join(lines)
