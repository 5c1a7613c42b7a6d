"""The marker the suite puts on every collection it creates.

``Driver.create_collection`` sends these tags with CreateCollection; ``conformance
cleanup`` deletes a leftover collection only when its name has the run prefix
shape *and* it carries them, so that nobody else's collection is ever touched.
"""

from __future__ import annotations

import re

MARKER_TAG = "created-by"
MARKER_VALUE = "rekognition-conformance"
RUN_TAG = "conformance-run"
# The run prefix: ``cfs-`` and six hex digits, as ``runner.run_suite`` draws it.
RUN_PREFIX = re.compile(r"cfs-[0-9a-f]{6}-")


def marker_tags(prefix: str) -> dict[str, str]:
    """The CreateCollection ``Tags`` that mark a collection as the suite's, for run ``prefix``."""
    return {MARKER_TAG: MARKER_VALUE, RUN_TAG: prefix}


def run_prefix_of(collection_id: str) -> str | None:
    """The run prefix ``collection_id`` starts with, or None when it has not the shape."""
    found = RUN_PREFIX.match(collection_id)
    return found.group(0) if found else None


def is_marked(tags: dict[str, str], prefix: str) -> bool:
    """Whether ``tags`` are the suite's marker for the run ``prefix``."""
    return tags.get(MARKER_TAG) == MARKER_VALUE and tags.get(RUN_TAG) == prefix
