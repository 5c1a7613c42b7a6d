"""``conformance photos check``: is a target's faces_dir fit for a live run?

How many photos, and why: the directed checks need one person; each exploring
test case starts with faces of ``MIN_PHOTOS`` = 3 distinct persons
(``machine.start_with_users_and_faces``), and the threshold rule
(AF-THRESHOLD, AF-THRESHOLD-DEFAULT) sends a face of one person to a user of
another, so it needs two. ``index_faces`` draws from up to ``PERSONS_PER_RUN``
(6) persons: 6 photos give the full variety, 3 are the least that works.

The check costs one IndexFaces per photo (billed) and one SearchFaces per photo
(billed, where the target has it): it indexes each photo into a temporary
collection ``<prefix>photos`` carrying the suite's marker tags, requires exactly
one face per photo, asks SearchFaces whether any other photo's face matches
(the same person twice), and deletes the collection.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from conformance.errors import ConfigError
from conformance.images import photo_files
from conformance.machine import PERSONS_PER_RUN
from conformance.marker import marker_tags

MIN_PHOTOS = 3
SAME_PERSON_THRESHOLD = 90.0  # SearchFaces similarity from which two photos are one person
_MISSING = frozenset({"UnknownOperationException", "InvalidAction", "NotImplemented"})


@dataclass(frozen=True)
class PhotoResult:
    path: Path
    ok: bool
    detail: str


def check_count(faces_dir: Path) -> list[Path]:
    files = photo_files(faces_dir) if faces_dir.is_dir() else []
    if len(files) < MIN_PHOTOS:
        raise ConfigError(
            f"{faces_dir}: {len(files)} photo(s); the suite needs at least {MIN_PHOTOS} photos "
            f"of {MIN_PHOTOS} distinct people, one face each (each test case starts with "
            f"faces of 3 persons, and the threshold checks pair two), ideally "
            f"{PERSONS_PER_RUN}")
    return files


def check_photos(client: Any, faces_dir: Path, prefix: str | None = None) -> list[PhotoResult]:
    """Index each photo of ``faces_dir`` into a temporary collection and judge it."""
    files = check_count(faces_dir)
    prefix = prefix or f"cfs-{secrets.token_hex(3)}-"
    collection = f"{prefix}photos"
    client.create_collection(CollectionId=collection, Tags=marker_tags(prefix))
    results: dict[Path, PhotoResult] = {}
    face_of: dict[str, Path] = {}
    try:
        for path in files:
            try:
                answer = client.index_faces(CollectionId=collection,
                                            Image={"Bytes": path.read_bytes()})
            except ClientError as error:
                info = error.response.get("Error", {})
                results[path] = PhotoResult(path, False, f"refused: {info.get('Code')}: "
                                                         f"{info.get('Message')}")
                continue
            faces = answer.get("FaceRecords", [])
            unindexed = len(answer.get("UnindexedFaces", []))
            if not faces:
                results[path] = PhotoResult(path, False, "no face found" + (
                    f" ({unindexed} face(s) too poor to index)" if unindexed else ""))
            elif len(faces) + unindexed > 1:
                results[path] = PhotoResult(path, False, f"{len(faces) + unindexed} faces; "
                                                         "the suite needs exactly one")
            else:
                face_of[faces[0]["Face"]["FaceId"]] = path
                results[path] = PhotoResult(path, True, "one face")
        searched = _same_person(client, collection, face_of, results)
    finally:
        client.delete_collection(CollectionId=collection)
    out = [results[p] for p in files]
    if not searched:
        out = [PhotoResult(r.path, r.ok, r.detail + " (distinct people not checked: the "
                                                      "target has no SearchFaces)")
               for r in out]
    return out


def _same_person(client: Any, collection: str, face_of: dict[str, Path],
                 results: dict[Path, PhotoResult]) -> bool:
    for face_id, path in face_of.items():
        try:
            answer = client.search_faces(CollectionId=collection, FaceId=face_id,
                                         FaceMatchThreshold=SAME_PERSON_THRESHOLD, MaxFaces=10)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING or \
                    error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (
                        404, 501):
                return False
            raise
        others = sorted({face_of[m["Face"]["FaceId"]].name for m in answer.get("FaceMatches", [])
                         if m["Face"]["FaceId"] in face_of
                         and face_of[m["Face"]["FaceId"]] != path})
        if others:
            results[path] = PhotoResult(path, False, f"the same person as {', '.join(others)}")
    return True


def photo_lines(results: list[PhotoResult]) -> list[str]:
    lines = [f"{'ok  ' if r.ok else 'BAD '} {r.path.name}: {r.detail}" for r in results]
    good = sum(r.ok for r in results)
    verdict = ("fit for a live run" if good >= MIN_PHOTOS and all(r.ok for r in results)
               else f"not fit: fix or remove the BAD photos (at least {MIN_PHOTOS} good "
                    "ones needed)")
    lines.append(f"{good} of {len(results)} photos good: {verdict}")
    return lines
