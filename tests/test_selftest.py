"""Self-validation: the catalogue covers the register, and the self-test scores it honestly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.clauses import AMBIGUITIES, CLAUSES
from conformance.cli import main
from conformance.emulator.behaviour import DEFAULT_READINGS, DEVIATIONS, Behaviour
from conformance.errors import ConfigError
from conformance.mutants import BY_NAME, CATALOGUE, MUTANTS, VARIANTS, Mutant
from conformance.selftest import (
    README_END,
    README_START,
    EntryResult,
    Outcome,
    SelftestResult,
    entry_seed,
    markdown,
    run_selftest,
    select,
    table_lines,
    update_readme,
)

# Three clauses the dev profile reaches quickly, and one variant: the real run stays short.
SUBSET = ("move-owned-face", "threshold-range-unchecked", "new-user-active",
          "owner-id-requested")


# --------------------------------------------------------------------------- the catalogue


def test_every_clause_has_a_mutant() -> None:
    covered = {m.clause for m in MUTANTS}
    assert set(CLAUSES) - covered == set()
    assert covered <= set(CLAUSES)


def test_every_deviation_is_one_mutant_seeding_only_itself() -> None:
    assert sorted(m.name for m in MUTANTS) == sorted(DEVIATIONS)
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
    assert BY_NAME["throttled"].behaviour.throttle_every > 0
    assert BY_NAME["faulty"].behaviour.fault_every > 0


def test_names_are_unique() -> None:
    assert len(BY_NAME) == len(CATALOGUE)


def test_refusal_mutant_pins_the_readings_it_needs() -> None:
    readings = BY_NAME["refusal-not-rolled-back"].behaviour.readings
    assert readings["AMB-CAP"] == "exception"
    assert readings["AMB-CAP-CROSS"] == "refused-whole"


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
    assert "2/2 mutants caught, 1/1 variants pass" in text
    assert "d\\|e" in markdown(result)  # a pipe in a description must not split the cell
    assert result.to_json()["entries"][1]["expected_clause_failed"] is False


def test_a_failed_variant_fails_the_self_test() -> None:
    result = SelftestResult("dev", 0, 2, 3.0, [_entry("v", "FAILED", ["AF-STATUS"])])
    assert result.exit_code == 1
    assert "**FAILED**" in markdown(result)
    assert "FAILED: v: [AF-STATUS] why" in table_lines(result)


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
    assert "3/3 mutants caught, 1/1 variants pass" in out
    assert "3/3 mutants caught" in (tmp_path / "out" / "selftest.md").read_text()


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
    assert result.score_line() == "0/1 mutants caught, 0/0 variants pass"
    assert len(lines) == 1 and "reference-as-mutant: survived" in lines[0]


# --------------------------------------------------------------------------- the whole catalogue
# CI runs every mutant, so a change that stops the suite catching any of them fails CI:
# under "ci", each stops at its first failure (about a minute for all fifty). A passing
# variant is a whole run, and sixteen would not fit CI's time, so CI runs a representative
# few under "dev": every non-default reading at once, and the three timing variants.
# `conformance selftest` runs all of them under "ci".
CI_VARIANTS = ("all-other-readings", "slow-settle", "throttled", "faulty")


@pytest.mark.slow
def test_every_mutant_is_caught_under_its_own_clause() -> None:
    result = run_selftest(list(MUTANTS), profile="ci", jobs=2)
    missed = [(e.name, e.subject, e.result, e.failed_clauses) for e in result.entries
              if not e.expected_clause_failed]
    assert not missed


@pytest.mark.slow
def test_representative_legal_variants_pass() -> None:
    result = run_selftest(select(CATALOGUE, CI_VARIANTS), profile="dev", jobs=2)
    assert [e.name for e in result.entries] == list(CI_VARIANTS)
    failed = [(e.name, e.result, e.detail) for e in result.entries if e.result != "passed"]
    assert not failed
