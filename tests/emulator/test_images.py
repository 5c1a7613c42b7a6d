"""Synthetic face images are valid PNG/JPEG files, one person per byte string."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from conformance.errors import ConfigError
from conformance.images import face_image, load_photos


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        chunks.append((kind, body))
        at += 12 + length
    return chunks


def jpeg_markers(data: bytes) -> list[int]:
    assert data[:3] == b"\xff\xd8\xff" and data[-2:] == b"\xff\xd9"
    markers, at = [], 2
    while data[at + 1] != 0xDA:  # segments up to the start of scan
        assert data[at] == 0xFF
        markers.append(data[at + 1])
        (length,) = struct.unpack(">H", data[at + 2:at + 4])
        at += 2 + length
    return [*markers, 0xDA]


def test_png_is_well_formed() -> None:
    chunks = png_chunks(face_image(7))
    kinds = [k for k, _ in chunks]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds
    width, height, depth, colour = struct.unpack(">IIBB", chunks[0][1][:10])
    pixels = zlib.decompress(dict(chunks)[b"IDAT"])
    assert len(pixels) == height * (1 + width * 3) and depth == 8 and colour == 2


def test_jpeg_is_baseline_with_tables() -> None:
    markers = jpeg_markers(face_image(7, "jpeg"))
    for needed in (0xE0, 0xFE, 0xDB, 0xC0, 0xC4, 0xDA):
        assert needed in markers


@pytest.mark.parametrize("fmt", ["png", "jpeg"])
def test_same_person_same_bytes_other_person_other_bytes(fmt: str) -> None:
    images = [face_image(p, fmt) for p in range(300)]  # type: ignore[arg-type]
    assert len(set(images)) == 300
    assert face_image(12, fmt) == face_image(12, fmt)  # type: ignore[arg-type]


def test_formats_differ_and_bad_arguments_are_refused() -> None:
    assert face_image(1, "png") != face_image(1, "jpeg")
    with pytest.raises(ValueError):
        face_image(-1)
    with pytest.raises(ValueError):
        face_image(1, "gif")  # type: ignore[arg-type]


def test_load_photos_sorted_by_name_and_filtered(tmp_path: Path) -> None:
    (tmp_path / "b.JPG").write_bytes(b"second")
    (tmp_path / "a.png").write_bytes(b"first")
    (tmp_path / "c.jpeg").write_bytes(b"third")
    (tmp_path / "notes.txt").write_bytes(b"ignored")
    (tmp_path / "d.png").mkdir()
    assert load_photos(tmp_path) == [b"first", b"second", b"third"]


def test_load_photos_refuses_missing_or_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as missing:
        load_photos(tmp_path / "nope")
    assert "does not exist" in str(missing.value) and "\n" not in str(missing.value)
    (tmp_path / "readme.txt").write_text("no photos here")
    with pytest.raises(ConfigError) as empty:
        load_photos(tmp_path)
    assert "holds no" in str(empty.value) and "\n" not in str(empty.value)
