"""Collection and face operations: create, delete, describe and list collections; index,
list and delete faces."""

from __future__ import annotations

import json
import time
import uuid

from conformance.emulator.core import (
    ACCOUNT,
    FACE_MODEL_VERSION,
    REGION,
    OperationsBase,
    Request,
    Response,
    operation,
)
from conformance.emulator.errors import (
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
)
from conformance.emulator.identity import (
    FACE_BOX,
    detection_confidence,
    person_of,
    shows_face,
)
from conformance.emulator.storage import Collection, Face


class FaceOperations(OperationsBase):
    @operation("CreateCollection")
    def create_collection(self, request: Request) -> Response:
        collection_id = request["CollectionId"]
        if collection_id in self._store.collections:
            raise ResourceAlreadyExistsException(
                f"The collection id: {collection_id} already exists")
        self._store.collections[collection_id] = Collection(
            collection_id, self._store.next_seq(), time.time(),
            tags=dict(request.get("Tags") or {}))
        return {"StatusCode": 200, "CollectionArn": self._arn(collection_id),
                "FaceModelVersion": FACE_MODEL_VERSION}

    @operation("DeleteCollection")
    def delete_collection(self, request: Request) -> Response:
        collection = self._store.collection(request)
        del self._store.collections[collection.collection_id]
        return {"StatusCode": 200}

    @operation("DescribeCollection")
    def describe_collection(self, request: Request) -> Response:
        collection = self._store.collection(request)
        return {"FaceCount": len(collection.faces), "UserCount": len(collection.users),
                "FaceModelVersion": FACE_MODEL_VERSION,
                "CollectionARN": self._arn(collection.collection_id),
                "CreationTimestamp": collection.created_epoch}

    @operation("ListCollections")
    def list_collections(self, request: Request) -> Response:
        collections = list(self._store.collections.values())
        page, _, next_token = self._page("ListCollections", "", collections, lambda c: c.seq,
                                         request, default_size=1000)
        response: Response = {"CollectionIds": [c.collection_id for c in page],
                              "FaceModelVersions": [FACE_MODEL_VERSION] * len(page)}
        if next_token:
            response["NextToken"] = next_token
        return response

    @operation("ListTagsForResource")
    def list_tags_for_resource(self, request: Request) -> Response:
        """The tags of a collection, named by the ARN CreateCollection and DescribeCollection
        give. Only collections carry tags here; no schema is generated for this operation,
        so it checks its one parameter itself."""
        arn = request.get("ResourceArn")
        if not isinstance(arn, str) or not 20 <= len(arn) <= 2048:
            raise self._invalid("1 validation error detected: Value at 'resourceArn' failed to "
                                "satisfy constraint: Member must have length between 20 and "
                                "2048")
        prefix = self._arn("")
        collection_id = arn.removeprefix(prefix) if arn.startswith(prefix) else None
        if collection_id is None or collection_id not in self._store.collections:
            raise ResourceNotFoundException(f"The resource {arn} does not exist")
        return {"Tags": dict(self._store.collections[collection_id].tags)}

    @staticmethod
    def _arn(collection_id: str) -> str:
        return f"aws:rekognition:{REGION}:{ACCOUNT}:collection/{collection_id}"

    # --- faces ----------------------------------------------------------------------------

    @operation("IndexFaces")
    def index_faces(self, request: Request) -> Response:
        collection = self._store.collection(request)
        data = self._image(request)
        if self._deviates("index-nothing") or not shows_face(data):
            return {"FaceRecords": [], "FaceModelVersion": FACE_MODEL_VERSION,
                    "UnindexedFaces": []}
        person = person_of(data)
        detected = detection_confidence(person)
        face = Face(str(uuid.uuid4()), str(uuid.uuid4()), person, self._store.next_seq(), detected,
                     request.get("ExternalImageId"))
        collection.faces[face.face_id] = face
        record = self._face_fields(face)
        if self._deviates("index-faces-confidence-string"):
            record["Confidence"] = str(record["Confidence"])
        return {
            "FaceRecords": [{
                "Face": record,
                "FaceDetail": {"BoundingBox": dict(FACE_BOX), "Confidence": detected},
            }],
            "FaceModelVersion": FACE_MODEL_VERSION,
            "UnindexedFaces": [],
        }

    @staticmethod
    def _face_fields(face: Face) -> Response:
        fields: Response = {"FaceId": face.face_id, "ImageId": face.image_id,
                            "BoundingBox": dict(FACE_BOX), "Confidence": face.detection_confidence,
                            "IndexFacesModelVersion": FACE_MODEL_VERSION}
        if face.external_image_id is not None:
            fields["ExternalImageId"] = face.external_image_id
        return fields

    @operation("ListFaces")
    def list_faces(self, request: Request) -> Response:
        collection = self._store.collection(request)
        faces = list(collection.faces.values())
        user_id = request.get("UserId")
        if user_id is not None and not self._deviates("list-faces-ignores-userid"):
            faces = [f for f in faces if f.user_id == user_id]
        if request.get("FaceIds") is not None:
            wanted = set(request["FaceIds"])
            faces = [f for f in faces if f.face_id in wanted]
        # The filters are part of the scope so a token cannot be replayed under other filters.
        scope = json.dumps([collection.collection_id, user_id, request.get("FaceIds")])
        page, after, next_token = self._page("ListFaces", scope, faces, lambda f: f.seq,
                                             request, default_size=1000)
        if after is not None and self._deviates("list-faces-drops-page-edge"):
            page = page[1:]
        if (after is not None and int(request.get("MaxResults") or 0) >= 3
                and self._deviates("list-faces-skips-with-pages-of-three")):
            page = page[1:]
        listed = []
        named = self._reading("AMB-FACE-USERID") == "listed"
        for face in page:
            entry = self._face_fields(face)
            if face.user_id is not None and named:
                entry["UserId"] = face.user_id
            listed.append(entry)
        response: Response = {"Faces": listed, "FaceModelVersion": FACE_MODEL_VERSION}
        if next_token:
            response["NextToken"] = next_token
        return response

    @operation("DeleteFaces")
    def delete_faces(self, request: Request) -> Response:
        collection = self._store.collection(request)
        deleted: list[str] = []
        refused: list[Response] = []
        for face_id in self._face_ids(request):
            face = collection.faces.get(face_id)
            if face is None:
                if self._reading("AMB-DEL-UNKNOWN") == "face-not-found":
                    refused.append({"FaceId": face_id, "Reasons": ["FACE_NOT_FOUND"]})
                continue
            if face.user_id is not None and not self._deviates("delete-owned-face"):
                refused.append({"FaceId": face_id, "UserId": face.user_id,
                                "Reasons": ["ASSOCIATED_TO_AN_EXISTING_USER"]})
                continue
            self._settling.touch(collection, face.user_id)
            if not self._deviates("delete-unowned-kept"):  # only unowned faces get this far
                del collection.faces[face_id]
            deleted.append(face_id)
        if self._deviates("delete-faces-bad-reason"):
            refused = [{**entry, "Reasons": ["FACE_NOT_DELETED"]}
                       if entry["Reasons"] == ["FACE_NOT_FOUND"] else entry for entry in refused]
        response: Response = {"UnsuccessfulFaceDeletions": refused}
        if deleted:  # the model's FaceIdList has min 1: an empty list is left out
            response["DeletedFaces"] = deleted
        return response

