"""Turn a failing test case's API calls into steps a person reads and a script they paste.

Ids are normalised the way LocalStack's parity tests do it: every FaceId the
target handed out becomes ``face_1``, ``face_2``..., the collection becomes
``COLLECTION``, so two runs of the same minimal example print the same text and
a bug report does not leak the run's random names.
"""

from __future__ import annotations

import base64
import json
import pprint
import re
import textwrap
from pathlib import Path
from typing import Any

from conformance import reproducer_runtime as rt
from conformance.clauses import CLAUSES
from conformance.images import face_image
from conformance.spec import UNNAMEABLE_COLLECTION_IDS


class _Names:
    def __init__(self, collections: list[str]) -> None:
        self.faces: dict[str, str] = {}
        self.collections = {c: "COLLECTION" if i == 0 else f"COLLECTION_{i}"
                            for i, c in enumerate(collections)}

    def name_face(self, face_id: str) -> str:
        return self.faces.setdefault(face_id, f"face_{len(self.faces) + 1}")

    def text(self, value: Any) -> str:
        """A JSON rendering with known ids replaced by their names."""
        rendered = json.dumps(value, sort_keys=True, default=str)
        for face_id, name in self.faces.items():
            rendered = rendered.replace(f'"{face_id}"', name)
        for collection, name in self.collections.items():
            rendered = rendered.replace(f'"{collection}"', name)
            # Also inside other strings (an ARN), so two runs print the same steps.
            rendered = rendered.replace(collection, name)
        return rendered


def _collections(calls: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for call in calls:
        if call["operation"] == "CreateCollection":
            seen.setdefault(call["params"]["CollectionId"], None)
    return list(seen)


def _indexed_faces(call: dict[str, Any]) -> list[str]:
    """The FaceIds an IndexFaces answer names, of whatever shape the target sent it in."""
    body = call["outcome"].get("body") or {}
    records = body.get("FaceRecords")
    faces = [r.get("Face") for r in records if isinstance(r, dict)] \
        if isinstance(records, list) else []
    return [f["FaceId"] for f in faces if isinstance(f, dict) and isinstance(f.get("FaceId"), str)]


def _indexed_face(call: dict[str, Any]) -> str | None:
    return next(iter(_indexed_faces(call)), None)


def _outcome_text(names: _Names, call: dict[str, Any]) -> str:
    outcome = call["outcome"]
    if "error" in outcome:
        text = f"{outcome['error']}: {outcome.get('message', '')}"
    else:
        text = names.text(outcome.get("body"))
    return " ".join(text.split())  # one line, whatever the server put in its message


def steps_text(calls: list[dict[str, Any]]) -> str:
    """One line per call: what was sent and what came back, ids normalised."""
    names = _Names(_collections(calls))
    lines = []
    for call in calls:
        params = {k: v for k, v in call["params"].items() if k != "CollectionId"}
        if call["operation"] == "IndexFaces":
            face = _indexed_face(call)
            image = call.get("note", {}).get("image", "image")
            result = names.name_face(face) if face else _outcome_text(names, call)
            lines.append(f"IndexFaces(Image={image}) -> {result}")
            continue
        collection = call["params"].get("CollectionId")
        named = names.collections.get(collection)
        where = "" if named == "COLLECTION" else f"CollectionId={named or collection!r}, "
        args = names.text(params)[1:-1]
        lines.append(f"{call['operation']}({where}{args}) -> {_outcome_text(names, call)}")
    return "\n".join(lines)


def script(calls: list[dict[str, Any]], *, endpoint_url: str | None, region: str,
           clause: str = "", message: str = "", expected: str = "",
           expect: list[dict[str, Any]] | None = None) -> str:
    """A standalone boto3 script that replays the calls and says whether the deviation shows.

    The script needs boto3 alone: the face images are embedded, the code that
    replays and judges is :mod:`conformance.reproducer_runtime` copied in. It
    exits 1 when the last step's answer shows the deviation, 0 when it does not,
    2 when it could not run. The oracle is ``expect`` (or the ``"expect"`` key of
    the judged call) when given: machine-checkable expectations on the judged
    answer; else the judged answer must equal the recorded deviating one after
    normalisation. The judged call is the last one marked ``"deviation": true``,
    else the last call. ``endpoint_url`` is only shown as an example: the script
    takes ``--endpoint-url``.
    """
    plan = _Plan(calls)
    judged = plan.judged
    if expect is None and judged is not None:
        expect = judged.get("expect")
    if not expected and clause in CLAUSES:
        expected = CLAUSES[clause].text
    info = {"clause": clause or "the finding", "message": " ".join(message.split()) or
            "(not given)", "expected": " ".join(expected.split()) or "(not given)",
            "region": region}
    oracle = {"deviating": plan.deviating(), "expect": expect}
    example = (f"python3 {{file}} --endpoint-url {endpoint_url}" if endpoint_url
               else "python3 {file}   # AWS: the credentials and region of the environment")
    header = [
        "#!/usr/bin/env python3",
        f"# Reproducer for {info['clause']}, written by the Rekognition conformance suite.",
        "#",
        *(f"# {line}" for line in textwrap.wrap(f"The spec expects: {info['expected']}", 88)),
        *(f"# {line}" for line in textwrap.wrap(f"The run saw: {info['message']}", 88)),
        "#",
        "# Needs only boto3 (pip install boto3). Run:",
        f"#   {example.format(file='this_file.py')}",
        "# Options: --endpoint-url URL, --region NAME, --collection NAME (default: a fresh",
        "# repro-<hex>). It creates its collections and deletes them at the end.",
        "# Exit status: 1 the deviation shows, 0 it does not, 2 the steps could not run.",
        "",
        "from __future__ import annotations",
        "",
    ]
    runtime = _runtime_source()
    markers, machinery = runtime.split("# --- machinery ---\n")
    images = {person: base64.b64encode(face_image(person)).decode("ascii")
              for person in sorted(plan.persons)}
    data = [
        f"INFO = {_pretty(info)}",
        "",
        "# The face images, one small PNG per person (same bytes, same person).",
        "IMAGES = {",
        *(f"    {person}: {text!r}," for person, text in images.items()),
        "}",
        "",
        "# The recorded calls. COLLECTION and Coll(i) are fresh names, Face(k) the k-th face",
        "# IndexFaces handed out in this run, Token(i, n) a fresh n-character token.",
        "# The last step is the one whose answer showed the deviation.",
        "STEPS = [",
        *(f"    {step!r}," for step in plan.steps),
        "]",
        "",
        "# How the last answer is judged: 'expect' (machine-checkable expectations), else",
        "# the deviation shows when the normalised answer equals 'deviating'.",
        f"ORACLE = {_pretty(oracle)}",
        "",
    ]
    tail = ["", "if __name__ == '__main__':",
            "    sys.exit(main(STEPS, ORACLE, IMAGES, INFO))", ""]
    return "\n".join(header) + markers + "\n".join(data) + "\n" + machinery.rstrip("\n") \
        + "\n" + "\n".join(tail)


def _pretty(value: Any) -> str:
    return pprint.pformat(value, width=96, sort_dicts=True)


def _runtime_source() -> str:
    source = Path(rt.__file__).read_text(encoding="utf-8")
    return source[source.index("# --- markers ---\n") + len("# --- markers ---\n"):]


_TOKEN = re.compile(r"[a-zA-Z0-9_-]{4,64}")


class _Plan:
    """The recorded calls as script steps: ids replaced by markers, groups, loops."""

    def __init__(self, calls: list[dict[str, Any]]) -> None:
        marked = [i for i, c in enumerate(calls) if c.get("deviation")]
        end = (marked[-1] + 1) if marked else len(calls)
        self.calls = calls[:end]
        self.judged = self.calls[-1] if self.calls else None
        self.collections: dict[str, int] = {}
        for call in self.calls:  # the first collection created is the main one
            if call["operation"] == "CreateCollection":
                self.collections.setdefault(call["params"].get("CollectionId"), 0)
                break
        self.faces: dict[str, int] = {}
        self.tokens: dict[str, int] = {}
        self.persons: set[int] = set()
        steps: list[rt.Step] = []
        for call in self.calls:
            steps.append(self._step(call))
        self.steps = self._group(steps)

    def _collection(self, name: Any) -> Any:
        if not isinstance(name, str) or name in UNNAMEABLE_COLLECTION_IDS:
            # "!!!" (AF-INPUT) names no collection and no run: a fresh, valid name in its
            # place would turn the validation error it wants into ResourceNotFoundException.
            return name
        return rt.Coll(self.collections.setdefault(name, len(self.collections)))

    def _value(self, key: str, value: Any) -> Any:
        if key == "CollectionId":
            return self._collection(value)
        if key == "ClientRequestToken" and isinstance(value, str) and _TOKEN.fullmatch(value):
            return rt.Token(self.tokens.setdefault(value, len(self.tokens)), len(value))
        if isinstance(value, dict):
            return {k: self._value(k, v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._value(key, v) for v in value]
        if isinstance(value, str) and value in self.faces:
            return rt.Face(self.faces[value])
        return value

    def _step(self, call: dict[str, Any]) -> rt.Step:
        params = {k: self._value(k, v) for k, v in call["params"].items()}
        binds: list[int] = []
        if call["operation"] == "IndexFaces":
            note = call.get("note") or {}
            name = str(note.get("image", ""))
            if isinstance(note.get("person"), int) and name.startswith("face_image("):
                self.persons.add(note["person"])
                params["Image"] = {"Bytes": rt.Image(note["person"])}
            elif name:
                params["Image"] = {"Bytes": rt.Photo(name)}
            for face_id in _indexed_faces(call):
                binds.append(self.faces.setdefault(face_id, len(self.faces) + 1))
        return rt.Step(call["operation"], params, raw=bool(call.get("raw_client")),
                       binds=binds)

    def _group(self, steps: list[rt.Step]) -> list[rt.Step | rt.Concurrently]:
        """Calls of one concurrent_group become one Concurrently; runs of one call, a loop."""
        out: list[rt.Step | rt.Concurrently] = []
        groups: dict[Any, rt.Concurrently] = {}
        for call, step in zip(self.calls, steps, strict=True):
            group = call.get("concurrent_group")
            if group is None:
                out.append(step)
            elif group in groups:
                groups[group].steps.append(step)
            else:
                groups[group] = rt.Concurrently(step)
                out.append(groups[group])
        folded: list[rt.Step | rt.Concurrently] = []
        for i, item in enumerate(out):
            prev = folded[-1] if folded else None
            if (i < len(out) - 1 and isinstance(item, rt.Step) and isinstance(prev, rt.Step)
                    and _same(prev, item)):
                prev.repeat += 1
            else:
                folded.append(item)
        steps_out: list[rt.Step | rt.Concurrently] = []
        for item in folded:
            if isinstance(item, rt.Concurrently) and len(item.steps) == 1:
                steps_out.append(item.steps[0])
            elif isinstance(item, rt.Step) and item.repeat == 2:  # a loop only for 3 or more
                item.repeat = 1
                width = len(item.binds)
                steps_out += [item, rt.Step(item.op, item.params, raw=item.raw,
                                            binds=[b + width for b in item.binds])]
            else:
                steps_out.append(item)
        return steps_out

    def symbols(self) -> dict[str, str]:
        out = {face_id: f"face_{k}" for face_id, k in self.faces.items()}
        out.update((name, repr(rt.Coll(i))) for name, i in self.collections.items())
        return out

    def deviating(self) -> Any:
        """The recorded answer of the judged step (all answers of a judged group), normalised."""
        if self.judged is None:
            return None
        symbols = self.symbols()
        group = self.judged.get("concurrent_group")
        if group is None:
            return rt.normalise_outcome(self.judged["outcome"], symbols)
        answers = [rt.normalise_outcome(c["outcome"], symbols) for c in self.calls
                   if c.get("concurrent_group") == group]
        return sorted(answers, key=lambda v: json.dumps(v, sort_keys=True))


def _same(a: rt.Step, b: rt.Step) -> bool:
    """Steps that are one loop: the same call, each IndexFaces binding the next faces."""
    if (a.op, repr(a.params), a.raw, len(a.binds)) != (b.op, repr(b.params), b.raw,
                                                       len(b.binds)):
        return False
    width = len(a.binds)
    return all(nb == na + a.repeat * width for na, nb in zip(a.binds, b.binds, strict=True))


def file_names(clauses: list[str]) -> list[str]:
    """``<clause>-<n>.py`` for each finding in order, ``n`` counting per clause from 1."""
    seen: dict[str, int] = {}
    names = []
    for clause in clauses:
        seen[clause] = seen.get(clause, 0) + 1
        names.append(f"{re.sub(r'[^A-Za-z0-9_.-]', '_', clause)}-{seen[clause]}.py")
    return names


def write_files(findings: list[Any], directory: Path) -> list[Path]:
    """Write each finding's ``reproducer`` text as ``directory/<clause>-<n>.py``; return them."""
    if not findings:
        return []
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for finding, name in zip(findings, file_names([f.clause for f in findings]), strict=True):
        path = directory / name
        path.write_text(finding.reproducer, encoding="utf-8", newline="\n")
        path.chmod(0o755)
        paths.append(path)
    return paths
