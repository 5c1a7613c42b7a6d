"""The token readings of audit rows N3 and N4, one directed case at a time, on the Harness
against the in-process reference emulator: each reading passes, is recorded under its own
operation's ambiguity, and a pinned other reading fails the operation's clause."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.clauses import REPLAY_GONE, TOKEN_MISMATCH, A, C
from conformance.directed import tokens
from conformance.driver import Driver
from conformance.emulator.backend import Backend
from conformance.emulator.behaviour import Behaviour
from conformance.emulator.inprocess import inprocess_client_pair
from conformance.errors import Failure
from conformance.harness import Harness, RunContext
from conformance.images import synthetic_faces
from conformance.ledger import Ledger

PREFIX = "cfs-abcdef-"

# operation -> a directed case that reuses one of its tokens with other parameters
MISMATCH_CASES: dict[str, Callable[[Harness], None]] = {
    "AssociateFaces": tokens.associate_mismatch_faces,
    "DisassociateFaces": tokens.disassociate_mismatch,
    "CreateUser": tokens.create_mismatch,
    "DeleteUser": tokens.delete_mismatch,
}
# operation -> a directed case that replays one of its tokens once the user is gone
GONE_CASES: dict[str, Callable[[Harness], None]] = {
    "AssociateFaces": tokens.associate_replay_gone,
    "DisassociateFaces": tokens.disassociate_replay_gone,
    "DeleteUser": tokens.delete_replay,
}


def harness(readings: dict[str, str] | None = None, deviations: frozenset[str] = frozenset(),
            pinned: dict[str, str] | None = None, wrap: Any = None) -> Harness:
    checked, raw = inprocess_client_pair(Backend(Behaviour(
        readings={**Behaviour().readings, **(readings or {})}, deviations=deviations)))
    if wrap is not None:
        checked = wrap(checked)
    ctx = RunContext(Driver(checked, raw, resource_prefix=PREFIX), Ledger(pinned=pinned or {}),
                     synthetic_faces(3), settle_timeout=2.0, resource_prefix=PREFIX)
    return Harness(ctx)


def run_case(h: Harness, case: Callable[[Harness], None]) -> None:
    try:
        case(h)
    finally:
        h.close()


@pytest.mark.parametrize("operation", list(MISMATCH_CASES))
@pytest.mark.parametrize("reading", ["exception", "first-response"])
def test_token_mismatch_reading_passes_and_is_recorded(operation: str, reading: str) -> None:
    amb = TOKEN_MISMATCH[operation]
    h = harness({amb: reading})
    run_case(h, MISMATCH_CASES[operation])
    assert dict(h.ledger.readings[amb]) == {reading: 1}
    # Every other operation's question is its own: nothing recorded for it here.
    assert not any(h.ledger.readings[other] for other in TOKEN_MISMATCH.values() if other != amb)


@pytest.mark.parametrize("operation", list(GONE_CASES))
@pytest.mark.parametrize("reading", ["first-response", "not-found"])
def test_replay_gone_reading_passes_and_is_recorded(operation: str, reading: str) -> None:
    amb = REPLAY_GONE[operation]
    h = harness({amb: reading})
    run_case(h, GONE_CASES[operation])
    assert dict(h.ledger.readings[amb]) == {reading: 1}


def test_a_pinned_reading_fails_the_operations_clause() -> None:
    h = harness({A.AMB_CU_TOKEN_MISMATCH: "first-response"},
                pinned={A.AMB_CU_TOKEN_MISMATCH: "exception"})
    with pytest.raises(Failure) as failed:
        run_case(h, tokens.create_mismatch)
    assert failed.value.clause == C.CU_TOKEN_MISMATCH
    assert "AMB-CU-TOKEN-MISMATCH" in failed.value.message


def test_not_found_is_no_answer_while_the_user_exists_again() -> None:
    # DeleteUser replayed after the user was created again: under either reading only the
    # first response, with no effect, passes; a replay that deletes it again fails.
    for reading in ("first-response", "not-found"):
        run_case(harness({A.AMB_DU_REPLAY_GONE: reading}), tokens.delete_replay_recreated)
    h = harness(deviations=frozenset({"du-replay-executes"}))
    with pytest.raises(Failure) as failed:
        run_case(h, tokens.delete_replay_recreated)
    assert failed.value.clause == C.DU_TOKEN_REPLAY
    assert "must exist" in failed.value.message


def test_a_first_response_with_a_second_effect_fails() -> None:
    # CreateUser answers {} whether it replayed or created the other user: only the
    # listing tells, and the token clause is blamed.
    h = harness(deviations=frozenset({"cu-mismatch-ignored"}))
    with pytest.raises(Failure) as failed:
        run_case(h, tokens.create_mismatch)
    assert failed.value.clause == C.CU_TOKEN_MISMATCH
    assert "must not exist" in failed.value.message


class SharedTokens:
    """A client whose DisassociateFaces answers an AssociateFaces token with that call's
    first response: tokens shared across operations, S0.24 read literally."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.first: dict[str, dict[str, Any]] = {}

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)
        if name not in ("associate_faces", "disassociate_faces"):
            return method

        def call(**params: Any) -> dict[str, Any]:
            token = params.get("ClientRequestToken")
            if name == "disassociate_faces" and token in self.first:
                return dict(self.first[token])
            answer: dict[str, Any] = method(**params)
            if name == "associate_faces" and token:
                self.first[token] = answer
            return answer

        return call


def test_the_first_associate_response_to_a_disassociate_call_reads_as_shared_scope() -> None:
    h = harness(wrap=SharedTokens)
    try:
        with h.setup():
            user_id, face_id = tokens._associate_token(h)
        (record,) = h.cross_operation_records()
        h.reuse_token_across_operations(record, face_id)
        assert dict(h.ledger.readings[A.AMB_TOKEN_SCOPE]) == {"shared": 1}
        assert h.model.users[user_id].faces == {face_id}
    finally:
        h.close()
