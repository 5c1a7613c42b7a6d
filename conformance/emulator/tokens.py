"""ClientRequestToken idempotency: a token replayed with the same parameters answers again.

The four operations with a token run through ``Idempotency.serve``, which
remembers what each token produced in the collection, per operation or shared
(AMB-TOKEN-SCOPE), and replays it; the seeded deviations of the catalogue that
break idempotency are each one test below.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance.clauses import REPLAY_GONE, TOKEN_MISMATCH
from conformance.emulator.behaviour import Behaviour
from conformance.emulator.errors import (
    ConflictException,
    EmulatorError,
    IdempotentParameterMismatchException,
    ResourceNotFoundException,
)
from conformance.emulator.storage import Collection

Request = dict[str, Any]
Response = dict[str, Any]

# The operations whose requests carry a ClientRequestToken.
IDEMPOTENT_OPERATIONS = frozenset({"AssociateFaces", "DisassociateFaces", "CreateUser",
                                   "DeleteUser"})

# Deviations under which one operation executes a request whose token was used with other
# parameters, as if the token were new: operation -> deviation.
MISMATCH_IGNORED: dict[str, str] = {
    "DisassociateFaces": "df-mismatch-ignored",
    "CreateUser": "cu-mismatch-ignored",
    "DeleteUser": "du-mismatch-ignored",
}


@dataclass
class Remembered:
    """What a ClientRequestToken (or, under a deviation, a parameter set) produced."""

    operation: str
    params: Request
    outcome: Response | EmulatorError

    def replay(self) -> Response:
        if isinstance(self.outcome, EmulatorError):
            raise self.outcome.with_traceback(None)
        return copy.deepcopy(self.outcome)


class Idempotency:
    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour

    def serve(self, collection: Collection | None, operation: str, request: Request,
              run: Callable[[], Response]) -> Response:
        """Run ``run`` once per ClientRequestToken: a replay answers what the first call did."""
        if collection is None or self._deviates("tokens-ignored"):
            return run()  # no collection: it answers for that; nowhere to remember it
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
            scope = (operation if self.behaviour.reading("AMB-TOKEN-SCOPE") == "per-operation"
                     else "*")
            key = (scope, token)
            seen = collection.tokens.get(key)
            if seen is not None:
                self._check_user_first(collection, operation, request)
                same = seen.operation == operation and seen.params == params
                if same:
                    return self._replay(operation, seen, run)
                if (seen.operation == operation and
                        self.behaviour.reading(TOKEN_MISMATCH[operation]) == "first-response"):
                    return seen.replay()  # S0.24: "the same response is returned"
                if operation == "AssociateFaces" and self._deviates("mismatch-wrong-code"):
                    raise ConflictException(f"ClientRequestToken {token} was used with other "
                                            "parameters")
                mismatch_ignored = MISMATCH_IGNORED.get(operation)
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
        remembered = Remembered(operation, params, copy.deepcopy(outcome)
                                if isinstance(outcome, dict) else outcome)
        forgets_token = operation == "DisassociateFaces" and self._deviates("df-token-ignored")
        if key is not None and not forgets_token:
            collection.tokens[key] = remembered
        if dedupes:
            collection.by_params[params_key] = remembered
        if isinstance(outcome, EmulatorError):
            raise outcome
        return outcome

    def _replay(self, operation: str, seen: Remembered,
                run: Callable[[], Response]) -> Response:
        if operation == "AssociateFaces" and self._deviates("token-replayed-against-today"):
            return run()
        if operation == "DisassociateFaces" and self._deviates("df-replay-executes"):
            return run()
        if operation == "CreateUser" and self._deviates("cu-replay-conflict"):
            raise ConflictException("a user with this UserId already exists")
        if operation == "DeleteUser" and self._deviates("du-replay-executes"):
            return run()
        return seen.replay()

    def _check_user_first(self, collection: Collection, operation: str,
                          request: Request) -> None:
        """AMB-*-REPLAY-GONE "not-found": the user the request names is looked up before its
        token (M.DU.3, M.DF.2), so a known token naming a user that is gone is refused."""
        gone = REPLAY_GONE.get(operation)
        user_id = request.get("UserId")
        if (gone is not None and self.behaviour.reading(gone) == "not-found"
                and user_id not in collection.users):
            raise ResourceNotFoundException(f"The user id: {user_id} does not exist in "
                                            f"collection {collection.collection_id}")

    def _deviates(self, name: str) -> bool:
        return self.behaviour.deviates(name)
