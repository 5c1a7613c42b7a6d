"""SearchUsers and SearchUsersByImage: the searches, as observations of the association state.

They are judged only through the identity rule (DESIGN §3): the same image bytes
are the same person, so every face the model holds has a known person. A search
for person k must find every user that holds a face of k; a user that holds only
faces of other persons may be a match (how alike two people are is the target's
to say) but only below every user of k, as the same bytes match at least as well
as any other face; a user that holds no face is never a match. The searches
change nothing, so each answer is judged against the model as it stands.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from conformance import checks
from conformance.clauses import A, C
from conformance.driver import Outcome, poll
from conformance.harness.tokens import TokenOperations
from conformance.images import NO_FACE_NAME, no_face_image
from conformance.needs import Unjudgeable
from conformance.spec import SEARCH_THRESHOLD_DEFAULT

# The most matches a search may ask for (M: MaxUserResults, max 500): the identity checks
# ask for all, so every user of the person fits.
ALL_USERS = 500
NOT_FOUND = "ResourceNotFoundException"
INVALID_PARAMETER = "InvalidParameterException"


@dataclass(frozen=True)
class Match:
    user_id: str
    similarity: float | None
    status: object


@dataclass(frozen=True)
class Search:
    """One search: what it sends besides the collection, and the persons it looks for."""

    operation: str  # SearchUsers or SearchUsersByImage
    params: dict[str, Any]
    persons: frozenset[int]
    # The user a SearchUsers by UserId searches by (AMB-SU-SELF), else None.
    by_user: str | None = None

    @property
    def threshold(self) -> float:
        return float(self.params.get("UserMatchThreshold", SEARCH_THRESHOLD_DEFAULT))

    @property
    def clause(self) -> C:
        """The clause that holds this search's answer to the identity rule."""
        if self.operation == "SearchUsersByImage":
            return C.SUBI_IMAGE
        return C.SU_USER if self.by_user is not None else C.SU_FACE

    @property
    def max_users(self) -> int | None:
        value = self.params.get("MaxUsers")
        return int(value) if value is not None else None


class SearchOperations(TokenOperations):
    # --- what to send ------------------------------------------------------------------

    def by_face(self, face_id: str, **extra: Any) -> Search:
        return Search("SearchUsers", {"FaceId": face_id, "MaxUsers": ALL_USERS, **extra},
                      frozenset({self.model.faces[face_id].person}))

    def by_user(self, user_id: str, **extra: Any) -> Search:
        return Search("SearchUsers", {"UserId": user_id, "MaxUsers": ALL_USERS, **extra},
                      frozenset(self.model.persons_of(user_id)), by_user=user_id)

    def by_image(self, person: int, **extra: Any) -> Search:
        return Search("SearchUsersByImage",
                      {"Image": {"Bytes": self.ctx.images.images[person]},
                       "MaxUsers": ALL_USERS, **extra}, frozenset({person}))

    def search(self, search: Search, clause: C, *, confirm_state: bool = False) -> list[Match]:
        """Send ``search`` and judge its answer: a refusal is ``clause``'s (the case's);
        the search's own clause (SU-FACE, SU-USER, SUBI-IMAGE) holds it to the identity
        rule; SU-SHAPE and SU-THRESHOLD judge what every search answers.

        ``confirm_state``: the model was not read back since its last change (the state
        machine's steps). A search that disagrees with it may show a wrong association
        rather than a wrong search, so the listings judge the state first, under the
        clause of the change at fault; the search is judged against what they confirm."""
        outcome = self.send_search(search)
        self.ledger.check(clause, outcome.ok, f"{search.operation} {self._what(search)} was "
                          f"refused: {outcome.error}: {outcome.message}")
        matches, hides = self._judge_shape(search, outcome)
        self._judge_limits(search, matches)
        if confirm_state and not all(ok for ok, _, _ in self._identity(search, matches, hides)):
            self.check_state(None)
            # The listings read only some users' faces: those the answer is about, too.
            involved = {m.user_id for m in matches} | {
                u for u in self.model.users if self.model.persons_of(u) & search.persons}
            self.confirm_state(sorted(involved & set(self.model.users)))
        if not hides:  # the user searched by may be behind a match that names no one
            self._observe_self(search, matches)
        for ok, message, explained in self._identity(search, matches, hides):
            self.ledger.check(search.clause, ok, message, explained)
        return matches

    def send_search(self, search: Search) -> Outcome:
        person = next(iter(search.persons), None)
        note = ({"image": self.ctx.images.names[person], "person": person}
                if search.operation == "SearchUsersByImage" and person is not None else None)
        return self.call(search.operation, search.params, note=note)

    # --- judging an answer -------------------------------------------------------------

    def _judge_shape(self, search: Search, outcome: Outcome) -> tuple[list[Match], bool]:
        """The answer's matches, and whether its UserMatches may hide a user (it is not a
        list, or holds a match that names no user): SU-SHAPE's, which explains a user
        the answer does not find."""
        body = checks.check_schema(self.ledger, C.SU_SHAPE, outcome)
        raw = body.get("UserMatches")
        entries = [e for e in raw if isinstance(e, dict)] if isinstance(raw, list) else []
        matches = []
        for entry in entries:
            found = entry.get("User")
            user: dict[str, Any] = found if isinstance(found, dict) else {}
            similarity = entry.get("Similarity")
            user_id = user.get("UserId")
            matches.append(Match(user_id if isinstance(user_id, str) else "",
                                 checks.finite(similarity), user.get("UserStatus")))
        if isinstance(raw, list):
            # "returns an array of UserID that match" (M.SU.1, M.SUBI.1): each names its user.
            hides = len(entries) < len(raw) or not all(m.user_id for m in matches)
            self.ledger.check(C.SU_SHAPE, not hides,
                              f"{search.operation} {self._what(search)} answered UserMatches "
                              f"{raw!r:.300}, with a match that names no User.UserId")
        else:
            hides = raw is not None  # not a list: the schema's finding
        named = [m.user_id for m in matches if m.user_id]
        twice = sorted({u for u in named if named.count(u) > 1})
        self.ledger.check(C.SU_SHAPE, not twice,
                          f"{search.operation} {self._what(search)} matched users {twice} "
                          "more than once")
        scores = [m.similarity for m in matches if m.similarity is not None]
        self.ledger.check(C.SU_SHAPE, scores == sorted(scores, reverse=True),
                          f"{search.operation} {self._what(search)} ordered its matches "
                          f"{scores}, not highest Similarity first")
        # Only of the users that hold a face: matching any other is the identity rule's.
        unsettled = [m.user_id for m in matches if m.status not in ("ACTIVE", "UPDATING")
                     and m.user_id in self.model.users and self.model.users[m.user_id].faces]
        self.ledger.check(C.SU_SHAPE, not unsettled,
                          f"{search.operation} {self._what(search)}: the matched users "
                          f"{unsettled} hold a face but show UserStatus "
                          f"{[m.status for m in matches if m.user_id in unsettled]}",
                          self._status_explained(unsettled))
        if search.operation == "SearchUsers":
            self._judge_echo(search, body)
        return matches, hides

    def _status_explained(self, users: list[str]) -> frozenset[str]:
        """A holder's wrong status in a match is a known deviation's where one made that
        state: the status clauses, what the model was told explains the user, and
        DU-RELEASE for an id created again after a DeleteUser that left its faces owned
        (the new user, CREATED, holds them)."""
        explained: set[str] = set(frozenset({C.AF_STATUS, C.CU_CREATED}) & self.ledger.known)
        for user_id in users:
            explained |= self.model.explained_by(user_id)
            if user_id in self.deleted_user_ids and C.DU_RELEASE in self.ledger.known:
                explained.add(C.DU_RELEASE)
        return frozenset(explained)

    def _judge_echo(self, search: Search, body: dict[str, Any]) -> None:
        """AMB-SU-ECHO: SearchedFace.FaceId or SearchedUser.UserId, where given, is what
        was searched by."""
        key, member = ("SearchedUser", "UserId") if search.by_user else ("SearchedFace", "FaceId")
        echoed = body.get(key)
        if echoed is None:
            self.ledger.observe(A.AMB_SU_ECHO, "absent", f"SearchUsers {self._what(search)}")
            return
        sent = search.params.get(member)
        self.ledger.check(C.SU_SHAPE, isinstance(echoed, dict) and echoed.get(member) == sent,
                          f"SearchUsers {self._what(search)} answered {key} {echoed}")
        self.ledger.observe(A.AMB_SU_ECHO, "echoed", f"SearchUsers {self._what(search)}")

    def _judge_limits(self, search: Search, matches: list[Match]) -> None:
        low = [(m.user_id, m.similarity) for m in matches
               if m.similarity is not None and m.similarity < search.threshold]
        self.ledger.check(C.SU_THRESHOLD, not low,
                          f"{search.operation} {self._what(search)} at UserMatchThreshold "
                          f"{search.threshold} matched {low}, below it")
        if search.max_users is not None:
            self.ledger.check(C.SU_SHAPE, len(matches) <= search.max_users,
                              f"{search.operation} {self._what(search)} with MaxUsers "
                              f"{search.max_users} answered {len(matches)} matches")

    def _observe_self(self, search: Search, matches: list[Match]) -> None:
        """AMB-SU-SELF: is the user searched by among its own matches?"""
        if search.by_user is None:
            return
        if search.by_user in {m.user_id for m in matches}:
            self.ledger.observe(A.AMB_SU_SELF, "included", f"SearchUsers {self._what(search)}")
            return
        # Left out of an answer not cut at MaxUsers, at a threshold its own faces meet.
        model = self.model
        of_person = {u for u in model.users if model.users[u].faces
                     and model.persons_of(u) & search.persons}
        cut = search.max_users is not None and len(matches) >= search.max_users
        if search.by_user in of_person and not cut and \
                search.threshold <= SEARCH_THRESHOLD_DEFAULT:
            self.ledger.observe(A.AMB_SU_SELF, "excluded", f"SearchUsers {self._what(search)}")

    def _identity(self, search: Search, matches: list[Match], hides: bool
                  ) -> list[tuple[bool, str, frozenset[str]]]:
        """The identity rule's judgements of an answer, as (holds, why not, explained by).

        Every user of the persons searched for is found (when MaxUsers leaves room for
        them and the threshold is at most the default); none that holds no face, or that
        the collection does not hold (but a user deleted less than the settle timeout
        ago: SU-RELEASE waits for it); users of other persons only below them. A user that
        released faces less than the settle timeout ago may still be matched by them
        (SU-RELEASE allows the searches that long), so it is judged only on being found."""
        model = self.model
        holders = {u for u in model.users if model.users[u].faces}
        of_person = {u for u in holders if model.persons_of(u) & search.persons}
        found = {m.user_id for m in matches if m.user_id}
        expected = of_person - {search.by_user}
        now = time.monotonic()
        lagging = {u for u, at in self.released_at.items()
                   if now - at < self.ctx.settle_timeout}
        strangers = sorted(u for u in found - holders - lagging if u in model.users or
                           now - self.deleted_at.get(u, -math.inf) >= self.ctx.settle_timeout)
        judged = [(not strangers, f"{search.operation} {self._what(search)} matched "
                   f"{strangers}, which hold no face of the collection",
                   self._released_explains(search, strangers))]
        # A user not found may be behind a match that names no one: SU-SHAPE's.
        hidden = frozenset({C.SU_SHAPE} & self.ledger.known) if hides else frozenset()
        # Users of the person outrank every other (the same bytes match best): where an
        # answer is cut at MaxUsers, its slots go to them, but for the user searched by
        # (where AMB-SU-SELF includes it) and users SU-RELEASE lets lag behind.
        excused = lagging | {u for u in found if u not in model.users
                             and now - self.deleted_at.get(u, -math.inf)
                             < self.ctx.settle_timeout}
        cut = search.max_users is not None and len(matches) >= search.max_users
        slots = (search.max_users - (search.by_user in found) - len(found & excused - expected)
                 if cut and search.max_users is not None else len(expected))
        if search.threshold <= SEARCH_THRESHOLD_DEFAULT and slots < len(expected):
            judged.append((len(expected & found) >= slots, f"{search.operation} "
                           f"{self._what(search)} with MaxUsers {search.max_users} found "
                           f"{sorted(expected & found)} of {sorted(expected)}, which hold a "
                           "face of the person searched for",
                           self._released_explains(search, sorted(expected - found)) | hidden))
        elif search.threshold <= SEARCH_THRESHOLD_DEFAULT:
            missed = sorted(expected - found)
            judged.append((not missed, f"{search.operation} {self._what(search)} did not "
                           f"find {missed}, which hold a face of the person searched for",
                           self._released_explains(search, missed) | hidden))
        own = [m.similarity for m in matches if m.user_id in of_person
               and m.similarity is not None]
        above = sorted(m.user_id for m in matches if m.user_id in holders - of_person - lagging
                       and m.similarity is not None and own and m.similarity >= min(own))
        judged.append((not above, f"{search.operation} {self._what(search)} matched "
                       f"{above}, which hold only faces of other persons, at least as high "
                       "as a user holding a face of the person searched for",
                       self._released_explains(search, above)))
        return judged

    def _released_explains(self, search: Search, users: list[str]) -> frozenset[str]:
        """SU-RELEASE, once it has deviated, where ``users`` or the user searched by have
        released a face: a search that still counts such a face for its old user shows
        that one deviation in every search that meets the face (on a shared collection,
        the live profile's, every later search of that person)."""
        if C.SU_RELEASE not in self.ledger.known:
            return frozenset()
        involved = {*users, *([search.by_user] if search.by_user else [])}
        released = {f.released_by for f in self.model.faces.values()
                    if f.released_by is not None and f.owner != f.released_by}
        return frozenset({C.SU_RELEASE}) if involved & released else frozenset()

    def _what(self, search: Search) -> str:
        if search.operation == "SearchUsersByImage":
            return f"of an image of person {min(search.persons, default=-1)}"
        if search.by_user is not None:
            return f"by UserId {search.by_user!r}"
        return f"by FaceId {search.params.get('FaceId')}"

    # --- an image with no face ------------------------------------------------------------

    def search_no_face(self) -> None:
        """SUBI-NO-FACE: SearchUsersByImage of an image with no face matches no one and
        names no SearchedFace (M.SUBI.4), or is refused (AMB-SUBI-NO-FACE).

        Only where the target itself sees no face in the image: an emulator's images are
        tokens (the suite's images of persons are plain squares too), and one that finds a
        face in every image is not wrong to search by one here. So an answer that searched
        is judged only once the target's own IndexFaces has found no face in the image;
        an answer that did not search needs no such call."""
        image = no_face_image()
        note = {"image": NO_FACE_NAME}
        outcome = self.call("SearchUsersByImage", {"Image": {"Bytes": image},
                                                   "MaxUsers": ALL_USERS}, note=note)
        what = f"SearchUsersByImage of {NO_FACE_NAME}, in which the target finds no face,"
        if not outcome.ok:
            self.ledger.check(C.SUBI_NO_FACE, outcome.error == INVALID_PARAMETER,
                              f"{what} was refused with {outcome.error}: {outcome.message}")
            self.ledger.observe(A.AMB_SUBI_NO_FACE, "invalid-parameter", what)
            return
        body = checks.check_schema(self.ledger, C.SU_SHAPE, outcome)
        # UserMatches not a list is SU-SHAPE's (the schema's), not a match.
        raw, searched = body.get("UserMatches"), body.get("SearchedFace")
        matches = raw if isinstance(raw, list) else []
        if matches or searched is not None:
            self._sees_no_face(image, note)
        self.ledger.observe(A.AMB_SUBI_NO_FACE, "empty", what)
        self.ledger.check(C.SUBI_NO_FACE, not matches, f"{what} matched {matches!r}")
        self.ledger.check(C.SUBI_NO_FACE, searched is None,
                          f"{what} answered SearchedFace {searched!r}")

    def _sees_no_face(self, image: bytes, note: dict[str, Any]) -> None:
        """The target's IndexFaces finds no face in ``image``, or the case is not judged."""
        indexed = self.call("IndexFaces", {"Image": {"Bytes": image},
                                           "ExternalImageId": f"i{self.ctx.next_id()}"},
                            note=note)
        if not indexed.ok:
            raise Unjudgeable(f"IndexFaces refused {NO_FACE_NAME}, so whether the target "
                              f"sees a face in it is unknown ({indexed.error})")
        records = checks.entries(checks.check_schema(self.ledger, C.SCHEMA, indexed),
                                 "FaceRecords")
        found = [checks.text(face, "FaceId") if isinstance(face := r.get("Face"), dict)
                 else "" for r in records]
        if not found:
            return
        if any(found):  # not the model's: gone again before any listing meets it
            self.call("DeleteFaces", {"FaceIds": [f for f in found if f]})
        raise Unjudgeable(f"the target's IndexFaces finds a face in {NO_FACE_NAME}, a plain "
                          "grey square: it cannot be shown an image with no face")

    # --- what the searches must no longer see -------------------------------------------

    def search_refused(self, clause: C, operation: str, params: dict[str, Any],
                       what: str) -> None:
        """SU-NOT-FOUND, SU-RELEASE: a search of what does not exist is refused."""
        outcome = self.call(operation, params)
        checks.check_refused(self.ledger, clause, outcome, (NOT_FOUND,), what)

    def await_unmatched(self, search: Search, user_id: str, why: str,
                        change: C | None = None) -> None:
        """SU-RELEASE: within the settle timeout, ``search`` no longer finds ``user_id``
        (``search`` was made before the change: it names the persons of then). ``change``:
        the clause of the change (DF-RELEASE, DU-RELEASE); once it has deviated, a search
        that still finds the user shows that deviation, a knock-on."""
        explained = frozenset({change}) & self.ledger.known if change else frozenset()
        seen: list[list[Match]] = []

        def unmatched() -> bool:
            outcome = self.send_search(search)
            self.ledger.check(C.SU_RELEASE, outcome.ok, f"{search.operation} "
                              f"{self._what(search)} was refused: {outcome.error}: "
                              f"{outcome.message}")
            seen.append(self._judge_shape(search, outcome)[0])
            return user_id not in {m.user_id for m in seen[-1]}

        timeout = (0.0 if C.SU_RELEASE in self.ledger.known or explained
                   else self.ctx.settle_timeout)
        self.ledger.check(C.SU_RELEASE, poll(unmatched, timeout, **self.ctx.poll_delays()),
                          f"{search.operation} {self._what(search)} still finds {user_id!r} "
                          f"{why} (after the settle timeout of {timeout} s)", explained)
