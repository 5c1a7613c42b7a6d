"""User operations: create, delete and list users, and search users by face or user."""

from __future__ import annotations

from conformance.emulator.core import (
    FACE_MODEL_VERSION,
    OperationsBase,
    Request,
    Response,
    operation,
)
from conformance.emulator.errors import (
    ConflictException,
    InvalidParameterException,
    ResourceNotFoundException,
)
from conformance.emulator.identity import (
    FACE_BOX,
    detection_confidence,
    pair_confidence,
    person_of,
    shows_face,
)
from conformance.emulator.storage import Collection, Face, User

# M.SU.5, M.SUBI.3: "Default value of 80" (AssociateFaces' is 75).
DEFAULT_SEARCH_THRESHOLD = 80.0
# No source gives MaxUsers a default; the suite always sends one where it counts.
DEFAULT_MAX_USERS = 5


class UserOperations(OperationsBase):
    @operation("CreateUser")
    def create_user(self, request: Request) -> Response:
        collection = self._store.collection(request)
        user_id = request["UserId"]
        if user_id in collection.users:
            if not self._deviates("cu-overwrite-existing"):
                raise ConflictException(f"The user id: {user_id} already exists")
            for face in collection.faces_of(user_id):
                face.user_id = None
        self._store.new_user(collection, user_id).created_at = self._clock()
        return {}

    @operation("DeleteUser")
    def delete_user(self, request: Request) -> Response:
        collection = self._store.collection(request)
        user_id = request["UserId"]
        if user_id not in collection.users and self._deviates("du-unknown-ok"):
            return {}
        user = self._store.user(collection, user_id)
        if self.behaviour.busy_conflicts and self._settling.updating(user):
            raise ConflictException(f"The user id: {user_id} is being updated; try again later")
        if self._reading("AMB-DU-SETTLE") == "eventual" and self.behaviour.settle_seconds > 0:
            # M.DU.2: its faces are disassociated first, which takes time (S0.15).
            user.deleted_at = self._clock()
            self._settling.changed(user)
            return {}
        self._delete(collection, user)
        return {}

    def finish_deletions(self, collection: Collection) -> None:
        """Complete the deletions under way whose ``settle_seconds`` have passed."""
        for user in list(collection.users.values()):
            if (user.deleted_at is not None
                    and self._clock() - user.deleted_at >= self.behaviour.settle_seconds):
                self._delete(collection, user)

    def _delete(self, collection: Collection, user: User) -> None:
        if not self._deviates("du-keeps-faces-owned"):
            for face in collection.faces_of(user.user_id):
                face.user_id = None
        del collection.users[user.user_id]

    @operation("ListUsers")
    def list_users(self, request: Request) -> Response:
        collection = self._store.collection(request)
        users = list(collection.users.values())
        if self._deviates("list-users-ignores-max-results"):
            request = {k: v for k, v in request.items() if k != "MaxResults"}
        page, after, next_token = self._page("ListUsers", collection.collection_id, users,
                                             lambda u: u.seq, request, default_size=100)
        if after is not None and self._deviates("list-users-repeats-page-edge"):
            page = [u for u in users if u.seq == after] + page
        response: Response = {"Users": [{"UserId": u.user_id,
                                         "UserStatus": self._settling.status(collection, u)}
                                        for u in page]}
        if next_token:
            response["NextToken"] = next_token
        return response

    # --- the searches: who a face, a user or an image shows, matched with users' faces ----

    @operation("SearchUsers")
    def search_users(self, request: Request) -> Response:
        collection = self._store.collection(request)
        face_id: str | None = request.get("FaceId")
        user_id: str | None = request.get("UserId")
        if (face_id is None) == (user_id is None):
            raise self._invalid("SearchUsers takes exactly one of FaceId and UserId")
        response: Response = {"FaceModelVersion": FACE_MODEL_VERSION}
        if face_id is not None:
            if face_id not in collection.faces:
                if self._deviates("su-absent-face-empty"):
                    return {**response, "UserMatches": []}
                raise ResourceNotFoundException(f"The face id: {face_id} does not exist")
            persons = [collection.faces[face_id].person]
            response["SearchedFace"] = {"FaceId": face_id}
            if self._deviates("su-face-finds-nobody"):
                persons = []
        else:
            assert user_id is not None
            self._store.user(collection, user_id)
            persons = [f.person for f in self._faces_searched(collection, user_id)]
            response["SearchedUser"] = {"UserId": user_id}
            if self._deviates("su-user-finds-nobody"):
                persons = []
        # AMB-SU-SELF: M.SU.1 "returns an array of UserID that match the ... UserId".
        itself = user_id if self._reading("AMB-SU-SELF") == "excluded" else None
        response["UserMatches"] = self._matches(collection, persons, itself, request)
        if self._reading("AMB-SU-ECHO") == "absent":
            response.pop("SearchedFace", None)
            response.pop("SearchedUser", None)
        return response

    @operation("SearchUsersByImage")
    def search_users_by_image(self, request: Request) -> Response:
        collection = self._store.collection(request)
        image = self._image(request)
        person = person_of(image)
        persons = [person]
        if not shows_face(image):
            if self._deviates("subi-no-face-matches"):
                # Searched all the same, as if the largest face were anyone's.
                persons = [f.person for f in collection.faces.values() if f.user_id is not None]
            elif self._reading("AMB-SUBI-NO-FACE") == "invalid-parameter":
                raise InvalidParameterException("There are no faces in the image. Should be "
                                                "at least 1.")
            else:  # M.SUBI.4
                return {"UserMatches": [], "FaceModelVersion": FACE_MODEL_VERSION,
                        "UnsearchedFaces": []}
        if self._deviates("subi-ignores-person"):
            # Every user that holds a face matches, whoever the image shows.
            persons = [f.person for f in collection.faces.values() if f.user_id is not None]
        return {"UserMatches": self._matches(collection, persons, None, request),
                "FaceModelVersion": FACE_MODEL_VERSION,
                "SearchedFace": {"FaceDetail": {"BoundingBox": dict(FACE_BOX),
                                                "Confidence": detection_confidence(person)}},
                "UnsearchedFaces": []}

    def _faces_searched(self, collection: Collection, user_id: str) -> list[Face]:
        """The faces a search counts as ``user_id``'s: those it holds."""
        held = collection.faces_of(user_id)
        if self._deviates("search-sees-released-faces"):
            held += [f for f in collection.faces.values()
                     if f.user_id is None and f.released_by == user_id]
        return held

    def _matches(self, collection: Collection, persons: list[str], itself: str | None,
                 request: Request) -> list[Response]:
        """The users that hold a face of one of ``persons`` at a Similarity of at least the
        threshold (default 80, M), the highest first, at most MaxUsers of them."""
        threshold = request.get("UserMatchThreshold", DEFAULT_SEARCH_THRESHOLD)
        if self._deviates("su-threshold-ignored"):
            threshold = 0.0
        found: list[tuple[float, int, User]] = []
        for user in collection.users.values():
            theirs = [f.person for f in self._faces_searched(collection, user.user_id)]
            if user.user_id == itself or user.deleted_at is not None or not theirs \
                    or not persons:
                continue
            if self.behaviour.searches_wait_for_settling and self._settling.updating(user):
                continue
            similarity = max(pair_confidence(a, b) for a in persons for b in theirs)
            if similarity >= threshold:
                found.append((similarity, user.seq, user))
        found.sort(key=lambda m: (-m[0], m[1]))
        if not self._deviates("su-max-users-ignored"):
            found = found[:request.get("MaxUsers", DEFAULT_MAX_USERS)]
        return [{"Similarity": similarity,
                 "User": {"UserId": user.user_id,
                          "UserStatus": self._settling.status(collection, user)}}
                for similarity, _, user in found]
