"""What each kind of target does to be run against: the one place that branches on kind.

A ``Target`` (``targets.py``) is configuration. Its kind says how to reach it:
``embedded`` answers from the reference emulator in-process (or starts it on
127.0.0.1 and stops it after, with ``transport = "http"``), ``endpoint`` and
``aws`` are reached where they are. It also says which face images IndexFaces
gets: the emulators take the suite's own small images, live AWS needs photos.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from conformance.emulator.backend import Backend
from conformance.emulator.behaviour import Behaviour
from conformance.emulator.inprocess import ENDPOINT_URL, attach
from conformance.emulator.server import EmulatorServer
from conformance.errors import ConfigError
from conformance.images import FaceImages, photo_faces, synthetic_faces
from conformance.targets import Clients, Target, make_clients

# Enough persons for pairs of thresholds to matter; photos may give fewer, but not fewer
# than the directed checks index (persons 0, 1 and 2).
SYNTHETIC_PERSONS = 6
MIN_PERSONS = 3


@dataclass(frozen=True)
class Connection:
    """A target ready to be called: its clients, and the faces to index on it."""

    clients: Clients
    images: FaceImages

    @property
    def endpoint_url(self) -> str | None:
        """Where a reproducer sends to; None for live AWS (the SDK's default endpoint)."""
        return self.clients.endpoint_url


@contextlib.contextmanager
def connect(target: Target) -> Iterator[Connection]:
    """Open ``target`` for one run, and close what opening it started."""
    if target.kind == "embedded" and target.transport == "in-process":
        backend = Backend(target.behaviour or Behaviour())
        clients = make_clients(target, ENDPOINT_URL)
        attach(clients.checked, backend)
        attach(clients.raw, backend)
        # A reproducer of an in-process run is pointed at a server by its user.
        yield Connection(dataclasses.replace(clients, endpoint_url=None),
                         synthetic_faces(SYNTHETIC_PERSONS))
    elif target.kind == "embedded":
        server = EmulatorServer(behaviour=target.behaviour or Behaviour())
        server.start()
        try:
            yield Connection(make_clients(target, server.url), synthetic_faces(SYNTHETIC_PERSONS))
        finally:
            server.stop()
    elif target.kind == "aws":
        assert target.faces_dir is not None  # targets.py requires it for aws
        photos = photo_faces(target.faces_dir)
        if photos.persons < MIN_PERSONS:
            raise ConfigError(f"{target.faces_dir}: {photos.persons} photo(s); the checks need "
                              f"photos of at least {MIN_PERSONS} distinct people (a test case "
                              f"starts with faces of 3, a threshold check sends one person's "
                              f"face to a user holding another's); add photos")
        yield Connection(make_clients(target), photos)
    else:
        yield Connection(make_clients(target), synthetic_faces(SYNTHETIC_PERSONS))
