"""Turn a failing test case's API calls into steps a person reads and a script they paste.

Ids are normalised the way LocalStack's parity tests do it: every FaceId the
target handed out becomes ``face_1``, ``face_2``..., the collection becomes
``COLLECTION``, so two runs of the same minimal example print the same text and
a bug report does not leak the run's random names.
"""

from __future__ import annotations

import json
import re
from typing import Any


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


def _indexed_face(call: dict[str, Any]) -> str | None:
    body = call["outcome"].get("body") or {}
    records = body.get("FaceRecords") or []
    return str(records[0]["Face"]["FaceId"]) if records else None


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


def script(calls: list[dict[str, Any]], *, endpoint_url: str | None, region: str) -> str:
    """A self-contained boto3 script that sends the same calls, ids bound to variables."""
    names = _Names(_collections(calls))
    endpoint = f", endpoint_url={endpoint_url!r}" if endpoint_url else ""
    out = [
        "# Reproducer written by the Rekognition conformance suite.",
        "import boto3",
        "from botocore.config import Config",
        "from botocore.exceptions import ClientError",
        "from conformance.images import face_image  # pip install rekognition-conformance",
        "",
        f"client = boto3.client('rekognition', region_name={region!r}{endpoint},",
        "                      config=Config(parameter_validation=False))",
        *(f"{name} = 'conformance-repro{i or ''}'"
          for i, name in enumerate(names.collections.values())),
        "",
        "def call(method, **params):",
        "    # A refused call is part of what is reproduced: show it and go on.",
        "    try:",
        "        return getattr(client, method)(**params)",
        "    except ClientError as error:",
        "        return error.response['Error']",
        "",
    ]
    if endpoint_url:
        out.insert(5, "# Dummy credentials are fine for an emulator: "
                      "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing")
    for call in calls:
        operation = call["operation"]
        method = re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
        params = dict(call["params"])
        if operation == "IndexFaces":
            face = _indexed_face(call)
            image = call.get("note", {}).get("image", "face_image(0)")
            source = image if image.startswith("face_image(") else f"open({image!r}, 'rb').read()"
            target = f"{names.name_face(face)} = " if face else ""
            suffix = "['FaceRecords'][0]['Face']['FaceId']" if face else ""
            out.append(f"{target}client.index_faces(CollectionId=COLLECTION, "
                       f"Image={{'Bytes': {source}}}){suffix}")
            continue
        args = ", ".join(f"{k}={names.text(v)}" for k, v in params.items())
        out.append(f"response = call({method!r}, {args})")
        if operation not in ("CreateCollection", "DeleteCollection"):
            out.append(f"print({operation!r}, response)  # the suite saw: "
                       f"{_outcome_text(names, call)[:200]}")
    # Faces are bound to names in call order; ids the target never handed out stay literal.
    return "\n".join(out) + "\n"
