"""The harness: one run's calls on one collection, judged by the checks, applied to the model.

Every driver (the Hypothesis state machine, the directed checks, the race
harness) works through a ``Harness``; the harness knows nothing of Hypothesis.
Its parts, each a layer over the one before:

- ``base``: the collection, the one door every call goes through, IndexFaces, tokens kept;
- ``listings``: ListUsers and ListFaces page by page, judged or not, and who owns a face;
- ``reread``: the door's guard, re-reading the state after a knock-on; set-ups;
- ``observe``: settling, holding the state to the model (and blaming);
- ``faces``: AssociateFaces, DisassociateFaces, DeleteFaces, the cap, invalid input;
- ``users``: CreateUser, DeleteUser, requests on what does not exist;
- ``tokens``: replays, reuse with other parameters, requests without a token;
- ``search``: SearchUsers and SearchUsersByImage, judged through the identity rule.
"""

from __future__ import annotations

from conformance.harness.base import RunContext
from conformance.harness.search import SearchOperations
from conformance.harness.users import UNKNOWN_PROBES


class Harness(SearchOperations):
    """One collection of one run: send, judge, apply. See the module docstring."""


__all__ = ["UNKNOWN_PROBES", "Harness", "RunContext"]
