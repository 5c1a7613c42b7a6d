"""The code every reproducer script carries: it needs boto3 and the standard library, nothing else.

``conformance.reproducer`` copies the source of this module, from the
``# --- markers ---`` line on, into each script it writes, so keep it free of
any import from ``conformance`` and of anything but the standard library and
boto3/botocore. The module is importable on its own so that it is linted,
type-checked and unit-tested like the rest of the suite.
"""

from __future__ import annotations

# --- markers ---
import argparse
import base64
import hashlib
import json
import os
import sys
import threading
import uuid
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError


class Coll:
    """The i-th collection of the recorded run (0: the main one), renamed for this run."""

    def __init__(self, index: int) -> None:
        self.index = index

    def __repr__(self) -> str:
        return "COLLECTION" if self.index == 0 else f"Coll({self.index})"


class Face:
    """The k-th face IndexFaces handed out, counted from 1 in call order."""

    def __init__(self, number: int) -> None:
        self.number = number

    def __repr__(self) -> str:
        return f"Face({self.number})"


class Token:
    """A ClientRequestToken of the recorded run, made fresh (same length) for this run."""

    def __init__(self, index: int, length: int) -> None:
        self.index, self.length = index, length

    def __repr__(self) -> str:
        return f"Token({self.index}, {self.length})"


class Image:
    """The synthetic face image of one person: its PNG bytes are in IMAGES."""

    def __init__(self, person: int) -> None:
        self.person = person

    def __repr__(self) -> str:
        return f"Image({self.person})"


class Photo:
    """A photo file the recorded run read (live AWS): read from the same path."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"Photo({self.path!r})"


class Step:
    """One API call. ``binds``: the faces its FaceRecords are, in order; ``repeat``: a loop."""

    def __init__(self, op: str, params: dict[str, Any], *, raw: bool = False,
                 binds: list[int] | None = None, repeat: int = 1) -> None:
        self.op, self.params, self.raw = op, params, raw
        self.binds, self.repeat = binds or [], repeat

    def __repr__(self) -> str:
        extra = (", raw=True" if self.raw else "") + (
            f", binds={self.binds!r}" if self.binds else "") + (
            f", repeat={self.repeat}" if self.repeat != 1 else "")
        return f"Step({self.op!r}, {self.params!r}{extra})"


class Concurrently:
    """Calls the recorded run sent at once: sent from threads released by one barrier."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)

    def __repr__(self) -> str:
        inner = "".join(f"\n    {step!r}," for step in self.steps)
        return f"Concurrently({inner}\n)"


COLLECTION = Coll(0)

# --- machinery ---

# Answer fields that differ between runs or targets and say nothing about the clause.
VOLATILE = frozenset({
    "ResponseMetadata", "FaceModelVersion", "IndexFacesModelVersion", "ImageId",
    "BoundingBox", "FaceDetail", "CollectionArn", "NextToken", "CreationTimestamp",
    "OrientationCorrection", "Landmarks", "Pose", "Quality",
})


def normalise(value: Any, symbols: dict[str, str]) -> Any:
    """Ids to names, volatile fields dropped, lists sorted: two runs of a step compare equal.

    ``Confidence`` is dropped (detection confidence) except on an entry that has
    ``Reasons``: there it is the match confidence the clause is about.
    """
    if isinstance(value, dict):
        return {k: normalise(v, symbols) for k, v in value.items()
                if k not in VOLATILE and not (k == "Confidence" and "Reasons" not in value)}
    if isinstance(value, list):
        items = [normalise(v, symbols) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, float):
        return round(value, 1)
    if isinstance(value, str):
        return symbols.get(value, value)
    return value


def normalise_outcome(outcome: dict[str, Any], symbols: dict[str, str]) -> dict[str, Any]:
    """An answer as compared: the normalised body, or the error code alone."""
    if "error" in outcome:
        return {"error": outcome["error"]}
    return {"body": normalise(outcome.get("body") or {}, symbols)}


def _matches(item: Any, pattern: Any) -> bool:
    if isinstance(pattern, dict):
        return isinstance(item, dict) and all(
            k in item and _matches(item[k], v) for k, v in pattern.items())
    return bool(item == pattern)


def _at(value: Any, path: str) -> Any:
    """``a.b[*].c``: keys, with ``[*]`` flattening a list; a missing key gives None."""
    values, many = [value], False
    for part in (p for p in path.split(".") if p):
        flatten = part.endswith("[*]")
        key = part[:-3] if flatten else part
        nxt: list[Any] = []
        for v in values:
            v = v.get(key) if key and isinstance(v, dict) else (v if not key else None)
            if flatten:
                nxt.extend(v if isinstance(v, list) else [])
            else:
                nxt.append(v)
        values, many = nxt, many or flatten
    return values if many else values[0]


def check(answer: Any, expectation: dict[str, Any]) -> bool:
    """One machine-checkable expectation on a normalised answer (``conformance.reproducer``)."""
    got, op, want = _at(answer, expectation.get("path", "")), expectation["op"], \
        expectation.get("value")
    items = got if isinstance(got, list) else ([] if got is None else [got])
    if op == "equals":
        return _matches(got, want)
    if op == "one_of":
        return any(_matches(got, w) for w in want or [])
    if op == "includes":
        return any(_matches(i, want) for i in items)
    if op == "excludes":
        return not any(_matches(i, want) for i in items)
    if op == "at_most":
        return sum(1 for i in items if _matches(i, want)) <= int(expectation["n"])
    raise ValueError(f"unknown expectation op {op!r}")


def _snake(operation: str) -> str:
    return "".join("_" + c.lower() if c.isupper() and i else c.lower()
                   for i, c in enumerate(operation))


class Replay:
    """One run of the steps against one target, in fresh collections it deletes at the end."""

    def __init__(self, client: Any, raw_client: Any, collection: str,
                 images: dict[int, str]) -> None:
        self.clients = {False: client, True: raw_client}
        self.collection = collection
        self.images = images
        self.salt = uuid.uuid4().hex
        self.faces: dict[int, str] = {}
        self.collections: dict[str, int] = {collection: 0}
        self.created: list[str] = []
        self.lock = threading.Lock()

    # --- names -----------------------------------------------------------------------

    def collection_name(self, index: int) -> str:
        name = self.collection if index == 0 else f"{self.collection}-{index}"
        self.collections[name] = index
        return name

    def symbols(self) -> dict[str, str]:
        """Live id -> the name the recorded steps use for it."""
        out = {face_id: f"face_{k}" for k, face_id in self.faces.items()}
        out.update((name, repr(Coll(index))) for name, index in self.collections.items())
        return out

    def resolve(self, value: Any) -> Any:
        if isinstance(value, Coll):
            return self.collection_name(value.index)
        if isinstance(value, Face):
            # A face whose IndexFaces failed here: a well-formed id this collection lacks.
            return self.faces.get(value.number, f"00000000-0000-4000-8000-{value.number:012d}")
        if isinstance(value, Token):
            digest = hashlib.sha256(f"{self.salt}{value.index}".encode()).hexdigest()
            return (digest * 2)[:value.length]
        if isinstance(value, Image):
            return base64.b64decode(self.images[value.person])
        if isinstance(value, Photo):
            with open(value.path, "rb") as handle:
                return handle.read()
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def describe(self, step: Step, iteration: int) -> str:
        def show(value: Any) -> Any:
            if isinstance(value, Image):
                return f"<face_image({value.person})>"
            if isinstance(value, Photo):
                return f"<{value.path}>"
            if isinstance(value, Face):
                return f"face_{value.number}"
            if isinstance(value, (Coll, Token)):
                return repr(value)
            if isinstance(value, dict):
                return {k: show(v) for k, v in value.items()}
            if isinstance(value, list):
                return [show(v) for v in value]
            return value
        del iteration
        params = {k: show(v) for k, v in step.params.items() if k != "CollectionId"}
        where = step.params.get("CollectionId")
        args = ", ".join(f"{k}={json.dumps(v)}" for k, v in params.items())
        if isinstance(where, Coll) and where.index:
            args = f"CollectionId={where!r}" + (", " + args if args else "")
        raw = " [no client-side validation]" if step.raw else ""
        return _short(f"{step.op}({args}){raw}", 300)

    # --- calls -----------------------------------------------------------------------

    def send(self, step: Step, iteration: int = 0) -> dict[str, Any]:
        client = self.clients[step.raw]
        params = self.resolve(step.params)
        try:
            body = getattr(client, _snake(step.op))(**params)
            body.pop("ResponseMetadata", None)
            outcome: dict[str, Any] = {"body": body}
        except ClientError as exc:
            error = exc.response.get("Error", {})
            outcome = {"error": error.get("Code", "?"), "message": error.get("Message", "")}
        except ParamValidationError as exc:
            outcome = {"error": "ParamValidationError", "message": str(exc)}
        with self.lock:
            if step.op == "CreateCollection" and "body" in outcome:
                self.created.append(params["CollectionId"])
            records = (outcome.get("body") or {}).get("FaceRecords")
            # A record of another shape than the model's names no face, and binds nothing.
            faces = [r.get("Face") for r in records if isinstance(r, dict)] \
                if isinstance(records, list) else []
            named = [f["FaceId"] for f in faces
                     if isinstance(f, dict) and isinstance(f.get("FaceId"), str)]
            width = len(step.binds)
            for j, number in enumerate(step.binds):
                if j < len(named):
                    self.faces[number + iteration * width] = named[j]
        return outcome

    def answer_text(self, outcome: dict[str, Any]) -> str:
        if "error" in outcome:
            return _short(f"{outcome['error']}: {' '.join(outcome['message'].split())}", 300)
        return _short(json.dumps(normalise(outcome["body"], self.symbols()), sort_keys=True), 300)

    def run_step(self, number: int, step: Step) -> dict[str, Any]:
        print(f"[{number}] {self.describe(step, 0)}"
              + (f"  x{step.repeat}" if step.repeat > 1 else ""))
        outcomes = [self.send(step, i) for i in range(step.repeat)]
        print(f"    -> {self.answer_text(outcomes[0])}")
        if step.repeat > 1:
            kinds: dict[str, int] = {}
            for outcome in outcomes:
                kind = outcome.get("error", "ok")
                kinds[kind] = kinds.get(kind, 0) + 1
            print(f"    ({step.repeat} calls: "
                  + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) + ")")
        return outcomes[-1]

    def run_group(self, number: int, group: Concurrently) -> list[dict[str, Any]]:
        print(f"[{number}] at once, from {len(group.steps)} threads:")
        barrier = threading.Barrier(len(group.steps))
        outcomes: list[dict[str, Any]] = [{} for _ in group.steps]
        errors: list[BaseException] = []

        def worker(i: int, step: Step) -> None:
            try:
                barrier.wait(timeout=30)
                outcomes[i] = self.send(step)
            except BaseException as exc:  # re-raised in the main thread
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(i, s)) for i, s in enumerate(group.steps)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        for step, outcome in zip(group.steps, outcomes, strict=True):
            print(f"    {self.describe(step, 0)}\n      -> {self.answer_text(outcome)}")
        return outcomes

    def cleanup(self) -> None:
        client = self.clients[False]
        for name in dict.fromkeys(self.created):
            try:
                client.delete_collection(CollectionId=name)
                print(f"deleted collection {name}")
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                    print(f"could not delete collection {name}: {exc}", file=sys.stderr)
            except BotoCoreError as exc:
                print(f"could not delete collection {name}: {exc}", file=sys.stderr)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 5] + " ...}"


def _clients(args: argparse.Namespace, recorded_region: str) -> tuple[Any, Any]:
    session = boto3.session.Session()
    region = args.region or session.region_name or recorded_region
    extra: dict[str, Any] = {"region_name": region}
    if args.endpoint_url:
        extra["endpoint_url"] = args.endpoint_url
        if session.get_credentials() is None:  # an emulator takes any credentials
            extra.update(aws_access_key_id="testing", aws_secret_access_key="testing")
    config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10,
                    read_timeout=60)
    raw = config.merge(Config(parameter_validation=False))
    return session.client("rekognition", config=config, **extra), \
        session.client("rekognition", config=raw, **extra)


def main(steps: list[Step | Concurrently], oracle: dict[str, Any], images: dict[int, str],
         info: dict[str, str], argv: list[str] | None = None) -> int:
    """Replay the steps, judge the last one; 1: the deviation shows, 0: it does not, 2: error."""
    parser = argparse.ArgumentParser(description=f"Reproduce {info['clause']}: "
                                     f"{info['message']}")
    parser.add_argument("--endpoint-url", default=os.environ.get("REPRO_ENDPOINT_URL"),
                        help="the target (default: AWS, with the credentials and region of "
                             "the environment)")
    parser.add_argument("--region", help="default: the environment's, else "
                                         f"{info['region']}")
    parser.add_argument("--collection", help="the collection to create and delete "
                                             "(default: a fresh repro-<hex>)")
    args = parser.parse_args(argv)
    print(f"clause:   {info['clause']}")
    print(f"spec:     {info['expected']}")
    print(f"recorded: {info['message']}")
    print()
    try:
        client, raw_client = _clients(args, info["region"])
    except BotoCoreError as exc:
        print(f"cannot make a client: {exc}", file=sys.stderr)
        return 2
    replay = Replay(client, raw_client, args.collection or f"repro-{uuid.uuid4().hex[:12]}",
                    images)
    print(f"collection: {replay.collection}\n")
    last: Any = None
    try:
        first = steps[0] if steps else None
        if not (isinstance(first, Step) and first.op == "CreateCollection"
                and isinstance(first.params.get("CollectionId"), Coll)
                and first.params["CollectionId"].index == 0):
            replay.send(Step("CreateCollection", {"CollectionId": COLLECTION}))
        for number, step in enumerate(steps, 1):
            if isinstance(step, Concurrently):
                last = replay.run_group(number, step)
            else:
                last = replay.run_step(number, step)
    except (BotoCoreError, OSError) as exc:
        print(f"\ncould not run the steps: {exc}", file=sys.stderr)
        return 2
    finally:
        replay.cleanup()
    symbols = replay.symbols()
    answer: Any = ([normalise_outcome(o, symbols) for o in last] if isinstance(last, list)
                   else normalise_outcome(last or {}, symbols))
    if isinstance(answer, list):
        answer = sorted(answer, key=lambda v: json.dumps(v, sort_keys=True))
    print()
    expectations = oracle.get("expect") or []
    if expectations:
        failed = [e for e in expectations if not check(answer, e)]
        for e in expectations:
            mark = "FAILS" if e in failed else "holds"
            print(f"{mark}: {e.get('says') or json.dumps(e, sort_keys=True)}")
        shows = bool(failed)
    else:
        shows = answer == oracle["deviating"]
        print("the last answer, normalised:  " + json.dumps(answer, sort_keys=True))
        print("the recorded deviating answer: " + json.dumps(oracle["deviating"], sort_keys=True))
    print()
    if shows:
        print(f"DEVIATION SHOWS ({info['clause']}): {info['message']}")
        return 1
    print(f"no deviation: the last answer is not the recorded deviating one "
          f"({info['clause']} holds here)" if not expectations else
          f"no deviation: {info['clause']} holds here")
    return 0
