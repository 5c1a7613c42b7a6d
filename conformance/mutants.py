"""The self-validation catalogue (DESIGN.md section 7): what the suite must fail and must pass.

A *mutant* is the reference emulator with one seeded deviation from
``DEVIATIONS``; the suite must find it non-conforming. A *legal variant* takes
another reading of an ambiguity, or imitates a slow, throttled or failing
service; the suite must still find it conforming under strictness "spec".
A *multi-fault mutant* seeds many deviations at once, each on a clause of its
own, and may leave operations out: one run must report every deviation under
its own clause, once, and judge every clause its operations allow.
``conformance selftest`` runs the whole catalogue (``conformance.selftest``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from conformance.clauses import AMBIGUITIES, A, C
from conformance.emulator.behaviour import DEFAULT_READINGS, DEVIATIONS, Behaviour


@dataclass(frozen=True)
class Mutant:
    name: str
    # The clause the deviation breaks, which the suite should fail first and most directly.
    clause: str
    description: str
    behaviour: Behaviour


@dataclass(frozen=True)
class Variant:
    name: str
    # The ambiguity whose other reading this is; None for the timing variants.
    ambiguity: str | None
    description: str
    behaviour: Behaviour


def _mutant(deviation: str, clause: str, **readings: str) -> Mutant:
    # Readings are spelled out where a deviation only shows under them, so that a
    # later change of DEFAULT_READINGS cannot silently turn the mutant into a no-op.
    wanted = {amb.replace("_", "-"): reading for amb, reading in readings.items()}
    return Mutant(deviation, clause, DEVIATIONS[deviation],
                  Behaviour(readings={**DEFAULT_READINGS, **wanted},
                            deviations=frozenset({deviation})))


MUTANTS: tuple[Mutant, ...] = (
    _mutant("accept-unknown-user", C.AF_USER_EXISTS),
    _mutant("unknown-user-wrong-code", C.AF_USER_EXISTS),
    _mutant("unknown-collection-not-found-entries", C.AF_COLL_EXISTS),
    _mutant("assoc-not-persisted", C.AF_ASSOC),
    _mutant("report-already-associated", C.AF_IGNORE_SAME),
    _mutant("move-owned-face", C.AF_DIFF_USER),
    _mutant("drop-unknown-face", C.AF_NOT_FOUND),
    _mutant("threshold-ignored", C.AF_THRESHOLD),
    _mutant("threshold-on-empty-user", C.AF_THRESHOLD),
    _mutant("low-confidence-reports-threshold", C.AF_THRESHOLD),
    # Issue 18: a default-threshold check against it is AF-THRESHOLD's finding, not its own.
    _mutant("threshold-inverted", C.AF_THRESHOLD),
    # A threshold of 0 read as 75 refuses faces that 0 lets through: a wrong threshold
    # applied, not a wrong default (the default is only for an omitted threshold).
    _mutant("zero-threshold-is-default", C.AF_THRESHOLD),
    _mutant("default-threshold-50", C.AF_THRESHOLD_DEFAULT),
    _mutant("threshold-range-unchecked", C.AF_THRESHOLD_RANGE),
    _mutant("cap-off-by-one", C.AF_CAP_USER),
    _mutant("cap-checked-per-request", C.AF_CAP_USER),
    # Only a request refused whole with an exception has anything to roll back.
    _mutant("refusal-not-rolled-back", C.AF_CAP_USER,
            AMB_CAP="exception", AMB_CAP_CROSS="refused-whole"),
    _mutant("request-max-unchecked", C.AF_CAP_REQUEST),
    _mutant("faceid-pattern-unchecked", C.AF_INPUT),
    _mutant("userid-length-unchecked", C.AF_INPUT),
    _mutant("cu-userid-unchecked", C.CU_INPUT),
    _mutant("token-pattern-unchecked", C.AF_INPUT),
    # Pattern-blind (faceid- and token-pattern-unchecked are too: FaceId has no length
    # bound, and the token's anchored pattern leaves no reading that takes "bad token!").
    _mutant("userid-pattern-unchecked", C.AF_INPUT),
    _mutant("collectionid-pattern-unchecked", C.AF_INPUT),
    _mutant("cu-userid-pattern-unchecked", C.CU_INPUT),
    _mutant("cu-token-pattern-unchecked", C.CU_INPUT),
    _mutant("missing-user-status", C.AF_SHAPE),
    _mutant("confidence-as-string", C.AF_SHAPE),
    _mutant("echo-duplicate-face", C.AF_SHAPE, AMB_DUP_IDS="once"),
    _mutant("status-never-settles", C.AF_STATUS),
    _mutant("token-replayed-against-today", C.AF_TOKEN_REPLAY),
    _mutant("mismatch-wrong-code", C.AF_TOKEN_MISMATCH),
    _mutant("dedupe-without-token", C.AF_TOKEN_AUTO),
    _mutant("df-unknown-user-ok", C.DF_USER_EXISTS),
    _mutant("df-no-release", C.DF_RELEASE),
    _mutant("df-releases-other-users-face", C.DF_DIFF_USER),
    _mutant("df-drop-unknown-face", C.DF_NOT_FOUND),
    _mutant("df-missing-user-status", C.DF_SHAPE),
    _mutant("df-replay-executes", C.DF_TOKEN_REPLAY),
    _mutant("df-mismatch-ignored", C.DF_TOKEN_MISMATCH),
    _mutant("new-user-active", C.CU_CREATED),
    # CREATING is transitional (the variant creating-user): a user must leave it in time.
    _mutant("creating-never-ends", C.CU_CREATED),
    _mutant("cu-overwrite-existing", C.CU_CONFLICT),
    _mutant("cu-replay-conflict", C.CU_TOKEN_REPLAY),
    _mutant("cu-mismatch-ignored", C.CU_TOKEN_MISMATCH),
    _mutant("du-unknown-ok", C.DU_NOT_FOUND),
    _mutant("du-keeps-faces-owned", C.DU_RELEASE),
    _mutant("du-replay-executes", C.DU_TOKEN_REPLAY),
    _mutant("du-mismatch-ignored", C.DU_TOKEN_MISMATCH),
    _mutant("delete-owned-face", C.DEL_OWNED),
    _mutant("delete-unowned-kept", C.DEL_FACES),
    _mutant("index-faces-confidence-string", C.SCHEMA),
    _mutant("list-faces-drops-page-edge", C.LIST_FACES),
    _mutant("list-faces-ignores-userid", C.LIST_FACES),
    _mutant("list-faces-skips-with-pages-of-three", C.LIST_FACES),
    _mutant("list-users-repeats-page-edge", C.LIST_USERS),
    _mutant("no-lock", C.CONC),
    _mutant("index-nothing", C.SCHEMA),
    _mutant("list-users-ignores-max-results", C.LIST_USERS),
    _mutant("delete-faces-bad-reason", C.DEL_FACES),
    # The searches (issue 20).
    _mutant("su-face-finds-nobody", C.SU_FACE),
    _mutant("su-user-finds-nobody", C.SU_USER),
    _mutant("subi-ignores-person", C.SUBI_IMAGE),
    _mutant("su-threshold-ignored", C.SU_THRESHOLD),
    _mutant("su-max-users-ignored", C.SU_SHAPE),
    _mutant("su-absent-face-empty", C.SU_NOT_FOUND),
    _mutant("search-sees-released-faces", C.SU_RELEASE),
    _mutant("subi-no-face-matches", C.SUBI_NO_FACE),
)

# Deviations that break several clauses at once (a stub's), in multi-fault mutants only:
# no single clause is theirs.
SEVERAL_CLAUSES = frozenset({"tokens-ignored", "validation-absent", "df-token-ignored"})


def _variant(name: str, description: str, ambiguity: str | None = None,
             readings: dict[str, str] | None = None, *, settle_seconds: float = 0.0,
             creating_seconds: float = 0.0, throttle_every: int = 0, fault_every: int = 0,
             busy_conflicts: bool = False,
             searches_wait_for_settling: bool = False) -> Variant:
    return Variant(name, ambiguity, description,
                   Behaviour(readings={**DEFAULT_READINGS, **(readings or {})},
                             settle_seconds=settle_seconds, creating_seconds=creating_seconds,
                             throttle_every=throttle_every, fault_every=fault_every,
                             busy_conflicts=busy_conflicts,
                             searches_wait_for_settling=searches_wait_for_settling))


def _non_default_readings() -> list[tuple[str, str]]:
    return [(amb.id, reading) for amb in AMBIGUITIES.values() for reading in amb.readings
            if reading != DEFAULT_READINGS[amb.id]]


# Readings that only show together with another: (ambiguity, reading) -> the others.
_COMPANIONS: dict[tuple[str, str], dict[str, str]] = {
    # Matching the faces of a request in any order needs matching within the request.
    (A.AMB_BATCH_ORDER, "any-order"): {A.AMB_FIRST_BATCH: "matched-in-request"},
}


# Readings that only show while a user is UPDATING: the emulator must take time to settle
# (well within the embedded target's settle timeout of 10 s), and refuse busy requests.
_SETTLE_SECONDS = 0.2
_TIMED: dict[tuple[str, str], bool] = {  # (ambiguity, reading) -> busy_conflicts
    (A.AMB_BUSY, "face"): True,
    (A.AMB_DU_SETTLE, "eventual"): False,
}


def _reading_variants() -> list[Variant]:
    """One variant per non-default reading, named after the ambiguity and the reading."""
    variants = []
    for amb, reading in _non_default_readings():
        kebab = re.sub(r"(?<=[a-z])(?=[A-Z])", "-", reading).lower()  # ValidationException
        name = f"{amb.removeprefix('AMB-').lower()}-{kebab}"
        timed = (amb, reading) in _TIMED
        variants.append(_variant(name, f"{AMBIGUITIES[amb].question}: {reading}", amb,
                                 {**_COMPANIONS.get((amb, reading), {}), amb: reading},
                                 settle_seconds=_SETTLE_SECONDS if timed else 0.0,
                                 busy_conflicts=_TIMED.get((amb, reading), False)))
    # The default reading of AMB-BUSY shows only when the emulator refuses busy requests.
    variants.append(_variant(
        "busy-user", "while a user is UPDATING, requests to it are refused with "
        "ConflictException: user", A.AMB_BUSY, {A.AMB_BUSY: "user"},
        settle_seconds=_SETTLE_SECONDS, busy_conflicts=True))
    # Filling up to the cap reaches the cap itself, so it is also tried with the other
    # reading of what happens there.
    variants.append(_variant(
        "cap-cross-filled-to-cap-unsuccessful-entries",
        "a request that would cross 100 is filled up to 100, and the rest are "
        "unsuccessful entries instead of an exception", A.AMB_CAP_CROSS,
        {A.AMB_CAP_CROSS: "filled-to-cap", A.AMB_CAP: "unsuccessful-entries"}))
    return variants


VARIANTS: tuple[Variant, ...] = (
    # The reference itself: every default reading, held to the same consistency as the rest.
    _variant("reference", "the reference emulator, every default reading"),
    *_reading_variants(),
    _variant("all-other-readings", "every non-default reading at once",
             readings=dict(_non_default_readings())),
    # Well within the embedded target's settle timeout of 10 s; every change waits it out.
    _variant("slow-settle", "a user stays UPDATING for 0.2 s after a change",
             settle_seconds=0.2),
    # Does a search see a user that is UPDATING? M.SU.7 lets a match be UPDATING, and no
    # sentence says a search already sees a change that has not settled. The suite searches
    # only settled users (and SU-RELEASE waits), so a target that does not is conforming.
    _variant("searches-wait-for-settling", "a user stays UPDATING for 0.2 s after a change, "
             "and no search matches it meanwhile", settle_seconds=0.2,
             searches_wait_for_settling=True),
    # M.10's enum has CREATING, which no sentence defines: a user still being created, a
    # transitional status like UPDATING. Requests to it are served meanwhile (it exists).
    _variant("creating-user", "a new user lists as CREATING for 0.3 s after CreateUser, "
             "then CREATED", creating_seconds=0.3),
    # botocore backs off up to a few seconds per retry, so the rates are what a busy
    # service shows, not a storm: a storm only measures botocore's back-off.
    _variant("throttled", "every 401st request is refused with ThrottlingException; the "
             "suite's retries must absorb it", throttle_every=401),
    _variant("faulty", "every 67th request fails with InternalServerError; the suite's "
             "retries must absorb it", fault_every=67),
)




# --------------------------------------------------------------------------- multi-fault mutants


@dataclass(frozen=True)
class MultiMutant:
    """Many deviations at once, as the emulators still being built have (DESIGN.md section 7).

    Each deviation names the one clause it breaks, and no two name the same clause: the
    self-test scores by clause, so two deviations on one clause could not be told apart.
    """

    name: str
    # deviation -> the clause it breaks, or the clauses: a stub that remembers no token
    # breaks the token clause of every operation, each once.
    deviations: dict[str, str | tuple[str, ...]]
    description: str
    # Operations the emulator leaves out; the clauses that need them may go unchecked.
    missing_operations: frozenset[str]
    behaviour: Behaviour

    def seeded(self) -> list[tuple[str, str]]:
        """(deviation, clause) for each clause a deviation breaks."""
        return [(deviation, clause) for deviation, clauses in self.deviations.items()
                for clause in ((clauses,) if isinstance(clauses, str) else clauses)]

    def clauses(self) -> list[str]:
        return [clause for _, clause in self.seeded()]


# The clauses that cannot be judged at all without an operation, and those with only some
# cases that need it (which may then be partly checked). Only operations the catalogue
# leaves out need an entry; a test holds the catalogue to it.
NEEDS_OPERATION: dict[str, frozenset[str]] = {
    "DisassociateFaces": frozenset({
        C.DF_USER_EXISTS, C.DF_RELEASE, C.DF_DIFF_USER, C.DF_NOT_FOUND, C.DF_SHAPE,
        C.DF_TOKEN_REPLAY, C.DF_TOKEN_MISMATCH}),
    "DeleteUser": frozenset({C.DU_NOT_FOUND, C.DU_RELEASE, C.DU_TOKEN_REPLAY,
                             C.DU_TOKEN_MISMATCH}),
    "DeleteFaces": frozenset({C.DEL_OWNED, C.DEL_FACES}),
}
PARTLY_NEEDS_OPERATION: dict[str, frozenset[str]] = {
    # UserStatus once every face is disassociated again (AMB-EMPTY-AGAIN).
    "DisassociateFaces": frozenset({C.AF_STATUS}),
}


def _multi(name: str, description: str, deviations: dict[str, str | tuple[str, ...]],
           missing: frozenset[str] = frozenset()) -> MultiMutant:
    return MultiMutant(name, deviations, description, missing,
                       Behaviour(readings=dict(DEFAULT_READINGS),
                                 deviations=frozenset(deviations), missing_operations=missing))


# Deviations left out of every multi-fault mutant, because they break more than one clause
# by themselves, so that no run could report them once under one clause:
# (A deviation that breaks several clauses names each in the mutants that have it:
# df-token-ignored forgets the token, so a reuse with other parameters runs too.)
# - status-never-settles blocks every case that needs a settled user (conformance.needs),
#   and with them the cases other deviations would fail;
# - assoc-not-persisted and no-lock leave no ownership for other clauses to check.
# Pairs left apart because one deviation hides the other: userid-length-unchecked with
# unknown-user-wrong-code (a 129-character user is unknown, and its wrong code is the code
# of the rejection AF-INPUT wants); df-no-release with df-releases-other-users-face.
MULTI_MUTANTS: tuple[MultiMutant, ...] = (
    _multi("multi-af-users-listings",
           "a young emulator: AssociateFaces half done, loose users, a paging bug",
           {
               "accept-unknown-user": C.AF_USER_EXISTS,
               "report-already-associated": C.AF_IGNORE_SAME,
               "drop-unknown-face": C.AF_NOT_FOUND,
               "default-threshold-50": C.AF_THRESHOLD_DEFAULT,
               "cap-off-by-one": C.AF_CAP_USER,
               "request-max-unchecked": C.AF_CAP_REQUEST,
               "confidence-as-string": C.AF_SHAPE,
               "df-unknown-user-ok": C.DF_USER_EXISTS,
               "df-missing-user-status": C.DF_SHAPE,
               # A new user is also ACTIVE in an AssociateFaces answer that adds no face:
               # one deviation, which the suite should report once, under CU-CREATED.
               "new-user-active": C.CU_CREATED,
               "cu-mismatch-ignored": C.CU_TOKEN_MISMATCH,
               "du-unknown-ok": C.DU_NOT_FOUND,
               "list-users-repeats-page-edge": C.LIST_USERS,
           }),
    _multi("multi-ownership-and-tokens",
           "ownership taken and given away, wrong error codes, tokens half remembered",
           {
               "unknown-user-wrong-code": C.AF_USER_EXISTS,
               "unknown-collection-not-found-entries": C.AF_COLL_EXISTS,
               # The knock-on example: a moved face fills users up, races, ...
               "move-owned-face": C.AF_DIFF_USER,
               "threshold-range-unchecked": C.AF_THRESHOLD_RANGE,
               "token-pattern-unchecked": C.AF_INPUT,
               "df-releases-other-users-face": C.DF_DIFF_USER,
               "df-drop-unknown-face": C.DF_NOT_FOUND,
               "df-mismatch-ignored": C.DF_TOKEN_MISMATCH,
               "cu-overwrite-existing": C.CU_CONFLICT,
               "du-keeps-faces-owned": C.DU_RELEASE,
               "du-replay-executes": C.DU_TOKEN_REPLAY,
               "list-faces-drops-page-edge": C.LIST_FACES,
               "index-faces-confidence-string": C.SCHEMA,
           }),
    _multi("multi-lifecycle",
           "faces that never leave, deletes that delete the wrong faces, a filter ignored",
           {
               "unknown-collection-not-found-entries": C.AF_COLL_EXISTS,
               "threshold-ignored": C.AF_THRESHOLD,
               "cap-checked-per-request": C.AF_CAP_USER,
               "faceid-pattern-unchecked": C.AF_INPUT,
               "echo-duplicate-face": C.AF_SHAPE,
               "dedupe-without-token": C.AF_TOKEN_AUTO,
               "df-missing-user-status": C.DF_SHAPE,
               "cu-replay-conflict": C.CU_TOKEN_REPLAY,
               "du-unknown-ok": C.DU_NOT_FOUND,
               "du-mismatch-ignored": C.DU_TOKEN_MISMATCH,
               "delete-owned-face": C.DEL_OWNED,
               "delete-unowned-kept": C.DEL_FACES,
               # The issue saw this one reported as DEL-FACES.
               "list-faces-ignores-userid": C.LIST_FACES,
           }),
    _multi("multi-no-disassociate",
           "DisassociateFaces not implemented yet, and the rest with a bug on each clause",
           {
               "unknown-user-wrong-code": C.AF_USER_EXISTS,
               "report-already-associated": C.AF_IGNORE_SAME,
               "drop-unknown-face": C.AF_NOT_FOUND,
               "low-confidence-reports-threshold": C.AF_THRESHOLD,
               "default-threshold-50": C.AF_THRESHOLD_DEFAULT,
               "request-max-unchecked": C.AF_CAP_REQUEST,
               "missing-user-status": C.AF_SHAPE,
               "cu-overwrite-existing": C.CU_CONFLICT,
               "du-replay-executes": C.DU_TOKEN_REPLAY,
               "delete-unowned-kept": C.DEL_FACES,
               "du-unknown-ok": C.DU_NOT_FOUND,
               "list-users-repeats-page-edge": C.LIST_USERS,
           },
           missing=frozenset({"DisassociateFaces"})),
    # Issue 20: searches that misread the associations, on a target whose associations
    # have bugs of their own; each reported once, under its own clause.
    _multi("multi-searches-and-associations",
           "searches that misread the associations, and AssociateFaces half done",
           {
               "su-user-finds-nobody": C.SU_USER,
               "su-absent-face-empty": C.SU_NOT_FOUND,
               "su-max-users-ignored": C.SU_SHAPE,
               "report-already-associated": C.AF_IGNORE_SAME,
               "drop-unknown-face": C.AF_NOT_FOUND,
               "default-threshold-50": C.AF_THRESHOLD_DEFAULT,
               "df-unknown-user-ok": C.DF_USER_EXISTS,
               "du-unknown-ok": C.DU_NOT_FOUND,
               "cu-mismatch-ignored": C.CU_TOKEN_MISMATCH,
               "list-users-repeats-page-edge": C.LIST_USERS,
           }),
    # Issue 18's stub: every set-up step but CreateUser deviates, so each case that needs
    # no indexed face must still be judged, and those that need one are blocked by SCHEMA.
    _multi("stub-indexes-nothing",
           "a stub: IndexFaces indexes nothing, no paging of users, no tokens, no validation",
           {
               "index-nothing": C.SCHEMA,
               "list-users-ignores-max-results": C.LIST_USERS,
               # The token clauses a target with no face can show (the replays of
               # AssociateFaces and DisassociateFaces need a face that moved).
               "tokens-ignored": (C.AF_TOKEN_MISMATCH, C.DF_TOKEN_MISMATCH, C.CU_TOKEN_REPLAY,
                                  C.CU_TOKEN_MISMATCH, C.DU_TOKEN_REPLAY, C.DU_TOKEN_MISMATCH),
               "validation-absent": (C.AF_INPUT, C.AF_THRESHOLD_RANGE, C.AF_CAP_REQUEST,
                                     C.CU_INPUT),
               "delete-faces-bad-reason": C.DEL_FACES,
           }),
    # The set-up steps other clauses lean on deviate, and nothing else: listings, indexing,
    # tokens. Every other clause must pass.
    _multi("multi-setup-steps",
           "the steps every set-up stands on deviate: listings, IndexFaces, tokens",
           {
               "list-users-ignores-max-results": C.LIST_USERS,
               "list-faces-drops-page-edge": C.LIST_FACES,
               "index-faces-confidence-string": C.SCHEMA,
               # Every set-up that associates a face reads this answer.
               "missing-user-status": C.AF_SHAPE,
               # Every new user is listed.
               "new-user-active": C.CU_CREATED,
               "cu-replay-conflict": C.CU_TOKEN_REPLAY,
               "cu-mismatch-ignored": C.CU_TOKEN_MISMATCH,
               # Forgets the token, so a reuse with other parameters runs too.
               "df-token-ignored": (C.DF_TOKEN_REPLAY, C.DF_TOKEN_MISMATCH),
               "du-replay-executes": C.DU_TOKEN_REPLAY,
               "du-mismatch-ignored": C.DU_TOKEN_MISMATCH,
           }),
)

Entry = Mutant | Variant | MultiMutant
CATALOGUE: tuple[Entry, ...] = (*MUTANTS, *VARIANTS, *MULTI_MUTANTS)
BY_NAME: dict[str, Entry] = {entry.name: entry for entry in CATALOGUE}
