"""The directed checks: each clause, case by case, checked in every run, not by luck.

A registry of plain functions over a fresh ``Harness``, keyed by clause and case.
Each makes its own set-up in a collection of its own (``with h.setup():``) and
then does the one thing its case is about, so a deviation in one clause never
stops the check of another (DESIGN.md section 7). The runner judges each:
passed, failed, blocked by the clause whose deviation spoiled the set-up, or not
checked (an operation the target lacks). A clause has passed when all of its
cases have.

They run in the order registered: the operations every set-up uses first, so a
deviation there is found by its own check before others lean on it. Its parts:

- ``base``: the registry (``directed``, ``DIRECTED``), the needs of the set-up helpers
  (``FACE``, ``WITH_FACE``, ``HOLDING``) and the helpers (``new_user``,
  ``user_with_face``, ``user_holding``, ``absent_face``): a module of checks imports these;
- the modules of checks, each registering its cases when imported, in the order below:
  ``foundations`` (what every set-up stands on), ``associate``, ``removal``
  (DisassociateFaces, CreateUser/DeleteUser, DeleteFaces), ``tokens``, ``races``,
  ``search`` (SearchUsers, SearchUsersByImage: reads of the associations the others made).
"""

from __future__ import annotations

# The order of these imports is the order the cases run in.
# isort: off
from conformance.directed import foundations  # noqa: F401
from conformance.directed import associate  # noqa: F401
from conformance.directed import removal  # noqa: F401
from conformance.directed import tokens  # noqa: F401
from conformance.directed import races  # noqa: F401
from conformance.directed import search  # noqa: F401
# isort: on
from conformance.directed.base import DIRECTED, DirectedCheck, cases_of

__all__ = ["DIRECTED", "DirectedCheck", "cases_of"]
