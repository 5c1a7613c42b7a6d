"""Drift: what changed between two runs (``conformance diff OLD/result.json NEW/result.json``).

Only what says something about the target or the spec counts as a change:
clause statuses, the readings the target showed, findings, the verdict and
versions (a new botocore model may change the spec itself). Differences in how
the runs were made (profile, seed, target settings) and in how far they got
(hard states reached) are reported as notes, since they explain a change but
are not drift of the target.

Reading counts always vary between runs; a reading change is a change in
*which* readings were observed. A change of the service model (the eight
operations' shapes, enums, limits and errors, as each record holds them) is
one line per change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.model_drift import changes as model_changes
from conformance.results import FindingRecord, RunResult


@dataclass(frozen=True)
class StatusChange:
    clause: str
    old: str | None  # None: the clause was not in that run (register changed)
    new: str | None


@dataclass(frozen=True)
class ReadingChange:
    ambiguity: str
    old: tuple[str, ...]  # readings observed, sorted; () = not observed
    new: tuple[str, ...]


@dataclass(frozen=True)
class ValueChange:
    key: str
    old: str | None  # None: absent from that run
    new: str | None


@dataclass(frozen=True)
class RunDiff:
    old_run: str
    new_run: str
    verdict: ValueChange | None = None
    statuses: list[StatusChange] = field(default_factory=list)
    readings: list[ReadingChange] = field(default_factory=list)
    versions: list[ValueChange] = field(default_factory=list)
    new_findings: list[FindingRecord] = field(default_factory=list)
    gone_findings: list[FindingRecord] = field(default_factory=list)
    # One line per change of the service model (model_drift.changes).
    model: list[str] = field(default_factory=list)
    # Informational: how the runs differ in setup and coverage.
    settings: list[ValueChange] = field(default_factory=list)
    hard_states: list[ValueChange] = field(default_factory=list)
    # Ambiguities observed in one run only: coverage, not drift.
    observed_once: list[ReadingChange] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.verdict or self.statuses or self.readings or self.versions
                    or self.new_findings or self.gone_findings or self.model)


def _value_changes(old: dict[str, str], new: dict[str, str]) -> list[ValueChange]:
    return [ValueChange(k, old.get(k), new.get(k))
            for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]


def _observed(profile: dict[str, int]) -> tuple[str, ...]:
    return tuple(sorted(r for r, n in profile.items() if n > 0))


def _finding_key(f: FindingRecord) -> tuple[str, str, str]:
    # Steps, seeds and the ids in a message differ from run to run for the same departure:
    # the clause, the case and the message with its ids normalised identify it. Records
    # written before findings had an identity fall back to the raw message.
    return (f.clause, f.case, f.identity or f.message)


def _settings(r: RunResult) -> dict[str, str]:
    out = {"profile": r.profile, "strictness": r.strictness, "seed": str(r.seed)}
    out.update({f"target.{k}": str(v) for k, v in r.target.items()})
    return out


def diff_results(old: RunResult, new: RunResult) -> RunDiff:
    old_status = {c.clause: c.status for c in old.clauses}
    new_status = {c.clause: c.status for c in new.clauses}
    # Register order of the new run first, so the output follows the familiar order.
    order = [c.clause for c in new.clauses] + [c.clause for c in old.clauses
                                               if c.clause not in new_status]
    statuses = [StatusChange(cid, old_status.get(cid), new_status.get(cid))
                for cid in order if old_status.get(cid) != new_status.get(cid)]

    readings: list[ReadingChange] = []
    observed_once: list[ReadingChange] = []
    for amb in sorted(set(old.behaviour_profile) | set(new.behaviour_profile)):
        o = _observed(old.behaviour_profile.get(amb, {}))
        n = _observed(new.behaviour_profile.get(amb, {}))
        if o != n:
            # Drift is the target showing another reading; a question one run never got to
            # ask (timing, a deviation in the way) is coverage, like a hard state.
            (readings if o and n else observed_once).append(ReadingChange(amb, o, n))

    old_keys = {_finding_key(f) for f in old.findings}
    new_keys = {_finding_key(f) for f in new.findings}

    return RunDiff(
        old_run=old.run_id,
        new_run=new.run_id,
        verdict=(ValueChange("verdict", old.verdict, new.verdict)
                 if old.verdict != new.verdict else None),
        statuses=statuses,
        readings=readings,
        observed_once=observed_once,
        versions=_value_changes(old.versions, new.versions),
        new_findings=[f for f in new.findings if _finding_key(f) not in old_keys],
        gone_findings=[f for f in old.findings if _finding_key(f) not in new_keys],
        model=_model(old, new),
        settings=_value_changes(_settings(old), _settings(new)),
        hard_states=[
            ValueChange(k, "reached" if k in old.hard_states else None,
                        "reached" if k in new.hard_states else None)
            for k in sorted(set(old.hard_states) ^ set(new.hard_states))
        ],
    )


def _model(old: RunResult, new: RunResult) -> list[str]:
    if old.service_model and new.service_model:
        return model_changes(old.service_model, new.service_model)
    if old.versions.get("model") != new.versions.get("model"):
        # A record written before records held the model: only its hash can be compared.
        return ["the model hash changed, but a record holds no service model to say what "
                "changed (written by an older suite)"]
    return []


def _v(value: str | None, absent: str = "(absent)") -> str:
    return absent if value is None else value


def _readings(r: tuple[str, ...]) -> str:
    return " + ".join(r) if r else "(not observed)"


def diff_lines(d: RunDiff) -> list[str]:
    lines = [f"comparing {d.old_run} (old) with {d.new_run} (new)"]
    if not d.changed:
        lines.append("no change: clause statuses, readings, findings, verdict, versions and "
                     "service model are the same")
    if d.verdict:
        lines.append(f"verdict: {d.verdict.old} -> {d.verdict.new}")
    if d.statuses:
        lines.append("clauses whose status changed:")
        lines += [f"  {s.clause}: {_v(s.old, '(not in run)')} -> {_v(s.new, '(not in run)')}"
                  for s in d.statuses]
    if d.readings:
        lines.append("ambiguities whose observed readings changed:")
        lines += [f"  {r.ambiguity}: {_readings(r.old)} -> {_readings(r.new)}"
                  for r in d.readings]
    if d.versions:
        lines.append("versions changed:")
        lines += [f"  {v.key}: {_v(v.old)} -> {_v(v.new)}" for v in d.versions]
    if d.model:
        lines.append("service model changed (AssociateFaces and the operations around it):")
        lines += [f"  {line}" for line in d.model]
    if d.new_findings:
        lines.append("new findings:")
        lines += [f"  {f.clause}: {' '.join(f.message.split())}" for f in d.new_findings]
    if d.gone_findings:
        lines.append("findings gone:")
        lines += [f"  {f.clause}: {' '.join(f.message.split())}" for f in d.gone_findings]
    if d.settings:
        lines.append("note: the runs were made differently:")
        lines += [f"  {v.key}: {_v(v.old)} -> {_v(v.new)}" for v in d.settings]
    if d.observed_once:
        lines.append("note: ambiguities observed in only one run (coverage, not drift):")
        lines += [f"  {r.ambiguity}: {_readings(r.old)} -> {_readings(r.new)}"
                  for r in d.observed_once]
    if d.hard_states:
        lines.append("note: hard states reached in only one run (coverage, not drift):")
        lines += [f"  {v.key}: {'old run only' if v.old else 'new run only'}"
                  for v in d.hard_states]
    return lines
