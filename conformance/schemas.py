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
import itertools
import json
import math
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import conformance
from conformance.errors import SuiteError

SERVICE = "rekognition"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
OPERATIONS: tuple[str, ...] = (
    "CreateCollection", "DeleteCollection", "DescribeCollection", "ListCollections",
    "IndexFaces", "ListFaces", "DeleteFaces", "CreateUser", "DeleteUser", "ListUsers",
    "AssociateFaces", "DisassociateFaces", "SearchUsers",
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


Check = Callable[[Any], bool]
# Keywords that only annotate: they never make an instance invalid.
_ANNOTATIONS = frozenset({"$schema", "title", "description", "contentEncoding", "$comment"})


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
    compiler = _Compiler(request=direction == "request")
    validator = request_validator(operation) if direction == "request" else \
        _validator(operation, direction)
    try:
        root = compiler.node(validator.schema)
    except _Unsupported:
        return lambda _: False
    namespace: dict[str, Any] = {"_c": compiler.constants, "_absent": object()}
    exec(compile("\n".join(compiler.lines), f"<schema {operation} {direction}>", "exec"),
         namespace)
    check: Check = namespace[root]
    return check


class _Unsupported(Exception):
    """A keyword the fast check does not implement: jsonschema decides every body."""


_TYPE_TESTS = {
    "object": "isinstance(v, dict)",
    "array": "isinstance(v, list)",
    "string": "isinstance(v, str)",
    "number": "(isinstance(v, (int, float)) and not isinstance(v, bool))",
    # Draft 2020-12: 1.0 is an integer.
    "integer": "((isinstance(v, int) and not isinstance(v, bool)) or "
               "(isinstance(v, float) and v.is_integer()))",
    "boolean": "isinstance(v, bool)",
    "null": "v is None",
}
_REQUEST_TYPE_TESTS = {
    "number": "((isinstance(v, int) and not isinstance(v, bool)) or "
              "(isinstance(v, float) and v - v == 0))",  # inf - inf and nan - nan are nan
    "integer": "(isinstance(v, int) and not isinstance(v, bool))",
}
# The Python kind a JSON type's keywords apply to; "number" stands for int or float.
_GUARDS = {"string": "str", "array": "list", "object": "dict", "number": "number",
           "integer": "number"}
_SIZED = {"minLength": ("str", ">="), "maxLength": ("str", "<="),
          "minItems": ("list", ">="), "maxItems": ("list", "<="),
          "minProperties": ("dict", ">="), "maxProperties": ("dict", "<=")}


def request_is_valid(operation: str, params: Any) -> bool:
    """True when ``params`` certainly has no fault ``request_validator`` would find.

    False says nothing: ask ``request_validator(operation).iter_errors`` then.
    """
    return _fast_check(operation, "request")(params)


def _is_base64(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


class _LazyRegex:
    """A schema's pattern, translated on first use: ``\\p{L}`` (TagKey) costs a pass over
    every Unicode code point, and most runs never send a tag."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def search(self, text: str) -> re.Match[str] | None:
        return _python_regex(self.pattern).search(text)


class _Compiler:
    """Python source for a (``$ref``-free) schema: one function per distinct node.

    ``request``: read the schema as ``request_validator`` does (null is absent, 1.0 is
    not an integer, numbers are finite, blobs are base64).
    """

    def __init__(self, request: bool = False) -> None:
        self.request = request
        self.lines: list[str] = []
        self.constants: list[Any] = []
        self.done: dict[str, str] = {}

    def const(self, value: Any) -> str:
        self.constants.append(value)
        return f"_c[{len(self.constants) - 1}]"

    def node(self, schema: Any) -> str:
        """The name of the function that checks ``schema``."""
        key = json.dumps(schema, sort_keys=True, default=repr)
        if key in self.done:
            return self.done[key]
        name = f"_check_{len(self.done)}"
        self.done[key] = name
        body = self.body(schema)
        self.lines += [f"def {name}(v):", *(f"    {line}" for line in body), "    return True",
                       ""]
        return name

    def body(self, schema: Any) -> list[str]:
        if schema is True:
            return []
        if not isinstance(schema, dict):
            raise _Unsupported(repr(schema))
        out: list[str] = []
        # The type first: when it is one type, the other keywords need not test it again.
        typed = None
        if "type" in schema:
            value = schema["type"]
            names = [value] if isinstance(value, str) else list(value)
            if any(n not in _TYPE_TESTS for n in names):
                raise _Unsupported(f"type {value!r}")
            tests = {**_TYPE_TESTS, **(_REQUEST_TYPE_TESTS if self.request else {})}
            out.append(f"if not ({' or '.join(tests[n] for n in names)}): return False")
            typed = _GUARDS.get(names[0]) if len(names) == 1 else None
        for keyword, value in schema.items():
            if keyword == "contentEncoding" and self.request:
                if value != "base64":
                    raise _Unsupported(f"contentEncoding {value!r}")
                out.append(f"if isinstance(v, str) and not {self.const(_is_base64)}(v): "
                           "return False")
            elif keyword not in _ANNOTATIONS and keyword != "type":
                out += self.keyword(keyword, value, schema, typed)
        return out

    def keyword(self, keyword: str, value: Any, schema: JSON, typed: str | None
                ) -> list[str]:
        def guard(kind: str) -> str:
            """The test that a keyword applies to ``v``; none when the type says it does."""
            if kind == typed:
                return ""
            return _TYPE_TESTS["number"] + " and " if kind == "number" else \
                f"isinstance(v, {kind}) and "

        fail = ": return False"
        if keyword == "enum":
            if not all(isinstance(e, str) for e in value):
                raise _Unsupported("enum of non-strings")
            return [f"if {guard('str')}v not in {self.const(frozenset(value))}{fail}"]
        if keyword in _SIZED:
            kind, op = _SIZED[keyword]
            return [f"if {guard(kind)}not len(v) {op} {int(value)}{fail}"]
        if keyword in ("minimum", "maximum"):
            op = ">=" if keyword == "minimum" else "<="
            # NaN fails the comparison: conservative, jsonschema then decides.
            return [f"if {guard('number')}not v {op} {self.const(value)}{fail}"]
        if keyword == "pattern":
            regex = self.const(_LazyRegex(value))
            return [f"if {guard('str')}{regex}.search(v) is None{fail}"]
        if keyword == "required":
            test = "v.get({!r}) is not None" if self.request else "{!r} in v"
            present = " and ".join(test.format(n) for n in value) or "True"
            return [f"if {guard('dict')}not ({present}){fail}"]
        if keyword == "items":
            item = self.node(value)
            return [f"if {guard('list')}True:", "    for x in v:",
                    f"        if not {item}(x){fail}"]
        if keyword == "properties":
            out = [f"if {guard('dict')}True:"]
            for name, sub in value.items():
                if sub is not True and sub != {}:
                    # A request's member sent as null counts as absent.
                    out.append(f"    x = v.get({name!r}{'' if self.request else ', _absent'})")
                    absent = "None" if self.request else "_absent"
                    out.append(f"    if x is not {absent} and not {self.node(sub)}(x){fail}")
            return out if len(out) > 1 else []
        if keyword == "propertyNames":
            names = self.node(value)
            return [f"if {guard('dict')}True:", "    for k in v:",
                    f"        if not {names}(k){fail}"]
        if keyword == "additionalProperties" and "patternProperties" not in schema:
            known = self.const(frozenset(schema.get("properties", {})))
            if value is False:
                return [f"if {guard('dict')}not {known}.issuperset(v){fail}"]
            if value is True or value == {}:
                return []
            extra = self.node(value)
            return [f"if {guard('dict')}True:", "    for k, x in v.items():",
                    f"        if k not in {known} and not {extra}(x){fail}"]
        raise _Unsupported(keyword)


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

    if validator.is_type(instance, "string") and not _python_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@functools.cache
def _python_regex(pattern: str) -> re.Pattern[str]:
    """The ECMA-262 pattern of a schema, as Python understands it.

    jsonschema runs patterns through ``re``, which differs from ECMA-262 where it
    matters here: ``$`` also matches before a final newline (so ``"abc\\n"`` would
    pass as a UserId), ``\\d`` and ``\\w`` match non-ASCII digits and letters, and
    ``\\p{L}`` (in the TagKey pattern) is a syntax error.
    """
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and pattern[i + 1: i + 2] in ("p", "P") and pattern[i + 2: i + 3] == "{":
            end = pattern.index("}", i)
            category, negated = pattern[i + 3: end], pattern[i + 1] == "P"
            ranges = _unicode_category_class(category)
            if in_class and negated:
                raise ValueError(f"\\P{{...}} inside a character class is not supported: "
                                 f"{pattern!r}")
            out.append(ranges if in_class else f"[{'^' if negated else ''}{ranges}]")
            i = end + 1
            continue
        if char == "\\":
            out.append(pattern[i: i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            out.append(r"\Z")
            i += 1
            continue
        out.append(char)
        i += 1
    return re.compile("".join(out), re.ASCII)


@functools.cache
def _category_runs() -> tuple[tuple[str, int, int], ...]:
    """(general category, first, last) for every run of code points, in one pass."""
    runs: list[tuple[str, int, int]] = []
    start = 0
    codes = map(chr, range(sys.maxunicode + 1))
    for category, group in itertools.groupby(map(unicodedata.category, codes)):
        length = sum(1 for _ in group)
        runs.append((category, start, start + length - 1))
        start += length
    return tuple(runs)


@functools.cache
def _unicode_category_class(category: str) -> str:
    """Character-class ranges of every code point whose general category starts with it."""
    if not re.fullmatch(r"[A-Z][a-z]?", category):
        raise ValueError(f"unsupported Unicode property \\p{{{category}}}")
    parts: list[str] = []
    for name, lo, hi in _category_runs():
        if name.startswith(category):
            parts.append(re.escape(chr(lo)) if lo == hi
                         else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}")
    return "".join(parts)


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
