"""The checks: each judges one response against the model and names the clause it enforces.

Pure functions of (ledger, model, request, outcome). They never call the target
and never change the model: they return what the model should apply, and the
state machine applies it. A departure raises the clause's ``Failure`` through
``Ledger.check``; a reading of an ambiguity is recorded through ``Ledger.observe``.

This package is their public face; its parts:

- ``answers``: reading any answer (its schema, members, a listing's items, refusals);
- ``faces``: what AssociateFaces and DisassociateFaces share (the request, the two
  lists of faces' outcomes, busy refusals, repeated FaceIds, UserStatus);
- ``associate``: AssociateFaces, by the kind of each face, the threshold and the cap;
- ``removal``: DisassociateFaces and DeleteFaces.
"""

from __future__ import annotations

from conformance.checks.answers import (
    check_refused,
    check_schema,
    check_validation_error,
    entries,
    finite,
    listing_problem,
    same_response,
    text,
)
from conformance.checks.associate import AssociateVerdict, judge_associate
from conformance.checks.faces import FacesRequest, check_repeats
from conformance.checks.removal import DisassociateVerdict, judge_delete_faces, judge_disassociate

__all__ = [
    "AssociateVerdict",
    "DisassociateVerdict",
    "FacesRequest",
    "check_refused",
    "check_repeats",
    "check_schema",
    "check_validation_error",
    "entries",
    "finite",
    "judge_associate",
    "judge_delete_faces",
    "judge_disassociate",
    "listing_problem",
    "same_response",
    "text",
]
