"""Self-validation: the catalogue covers the register, and the self-test scores it honestly."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from conformance.clauses import AMBIGUITIES, CLAUSES
from conformance.cli import main
from conformance.emulator.behaviour import DEFAULT_READINGS, DEVIATIONS, Behaviour
from conformance.errors import ConfigError
from conformance.mutants import (
    BY_NAME,
    CATALOGUE,
    MULTI_MUTANTS,
    MUTANTS,
    NEEDS_OPERATION,
    PARTLY_NEEDS_OPERATION,
    SEVERAL_CLAUSES,
    VARIANTS,
    Entry,
    MultiMutant,
    Mutant,
)
from conformance.results import ClauseResult, FindingRecord, RunResult, SuiteErrorRecord
from conformance.runner import run_suite
from conformance.selftest import (
    DEFAULT_SEED,
    README_END,
    README_START,
    EntryResult,
    Outcome,
    SelftestResult,
    _record,
    _run_entry_once,
    consistency,
    entry_seed,
    observed_readings,
    run_selftest,
    select,
)
from conformance.selftest.multi import score_multi
from conformance.selftest.report import markdown, multi_rows, table_lines, update_readme
from conformance.targets import Target

# Three clauses the dev profile reaches quickly, and one variant: the real run stays short.
SUBSET = ("move-owned-face", "threshold-range-unchecked", "new-user-active",
          "owner-id-requested")


# --------------------------------------------------------------------------- the catalogue


def test_every_clause_has_a_mutant() -> None:
    covered = {m.clause for m in MUTANTS}
    assert set(CLAUSES) - covered == set()
    assert covered <= set(CLAUSES)


def test_every_deviation_is_one_mutant_seeding_only_itself() -> None:
    assert sorted(m.name for m in MUTANTS) == sorted(DEVIATIONS.keys() - SEVERAL_CLAUSES)
    assert {d for m in MULTI_MUTANTS for d in m.deviations} >= SEVERAL_CLAUSES
    for mutant in MUTANTS:
        assert mutant.behaviour.deviations == {mutant.name}
        assert mutant.description == DEVIATIONS[mutant.name]


def test_every_non_default_reading_has_a_variant() -> None:
    single = {(v.ambiguity, reading) for v in VARIANTS if v.ambiguity is not None
              for amb, reading in v.behaviour.readings.items() if amb == v.ambiguity}
    wanted = {(a.id, r) for a in AMBIGUITIES.values() for r in a.readings
              if r != DEFAULT_READINGS[a.id]}
    assert wanted <= single
    # One reading per ambiguity at once: of several non-default ones, the last.
    combined = BY_NAME["all-other-readings"].behaviour.readings
    assert all(combined[amb] != DEFAULT_READINGS[amb] for amb, _ in wanted)
    assert {(amb, combined[amb]) for amb, _ in wanted} <= wanted


def test_filled_to_cap_is_tried_with_both_readings_of_the_cap() -> None:
    caps = {v.behaviour.readings["AMB-CAP"] for v in VARIANTS
            if v.behaviour.readings["AMB-CAP-CROSS"] == "filled-to-cap"}
    assert caps >= set(AMBIGUITIES["AMB-CAP"].readings)


def test_variants_are_legal_and_timing_variants_exercise_the_transport() -> None:
    for variant in VARIANTS:
        assert variant.behaviour.deviations == frozenset(), variant.name
    assert 0 < BY_NAME["slow-settle"].behaviour.settle_seconds < 10
    assert 0 < BY_NAME["creating-user"].behaviour.creating_seconds < 10
    assert BY_NAME["throttled"].behaviour.throttle_every > 0
    assert BY_NAME["faulty"].behaviour.fault_every > 0


def test_names_are_unique() -> None:
    assert len(BY_NAME) == len(CATALOGUE)


def test_refusal_mutant_pins_the_readings_it_needs() -> None:
    readings = BY_NAME["refusal-not-rolled-back"].behaviour.readings
    assert readings["AMB-CAP"] == "exception"
    assert readings["AMB-CAP-CROSS"] == "refused-whole"


# --------------------------------------------------------------------------- multi-fault mutants

SINGLE_CLAUSE = {m.name: m.clause for m in MUTANTS}


def test_multi_fault_mutants_are_many_deviations_each_on_a_clause_of_its_own() -> None:
    assert len([m for m in MULTI_MUTANTS if len(m.deviations) >= 10]) >= 3
    for multi in MULTI_MUTANTS:
        clauses = multi.clauses()
        assert len(clauses) >= 10, multi.name
        assert len(set(clauses)) == len(clauses), multi.name  # one deviation per clause
        # Each deviation is named with the clause its own mutant breaks; one that breaks
        # several (a stub's) has no mutant of its own, and names each clause it breaks.
        for deviation, named in multi.deviations.items():
            if isinstance(named, str):
                assert SINGLE_CLAUSE[deviation] == named, multi.name
            else:
                assert deviation not in SINGLE_CLAUSE and len(named) > 1, multi.name
        assert multi.behaviour.deviations == set(multi.deviations)
        assert multi.behaviour.missing_operations == multi.missing_operations
        assert isinstance(BY_NAME[multi.name], MultiMutant)


def test_multi_fault_mutants_mix_every_part_of_the_api() -> None:
    # AssociateFaces, DisassociateFaces, users, listings and tokens, across the catalogue
    # and, but for the operation one leaves out, within each.
    parts = {"AF": ("AF-",), "DF": ("DF-",), "users": ("CU-", "DU-"),
             "listings": ("LIST-",), "tokens": ("-TOKEN-",)}
    for multi in MULTI_MUTANTS:
        clauses = multi.clauses()
        shown = {part for part, marks in parts.items()
                 if any(mark in c for mark in marks for c in clauses)}
        wanted = set(parts) - ({"DF"} if "DisassociateFaces" in multi.missing_operations
                               else set())
        assert shown >= wanted, (multi.name, wanted - shown)


def test_one_multi_fault_mutant_leaves_an_operation_out() -> None:
    missing = [m for m in MULTI_MUTANTS if m.missing_operations]
    assert missing
    for multi in missing:
        assert multi.missing_operations <= NEEDS_OPERATION.keys()
        # None of its deviations is on a clause it cannot check.
        needed = set().union(*(NEEDS_OPERATION[op] for op in multi.missing_operations))
        assert not needed & set(multi.clauses()), multi.name
    assert set(PARTLY_NEEDS_OPERATION) <= set(NEEDS_OPERATION)


MULTI = MultiMutant("m", {"cap-off-by-one": "AF-CAP-USER", "df-no-release": "DF-RELEASE",
                          "du-unknown-ok": "DU-NOT-FOUND"}, "three at once",
                    frozenset({"DeleteFaces"}), Behaviour())


def _run(states: dict[str, str], findings: list[str],
         errors: list[SuiteErrorRecord] | None = None) -> RunResult:
    """A run in which every clause passed but those in ``states``, with ``findings``."""
    clauses = [ClauseResult(c, "text", states.get(c, "passed"), 1,  # type: ignore[arg-type]
                            "no test case reached it" if states.get(c) == "not-checked" else "")
               for c in CLAUSES]
    found = [FindingRecord(c, f"{c} broke\nsecond line", "", [], "", 1, "") for c in findings]
    return RunResult("r", {}, "ci", "spec", 1, "", 1.0, "does-not-conform", clauses, found,
                     errors or [], {}, {}, {}, 1)


ALL_CAUGHT = {"AF-CAP-USER": "failed", "DF-RELEASE": "failed", "DU-NOT-FOUND": "failed"}
EXPECTED = ["AF-CAP-USER", "DF-RELEASE", "DU-NOT-FOUND"]


def test_every_deviation_caught_once_is_reported() -> None:
    score = score_multi(MULTI, _run(ALL_CAUGHT, EXPECTED))
    assert [d.result for d in score.deviations] == ["caught"] * 3
    assert score.ok and not score.problems
    assert score.deviations[0].detail == "AF-CAP-USER broke"


def test_a_missed_deviation_fails_and_is_named() -> None:
    score = score_multi(MULTI, _run({**ALL_CAUGHT, "DF-RELEASE": "not-checked"},
                                    ["AF-CAP-USER", "DU-NOT-FOUND"]))
    assert not score.ok
    missed = [d for d in score.deviations if d.result == "missed"]
    assert [(d.deviation, d.clause) for d in missed] == [("df-no-release", "DF-RELEASE")]
    assert missed[0].detail == "not-checked: no test case reached it"
    assert "2/3 deviations caught once" in score.summary()


def test_a_knock_on_clause_fails_the_self_test() -> None:
    score = score_multi(MULTI, _run({**ALL_CAUGHT, "CONC": "failed"}, [*EXPECTED, "CONC"]))
    assert all(d.result == "caught" for d in score.deviations)
    assert not score.ok
    assert [(p.clause, p.kind) for p in score.problems] == [("CONC", "knock-on")]
    assert "1 other clauses failed" in score.summary()


def test_a_clause_not_checked_that_the_operations_allow_fails_the_self_test() -> None:
    for state in ("not-checked", "blocked", "partly-checked"):
        score = score_multi(MULTI, _run({**ALL_CAUGHT, "LIST-USERS": state}, EXPECTED))
        assert not score.ok, state
        assert [(p.clause, p.kind, p.status) for p in score.problems] == [
            ("LIST-USERS", "not-judged", state)]


def test_clauses_that_need_the_missing_operation_may_go_unchecked() -> None:
    # MULTI leaves DeleteFaces out: DEL-OWNED and DEL-FACES cannot be judged.
    states = {**ALL_CAUGHT, "DEL-OWNED": "not-checked", "DEL-FACES": "blocked"}
    assert score_multi(MULTI, _run(states, EXPECTED)).ok
    # ... but another clause that does not need it may not.
    score = score_multi(MULTI, _run({**states, "DU-RELEASE": "not-checked"}, EXPECTED))
    assert [p.clause for p in score.problems] == ["DU-RELEASE"]
    # ... and a finding on a clause that needs it is still a wrong finding.
    score = score_multi(MULTI, _run({**states, "DEL-FACES": "failed"}, [*EXPECTED, "DEL-FACES"]))
    assert [(p.clause, p.kind) for p in score.problems] == [("DEL-FACES", "knock-on")]


def test_a_clause_with_some_cases_needing_the_missing_operation_may_be_partly_checked() -> None:
    no_df = MultiMutant("n", {"cap-off-by-one": "AF-CAP-USER"}, "", frozenset(
        {"DisassociateFaces"}), Behaviour())
    states = {"AF-CAP-USER": "failed", "AF-STATUS": "partly-checked",
              **{c: "not-checked" for c in NEEDS_OPERATION["DisassociateFaces"]}}
    assert score_multi(no_df, _run(states, ["AF-CAP-USER"])).ok
    states["AF-STATUS"] = "not-checked"
    assert [p.clause for p in score_multi(no_df, _run(states, ["AF-CAP-USER"])).problems] == [
        "AF-STATUS"]


def test_duplicate_findings_for_one_deviation_are_flagged() -> None:
    score = score_multi(MULTI, _run(ALL_CAUGHT, [*EXPECTED, "DF-RELEASE"]))
    assert not score.ok
    duplicate = [d for d in score.deviations if d.result == "duplicate"]
    assert [(d.deviation, d.findings) for d in duplicate] == [("df-no-release", 2)]
    assert "1 reported more than once" in score.summary()


def test_a_run_error_fails_the_self_test() -> None:
    score = score_multi(MULTI, _run(ALL_CAUGHT, EXPECTED, [
        SuiteErrorRecord("cleanup", "left a collection"),
        SuiteErrorRecord("transport", "connection refused")]))
    assert score.errors == ["connection refused"] and not score.ok


def test_multi_fault_table_shows_each_deviation() -> None:
    score = score_multi(MULTI, _run({**ALL_CAUGHT, "DU-NOT-FOUND": "not-checked",
                                     "CONC": "failed", "LIST-USERS": "not-checked",
                                     "SCHEMA": "not-checked"},
                                    ["AF-CAP-USER", "DF-RELEASE", "DF-RELEASE", "CONC"]))
    entry = _record(MULTI, 1, "incomplete", 2.0, 10, ["AF-CAP-USER"], "", score=score)
    assert entry.kind == "multi" and not entry.ok
    assert entry.subject == "3 deviations, no DeleteFaces"
    assert multi_rows(entry) == [
        ("cap-off-by-one", "AF-CAP-USER", "caught"),
        ("df-no-release", "DF-RELEASE", "caught, but 2 findings (duplicates)"),
        ("du-unknown-ok", "DU-NOT-FOUND", "missed (not-checked: no test case reached it)"),
        ("(none seeded)", "CONC", "wrongly reported as CONC, 1 finding: CONC broke"),
        ("(not judged)", "SCHEMA, LIST-USERS", "not-checked: no test case reached it"),
    ]
    result = SelftestResult("ci", 0, 2, 3.0, [_entry("a", "caught", ["AF-SHAPE"]), entry])
    assert not result.ok
    text = "\n".join(table_lines(result))
    assert ("1/1 mutants caught under their own clause alone, 0/0 variants pass, "
            "0/1 multi-fault mutants fully reported") in text
    assert "m: incomplete (3 deviations, no DeleteFaces)" in text
    assert "incomplete: m: 1/3 deviations caught once, 1 reported more than once" in text
    page = markdown(result)
    assert "| ↳ `du-unknown-ok` | DU-NOT-FOUND | missed (not-checked: " in page
    assert "| `m` | 3 deviations, no DeleteFaces | **incomplete**: 1/3 deviations" in page
    assert result.to_json()["entries"][1]["deviations"][1]["result"] == "duplicate"


def test_run_selftest_uses_every_core_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 7)
    assert run_selftest([]).jobs == 7  # nothing to run: no worker starts
    with pytest.raises(ConfigError, match="--jobs must be at least 1"):
        run_selftest([], jobs=0)


# --------------------------------------------------------------------------- plumbing


def test_entry_seed_depends_on_base_and_name_only() -> None:
    assert entry_seed(0, "no-lock") == entry_seed(0, "no-lock")
    assert entry_seed(0, "no-lock") != entry_seed(1, "no-lock")
    assert entry_seed(0, "no-lock") != entry_seed(0, "cap-off-by-one")


def test_select_keeps_catalogue_order_and_refuses_unknown_names() -> None:
    assert [e.name for e in select(CATALOGUE, ["no-lock", "move-owned-face"])] == [
        "move-owned-face", "no-lock"]
    with pytest.raises(ConfigError, match="did you mean 'no-lock'"):
        select(CATALOGUE, ["no-lok"])


def _entry(name: str, result: Outcome, failed: list[str], subject: str = "AF-SHAPE"
           ) -> EntryResult:
    if result in ("passed", "FAILED"):
        return EntryResult(name, "variant", subject, "d|e", "pass", result, 1.0, 10, failed, 1,
                           "[AF-STATUS] why")
    return EntryResult(name, "mutant", subject, "d|e", "fail", result, 1.0, 10, failed, 1,
                       "[AF-STATUS] why")


def test_table_marks_a_mutant_caught_under_another_clause() -> None:
    result = SelftestResult("dev", 0, 2, 3.0, [
        _entry("a", "caught", ["AF-SHAPE"]), _entry("b", "caught", ["AF-STATUS"]),
        _entry("v", "passed", [], subject="AMB-CAP")])
    text = "\n".join(table_lines(result))
    assert "AF-STATUS (not AF-SHAPE)" in text
    assert result.ok and result.exit_code == 0
    assert "2/2 mutants caught under their own clause alone, 1/1 variants pass" in text
    assert "d\\|e" in markdown(result)  # a pipe in a description must not split the cell
    assert result.to_json()["entries"][1]["expected_clause_failed"] is False


def test_a_failed_variant_fails_the_self_test() -> None:
    result = SelftestResult("dev", 0, 2, 3.0, [_entry("v", "FAILED", ["AF-STATUS"])])
    assert result.exit_code == 1
    assert "**FAILED**" in markdown(result)
    assert "FAILED: v: [AF-STATUS] why" in table_lines(result)


def test_the_report_says_which_seeds_ran() -> None:
    one = SelftestResult("ci", 4, 2, 3.0, [_entry("a", "caught", ["AF-SHAPE"])])
    three = dataclasses.replace(one, seeds=3)
    assert "(profile `ci`, seed 4, 2 jobs" in markdown(one)
    assert "seeds 4, 5 and 6, each entry with each" in markdown(three)
    assert "seeds 4, 5 and 6" in table_lines(three)[-1]
    assert three.to_json()["seeds"] == 3


def test_update_readme_replaces_only_the_section(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# T\n\nbefore\n{README_START}\nold\n{README_END}\nafter\n")
    update_readme(readme, "new table\n")
    update_readme(readme, "new table\n")  # idempotent
    assert readme.read_text() == f"# T\n\nbefore\n{README_START}\nnew table\n{README_END}\nafter\n"
    readme.write_text("# no markers\n")
    with pytest.raises(ConfigError, match="no <!-- selftest:start -->"):
        update_readme(readme, "x")


@pytest.mark.parametrize("argv, message", [
    (["--only", "no-lock", "--readme"], "drop --only"),
    (["--only", "no-lok"], "did you mean 'no-lock'"),
    (["--profile", "weekly"], "unknown profile 'weekly'"),
])
def test_cli_usage_errors_are_one_line(argv: list[str], message: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["selftest", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


# --------------------------------------------------------------------------- real runs


@pytest.mark.slow
def test_a_real_self_test_catches_mutants_and_passes_a_variant(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["selftest", "--profile", "dev", "--jobs", "2", "--quiet",
                 "--only", *SUBSET, "--report-dir", str(tmp_path / "out")])
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "out" / "selftest.json").read_text())
    results = {e["name"]: e for e in report["entries"]}
    assert [e["name"] for e in report["entries"]] == [e.name for e in select(CATALOGUE, SUBSET)]
    for name in SUBSET[:3]:
        assert results[name]["result"] == "caught", results[name]
        # Which clause fails first is the suite's business; that one does is the point.
        assert results[name]["failed_clauses"], results[name]
        assert results[name]["calls"] > 0
    assert results["owner-id-requested"]["result"] == "passed", results["owner-id-requested"]
    assert code == 0
    assert "3/3 mutants caught under their own clause alone, 1/1 variants pass" in out
    assert "3/3 mutants caught under their own clause alone" in (
        tmp_path / "out" / "selftest.md").read_text()


@pytest.mark.slow
def test_a_mutant_that_is_not_caught_survives_and_fails_the_self_test() -> None:
    # The reference emulator labelled as a mutant: nothing is wrong with it to find.
    impostor = Mutant("reference-as-mutant", "AF-ASSOC", "no deviation at all", Behaviour())
    lines: list[str] = []
    result = run_selftest([impostor], profile="dev", jobs=1, seed=3, progress=lines.append)
    (entry,) = result.entries
    assert entry.result == "survived", entry
    assert entry.failed_clauses == [] and entry.expected_clause_failed is None
    assert result.exit_code != 0
    assert result.score_line() == ("0/1 mutants caught under their own clause alone, "
                                   "0/0 variants pass")
    assert len(lines) == 1 and "reference-as-mutant: survived" in lines[0]


# --------------------------------------------------------------------------- the whole catalogue
# CI runs every mutant, so a change that stops the suite catching any of them, or makes
# one fail another clause too, fails CI: under "dev", unshrunk (a few minutes for all). A passing
# variant is a whole run (two: the rerun with its readings pinned), and forty would not fit
# CI's time, so CI runs a representative few under "dev": the reference, every non-default
# reading at once, and the transport's timing variants. Slow settling is CI's in
# tests/test_settle_readings.py (variants that settle in 0.2 s) and tests/test_aws_target.py;
# slow-settle itself waited 100 s alone at the end of CI.
# `conformance selftest` runs all of them under "ci".
CI_VARIANTS = ("reference", "all-other-readings", "throttled", "faulty")


# In shards, so that pytest's workers share them out (a single test of every mutant was
# the last to finish, alone, for minutes). Each entry runs as the self-test runs it, with
# the seed it gives it, but in the test's own process: a spawned worker per entry (the
# CLI's isolation, tested above) cost 1.5 s of start-up each, 100 s of CI's CPU in all.
MUTANT_SHARDS = 12


def _entry_result(entry: Entry) -> EntryResult:
    return _run_entry_once(entry, "dev", entry_seed(DEFAULT_SEED, entry.name))


@pytest.mark.slow
@pytest.mark.parametrize("shard", range(MUTANT_SHARDS))
def test_every_mutant_is_caught_under_its_own_clause_alone(shard: int) -> None:
    results = [_entry_result(m) for m in MUTANTS[shard::MUTANT_SHARDS]]
    wrong = [(e.name, e.subject, e.result, e.failed_clauses) for e in results
             if e.result != "caught"]
    assert not wrong


@pytest.mark.slow
@pytest.mark.parametrize("variant", CI_VARIANTS)
def test_representative_legal_variants_pass(variant: str) -> None:
    result = _entry_result(BY_NAME[variant])
    assert (result.name, result.result) == (variant, "passed"), result.detail


# ------------------------------------------------------------- one behaviour, one profile


def test_observed_readings_are_one_per_ambiguity_or_named_as_mixed() -> None:
    run = dataclasses.replace(_run({}, []), behaviour_profile={
        "AMB-CAP": {"exception": 3}, "AMB-TOKEN-SCOPE": {"per-operation": 2, "shared": 1},
        "AMB-BUSY": {}})
    single, mixed = observed_readings(run)
    assert single == {"AMB-CAP": "exception"}
    assert mixed == ["AMB-TOKEN-SCOPE: per-operation + shared"]


@pytest.mark.slow
def test_a_variant_is_held_to_its_pinned_rerun_and_to_no_drift() -> None:
    target = Target(name="reference", kind="embedded", behaviour=Behaviour())
    first = run_suite(target, profile="dev", seed=2)
    assert first.verdict == "conforms"
    # The run and a rerun with every reading it showed pinned: no drift.
    assert consistency(target, first, "dev", 2) == ""
    # A record claiming a reading the target never shows: the pinned rerun fails on it.
    claimed = dataclasses.replace(first, behaviour_profile={
        **first.behaviour_profile, "AMB-EMPTY-AGAIN": {"ACTIVE": 1}})
    problem = consistency(target, claimed, "dev", 2)
    assert problem.startswith("the rerun with its"), problem
    mixed = dataclasses.replace(first, behaviour_profile={
        **first.behaviour_profile, "AMB-CAP": {"exception": 1, "unsuccessful-entries": 1}})
    assert consistency(target, mixed, "dev", 2).startswith("mixed readings: AMB-CAP")
