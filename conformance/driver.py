"""The one door between the suite and a target: every API call goes through ``Driver.call``.

It keeps the safety promise (the suite only touches collections it created),
counts calls against the budget, keeps the call log that reproducers are made
from, captures the raw JSON body so schemas are checked on what the server
sent, and turns transport trouble into suite errors, never into findings.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from botocore import xform_name
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
)

from conformance.errors import (
    INTERRUPTED,
    BudgetExhausted,
    SafetyViolation,
    SuiteError,
    TargetUnreachable,
    TargetUnsupported,
    TransportError,
)
from conformance.marker import marker_tags
from conformance.results import CALL_COUNTERS
from conformance.spec import UNNAMEABLE_COLLECTION_IDS

# Error codes and HTTP statuses with which servers say "I do not have this operation".
UNSUPPORTED_CODES = frozenset({
    "UnknownOperationException", "InvalidAction", "NotImplemented", "NotImplementedError",
    "UnsupportedOperation", "InvalidOperation",
})
UNSUPPORTED_STATUSES = frozenset({404, 405, 501})
# Operations that change nothing: sent again after a reset, their answer is still judged.
READ_ONLY = frozenset({"ListFaces", "ListUsers", "ListCollections", "DescribeCollection",
                       "SearchUsers", "SearchFaces", "ListTagsForResource"})
THROTTLING_CODES = frozenset({"ThrottlingException", "ProvisionedThroughputExceededException"})


class OperationMissing(Exception):
    """The target does not implement ``operation``: the checks that need it cannot run."""

    def __init__(self, operation: str, answer: str) -> None:
        super().__init__(f"{operation} not implemented ({answer})")
        self.operation = operation
        self.answer = answer


class RunAborted(BaseException):
    """Stops a run at once. A BaseException so Hypothesis does not try to shrink it."""

    def __init__(self, error: SuiteError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class Outcome:
    operation: str
    params: dict[str, Any]
    body: dict[str, Any] | None  # the JSON the server sent, for a success
    error: str | None  # the AWS error code, for a refusal
    message: str
    http_status: int
    # The client sent the request again after a connection failed mid-request: it may have
    # taken effect zero, one or several times, so the answer cannot be judged.
    uncertain: bool = False
    # A success whose body is JSON but no object (an array, a number, null): what it was,
    # for the schema check to judge (``checks.check_schema``). ``body`` is then {}.
    malformed: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class CallLogEntry:
    operation: str
    params: dict[str, Any]  # images replaced by a description (see ``note``)
    outcome: dict[str, Any]  # {"body": ...} or {"error": code, "message": ...}
    raw_client: bool
    note: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = {"operation": self.operation, "params": self.params, "outcome": self.outcome,
               "raw_client": self.raw_client, "note": self.note}
        if "concurrent_group" in self.note:  # sent at once with the others of its group
            out["concurrent_group"] = self.note["concurrent_group"]
        return out


class Driver:
    def __init__(self, checked_client: Any, raw_client: Any, *, resource_prefix: str,
                 call_budget: int | None = None, max_rps: float | None = None) -> None:
        self._clients = {False: checked_client, True: raw_client}
        self.resource_prefix = resource_prefix
        self.call_budget = call_budget
        self._pacer = Pacer(max_rps) if max_rps else None
        self.created_collections: list[str] = []
        self.calls: Counter[str] = Counter()
        self.log: list[CallLogEntry] = []
        self.cleanup_errors: list[str] = []
        # operation -> how the target said it does not have it
        self.missing: dict[str, str] = {}
        self._lock = threading.Lock()
        self._raw = threading.local()
        for client in (checked_client, raw_client):
            client.meta.events.register("before-parse.rekognition", self._keep_raw_body)
            client.meta.events.register("needs-retry.rekognition", self._note_retry)

    # --- the door ----------------------------------------------------------------------

    def call(self, operation: str, params: dict[str, Any], *, raw_client: bool = False,
             note: dict[str, Any] | None = None) -> Outcome:
        self._guard(operation, params)
        if INTERRUPTED.is_set() and operation != "DeleteCollection":
            raise KeyboardInterrupt
        with self._lock:
            # Deleting what the run created is never refused for budget: it is the promise.
            if (self.call_budget is not None and operation != "DeleteCollection"
                    and self.calls_made() >= self.call_budget):
                raise RunAborted(BudgetExhausted(
                    f"the call budget of {self.call_budget} API calls is spent"))
            self.calls[operation] += 1
        if self._pacer is not None:
            self._pacer.wait()
        client = self._clients[raw_client]
        self._raw.body = None
        self._raw.status = None
        self._raw.uncertain = False
        try:
            parsed = getattr(client, xform_name(operation))(**params)
            outcome = self._success(operation, params, parsed)
            self._count_retries(parsed)
        except ClientError as exc:
            outcome = self._refusal(operation, params, exc)
        except (EndpointConnectionError, ConnectTimeoutError) as exc:
            raise RunAborted(TargetUnreachable(f"cannot reach the target: {exc}")) from None
        except HTTPClientError as exc:  # a reset, a read timeout, after every retry
            raise RunAborted(TransportError(f"{operation}: the connection failed: {exc}")) from None
        except Exception:
            # botocore's parser trips over some bodies of a success (a JSON array, a string
            # where the model has a list): the body it was given is the answer all the same.
            if not 200 <= (self._raw.status or 0) < 300:
                raise
            outcome = self._success(operation, params, {})
        if self._raw.uncertain and operation not in READ_ONLY:
            outcome = dataclasses.replace(outcome, uncertain=True)
            with self._lock:
                self.calls["uncertain"] += 1
        with self._lock:
            self.log.append(CallLogEntry(operation, _describe_params(params, note),
                                         _describe_outcome(outcome), raw_client, note or {}))
        return outcome

    def create_collection(self, collection_id: str) -> None:
        if not collection_id.startswith(self.resource_prefix):
            raise RunAborted(SafetyViolation(
                f"refusing to create {collection_id!r}: outside the run's prefix"))
        # Recorded before the call: a CreateCollection that times out may still have
        # created it, and cleanup must then delete it (absent is fine for cleanup).
        with self._lock:
            self.created_collections.append(collection_id)
        # The marker `conformance cleanup` requires, with the prefix, before it deletes.
        outcome = self.call("CreateCollection", {"CollectionId": collection_id,
                                                 "Tags": marker_tags(self.resource_prefix)})
        if outcome.uncertain and outcome.error == "ResourceAlreadyExistsException":
            return  # an attempt the client could not see the answer of created it
        if not outcome.ok:
            with self._lock:
                self.created_collections.remove(collection_id)
            raise RunAborted(TransportError(
                f"CreateCollection {collection_id!r} failed: {outcome.error}: {outcome.message}"))

    def delete_collection(self, collection_id: str) -> str | None:
        """Delete a collection this run created; the error text if that failed."""
        try:
            outcome = self.call("DeleteCollection", {"CollectionId": collection_id})
        except RunAborted as aborted:
            return f"cleanup of {collection_id}: {aborted.error}"
        with self._lock:
            if collection_id in self.created_collections:
                self.created_collections.remove(collection_id)
        if outcome.ok or outcome.error == "ResourceNotFoundException":
            return None
        return f"cleanup of {collection_id}: {outcome.error}: {outcome.message}"

    def cleanup(self) -> list[str]:
        """Delete every collection this run created and has not deleted yet."""
        errors = [self.delete_collection(c) for c in list(self.created_collections)]
        return [e for e in errors if e]

    def calls_made(self) -> int:
        """Calls the suite made; the client's retries of them are counted apart."""
        return sum(n for op, n in self.calls.items() if op not in CALL_COUNTERS)

    def start_test_case(self) -> None:
        """Forget the calls of earlier test cases: only the current one can become a finding."""
        with self._lock:
            self.log.clear()

    # --- internals ---------------------------------------------------------------------

    def _guard(self, operation: str, params: dict[str, Any]) -> None:
        """The safety property: no request may name a collection the run did not create.

        Probes of unknown or malformed collections carry the run's prefix, so they
        cannot name anything that belongs to someone else either. The one exception are
        the ids in which the model's CollectionId pattern is found nowhere (AF-INPUT's
        probe of a server that checks no pattern): no one can have made a collection so
        named, as every reading of the pattern refuses it; they are never created.
        """
        collection = params.get("CollectionId")
        if operation == "ListCollections":
            raise RunAborted(SafetyViolation("the suite never lists the account's collections"))
        if (collection in UNNAMEABLE_COLLECTION_IDS
                and operation not in ("CreateCollection", "DeleteCollection")):
            return
        if not isinstance(collection, str) or not collection.startswith(self.resource_prefix):
            raise RunAborted(SafetyViolation(
                f"refusing {operation} on {collection!r}: not a collection of this run "
                f"(prefix {self.resource_prefix!r})"))
        if operation == "DeleteCollection" and collection not in self.created_collections:
            raise RunAborted(SafetyViolation(
                f"refusing to delete {collection!r}: this run did not create it"))

    def _note_retry(self, caught_exception: BaseException | None = None, **_: Any) -> None:
        """Called by botocore after each attempt, before it decides to retry.

        A connection that failed after the request was sent (a reset, a read timeout)
        leaves unknown whether the server acted on it; one that never opened does not.
        """
        if caught_exception is not None and not isinstance(
                caught_exception, EndpointConnectionError | ConnectTimeoutError):
            self._raw.uncertain = True

    def _keep_raw_body(self, response_dict: dict[str, Any] | None = None, **_: Any) -> None:
        """Called by botocore with each attempt's answer before it parses it: a body its
        parser cannot read is still the answer to judge."""
        if response_dict is not None:
            self._raw.body = response_dict.get("body")
            self._raw.status = response_dict.get("status_code")

    def _success(self, operation: str, params: dict[str, Any], parsed: dict[str, Any]
                 ) -> Outcome:
        body, malformed = self._body(parsed)
        return Outcome(operation, params, body, None, "", 200, malformed=malformed)

    def _body(self, parsed: dict[str, Any]) -> tuple[dict[str, Any], str]:
        """The JSON object the server sent; and, when it sent other JSON, what it was."""
        raw = self._raw.body
        if not raw:
            return {k: v for k, v in parsed.items() if k != "ResponseMetadata"}, ""
        try:
            decoded = json.loads(raw)
        except ValueError:
            raise RunAborted(TransportError("the target answered with a body that is "
                                            f"not JSON: {_clip(raw)}")) from None
        if isinstance(decoded, dict):
            return decoded, ""
        return {}, f"a JSON {type(decoded).__name__} where an object is expected: {_clip(raw)}"

    def _count_retries(self, parsed: dict[str, Any]) -> None:
        retries = parsed.get("ResponseMetadata", {}).get("RetryAttempts", 0)
        if retries:
            with self._lock:
                self.calls["retries"] += retries

    def _refusal(self, operation: str, params: dict[str, Any], exc: ClientError) -> Outcome:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        self._count_retries(exc.response)
        if code in UNSUPPORTED_CODES or status in UNSUPPORTED_STATUSES:
            answer = code or f"HTTP {status}"
            with self._lock:
                self.missing.setdefault(operation, answer)
            if operation in ("CreateCollection", "DeleteCollection"):
                raise RunAborted(TargetUnsupported(
                    f"the target does not implement {operation} ({answer}): nothing can be "
                    f"checked without a collection of the suite's own"))
            raise OperationMissing(operation, answer)
        if code in THROTTLING_CODES:
            with self._lock:
                self.calls["throttled"] += 1
            raise RunAborted(TransportError(
                f"{operation}: still throttled ({code}) after the client's retries"))
        # A 5xx that outlasted the retries is the target's answer to this request: the
        # clause being checked judges it (the other requests keep being answered).
        message = str(error.get("Message", ""))
        if status >= 500:
            message = f"HTTP {status} after the client's retries: {message}"
        return Outcome(operation, params, None, code or f"HTTP{status}", message, status)


class Pacer:
    """At most ``rate`` calls per second, whichever threads send them (the races do).

    Each call takes the next free slot, ``1 / rate`` seconds after the one before, and
    sleeps until it, outside the lock: a minimum interval, with no burst to overrun a
    service's per-second quota.
    """

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


def _describe_params(params: dict[str, Any], note: dict[str, Any] | None) -> dict[str, Any]:
    out = dict(params)
    if "Image" in out:
        out["Image"] = {"Bytes": f"<{(note or {}).get('image', 'image')}>"}
    return out


def _clip(raw: bytes, limit: int = 80) -> str:
    text = raw.decode("utf-8", "replace")
    return repr(text if len(text) <= limit else text[:limit - 3] + "...")


def _describe_outcome(outcome: Outcome) -> dict[str, Any]:
    described: dict[str, Any] = ({"body": outcome.body} if outcome.ok else
                                 {"error": outcome.error, "message": outcome.message})
    if outcome.malformed:
        described["malformed"] = outcome.malformed
    if outcome.uncertain:
        described["uncertain"] = True
    return described


def poll(predicate: Any, timeout: float, *, first_delay: float = 0.02,
         max_delay: float = 1.0, initial_delay: float = 0.0) -> bool:
    """Call ``predicate`` until it is true or ``timeout`` seconds pass; back off between calls.

    The settle checks use this instead of sleeping blindly: a fast target costs
    one call, a slow one is given exactly its timeout and no more. ``initial_delay``
    waits before the first call, for a target known to be slow (each call is billed).
    """
    deadline = time.monotonic() + timeout
    if initial_delay > 0:  # sleep(0) still gives up the CPU: a settle poll per change
        time.sleep(min(initial_delay, timeout))
    delay = first_delay
    while True:
        if INTERRUPTED.is_set():
            raise KeyboardInterrupt
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, max_delay)
