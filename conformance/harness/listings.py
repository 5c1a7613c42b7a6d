"""The listings: ListUsers and ListFaces page by page, judged or not, and who owns a face.

A judged listing (``list_users``, ``list_faces``) fails its clause when a page is refused,
too long or endless; an unjudged one (``_read_all``) only reads what the target holds.
A page whose items cannot be read stops what needed it (``SetupDeviated``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from conformance import checks
from conformance.clauses import A, C
from conformance.harness.base import HarnessBase

_MAX_PAGES = 1000


class SetupDeviated(Exception):
    """A directed check's set-up did not leave the state it needs, because of known
    deviations under other clauses: the check is blocked by them. Raised too where a
    listing cannot be read (``_paginate``): what needed it is blocked by the listing's
    deviation, and a step of exploration stops there (``machine``)."""

    def __init__(self, clauses: list[str]) -> None:
        super().__init__(", ".join(clauses))
        self.clauses = clauses


class Listings(HarnessBase):
    """ListUsers and ListFaces read whole, judged or not; the owner of each face listed."""

    def _read_all(self, operation: str, key: str, params: dict[str, Any] | None = None
                  ) -> list[dict[str, Any]] | None:
        """Every page of a listing, unjudged; None when one cannot be read."""
        items: list[dict[str, Any]] = []
        token: str | None = None
        for _ in range(_MAX_PAGES):
            outcome = self.call(operation, {**(params or {}), **({"NextToken": token}
                                                                  if token else {})})
            body = outcome.body or {}
            if not outcome.ok or checks.listing_problem(outcome, key):
                return None  # the listing cannot be read: the model stays as it is
            items.extend(body.get(key) or [])
            token = body.get("NextToken")
            if not token:
                return items
        return None

    def list_users(self, page_size: int | None = None, clause: C = C.LIST_USERS
                   ) -> list[dict[str, Any]]:
        return self._paginate("ListUsers", {}, "Users", page_size, clause)

    def list_faces(self, page_size: int | None = None, clause: C = C.LIST_FACES,
                   **params: Any) -> list[dict[str, Any]]:
        faces = self._paginate("ListFaces", params, "Faces", page_size, clause)
        user_id = params.get("UserId")
        self._observe_face_user_ids(faces, user_id)
        if user_id is not None:
            # A face without UserId is a stranger only where the target names owners there.
            named = self.face_user_id_reading() == "listed"
            strangers = [f for f in faces
                         if (f.get("UserId") or None) != user_id and (f.get("UserId") or named)]
            self.ledger.check(C.LIST_FACES, not strangers,
                              f"ListFaces(UserId={user_id!r}) lists faces that name another "
                              f"user or none: {[f.get('FaceId') for f in strangers][:5]}",
                              # the filter at fault, not the state: no re-read needed
                              doubts_state=False)
            # A known deviation of the filter: the faces it let through are not the user's,
            # and must not be blamed on whatever is being checked.
            faces = [f for f in faces if f not in strangers]
        return faces

    # --- who owns a face (AMB-FACE-USERID) ----------------------------------------------

    def face_user_id_reading(self) -> str | None:
        """The reading of AMB-FACE-USERID this target showed so far, if any."""
        seen = self.ledger.readings.get(A.AMB_FACE_USERID)
        if seen and seen["listed"]:
            return "listed"
        return "filter-only" if seen and seen["filter-only"] else None

    def _observe_face_user_ids(self, faces: list[dict[str, Any]], user_id: str | None) -> None:
        """``listed``: a face names its owner. ``filter-only``: ListFaces(UserId) lists a face
        the user holds, without naming it; a target that names owners never does that."""
        if any(f.get("UserId") for f in faces):
            self.ledger.observe(A.AMB_FACE_USERID, "listed", "ListFaces names a face's UserId")
            return
        user = self.model.users.get(user_id) if user_id is not None else None
        held = [f.get("FaceId") for f in faces if user and f.get("FaceId") in user.faces]
        if held:
            self.ledger.observe(A.AMB_FACE_USERID, "filter-only",
                                f"ListFaces(UserId={user_id!r}) lists {held[0]} without UserId")

    def owners_of(self, faces: list[dict[str, Any]], users: Iterable[str] | None = None,
                  clause: C = C.LIST_FACES,
                  read: Callable[[str], list[dict[str, Any]]] | None = None
                  ) -> dict[str, str | None]:
        """The owner of each listed face, as the target says (AMB-FACE-USERID).

        From Face.UserId when the target names owners there; else (M.LF.4: the member is
        optional) from ListFaces(UserId=u) for each of ``users``, read with ``read`` (a
        judged ListFaces under ``clause`` by default). By default the users are the model's,
        the owners it gives faces and the users deleted, which a deviation may leave owning.
        """
        owners = {str(f.get("FaceId")): f.get("UserId") or None for f in faces}
        if not owners or any(owners.values()) or self.face_user_id_reading() == "listed":
            return owners
        if read is None:
            def read(u: str) -> list[dict[str, Any]]:
                if u in self.model.users:
                    return self.list_faces(clause=clause, UserId=u)
                # M.LF.2 leaves the answer for an unknown user open (an empty list or
                # ResourceNotFoundException): either says it owns nothing.
                return self._read_all("ListFaces", "Faces", {"UserId": u}) or []
        if users is None:
            users = sorted({*self.user_ids(), *self.deleted_user_ids,
                            *(f.owner for f in self.model.faces.values() if f.owner)})
        for user_id in users:
            for face in read(user_id):
                if str(face.get("FaceId")) in owners:
                    owners[str(face.get("FaceId"))] = user_id
        return owners

    def _paginate(self, operation: str, params: dict[str, Any], key: str,
                  page_size: int | None, clause: C) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token: str | None = None
        limit = (len(self.model.faces) + len(self.model.users)) // (page_size or 1) + 5
        for _ in range(limit):
            request = dict(params)
            if page_size:
                request["MaxResults"] = page_size
            if token:
                request["NextToken"] = token
            outcome = self.call(operation, request)
            self.ledger.check(clause, outcome.ok,
                              f"{operation} {request} was refused: {outcome.error}: "
                              f"{outcome.message}")
            body = checks.check_schema(self.ledger, C.SCHEMA, outcome)
            problem = checks.listing_problem(outcome, key)
            if problem:
                # Its types were the schema's to judge, just now: a knock-on of SCHEMA here.
                # A face or user listed without its id is the listing's own deviation.
                culprit, what = problem
                self.ledger.check(culprit, False, f"{operation} {request}: {what}")
                raise SetupDeviated([culprit])
            page = body.get(key) or []
            self.ledger.check(clause, page_size is None or len(page) <= page_size,
                              f"{operation} returned {len(page)} items for MaxResults {page_size}")
            items.extend(page)
            token = body.get("NextToken")
            if not token:
                return items
        self.ledger.check(clause, False,
                          f"{operation} kept returning NextToken after {limit} pages")
        return items
