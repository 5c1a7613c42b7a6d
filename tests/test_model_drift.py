"""Drift of the service model: the record keeps the eight operations' model, and
``conformance diff`` lists each change. One botocore is installed here, so the newer
model is a copy of it edited in the test."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from conformance import model_drift
from conformance.cli import main
from conformance.report import diff_lines, diff_results, to_json
from conformance.results import RunResult
from conformance.schemas import _service_model


def _edited() -> dict[str, Any]:
    """The installed model with an enum value added, a limit changed, an error removed and
    a member added."""
    model = copy.deepcopy(_service_model())
    model["shapes"]["UnsuccessfulFaceAssociationReason"]["enum"].append("FACE_TOO_SMALL")
    model["shapes"]["UserFaceIdList"]["max"] = 50
    errors = model["operations"]["AssociateFaces"]["errors"]
    model["operations"]["AssociateFaces"]["errors"] = [
        e for e in errors if e["shape"] != "ConflictException"]
    model["shapes"]["ListUsersRequest"]["members"]["StatusFilter"] = {"shape": "UserStatus"}
    return model


EXPECTED = [
    "AssociateFaces errors: error ConflictException removed",
    "ListUsersRequest: member StatusFilter added, shape UserStatus (ListUsers)",
    "UnsuccessfulFaceAssociationReason enum: value FACE_TOO_SMALL added (AssociateFaces)",
    "UserFaceIdList max: 100 -> 50 (AssociateFaces, DisassociateFaces)",
]


def test_each_change_is_one_line() -> None:
    assert model_drift.changes(model_drift.installed_summary(),
                               model_drift.summarise(_edited())) == EXPECTED


def test_the_summary_covers_the_eight_operations_and_is_small() -> None:
    summary = model_drift.installed_summary()
    assert set(summary["operations"]) == set(model_drift.OPERATIONS)
    assert summary["operations"]["AssociateFaces"]["input"] == "AssociateFacesRequest"
    assert summary["shapes"]["UserId"] == {"type": "string", "min": 1, "max": 128,
                                           "pattern": "[a-zA-Z0-9_.\\-:]+"}
    assert "documentation" not in json.dumps(summary)
    assert len(json.dumps(summary)) < 20_000
    assert model_drift.changes(summary, model_drift.installed_summary()) == []


def test_a_shape_added_or_removed_is_one_line() -> None:
    model = copy.deepcopy(_service_model())
    model["shapes"]["Limit"] = {"type": "integer", "min": 1}
    model["shapes"]["ListUsersRequest"]["members"]["Limit"] = {"shape": "Limit"}
    new = model_drift.summarise(model)
    assert model_drift.changes(model_drift.installed_summary(), new) == [
        "Limit: shape added (ListUsers)",
        "ListUsersRequest: member Limit added, shape Limit (ListUsers)"]
    assert model_drift.changes(new, model_drift.installed_summary()) == [
        "Limit: shape removed (ListUsers)",
        "ListUsersRequest: member Limit removed (was shape Limit) (ListUsers)"]


def _record(summary: dict[str, Any], model_hash: str) -> RunResult:
    return RunResult("run-" + model_hash, {"name": "x", "kind": "embedded"}, "dev", "spec", 0,
                     "2026-01-01T00:00:00+00:00", 1.0, "conforms", [], [], [], {}, {}, {}, 1,
                     versions={"botocore": "1.0", "model": model_hash},
                     service_model=summary)


def test_diff_reports_the_model_changes_and_exits_1(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "old.json"
    new = tmp_path / "new.json"
    old.write_text(to_json(_record(model_drift.installed_summary(), "aaa")), encoding="utf-8")
    new.write_text(to_json(_record(model_drift.summarise(_edited()), "bbb")), encoding="utf-8")
    assert main(["diff", str(old), str(new)]) == 1
    out = capsys.readouterr().out.splitlines()
    start = out.index("service model changed (AssociateFaces and the operations around it):")
    assert out[start + 1:start + 1 + len(EXPECTED)] == [f"  {line}" for line in EXPECTED]
    assert "  model: aaa -> bbb" in out

    assert main(["diff", str(old), str(old)]) == 0


def test_a_record_without_the_model_compares_the_hash_only() -> None:
    old = dataclasses.replace(_record({}, "aaa"))
    new = _record(model_drift.installed_summary(), "bbb")
    difference = diff_results(old, new)
    assert difference.changed
    assert any("holds no service model" in line for line in diff_lines(difference))
    assert not diff_results(old, dataclasses.replace(new, versions=old.versions)).model
