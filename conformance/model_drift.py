"""What a run's record keeps of the botocore service model, and what changed between two.

The model hash (``versions["model"]``) says *that* the model changed; this says
*what*: for the eight operations the suite judges, their input and output
shapes, the shapes those reach (types, members, required members, enums,
limits and patterns) and their error lists, without documentation. It is a few
kilobytes, small enough for ``result.json``, so ``conformance diff`` can list a
new enum value, a changed limit or a dropped error between a record written
with one botocore and one written with another.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

OPERATIONS: tuple[str, ...] = (
    "AssociateFaces", "DisassociateFaces", "CreateUser", "DeleteUser", "ListUsers",
    "IndexFaces", "ListFaces", "DeleteFaces",
)
# What a change of each kept property is called, one line per change.
_LIST_WORDS = {"enum": "value", "errors": "error", "required": "required member"}

Summary = dict[str, Any]


def summarise(model: Mapping[str, Any]) -> Summary:
    """The part of a botocore ``service-2`` model that the eight operations rely on."""
    from conformance.schemas import _reachable

    operations: dict[str, Any] = {}
    reached: set[str] = set()
    for name in OPERATIONS:
        op = model["operations"][name]
        entry: dict[str, Any] = {"errors": sorted(e["shape"] for e in op.get("errors", []))}
        for key in ("input", "output"):
            if key in op:
                entry[key] = op[key]["shape"]
                reached.update(_reachable(model["shapes"], op[key]["shape"]))
        operations[name] = entry
    return {"operations": operations,
            "shapes": {name: _shape(model["shapes"][name]) for name in sorted(reached)}}


def _shape(shape: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": shape["type"]}
    for key in ("min", "max", "pattern"):
        if key in shape:
            out[key] = shape[key]
    if "enum" in shape:
        out["enum"] = sorted(shape["enum"])
    if shape["type"] == "structure":
        out["members"] = {m: ref["shape"] for m, ref in sorted(shape["members"].items())}
        if shape.get("required"):
            out["required"] = sorted(shape["required"])
    for key in ("member", "key", "value"):
        if key in shape:
            out[key] = shape[key]["shape"]
    return out


@functools.cache
def _installed() -> str:
    import json

    from conformance.schemas import _service_model

    return json.dumps(summarise(_service_model()), sort_keys=True)


def installed_summary() -> Summary:
    """The summary of the installed botocore's model (a fresh copy each call)."""
    import json

    summary: Summary = json.loads(_installed())
    return summary


def changes(old: Summary, new: Summary) -> list[str]:
    """Each change from ``old`` to ``new``, one line each, e.g.
    ``UnsuccessfulFaceAssociationReason enum: value NEW added (AssociateFaces)``."""
    lines: list[str] = []
    # Where a shape is used: in the new model, or the old one for a shape that is gone.
    users = _operations_by_shape(old) | _operations_by_shape(new)

    def where(name: str) -> str:
        return f" ({', '.join(users[name])})" if name in users and name not in OPERATIONS else ""

    old_shapes, new_shapes = old.get("shapes", {}), new.get("shapes", {})
    whole = set(old_shapes) ^ set(new_shapes)
    for name in sorted(whole):
        state = "added" if name in new_shapes else "removed"
        lines.append(f"{name}: shape {state}{where(name)}")
    old_flat, new_flat = dict(_flatten(old)), dict(_flatten(new))
    for key in sorted(set(old_flat) | set(new_flat)):
        before, after = old_flat.get(key), new_flat.get(key)
        owner, _, prop = key.partition(" ")
        if before == after or owner in whole:
            continue
        if isinstance(before, list) or isinstance(after, list):
            word = _LIST_WORDS.get(prop, "item")
            lines += [f"{key}: {word} {item} added{where(owner)}"
                      for item in after or [] if item not in (before or [])]
            lines += [f"{key}: {word} {item} removed{where(owner)}"
                      for item in before or [] if item not in (after or [])]
        elif prop.startswith("member ") and (before is None or after is None):
            state = f"added, shape {after}" if before is None else f"removed (was shape {before})"
            lines.append(f"{owner}: {prop} {state}{where(owner)}")
        else:
            lines.append(f"{key}: {_shown(before)} -> {_shown(after)}{where(owner)}")
    return lines


def _flatten(summary: Summary) -> Iterator[tuple[str, Any]]:
    """(key, value) pairs: "AssociateFaces errors" -> [...], "UserId max" -> 128,
    "AssociateFacesRequest member FaceIds" -> "UserFaceIdList", ...; lists stay lists."""
    for owner in ("operations", "shapes"):
        for name, props in summary.get(owner, {}).items():
            for prop, value in props.items():
                if prop == "members":
                    for member, shape in value.items():
                        yield f"{name} member {member}", shape
                else:
                    yield f"{name} {prop}", value


def _operations_by_shape(summary: Summary) -> dict[str, list[str]]:
    """For each shape and operation, the operations whose input or output reaches it."""
    shapes = summary.get("shapes", {})
    out: dict[str, list[str]] = {}
    for op, entry in summary.get("operations", {}).items():
        out.setdefault(op, []).append(op)
        stack = [entry[k] for k in ("input", "output") if k in entry]
        seen: set[str] = set()
        while stack:
            name = stack.pop()
            if name in seen or name not in shapes:
                continue
            seen.add(name)
            out.setdefault(name, []).append(op)
            shape = shapes[name]
            stack += list(shape.get("members", {}).values())
            stack += [shape[k] for k in ("member", "key", "value") if k in shape]
    return {name: sorted(set(ops)) for name, ops in out.items()}


def _shown(value: Any) -> str:
    return "(absent)" if value is None else repr(value) if isinstance(value, str) else str(value)
