"""AssociateFaces and DisassociateFaces: ownership of faces by users, the threshold and the cap."""

from __future__ import annotations

import math
import time
from typing import Any

from conformance.emulator.core import OperationsBase, Request, Response, operation
from conformance.emulator.errors import (
    ConflictException,
    InvalidParameterException,
    ServiceQuotaExceededException,
)
from conformance.emulator.identity import pair_confidence
from conformance.emulator.storage import Collection, Face, User

USER_FACE_CAP = 100
DEFAULT_USER_MATCH_THRESHOLD = 75.0


class AssociationOperations(OperationsBase):
    @operation("AssociateFaces")
    def associate_faces(self, request: Request) -> Response:
        face_ids = self._face_ids(request)
        if (request["CollectionId"] not in self._store.collections
                and self._deviates("unknown-collection-not-found-entries")):
            return {"AssociatedFaces": [],
                    "UnsuccessfulFaceAssociations": [
                        {"FaceId": f, "Reasons": ["FACE_NOT_FOUND"]} for f in face_ids],
                    "UserStatus": "CREATED"}
        collection = self._store.collection(request)
        user_id = request["UserId"]
        if user_id not in collection.users and self._deviates("unknown-user-wrong-code"):
            raise InvalidParameterException(f"The user id: {user_id} does not exist")
        if user_id not in collection.users and self._deviates("accept-unknown-user"):
            self._store.new_user(collection, user_id)
        user = self._store.user(collection, user_id)
        threshold = self._threshold(request)
        self._refuse_if_busy(collection, user, face_ids)
        held = [f.person for f in collection.faces_of(user_id)]
        if (len(held) >= self._cap() and self._reading("AMB-CAP-CALL") == "exception-whole-call"
                and not any(collection.faces[f].user_id is None
                            for f in face_ids if f in collection.faces)):
            # S1.7: "If more API calls are made after the limit is reached, a
            # ServiceQuotaExceededException will result", even for a call that adds nothing.
            raise ServiceQuotaExceededException(
                f"The user id: {user_id} already holds {len(held)} faces, the limit of "
                f"{USER_FACE_CAP} faces per user")

        associated: list[str] = []
        unsuccessful: list[Response] = []
        candidates: list[Face] = []
        # Each occurrence judged in turn (AMB-DUP-IDS "per-occurrence") gets the answer the
        # face got first; in any order (AMB-BATCH-ORDER), the request is read backwards.
        decided: dict[str, Response] = {}
        # S0.10 "or there are already 100 faces associated": at the cap, a face that is the
        # user's own, another user's or absent may get the cap's refusal (no reason).
        cap_first = (len(held) >= self._cap()
                     and self._reading("AMB-CAP-PRECEDENCE") == "cap-first")
        order = self._occurrences(request)
        any_order = self._reading("AMB-BATCH-ORDER") == "any-order"
        for face_id in reversed(order) if any_order else order:
            if face_id in decided:
                unsuccessful.append(dict(decided[face_id]))
                continue
            if any(c.face_id == face_id for c in candidates):
                continue  # associated by this request already: ignored (S0.9)
            face = collection.faces.get(face_id)
            if cap_first and (face is None or face.user_id is not None):
                decided[face_id] = {"FaceId": face_id, "Reasons": []}
                unsuccessful.append(decided[face_id])
                continue
            if face is None:
                if not self._deviates("drop-unknown-face"):
                    decided[face_id] = {"FaceId": face_id, "Reasons": ["FACE_NOT_FOUND"]}
                    unsuccessful.append(decided[face_id])
                continue
            if face.user_id == user_id:
                if self._deviates("report-already-associated"):
                    associated.append(face_id)
                continue
            if face.user_id is not None and not self._deviates("move-owned-face"):
                decided[face_id] = self._different_user_entry("AssociateFaces", face_id,
                                                              face.user_id, user_id)
                unsuccessful.append(decided[face_id])
                continue
            confidence = self._confidence(face.person, held, [c.person for c in candidates])
            if confidence is not None and ((confidence >= threshold)
                                           if self._deviates("threshold-inverted")
                                           else confidence < threshold):
                decided[face_id] = self._low_match_entry(face_id, confidence, threshold)
                unsuccessful.append(decided[face_id])
                continue
            candidates.append(face)
        if any_order:
            candidates.reverse()
            unsuccessful.reverse()

        taken, refused, over_quota = self._split_at_cap(len(held), candidates)
        if over_quota:
            if self._deviates("refusal-not-rolled-back"):
                self._associate(collection, user, taken)
            raise ServiceQuotaExceededException(
                f"The user id: {user_id} holds {len(held)} faces; adding {len(candidates)} "
                f"would exceed the limit of {USER_FACE_CAP} faces per user")
        if self._deviates("no-lock"):
            time.sleep(0.02)  # the window in which a concurrent request decides the same
        self._associate(collection, user, taken)
        associated += [f.face_id for f in taken]
        # The reason enum has no value for the cap, so such entries carry no reason.
        unsuccessful += [{"FaceId": f.face_id, "Reasons": []} for f in refused]
        if self._deviates("echo-duplicate-face"):
            once = set(associated)
            associated = [f for f in request["FaceIds"] if f in once]

        response: Response = {"AssociatedFaces": [{"FaceId": f} for f in associated],
                              "UnsuccessfulFaceAssociations": unsuccessful}
        if not self._deviates("missing-user-status"):
            response["UserStatus"] = self._settling.status_after(collection, user, bool(taken),
                                                                 "AssociateFaces")
        return response

    def _low_match_entry(self, face_id: str, confidence: float, threshold: float) -> Response:
        """A LOW_MATCH_CONFIDENCE entry: its Confidence per AMB-LOW-CONF-FIELD and
        AMB-CONF-ROUNDING (to a whole number, half up: within the suite's margin)."""
        entry: Response = {"FaceId": face_id, "Reasons": ["LOW_MATCH_CONFIDENCE"]}
        if self._reading("AMB-LOW-CONF-FIELD") == "absent":
            return entry
        reported: Any = (threshold if self._deviates("low-confidence-reports-threshold")
                         else confidence)
        if self._reading("AMB-CONF-ROUNDING") == "rounded":
            reported = float(math.floor(reported + 0.5))
        if self._deviates("confidence-as-string"):
            reported = str(reported)
        entry["Confidence"] = reported
        return entry

    def _refuse_if_busy(self, collection: Collection, user: User, face_ids: list[str]) -> None:
        """AMB-BUSY: while a change is under way, refuse the request it makes busy."""
        if not self.behaviour.busy_conflicts:
            return
        if self._reading("AMB-BUSY") == "user":
            busy = self._settling.updating(user)
        else:
            faces = [collection.faces[f] for f in face_ids if f in collection.faces]
            busy = any(self._settling.updating(collection.users.get(who))
                       for f in faces for who in (f.user_id, f.released_by) if who is not None)
        if busy:
            raise ConflictException(f"The user id: {user.user_id} or a face of the request is "
                                    f"being updated; try again later")

    def _cap(self) -> int:
        return USER_FACE_CAP + 1 if self._deviates("cap-off-by-one") else USER_FACE_CAP

    def _threshold(self, request: Request) -> float:
        default = 50.0 if self._deviates("default-threshold-50") else DEFAULT_USER_MATCH_THRESHOLD
        given = request.get("UserMatchThreshold")
        if self._deviates("zero-threshold-is-default"):
            return float(given or default)
        return default if given is None else float(given)

    def _confidence(self, person: str, held: list[str], earlier: list[str]) -> float | None:
        """Match confidence of ``person`` against the user, or None where no threshold applies.

        ``held`` are the persons of the user's faces at the start of the request,
        ``earlier`` those of faces accepted earlier in this request.
        """
        if self._deviates("threshold-ignored"):
            return None
        if held:
            references = held
        elif self._deviates("threshold-on-empty-user"):
            return 0.0
        elif self._reading("AMB-FIRST-BATCH") == "matched-in-request" and earlier:
            references = earlier
        else:
            return None
        return max(pair_confidence(person, other) for other in references)

    def _split_at_cap(self, held: int,
                      candidates: list[Face]) -> tuple[list[Face], list[Face], bool]:
        """(faces taken, faces refused by the cap, whether the request must fail instead)."""
        cap = self._cap()
        room = max(cap - held, 0)
        if self._deviates("cap-checked-per-request") and held < cap:
            room = len(candidates)
        if len(candidates) <= room:
            return candidates, [], False
        whole = self._reading("AMB-CAP-CROSS") == "refused-whole"
        if self._reading("AMB-CAP") == "exception":
            # Filling to the cap leaves only a user already at the cap to be refused.
            return candidates[:room], candidates[room:], whole or room == 0
        if whole:
            return [], candidates, False
        return candidates[:room], candidates[room:], False

    def _associate(self, collection: Collection, user: User, faces: list[Face]) -> None:
        for face in faces:
            # Only under "move-owned-face" is the face owned by someone already.
            self._settling.touch(collection, face.user_id)
            if not self._deviates("assoc-not-persisted"):
                face.user_id = user.user_id
                face.released_by = None
        if faces:
            self._settling.changed(user)

    @operation("DisassociateFaces")
    def disassociate_faces(self, request: Request) -> Response:
        collection = self._store.collection(request)
        user_id = request["UserId"]
        if user_id not in collection.users and self._deviates("df-unknown-user-ok"):
            return {"DisassociatedFaces": [], "UnsuccessfulFaceDisassociations": [],
                    "UserStatus": "CREATED"}
        user = self._store.user(collection, user_id)
        self._refuse_if_busy(collection, user, self._face_ids(request))
        released: list[Face] = []
        unsuccessful: list[Response] = []
        for face_id in self._occurrences(request):
            face = collection.faces.get(face_id)
            if face is not None and face in released:
                continue  # disassociated by this request already: ignored (M.DF.4)
            if face is None:
                if not self._deviates("df-drop-unknown-face"):
                    unsuccessful.append({"FaceId": face_id, "Reasons": ["FACE_NOT_FOUND"]})
            elif face.user_id == user_id:
                released.append(face)
            elif face.user_id is not None:
                if self._deviates("df-releases-other-users-face"):
                    released.append(face)
                else:
                    unsuccessful.append(self._different_user_entry(
                        "DisassociateFaces", face_id, face.user_id, user_id))
            elif self._reading("AMB-DF-UNOWNED") == "face-not-found":
                unsuccessful.append({"FaceId": face_id, "Reasons": ["FACE_NOT_FOUND"]})
        for face in released:
            self._settling.touch(collection, face.user_id)
            if not self._deviates("df-no-release"):
                face.user_id = None
                face.released_by = user_id
        response: Response = {"DisassociatedFaces": [{"FaceId": f.face_id} for f in released],
                              "UnsuccessfulFaceDisassociations": unsuccessful}
        if not self._deviates("df-missing-user-status"):
            response["UserStatus"] = self._settling.status_after(collection, user, bool(released),
                                                                 "DisassociateFaces")
        return response

