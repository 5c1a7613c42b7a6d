"""Schemas compiled to plain Python, and the ECMA-262 patterns of the schemas in Python's ``re``.

``schemas.py`` builds JSON Schemas from the botocore model and validates with
jsonschema, which words the errors. Walking jsonschema costs about a millisecond
a body, and a run validates thousands: the ``Compiler`` here turns each schema,
once, into Python source that decides valid bodies in microseconds. Anything it
doubts still goes to jsonschema, so the verdict on an invalid body is unchanged.
"""

from __future__ import annotations

import base64
import binascii
import functools
import itertools
import json
import re
import sys
import unicodedata
from collections.abc import Callable
from typing import Any

JSON = dict[str, Any]

Check = Callable[[Any], bool]
# Keywords that only annotate: they never make an instance invalid.
_ANNOTATIONS = frozenset({"$schema", "title", "description", "contentEncoding", "$comment"})


class Unsupported(Exception):
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
        self._compiled: re.Pattern[str] | None = None

    def search(self, text: str) -> re.Match[str] | None:
        if self._compiled is None:
            self._compiled = python_regex(self.pattern)
        return self._compiled.search(text)


class Compiler:
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
            raise Unsupported(repr(schema))
        out: list[str] = []
        # The type first: when it is one type, the other keywords need not test it again.
        typed = None
        if "type" in schema:
            value = schema["type"]
            names = [value] if isinstance(value, str) else list(value)
            if any(n not in _TYPE_TESTS for n in names):
                raise Unsupported(f"type {value!r}")
            tests = {**_TYPE_TESTS, **(_REQUEST_TYPE_TESTS if self.request else {})}
            out.append(f"if not ({' or '.join(tests[n] for n in names)}): return False")
            typed = _GUARDS.get(names[0]) if len(names) == 1 else None
        for keyword, value in schema.items():
            if keyword == "contentEncoding" and self.request:
                if value != "base64":
                    raise Unsupported(f"contentEncoding {value!r}")
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
                raise Unsupported("enum of non-strings")
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
        raise Unsupported(keyword)


@functools.cache
def python_regex(pattern: str) -> re.Pattern[str]:
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
