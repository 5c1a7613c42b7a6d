"""JSON Schemas of the requests and responses, generated from the botocore model.

The schemas are committed (``schemas/``) so that a change of the botocore model
shows up as a diff in review, and a test fails when they fall out of sync.
Responses are validated on the raw JSON the server sent, before botocore
parses it, because botocore's parser is lenient (it drops unknown members and
turns epoch numbers into datetimes) and would hide exactly what the suite checks.

    python -m conformance.schemas            # regenerate schemas/
    python -m conformance.schemas --check    # exit 1 if schemas/ is stale
"""

from __future__ import annotations

import argparse
import base64
import binascii
import functools
import hashlib
import json
import math
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import conformance
from conformance.errors import SuiteError
from conformance.schema_compile import Check, Compiler, Unsupported, python_regex

SERVICE = "rekognition"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
OPERATIONS: tuple[str, ...] = (
    "CreateCollection", "DeleteCollection", "DescribeCollection", "ListCollections",
    "IndexFaces", "ListFaces", "DeleteFaces", "CreateUser", "DeleteUser", "ListUsers",
    "AssociateFaces", "DisassociateFaces", "SearchUsers", "SearchUsersByImage",
)
INDEX = "index.json"
REGENERATE = "run: python -m conformance.schemas"
# Recorded for the reader; a new botocore release with the same model is not drift.
_INFORMATIONAL_INDEX_KEYS = frozenset({"generated_with_botocore"})

Direction = Literal["request", "response"]
JSON = dict[str, Any]


# --------------------------------------------------------------------------- generation


def _service_model() -> JSON:
    import botocore.session

    loader = botocore.session.get_session().get_component("data_loader")
    model: JSON = loader.load_service_model(SERVICE, "service-2")
    return model


def _botocore_version() -> str:
    import botocore

    return str(botocore.__version__)


def _reachable(shapes: Mapping[str, JSON], root: str) -> list[str]:
    seen: dict[str, None] = {}
    stack = [root]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen[name] = None
        shape = shapes[name]
        if shape["type"] == "structure":
            stack.extend(m["shape"] for m in shape["members"].values())
        elif shape["type"] == "list":
            stack.append(shape["member"]["shape"])
        elif shape["type"] == "map":
            stack.extend((shape["key"]["shape"], shape["value"]["shape"]))
    return sorted(seen)


def _anchored(pattern: str) -> str:
    """The botocore pattern as a whole-string match.

    botocore patterns are searched, like JSON Schema's, and most are not anchored;
    the service applies them to the whole value, so ``"abc!"`` is not a UserId.
    """
    if pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$") \
            and not _has_top_level_alternation(pattern):
        return pattern
    return f"^(?:{pattern})$"


def _has_top_level_alternation(pattern: str) -> bool:
    depth, in_class, i = 0, False, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
        i += 1
    return False


def _shape_schema(shape: JSON, direction: Direction) -> JSON:
    kind = shape["type"]
    schema: JSON
    if kind == "structure":
        schema = {
            "type": "object",
            "properties": {name: _ref(m["shape"]) for name, m in shape["members"].items()},
            # Requests are closed so that a misspelt member is caught; responses are
            # open because newer API versions add members, which is not a deviation.
            "additionalProperties": direction == "response",
        }
        if shape.get("required"):
            schema["required"] = list(shape["required"])
        if shape.get("union"):
            schema["minProperties"] = schema["maxProperties"] = 1
    elif kind == "string":
        schema = {"type": "string"}
        if "enum" in shape:
            schema["enum"] = list(shape["enum"])
        _bounds(schema, shape, "minLength", "maxLength")
        if "pattern" in shape:
            schema["pattern"] = _anchored(shape["pattern"])
    elif kind == "list":
        schema = {"type": "array", "items": _ref(shape["member"]["shape"])}
        _bounds(schema, shape, "minItems", "maxItems")
        if direction == "response":
            # A list shape's minimum is written for requests (FaceIdList: 1..4096); the
            # same shape in a response may be empty (DeleteFaces that deleted nothing).
            schema.pop("minItems", None)
    elif kind == "map":
        schema = {
            "type": "object",
            "propertyNames": _ref(shape["key"]["shape"]),
            "additionalProperties": _ref(shape["value"]["shape"]),
        }
        _bounds(schema, shape, "minProperties", "maxProperties")
    elif kind in ("integer", "long"):
        schema = {"type": "integer"}
        _bounds(schema, shape, "minimum", "maximum")
    elif kind in ("float", "double"):
        schema = {"type": "number"}
        _bounds(schema, shape, "minimum", "maximum")
    elif kind == "boolean":
        schema = {"type": "boolean"}
    elif kind == "timestamp":
        # The JSON protocol sends epoch seconds; a string is allowed for ISO 8601 members.
        schema = {"type": ["number", "string"]}
    elif kind == "blob":
        # Bounds of a blob count bytes; base64 turns n bytes into 4 * ceil(n / 3) characters.
        schema = {"type": "string", "contentEncoding": "base64"}
        if "min" in shape:
            schema["minLength"] = 4 * math.ceil(shape["min"] / 3)
        if "max" in shape:
            schema["maxLength"] = 4 * math.ceil(shape["max"] / 3)
    else:
        raise ValueError(f"botocore shape type {kind!r} has no JSON Schema mapping: "
                         "extend conformance/schemas.py")
    return schema


def _bounds(schema: JSON, shape: JSON, low: str, high: str) -> None:
    if "min" in shape:
        schema[low] = shape["min"]
    if "max" in shape:
        schema[high] = shape["max"]


def _ref(shape_name: str) -> JSON:
    return {"$ref": f"#/$defs/{shape_name}"}


def _operation_schema(model: JSON, operation: str, direction: Direction) -> JSON:
    op = model["operations"][operation]
    key = "input" if direction == "request" else "output"
    schema: JSON = {
        "$schema": DIALECT,
        "title": f"Rekognition {operation} {direction}",
        "description": f"Generated by conformance.schemas from the botocore model of "
                       f"{SERVICE} {model['metadata']['apiVersion']}; do not edit.",
    }
    if key not in op:
        # No input or output shape: the body is an empty JSON object.
        schema.update({"type": "object", "additionalProperties": direction == "response"})
        return schema
    root = op[key]["shape"]
    shapes = model["shapes"]
    schema["$ref"] = f"#/$defs/{root}"
    schema["$defs"] = {name: _shape_schema(shapes[name], direction)
                       for name in _reachable(shapes, root)}
    return schema


def _strip_docs(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_docs(v) for k, v in value.items() if k != "documentation"}
    if isinstance(value, list):
        return [_strip_docs(v) for v in value]
    return value


def _model_digest(model: JSON) -> str:
    """sha256 of what the suite relies on: the operations and every shape they reach.

    Documentation is left out: a reworded sentence is not drift of the API.
    """
    shapes: set[str] = set()
    operations = {}
    for name in OPERATIONS:
        op = model["operations"][name]
        operations[name] = _strip_docs(op)
        for key in ("input", "output"):
            if key in op:
                shapes.update(_reachable(model["shapes"], op[key]["shape"]))
        shapes.update(err["shape"] for err in op.get("errors", []))
    relevant = {
        "operations": operations,
        "shapes": {name: _strip_docs(model["shapes"][name]) for name in sorted(shapes)},
    }
    canonical = json.dumps(relevant, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@functools.cache
def model_fingerprint() -> str:
    """sha256 of the installed botocore model's operations and shapes the suite relies on.

    The same digest as ``model_sha256`` in ``schemas/index.json``; reports carry it so
    that two runs can tell whether the model changed between them.
    """
    return _model_digest(_service_model())


def _file_name(operation: str, direction: Direction) -> str:
    return f"{operation}.{direction}.json"


def generate_schemas() -> dict[str, JSON]:
    """Every schema file, by file name, including ``index.json``."""
    model = _service_model()
    files: dict[str, JSON] = {}
    operations: JSON = {}
    for operation in OPERATIONS:
        for direction in ("request", "response"):
            files[_file_name(operation, direction)] = _operation_schema(model, operation,
                                                                         direction)
        operations[operation] = {
            "request": _file_name(operation, "request"),
            "response": _file_name(operation, "response"),
            "errors": sorted(err["shape"] for err in model["operations"][operation]
                             .get("errors", [])),
        }
    files[INDEX] = {
        "service": SERVICE,
        "api_version": model["metadata"]["apiVersion"],
        "dialect": DIALECT,
        "generated_with_botocore": _botocore_version(),
        "model_sha256": _model_digest(model),
        "operations": operations,
    }
    return files


def _dumps(schema: JSON) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(directory: Path) -> list[str]:
    """Write the schemas into ``directory``; return the names of files that changed.

    Unchanged files are not rewritten, and ``*.json`` files that are no longer
    generated are removed: the directory belongs to the generator.
    """
    directory.mkdir(parents=True, exist_ok=True)
    files = generate_schemas()
    changed: list[str] = []
    for name, schema in files.items():
        path = directory / name
        text = _dumps(schema)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(name)
    for stale in directory.glob("*.json"):
        if stale.name not in files:
            stale.unlink()
            changed.append(stale.name)
    return sorted(changed)


def check_schemas(directory: Path) -> list[str]:
    """Names of the files in ``directory`` that differ from freshly generated ones.

    Missing and stale files count. ``index.json`` is compared without the botocore
    version it was generated with, so that only a change of the model is reported.
    """
    files = generate_schemas()
    differ: list[str] = []
    for name, schema in files.items():
        path = directory / name
        if not path.is_file():
            differ.append(name)
            continue
        text = path.read_text(encoding="utf-8")
        if name == INDEX:
            try:
                committed = json.loads(text)
            except json.JSONDecodeError:
                differ.append(name)
                continue
            if _without_informational(committed) != _without_informational(schema):
                differ.append(name)
        elif text != _dumps(schema):
            differ.append(name)
    differ.extend(p.name for p in directory.glob("*.json") if p.name not in files)
    return sorted(differ)


def _without_informational(index: Any) -> Any:
    if not isinstance(index, dict):
        return index
    return {k: v for k, v in index.items() if k not in _INFORMATIONAL_INDEX_KEYS}


# --------------------------------------------------------------------------- validation


def schema_dir() -> Path:
    """Where the schemas are: inside the installed package, else the source checkout."""
    package = Path(conformance.__file__).resolve().parent
    installed = package / "schemas"
    if (installed / INDEX).is_file():
        return installed
    return package.parent / "schemas"


def _repo_schema_dir() -> Path | None:
    root = Path(conformance.__file__).resolve().parent.parent
    return root / "schemas" if (root / "pyproject.toml").is_file() else None


@functools.cache
def _validator(operation: str, direction: Direction) -> Any:
    from jsonschema import Draft202012Validator, validators

    cls = validators.extend(Draft202012Validator, {"pattern": _pattern_keyword})
    return cls(_inline_refs(*_schema(operation, direction)))


def _schema(operation: str, direction: Direction) -> tuple[JSON, JSON]:
    """The committed schema of ``operation`` and its ``$defs``."""
    if operation not in OPERATIONS:
        raise ValueError(f"no schema for operation {operation!r}; known: "
                         f"{', '.join(OPERATIONS)}")
    path = schema_dir() / _file_name(operation, direction)
    try:
        schema: JSON = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SuiteError(f"schema {path} not found; {REGENERATE}") from None
    return schema, schema.get("$defs", {})


def _inline_refs(node: Any, defs: dict[str, Any], depth: int = 0) -> Any:
    """Replace every local ``$ref`` by its definition.

    jsonschema resolves a ``$ref`` anew on every visit, which made validation most
    of a run's time; the Rekognition shapes used here are not recursive, so the
    schema can be flattened once.
    """
    if depth > 40:
        raise SuiteError("schema nests deeper than 40 levels: a recursive shape?")
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline_refs(defs[ref.removeprefix("#/$defs/")], defs, depth + 1)
        return {k: _inline_refs(v, defs, depth + 1) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(v, defs, depth + 1) for v in node]
    return node


@functools.cache
def request_validator(operation: str) -> Any:
    """The request schema of ``operation`` read with a server's eyes, compiled once.

    A member sent as null counts as absent, an integer member must not be a float
    (``1.0``), a number must be finite (a failure of keyword "finite") and a blob
    valid base64 (a failure of "contentEncoding"). ``iter_errors(params)`` gives
    every way a request as a server receives it breaks the schema; the reference
    emulator words its errors from them.
    """
    from jsonschema import Draft202012Validator, validators
    from jsonschema import _keywords as keywords
    from jsonschema.exceptions import ValidationError

    def present(instance: Any) -> Any:
        return {k: v for k, v in instance.items() if v is not None} \
            if isinstance(instance, dict) else instance

    def properties(validator: Any, value: Any, instance: Any, schema: JSON) -> Iterator[Any]:
        yield from keywords.properties(validator, value, present(instance), schema)

    def required(validator: Any, names: Any, instance: Any, schema: JSON) -> Iterator[Any]:
        if isinstance(instance, dict):
            for name in names:
                if instance.get(name) is None:
                    yield ValidationError(f"{name!r} is a required property", path=(name,))

    def finite_type(validator: Any, types: Any, instance: Any, schema: JSON) -> Iterator[Any]:
        if (types == "number" and isinstance(instance, float)
                and not math.isfinite(instance)):
            yield ValidationError(f"{instance!r} is not a finite number", validator="finite")
            return
        yield from keywords.type(validator, types, instance, schema)

    def base64_encoded(validator: Any, encoding: Any, instance: Any,
                       schema: JSON) -> Iterator[Any]:
        if encoding == "base64" and isinstance(instance, str):
            try:
                base64.b64decode(instance, validate=True)
            except (binascii.Error, ValueError):
                yield ValidationError(f"{_one_line(repr(instance))} is not base64")

    checker = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool))
    cls = validators.extend(Draft202012Validator, {
        "pattern": _pattern_keyword, "properties": properties, "required": required,
        "type": finite_type, "contentEncoding": base64_encoded}, type_checker=checker)
    return cls(_inline_refs(*_schema(operation, "request")))


def _validate(operation: str, direction: Direction, body: Any) -> list[str]:
    errors = sorted(_validator(operation, direction).iter_errors(body),
                    key=lambda e: (e.json_path, e.message))
    return [_one_line(f"{e.json_path}: {e.message}") for e in errors]


def validate_response(operation: str, body: Any) -> list[str]:
    """One line per way ``body`` (the raw JSON the server sent) breaks the schema."""
    if _fast_check(operation, "response")(body):
        return []  # valid for certain: no need for jsonschema, which costs 1 ms a body
    return list(_validate_cached(operation, "response",
                                 json.dumps(body, sort_keys=True, default=str)))


@functools.cache
def _fast_check(operation: str, direction: Direction) -> Check:
    """A plain-Python predicate, generated once per schema: True means ``body`` is valid.

    It is exact for the keywords the generated schemas use, and conservative for the
    rest: False (or a schema with a keyword it does not know, which compiles to
    ``False`` always) only sends the body to jsonschema, which decides and words the
    errors. So a valid body costs some dict look-ups, and the verdict on an invalid one
    is jsonschema's, as before. The predicate is Python source, one function per
    schema node: jsonschema's own walk costs about a millisecond a body.
    """
    compiler = Compiler(request=direction == "request")
    validator = request_validator(operation) if direction == "request" else \
        _validator(operation, direction)
    try:
        root = compiler.node(validator.schema)
    except Unsupported:
        return lambda _: False
    namespace: dict[str, Any] = {"_c": compiler.constants, "_absent": object()}
    exec(compile("\n".join(compiler.lines), f"<schema {operation} {direction}>", "exec"),
         namespace)
    check: Check = namespace[root]
    return check


def request_is_valid(operation: str, params: Any) -> bool:
    """True when ``params`` certainly has no fault ``request_validator`` would find.

    False says nothing: ask ``request_validator(operation).iter_errors`` then.
    """
    return _fast_check(operation, "request")(params)


@functools.lru_cache(maxsize=8192)
def _validate_cached(operation: str, direction: Direction, body_json: str) -> tuple[str, ...]:
    # A run lists the same pages again and again (settling, verifying): validate each once.
    return tuple(_validate(operation, direction, json.loads(body_json)))


def validate_request(operation: str, body: Any) -> list[str]:
    """One line per way ``body`` (the JSON to send) breaks the schema."""
    return _validate(operation, "request", body)


def _one_line(message: str, limit: int = 300) -> str:
    # jsonschema quotes whole instances in messages; reports want one short line each.
    flat = " ".join(message.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _pattern_keyword(validator: Any, pattern: str, instance: Any, schema: JSON) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not python_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


# --------------------------------------------------------------------------- command


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conformance.schemas",
        description="Generate the JSON Schemas of the Rekognition operations from the "
                    "installed botocore model.")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if the schemas differ from the model")
    parser.add_argument("--dir", type=Path, default=None,
                        help="schema directory (default: schemas/ of the source checkout)")
    args = parser.parse_args(argv)
    directory: Path | None = args.dir or _repo_schema_dir()
    if directory is None:
        print("conformance.schemas: not running from a source checkout; pass --dir DIR",
              file=sys.stderr)
        return 2
    if args.check:
        differ = check_schemas(directory)
        if differ:
            print(f"schemas out of date in {directory}: {', '.join(differ)}", file=sys.stderr)
            print(REGENERATE, file=sys.stderr)
            return 1
        print(f"schemas in {directory} match botocore {_botocore_version()}")
        return 0
    changed = write_schemas(directory)
    print(f"wrote {len(changed)} changed file(s) to {directory}"
          + (f": {', '.join(changed)}" if changed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
