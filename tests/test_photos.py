"""``conformance photos check`` against the emulator as an AWS-like endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.emulator.server import EmulatorServer
from conformance.images import face_image


@pytest.fixture()
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as emulator:
        yield emulator


def setup(tmp_path: Path, url: str, photos: int, monkeypatch: pytest.MonkeyPatch) -> None:
    faces = tmp_path / "faces"
    faces.mkdir()
    for person in range(photos):
        (faces / f"p{person}.png").write_bytes(face_image(person))
    (tmp_path / "targets.toml").write_text(
        f'[targets.live]\nkind = "aws"\nendpoint_url = "{url}"\nfaces_dir = "faces"\n')
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.chdir(tmp_path)


def test_good_photos_get_one_line_each_and_leave_nothing(
        tmp_path: Path, server: EmulatorServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    setup(tmp_path, server.url, 4, monkeypatch)
    assert main(["photos", "check", "--target", "live"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("ok   p0.png: one face")
    assert lines[-1] == "4 of 4 photos good: fit for a live run"
    assert server.backend._store.collections == {}


def test_too_few_photos_is_one_line_that_says_how_many_and_why(
        tmp_path: Path, server: EmulatorServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    setup(tmp_path, server.url, 2, monkeypatch)
    assert main(["photos", "check", "--target", "live"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "2 photo(s); the suite needs at least 3 photos of 3 distinct people" in err


class FakeRekognition:
    """Answers IndexFaces with as many faces as the photo's name says: p0-2 one, none0, two0."""

    def __init__(self) -> None:
        self.collections: set[str] = set()
        self.faces: dict[str, str] = {}

    def create_collection(self, CollectionId: str, Tags: dict[str, str]) -> None:
        assert Tags["created-by"] == "rekognition-conformance"
        self.collections.add(CollectionId)

    def delete_collection(self, CollectionId: str) -> None:
        self.collections.remove(CollectionId)

    def index_faces(self, CollectionId: str, Image: dict[str, bytes]) -> dict[str, object]:
        name = Image["Bytes"].decode()
        count = 0 if name.startswith("none") else 2 if name.startswith("two") else 1
        records = [{"Face": {"FaceId": f"{name}-{n}"}} for n in range(count)]
        for record in records:
            self.faces[record["Face"]["FaceId"]] = name
        return {"FaceRecords": records, "UnindexedFaces": []}

    def search_faces(self, CollectionId: str, FaceId: str, FaceMatchThreshold: float,
                     MaxFaces: int) -> dict[str, object]:
        twins = {"p1-0": "p2-0", "p2-0": "p1-0"}  # p1 and p2 are one person
        return {"FaceMatches": [{"Face": {"FaceId": twins[FaceId]}}] if FaceId in twins else []}


def test_no_face_two_faces_and_one_person_twice_are_each_named(tmp_path: Path) -> None:
    from conformance.photos import check_photos, photo_lines

    faces = tmp_path / "faces"
    faces.mkdir()
    for name in ("p0", "p1", "p2", "none0", "two0"):
        (faces / f"{name}.png").write_bytes(name.encode())
    fake = FakeRekognition()
    lines = photo_lines(check_photos(fake, faces, "cfs-0a1b2c-"))
    assert lines == [
        "BAD  none0.png: no face found",
        "ok   p0.png: one face",
        "BAD  p1.png: the same person as p2.png",
        "BAD  p2.png: the same person as p1.png",
        "BAD  two0.png: 2 faces; the suite needs exactly one",
        "1 of 5 photos good: not fit: fix or remove the BAD photos (at least 3 good ones "
        "needed)",
    ]
    assert fake.collections == set()


@pytest.mark.parametrize("found", [0, 2])
def test_a_photo_with_no_face_or_two_stops_the_run_with_one_line_not_a_finding(
        found: int) -> None:
    """IndexFaces of a faces_dir photo finding no face or two is the photo's fault."""
    import dataclasses

    from conformance.driver import RunAborted
    from conformance.errors import UnfitPhoto
    from conformance.images import FaceImages
    from tests.test_face_userid import harness

    h = harness()
    h.ctx.images = FaceImages([face_image(0)], ["faces/alice.jpg"], photos=True)
    send = h.ctx.driver.call

    def crowded(operation: str, params: dict[str, object], **kw: object):  # type: ignore[no-untyped-def]
        outcome = send(operation, params, **kw)  # type: ignore[arg-type]
        if operation != "IndexFaces":
            return outcome
        records = (outcome.body or {})["FaceRecords"] * found
        return dataclasses.replace(outcome, body={**(outcome.body or {}),
                                                  "FaceRecords": records})

    h.ctx.driver.call = crowded  # type: ignore[method-assign]
    with pytest.raises(RunAborted) as stopped:
        h.index_face(0)
    assert isinstance(stopped.value.error, UnfitPhoto)
    assert str(stopped.value.error).startswith(
        f"photo faces/alice.jpg: IndexFaces found {found} faces in it")
    assert h.ledger.failures_raised == 0
