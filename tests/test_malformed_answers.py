"""No answer of a target, however malformed, is an internal error of the suite (issue 18).

A whole run goes through the fault proxy, which answers one operation with a malformed
body and forwards every other answer as the emulator gave it: ``{}``, a JSON array,
``null`` or a number, a body that is not JSON or cut short, an HTTP 200 with no body, an
error with a ``__type`` no client knows, or the emulator's own answer with one member
dropped, made null, a number, a string, an empty list or an empty object, or with every
FaceId and UserId one the suite never sent. The run must end with findings, blocked
cases or "not checked", never an internal error of the suite.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conformance.emulator.server import EmulatorServer
from conformance.errors import TargetUnsupported, TransportError
from conformance.faultproxy import FaultProxy, FaultRates
from conformance.results import NOTICE_KINDS, RunResult
from conformance.runner import PROFILES, Profile, run_suite
from conformance.targets import Target

# Every operation a run sends, and the members of its answer that the suite reads.
MEMBERS: dict[str, tuple[str, ...]] = {
    "CreateCollection": ("StatusCode", "CollectionArn"),
    "DeleteCollection": ("StatusCode",),
    "CreateUser": (),
    "DeleteUser": (),
    "ListUsers": ("Users", "UserId", "UserStatus", "NextToken"),
    "IndexFaces": ("FaceRecords", "Face", "FaceId", "ExternalImageId", "UserId",
                   "UnindexedFaces"),
    "ListFaces": ("Faces", "FaceId", "UserId", "ExternalImageId", "NextToken"),
    "DeleteFaces": ("DeletedFaces", "UnsuccessfulFaceDeletions", "FaceId", "UserId",
                    "Reasons"),
    "AssociateFaces": ("AssociatedFaces", "UnsuccessfulFaceAssociations", "FaceId", "UserId",
                       "Confidence", "Reasons", "UserStatus"),
    "DisassociateFaces": ("DisassociatedFaces", "UnsuccessfulFaceDisassociations", "FaceId",
                          "UserId", "Reasons", "UserStatus"),
    "SearchUsers": ("UserMatches", "User", "UserId", "Similarity", "UserStatus",
                    "SearchedFace", "SearchedUser", "FaceId"),
    "SearchUsersByImage": ("UserMatches", "User", "UserId", "Similarity", "UserStatus",
                           "SearchedFace"),
}
OPERATIONS = tuple(MEMBERS)
DROPPED = object()
# What a member becomes: gone, null, a number for a string, a string for a list, empty.
REPLACEMENTS: tuple[Any, ...] = (DROPPED, None, 7, "a string", [], {})
UNKNOWN_ERROR = json.dumps({"__type": "BrandNewException", "message": "no client knows me"})
# Answers sent whatever the server said: (HTTP status, body).
WHOLE: tuple[tuple[int, bytes], ...] = (
    (200, b"{}"), (200, b"[]"), (200, b"null"), (200, b"7"), (200, b'"FaceRecords"'),
    (200, b"<html><body>502 Bad Gateway</body></html>"), (200, b""),
    (400, UNKNOWN_ERROR.encode()),
)

# Each run: every directed check, and a little exploration.
PROFILE = Profile("malformed", 2, 8, "tests/test_malformed_answers.py", shrink_seconds=1)

Change = Callable[[Any], Any]


@dataclass(frozen=True)
class Malformed:
    """What the proxy sends instead of an answer: a whole body, or a change to the server's
    own (a successful one: a refusal has no members to change)."""

    what: str
    whole: tuple[int, bytes] | None = None
    change: Change | None = None
    truncate: bool = False

    def instead(self, status: int, body: bytes) -> tuple[int, bytes] | None:
        if self.whole is not None:
            return self.whole
        if not 200 <= status < 300:
            return None
        if self.truncate:
            return (status, body[:max(1, len(body) // 2)]) if len(body) > 1 else None
        assert self.change is not None
        changed = json.dumps(self.change(json.loads(body))).encode()
        return None if json.loads(changed) == json.loads(body) else (status, changed)


def replace_member(name: str, value: Any) -> Change:
    """Every occurrence of member ``name``, at any depth, dropped or made ``value``."""
    def change(node: Any) -> Any:
        if isinstance(node, list):
            return [change(n) for n in node]
        if not isinstance(node, dict):
            return node
        return {k: (value if k == name else change(v)) for k, v in node.items()
                if k != name or value is not DROPPED}
    return change


def strange_ids(node: Any) -> Any:
    """Every FaceId and UserId, in a record or a list of ids, one the suite never sent."""
    if isinstance(node, list):
        return [strange_ids(n) for n in node]
    if not isinstance(node, dict):
        return node
    return {k: str(uuid.uuid4()) if k in ("FaceId", "UserId") else
            [str(uuid.uuid4()) for _ in v] if k == "DeletedFaces" and isinstance(v, list)
            else strange_ids(v) for k, v in node.items()}


def malformed_answers(operation: str) -> st.SearchStrategy[Malformed]:
    whole = st.sampled_from(WHOLE).map(lambda w: Malformed(f"{w[0]} {w[1][:40]!r}", whole=w))
    cut = st.just(Malformed("the answer cut in half", truncate=True))
    ids = st.just(Malformed("FaceIds and UserIds never sent", change=strange_ids))
    members = MEMBERS[operation]
    if not members:
        return whole | cut
    member = st.tuples(st.sampled_from(members), st.sampled_from(REPLACEMENTS)).map(
        lambda m: Malformed(f"{m[0]} {'dropped' if m[1] is DROPPED else f'-> {m[1]!r}'}",
                            change=replace_member(*m)))
    return st.one_of(whole, cut, ids, member)


class Substitution:
    """The proxy's ``substitute``: the answers of ``operation`` that ``malformed`` changes,
    all of them (``nth`` None) or only the ``nth``; counts those it changed."""

    def __init__(self, operation: str, malformed: Malformed, nth: int | None) -> None:
        self.operation = operation
        self.malformed = malformed
        self.nth = nth
        self.seen = 0
        self.sent = 0
        self._lock = threading.Lock()  # the races send from several threads

    def __call__(self, operation: str, status: int, body: bytes) -> tuple[int, bytes] | None:
        if operation != self.operation:
            return None
        with self._lock:
            self.seen += 1
            if self.nth is not None and self.seen != self.nth:
                return None
            instead = self.malformed.instead(status, body)
            self.sent += instead is not None
            return instead


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    PROFILES[PROFILE.name] = PROFILE
    try:
        with EmulatorServer() as emulator:
            yield emulator
    finally:
        del PROFILES[PROFILE.name]


def judged(result: RunResult) -> None:
    """Findings, blocks, "not checked" and transport errors are all answers the suite can
    give about a target; an internal error of the suite is not."""
    internal = [f"{e.kind}: {e.message}\n{e.detail}" for e in result.errors
                if e.kind not in (*NOTICE_KINDS, "transport")]
    assert not internal, "\n".join(internal)
    for clause in result.clauses:
        assert clause.status in ("passed", "failed", "blocked", "partly-checked",
                                 "not-checked"), clause
        for case, verdict in clause.cases.items():
            assert "internal error" not in verdict, (clause.clause, case, verdict)


@pytest.mark.slow
@pytest.mark.parametrize("operation", OPERATIONS)
# Each example is a whole run, so there are few for each operation (the first, derandomized,
# is the simplest: ``{}`` for every answer); the suite's own Hypothesis runs inside.
# No shrinking: an example is already one operation and one body.
@settings(max_examples=2, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.nested_given])
@given(data=st.data(), nth=st.none() | st.integers(1, 3))
def test_no_malformed_answer_is_an_internal_error(
        server: EmulatorServer, data: st.DataObject, operation: str, nth: int | None) -> None:
    malformed = data.draw(malformed_answers(operation), label="answer")
    substitution = Substitution(operation, malformed, nth)
    server.reset()
    with FaultProxy(server.url, FaultRates(), substitute=substitution) as proxy:
        try:
            result = run_suite(Target(name="endpoint", kind="endpoint",
                                      endpoint_url=proxy.url, settle_timeout=1.0),
                               profile=PROFILE.name, seed=0, shrink=False)
        except (TransportError, TargetUnsupported):
            # The first collection could not be made: the run ends before its report, with
            # the one line the CLI prints for it (exit 3 or 4).
            assert operation == "CreateCollection" and nth in (None, 1)
            return
    print(f"{operation}, {'every answer' if nth is None else f'answer {nth}'}: "
          f"{malformed.what}: {substitution.sent} sent, {len(result.findings)} findings, "
          f"{[e.message for e in result.errors]}, {result.duration_seconds} s")
    assert substitution.seen >= (nth or 1), f"the run answered {operation} too few times"
    judged(result)


@pytest.mark.slow
def test_a_match_that_names_no_user_is_one_finding_of_the_answer_shape(
        server: EmulatorServer) -> None:
    # Every SearchUsersByImage match without its User: the answer's shape is wrong, once;
    # the users those matches hide are not also "not found" under the identity rule.
    substitution = Substitution("SearchUsersByImage", Malformed(
        "User dropped", change=replace_member("User", DROPPED)), None)
    server.reset()
    with FaultProxy(server.url, FaultRates(), substitute=substitution) as proxy:
        result = run_suite(Target(name="endpoint", kind="endpoint", endpoint_url=proxy.url,
                                  settle_timeout=1.0), profile=PROFILE.name, seed=0,
                           shrink=False)
    judged(result)
    assert substitution.sent > 0
    assert [f.clause for f in result.findings] == ["SU-SHAPE"]
    assert "names no User.UserId" in result.findings[0].message
