"""Face images for IndexFaces: synthetic ones for emulators, real photos for live AWS.

The identity rule of the whole suite (DESIGN.md section 3) is that *the same
image bytes are the same person*. So ``face_image(k)`` must give byte-identical
output for the same ``k`` on every call and machine, and different bytes for
different ``k``: the person number is written into the file itself (a PNG text
chunk, a JPEG comment) rather than trusted to survive in the pixels alone.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from conformance.errors import ConfigError

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SIDE = 8


@dataclass(frozen=True)
class FaceImages:
    """The images IndexFaces is given: same bytes, same person (DESIGN.md section 3)."""

    images: list[bytes]
    names: list[str]  # how a reproducer refers to each: "face_image(3)" or a file path
    # Photos of a faces_dir (live AWS): a photo in which IndexFaces finds no face or two
    # is the user's to replace, not a finding against the target.
    photos: bool = False

    @property
    def persons(self) -> int:
        return len(self.images)


def face_image(person: int, fmt: Literal["png", "jpeg"] = "png") -> bytes:
    """A small valid image standing for ``person``; same person, same bytes."""
    if person < 0:
        raise ValueError(f"person must be >= 0, not {person}")
    if fmt == "png":
        return _png(person)
    if fmt == "jpeg":
        return _jpeg(person)
    raise ValueError(f"fmt must be 'png' or 'jpeg', not {fmt!r}")


# An image that shows no face, on every target: a plain grey square, large enough for
# any detector to look at. Its text chunk tells the reference emulator, whose images
# are tokens, that it shows no one; a detector finds no face in it anyway.
NO_FACE_NAME = "no_face_image()"
NO_FACE_MARK = b"conformance no face"
_NO_FACE_SIDE = 160


def no_face_image() -> bytes:
    """A valid PNG with no face in it (SUBI-NO-FACE); the same bytes on every call."""
    row = b"\x00" + b"\x80" * (3 * _NO_FACE_SIDE)
    ihdr = struct.pack(">IIBBBBB", _NO_FACE_SIDE, _NO_FACE_SIDE, 8, 2, 0, 0, 0)
    return (
        _PNG_SIGNATURE
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"tEXt", b"Comment\x00" + NO_FACE_MARK)
        + _png_chunk(b"IDAT", zlib.compress(row * _NO_FACE_SIDE, 9))
        + _png_chunk(b"IEND", b"")
    )


def photo_files(directory: Path) -> list[Path]:
    """The photos in a faces directory, sorted by file name so that runs pick the same people.

    The one place that lists them: the targets file's check and the run agree.
    """
    return sorted(p for p in directory.iterdir()
                  if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)


def synthetic_faces(persons: int) -> FaceImages:
    """Images the emulators accept, one person each."""
    return FaceImages([face_image(k) for k in range(persons)],
                      [f"face_image({k})" for k in range(persons)])


def photo_faces(directory: Path) -> FaceImages:
    """The photos of a faces directory, named by their path in reproducers."""
    files = photo_files(directory)
    return FaceImages(load_photos(directory), [str(p) for p in files], photos=True)


def load_photos(directory: Path) -> list[bytes]:
    """The photos of ``directory`` (one face of a distinct person each), sorted by file name."""
    if not directory.is_dir():
        raise ConfigError(f"face photo directory {directory} does not exist")
    files = photo_files(directory)
    if not files:
        raise ConfigError(
            f"face photo directory {directory} holds no .jpg, .jpeg or .png file"
        )
    return [p.read_bytes() for p in files]


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _png(person: int) -> bytes:
    # The colour makes images look different to a human; the text chunk is what
    # guarantees uniqueness beyond the 2**24 colours.
    r, g, b = hashlib.sha256(str(person).encode()).digest()[:3]
    row = b"\x00" + bytes((r, g, b)) * _SIDE  # filter type 0, then RGB pixels
    ihdr = struct.pack(">IIBBBBB", _SIDE, _SIDE, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        _PNG_SIGNATURE
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"tEXt", b"Comment\x00conformance person " + str(person).encode())
        + _png_chunk(b"IDAT", zlib.compress(row * _SIDE, 9))
        + _png_chunk(b"IEND", b"")
    )


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _jpeg(person: int) -> bytes:
    """A baseline 8x8 grey JPEG whose only block has DC difference 0 and no AC term.

    Both Huffman tables hold a single one-bit code ``0``: DC category 0 and the
    AC end-of-block, so the whole scan is the bits ``00`` padded with ones.
    """
    jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    quant = b"\x00" + b"\x01" * 64
    frame = struct.pack(">BHHB", 8, _SIDE, _SIDE, 1) + b"\x01\x11\x00"
    one_code = b"\x01" + b"\x00" * 15 + b"\x00"  # one code of length 1, symbol 0
    scan_header = b"\x01\x01\x00\x00\x3f\x00"  # 1 component, tables 0/0, Ss=0 Se=63
    return (
        b"\xff\xd8"
        + _jpeg_segment(0xE0, jfif)
        + _jpeg_segment(0xFE, b"conformance person " + str(person).encode())
        + _jpeg_segment(0xDB, quant)
        + _jpeg_segment(0xC0, frame)
        + _jpeg_segment(0xC4, b"\x00" + one_code)  # DC table 0
        + _jpeg_segment(0xC4, b"\x10" + one_code)  # AC table 0
        + _jpeg_segment(0xDA, scan_header)
        + b"\x3f"
        + b"\xff\xd9"
    )
