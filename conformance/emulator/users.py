"""User operations: create, delete and list users, and search users by face or user."""

from __future__ import annotations

from conformance.emulator.core import (
    FACE_MODEL_VERSION,
    OperationsBase,
    Request,
    Response,
    operation,
)
from conformance.emulator.errors import ConflictException, ResourceNotFoundException
from conformance.emulator.identity import pair_confidence
from conformance.emulator.storage import Collection, User

DEFAULT_SEARCH_THRESHOLD = 80.0


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
                raise ResourceNotFoundException(f"The face id: {face_id} does not exist")
            persons = [collection.faces[face_id].person]
            response["SearchedFace"] = {"FaceId": face_id}
        else:
            assert user_id is not None
            self._store.user(collection, user_id)
            persons = [f.person for f in collection.faces_of(user_id)]
            response["SearchedUser"] = {"UserId": user_id}
        threshold = request.get("UserMatchThreshold", DEFAULT_SEARCH_THRESHOLD)
        matches: list[tuple[float, int, User]] = []
        for user in collection.users.values():
            theirs = [f.person for f in collection.faces_of(user.user_id)]
            if user.user_id == user_id or not theirs or not persons:
                continue
            similarity = max(pair_confidence(a, b) for a in persons for b in theirs)
            if similarity >= threshold:
                matches.append((similarity, user.seq, user))
        matches.sort(key=lambda m: (-m[0], m[1]))
        response["UserMatches"] = [
            {"Similarity": similarity,
             "User": {"UserId": user.user_id,
                      "UserStatus": self._settling.status(collection, user)}}
            for similarity, _, user in matches[:request.get("MaxUsers", 5)]]
        return response

