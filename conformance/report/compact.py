"""Shorten a finding's steps for the reports a person reads (Markdown, HTML).

The full steps stay in ``result.json`` and in the reproducer; these helpers only
decide what a reader sees first:

- a run of consecutive steps that differ only in their numbers (100 IndexFaces
  calls, each answering the next ``face_N``) becomes one line, e.g.
  ``IndexFaces(Image=face_image(0)) -> face_1 ... face_100  (x100)``;
- a step whose answer is a big body (a whole ListFaces page) keeps its call and
  the start of the answer, then says how long it was and how many FaceIds it held.
"""

from __future__ import annotations

import re

# Runs shorter than this stay as they are: two similar lines read better than a summary.
MIN_RUN = 3
# Longest answer shown in full on one step line.
MAX_ANSWER = 200

_NUMBER = re.compile(r"\d+")
_FACE = re.compile(r"\bface_\d+\b")


def _shape(line: str) -> str:
    return _NUMBER.sub("#", line)


def _joined(first: str, last: str, n: int) -> str:
    """One line for a run: the common start once, then where the run began and ended."""
    size = next((i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b),
                min(len(first), len(last)))
    prefix = first[:size]
    # Cut back to a token boundary so "face_1 ... face_100" does not read "face_1 ... 00".
    cut = max(prefix.rfind(ch) for ch in " (=,>[{") + 1
    head, a, b = first[:cut], first[cut:], last[cut:]
    if a == b:
        return f"{first}  (x{n})"
    if " " in a or " " in b:  # they differ in more than one token: show both whole
        return f"{first} ... {last}  (x{n})"
    return f"{head}{a} ... {b}  (x{n})"


def shorten_answer(line: str, limit: int = MAX_ANSWER) -> str:
    """``Op(args) -> answer`` with a long answer cut to its start and a summary."""
    call, sep, answer = line.partition(" -> ")
    if not sep or len(answer) <= limit:
        return line
    faces = len(set(_FACE.findall(answer)))
    about = f"{len(answer)} characters"
    if faces:
        about += f", {faces} distinct FaceId{'s' if faces != 1 else ''}"
    return f"{call} -> {answer[:limit].rstrip()} ... [{about}; in full in result.json]"


def compact_steps(steps: str, min_run: int = MIN_RUN) -> str:
    """The steps with runs of like lines folded and big answers shortened."""
    lines = [shorten_answer(line) for line in steps.rstrip().splitlines()]
    out: list[str] = []
    i = 0
    while i < len(lines):
        j = i + 1
        while j < len(lines) and _shape(lines[j]) == _shape(lines[i]):
            j += 1
        n = j - i
        if n >= min_run:
            out.append(_joined(lines[i], lines[j - 1], n))
        else:
            out.extend(lines[i:j])
        i = j
    return "\n".join(out)
