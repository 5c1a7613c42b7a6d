"""Every operation but the associations, through boto3."""

from __future__ import annotations

import pytest

from conformance.images import face_image, no_face_image

from .conftest import COLLECTION, Rig, RigFactory, aws_error, strip

# --- collections ------------------------------------------------------------------------


def test_collection_lifecycle(make_rig: RigFactory) -> None:
    rig = make_rig()
    created = strip(rig.client.create_collection(CollectionId="c1"))
    assert created["StatusCode"] == 200 and created["CollectionArn"].endswith("collection/c1")
    with aws_error("ResourceAlreadyExistsException"):
        rig.client.create_collection(CollectionId="c1")
    described = rig.client.describe_collection(CollectionId="c1")
    assert (described["FaceCount"], described["UserCount"]) == (0, 0)
    assert described["FaceModelVersion"] and described["CreationTimestamp"]
    assert rig.client.delete_collection(CollectionId="c1")["StatusCode"] == 200
    for call in (rig.client.delete_collection, rig.client.describe_collection):
        with aws_error("ResourceNotFoundException"):
            call(CollectionId="c1")


def test_describe_collection_counts_faces_and_users(rig: Rig) -> None:
    rig.faces(3)
    rig.user("a")
    rig.user("b")
    described = rig.client.describe_collection(CollectionId=COLLECTION)
    assert (described["FaceCount"], described["UserCount"]) == (3, 2)


def test_list_collections_pages(make_rig: RigFactory) -> None:
    rig = make_rig()
    names = [f"c{i}" for i in range(5)]
    for name in names:
        rig.collection(name)
    seen, token, pages = [], None, 0
    while True:
        page = rig.client.list_collections(MaxResults=2, **({"NextToken": token} if token else {}))
        seen += page["CollectionIds"]
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert seen == names and pages == 3


# --- faces ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["png", "jpeg"])
def test_index_faces_answers_one_face_record(rig: Rig, fmt: str) -> None:
    answer = rig.client.index_faces(CollectionId=COLLECTION, ExternalImageId="img-1",
                                    Image={"Bytes": face_image(3, fmt)})  # type: ignore[arg-type]
    (record,) = answer["FaceRecords"]
    face = record["Face"]
    assert face["ExternalImageId"] == "img-1" and face["IndexFacesModelVersion"] == "7.0"
    assert 99 <= face["Confidence"] <= 100 and face["ImageId"] and face["BoundingBox"]
    assert record["FaceDetail"]["Confidence"] >= 99
    assert answer["FaceModelVersion"] == "7.0" and answer["UnindexedFaces"] == []


def test_index_faces_refuses_what_is_not_an_image(rig: Rig) -> None:
    with aws_error("InvalidImageFormatException"):
        rig.client.index_faces(CollectionId=COLLECTION, Image={"Bytes": b"GIF89a not ours"})


def test_index_faces_refuses_an_image_over_5_mb(rig: Rig) -> None:
    big = face_image(0) + b"\x00" * (6 * 1024 * 1024)
    with aws_error("ImageTooLargeException"):
        rig.raw.index_faces(CollectionId=COLLECTION, Image={"Bytes": big})
    assert rig.client.describe_collection(CollectionId=COLLECTION)["FaceCount"] == 0


def test_index_faces_refuses_s3_and_unknown_collection(rig: Rig) -> None:
    with aws_error("InvalidS3ObjectException"):
        rig.client.index_faces(CollectionId=COLLECTION,
                               Image={"S3Object": {"Bucket": "bucket", "Name": "face.png"}})
    with aws_error("ResourceNotFoundException"):
        rig.client.index_faces(CollectionId="other", Image={"Bytes": face_image(0)})


def test_list_faces_pages_in_creation_order(rig: Rig) -> None:
    faces = rig.faces(5)
    seen, token = [], None
    for _ in range(10):
        page = rig.client.list_faces(CollectionId=COLLECTION, MaxResults=2,
                                     **({"NextToken": token} if token else {}))
        assert len(page["Faces"]) <= 2
        seen += [f["FaceId"] for f in page["Faces"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == faces


def test_list_faces_filters_by_user_and_face_ids(rig: Rig) -> None:
    faces = rig.faces(4)
    rig.user("u")
    rig.associate("u", faces[1:3])
    listed = rig.client.list_faces(CollectionId=COLLECTION, UserId="u")["Faces"]
    assert [f["FaceId"] for f in listed] == faces[1:3]
    assert all(f["UserId"] == "u" for f in listed)
    some = rig.client.list_faces(CollectionId=COLLECTION, FaceIds=[faces[0], faces[2]])["Faces"]
    assert [(f["FaceId"], f.get("UserId")) for f in some] == [(faces[0], None), (faces[2], "u")]


def test_list_faces_and_users_refuse_foreign_tokens(rig: Rig) -> None:
    rig.faces(3)
    rig.user("a")
    rig.user("b")
    face_token = rig.client.list_faces(CollectionId=COLLECTION, MaxResults=1)["NextToken"]
    user_token = rig.client.list_users(CollectionId=COLLECTION, MaxResults=1)["NextToken"]
    with aws_error("InvalidPaginationTokenException"):
        rig.client.list_faces(CollectionId=COLLECTION, NextToken=user_token)
    with aws_error("InvalidPaginationTokenException"):
        rig.client.list_users(CollectionId=COLLECTION, NextToken=face_token)
    with aws_error("InvalidPaginationTokenException"):
        rig.client.list_users(CollectionId=COLLECTION, NextToken="garbage")


def test_delete_faces(rig: Rig) -> None:
    free, owned = rig.faces(2)
    rig.user("u")
    rig.associate("u", [owned])
    unknown = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    answer = strip(rig.client.delete_faces(CollectionId=COLLECTION,
                                           FaceIds=[free, owned, unknown]))
    assert answer["DeletedFaces"] == [free]
    assert answer["UnsuccessfulFaceDeletions"] == [
        {"FaceId": owned, "UserId": "u", "Reasons": ["ASSOCIATED_TO_AN_EXISTING_USER"]},
        {"FaceId": unknown, "Reasons": ["FACE_NOT_FOUND"]}]
    assert list(rig.owners()) == [owned]


def test_delete_faces_ignoring_unknown_ids(make_rig: RigFactory) -> None:
    rig = make_rig(readings={"AMB-DEL-UNKNOWN": "ignored"})
    rig.collection()
    answer = rig.client.delete_faces(CollectionId=COLLECTION,
                                     FaceIds=["0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"])
    assert "DeletedFaces" not in answer and answer["UnsuccessfulFaceDeletions"] == []


# --- users ----------------------------------------------------------------------------------


def test_create_user(rig: Rig) -> None:
    assert strip(rig.client.create_user(CollectionId=COLLECTION, UserId="u")) == {}
    assert rig.status("u") == "CREATED"
    with aws_error("ConflictException"):
        rig.client.create_user(CollectionId=COLLECTION, UserId="u")
    with aws_error("ResourceNotFoundException"):
        rig.client.create_user(CollectionId="other", UserId="u")


def test_delete_user_releases_its_faces(rig: Rig) -> None:
    faces = rig.faces(2)
    rig.user("a")
    rig.user("b")
    rig.associate("a", faces)
    assert strip(rig.client.delete_user(CollectionId=COLLECTION, UserId="a")) == {}
    assert rig.users() == ["b"] and rig.owners() == dict.fromkeys(faces)
    assert [f["FaceId"] for f in rig.associate("b", faces)["AssociatedFaces"]] == faces
    with aws_error("ResourceNotFoundException"):
        rig.client.delete_user(CollectionId=COLLECTION, UserId="a")


def test_list_users_pages_and_bounds(rig: Rig) -> None:
    names = [f"user-{i}" for i in range(5)]
    for name in names:
        rig.user(name)
    seen, token = [], None
    for _ in range(10):
        page = rig.client.list_users(CollectionId=COLLECTION, MaxResults=2,
                                     **({"NextToken": token} if token else {}))
        assert len(page["Users"]) <= 2
        seen += [(u["UserId"], u["UserStatus"]) for u in page["Users"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == [(n, "CREATED") for n in names]
    for bad in (0, 501):
        with aws_error("InvalidParameterException"):
            rig.raw.list_users(CollectionId=COLLECTION, MaxResults=bad)
    with aws_error("ResourceNotFoundException"):
        rig.client.list_users(CollectionId="other")


def test_search_users(rig: Rig) -> None:
    mine, again = rig.faces(2, person=0)
    rig.user("me")
    rig.user("empty")
    rig.associate("me", [mine])
    by_face = rig.client.search_users(CollectionId=COLLECTION, FaceId=again)
    assert by_face["SearchedFace"] == {"FaceId": again}
    assert [(m["User"]["UserId"], m["Similarity"]) for m in by_face["UserMatches"]] == [
        ("me", 99.9)]
    by_user = rig.client.search_users(CollectionId=COLLECTION, UserId="me")
    assert by_user["SearchedUser"] == {"UserId": "me"} and by_user["UserMatches"] == []
    with aws_error("InvalidParameterException"):
        rig.client.search_users(CollectionId=COLLECTION)


def test_search_users_by_image(rig: Rig) -> None:
    """The image's person, by its bytes: the users holding a face of it, highest first, at
    or above the threshold (80 when omitted), at most MaxUsers of them."""
    rig.user("me")
    rig.user("twin")
    rig.user("other")
    rig.user("empty")
    rig.associate("me", [rig.face(0)])
    rig.associate("twin", [rig.face(0)])
    rig.associate("other", [rig.face(2)])  # person 2 matches person 0 at 86.846
    answer = rig.client.search_users_by_image(CollectionId=COLLECTION,
                                              Image={"Bytes": face_image(0)})
    assert [(m["User"]["UserId"], m["Similarity"]) for m in answer["UserMatches"]] == [
        ("me", 99.9), ("twin", 99.9), ("other", 86.846)]
    assert {m["User"]["UserStatus"] for m in answer["UserMatches"]} == {"ACTIVE"}
    assert "BoundingBox" in answer["SearchedFace"]["FaceDetail"]
    strict = rig.client.search_users_by_image(CollectionId=COLLECTION, MaxUsers=1,
                                              Image={"Bytes": face_image(0)},
                                              UserMatchThreshold=90)
    assert [m["User"]["UserId"] for m in strict["UserMatches"]] == ["me"]
    with aws_error("ResourceNotFoundException"):
        rig.client.search_users_by_image(CollectionId="other", Image={"Bytes": face_image(0)})
    with aws_error("InvalidParameterException"):
        rig.raw.search_users_by_image(CollectionId=COLLECTION, MaxUsers=501,
                                      Image={"Bytes": face_image(0)})


def test_an_image_with_no_face_is_indexed_as_none_and_matches_no_one(
        make_rig: RigFactory) -> None:
    """M.SUBI.4: no match and no SearchedFace; AMB-SUBI-NO-FACE's other reading refuses."""
    for reading in ("empty", "invalid-parameter"):
        rig = make_rig(readings={"AMB-SUBI-NO-FACE": reading})
        rig.collection()
        rig.user("me")
        rig.associate("me", [rig.face(0)])
        indexed = rig.client.index_faces(CollectionId=COLLECTION,
                                         Image={"Bytes": no_face_image()})
        assert indexed["FaceRecords"] == []
        search = {"CollectionId": COLLECTION, "Image": {"Bytes": no_face_image()}}
        if reading == "invalid-parameter":
            with aws_error("InvalidParameterException"):
                rig.client.search_users_by_image(**search)
            continue
        answer = rig.client.search_users_by_image(**search)
        assert answer["UserMatches"] == []
        assert "SearchedFace" not in answer


def test_page_tokens_fit_the_model_whatever_the_filters(make_rig: RigFactory) -> None:
    rig = make_rig()
    long_name = "c" * 255
    rig.collection(long_name)
    faces = rig.faces(40, collection_id=long_name)
    for name in ("a", "b"):
        rig.user(name, collection_id=long_name)
    page = rig.client.list_faces(CollectionId=long_name, FaceIds=faces, MaxResults=30)
    assert len(page["NextToken"]) <= 255
    rest = rig.client.list_faces(CollectionId=long_name, FaceIds=faces,
                                 NextToken=page["NextToken"])
    assert [f["FaceId"] for f in page["Faces"] + rest["Faces"]] == faces
    token = rig.client.list_users(CollectionId=long_name, MaxResults=1)["NextToken"]
    assert rig.client.list_users(CollectionId=long_name, NextToken=token)["Users"][0][
        "UserId"] == "b"
