"""Targets: what the suite runs against, read from ``targets.toml`` and turned into boto3 clients.

A target is one of three kinds (DESIGN.md section 3): ``embedded`` (the reference
emulator, started by the suite), ``endpoint`` (any server speaking AWS JSON 1.1 at
a URL) and ``aws`` (live Rekognition). Every mistake in the file is reported as
one ``ConfigError`` line naming the file, the key at fault and the fix, because
the people who edit this file are running the suite from CI logs, not a debugger.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, cast
from urllib.parse import urlsplit

from conformance import known
from conformance.clauses import AMBIGUITIES
from conformance.errors import ConfigError
from conformance.images import photo_files
from conformance.known import KnownDeviation
from conformance.spec import SEARCHES

if TYPE_CHECKING:
    from conformance.emulator.behaviour import Behaviour

Kind = Literal["embedded", "endpoint", "aws"]
# How the embedded emulator is reached: in-process through botocore's event hooks (fast),
# or over HTTP on 127.0.0.1 (what an endpoint target sees). Both give the same verdicts.
Transport = Literal["in-process", "http"]
TRANSPORTS: tuple[Transport, ...] = ("in-process", "http")
Strictness = Literal["spec", "aws"]

KINDS: tuple[Kind, ...] = ("embedded", "endpoint", "aws")
STRICTNESS: tuple[Strictness, ...] = ("spec", "aws")
DEFAULT_REGION = "us-east-1"
# Emulators answer at once; AWS's guide says association "may take a minute or so".
DEFAULT_SETTLE_TIMEOUT: Mapping[str, float] = MappingProxyType(
    {"embedded": 10.0, "endpoint": 10.0, "aws": 60.0}
)
DUMMY_CREDENTIAL = "testing"
TARGETS_FILE_NAME = "targets.toml"
BUILTIN_SOURCE = "<built-in targets>"
ADHOC_SOURCE = "--endpoint-url"
ADHOC_NAME = "endpoint"

# Any client: boto3 ships no types and the suite does not depend on stub packages.
RekognitionClient = Any

_COMMON_KEYS = frozenset({
    "kind", "settle_timeout", "faces_dir", "call_budget", "max_rps", "strictness",
    "expected_failures", "expected_failures_file", "readings", "optional_operations",
})
_KEYS_BY_KIND: Mapping[str, frozenset[str]] = MappingProxyType({
    "embedded": _COMMON_KEYS | {"region", "emulator", "transport"},
    "endpoint": _COMMON_KEYS | {"endpoint_url", "region", "access_key_id", "secret_access_key"},
    # endpoint_url is allowed for aws so that VPC or FIPS endpoints can be named.
    "aws": _COMMON_KEYS | {"region", "profile", "endpoint_url"},
})
_ALL_TARGET_KEYS = frozenset().union(*_KEYS_BY_KIND.values())
_REQUIRED_BY_KIND: Mapping[str, tuple[tuple[str, str], ...]] = MappingProxyType({
    "embedded": (),
    "endpoint": (("endpoint_url", 'the server\'s URL, e.g. endpoint_url = "http://127.0.0.1:5000"'),),
    "aws": (("faces_dir", "a directory of photos of distinct people, one face each, "
                          'e.g. faces_dir = "faces"'),),
})
_TOP_LEVEL_KEYS = frozenset({"default", "targets"})
_EMULATOR_KEYS = frozenset({"readings", "settle_seconds", "creating_seconds", "deviations",
                            "throttle_every", "fault_every", "missing_operations"})
_TARGET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_AWS_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")


@dataclass(frozen=True)
class Target:
    name: str
    kind: Kind
    endpoint_url: str | None = None
    region: str = DEFAULT_REGION
    profile: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    settle_timeout: float = 10.0
    faces_dir: Path | None = None
    call_budget: int | None = None
    max_rps: float | None = None  # API calls per second at most, all threads together
    strictness: Strictness = "spec"
    # Known deviations, whole clauses or cases: reported, but they do not fail the run.
    expected_failures: tuple[KnownDeviation, ...] = ()
    # Mappings are unhashable; leaving them out of the hash keeps Target usable as a key.
    readings: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}),
                                        hash=False)
    # Only for embedded targets; None means the emulator's default ``Behaviour()``.
    behaviour: Behaviour | None = field(default=None, hash=False)
    transport: Transport = "in-process"  # embedded only
    # Operations the target may lack (only the searches, ``spec.SEARCHES``): their clauses
    # are then "not checked: OP not implemented" and the target may still conform.
    optional_operations: frozenset[str] = frozenset()

    @property
    def pinned_readings(self) -> Mapping[str, str]:
        """The readings a change of which is a failure, not a new behaviour profile.

        Strictness "aws" refuses, besides, every reading AWS's published examples contradict
        (``Ambiguity.differs_from_aws``, judged by the ledger); a reading pinned here is
        more specific, so it wins over what AWS has published.
        """
        return MappingProxyType(dict(self.readings))


@dataclass(frozen=True)
class TargetsFile:
    # None for the built-in file, used when there is no targets.toml.
    path: Path | None
    default: str
    targets: dict[str, Target]


BUILTIN_EMBEDDED = Target(name="embedded", kind="embedded",
                          settle_timeout=DEFAULT_SETTLE_TIMEOUT["embedded"])


def builtin_targets() -> TargetsFile:
    return TargetsFile(path=None, default=BUILTIN_EMBEDDED.name,
                       targets={BUILTIN_EMBEDDED.name: BUILTIN_EMBEDDED})


# --------------------------------------------------------------------------- loading


def load_targets(path: Path | None = None) -> TargetsFile:
    """Read and validate a targets file.

    With no path, ``./targets.toml`` if there is one, else the built-in file that
    holds just the embedded target, so a fresh checkout runs with no configuration.
    """
    if path is None:
        candidate = Path.cwd() / TARGETS_FILE_NAME
        if not candidate.is_file():
            return builtin_targets()
        path = candidate
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{source}: file not found; pass an existing targets file or "
                          f"omit it to use ./{TARGETS_FILE_NAME}") from None
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{source}: not UTF-8 text (byte {exc.start}); TOML files must be "
                          "UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_syntax_error(source, str(exc))) from None
    return _parse_file(data, path, source)


def _syntax_error(source: str, message: str) -> str:
    # Python 3.11's TOMLDecodeError has no lineno attribute; the message carries it.
    found = re.search(r"\(at line (\d+), column (\d+)\)", message)
    if found:
        what = message[: found.start()].strip()
        return (f"{source}:{found.group(1)}: TOML syntax error at column {found.group(2)}: "
                f"{what}")
    return f"{source}: TOML syntax error: {message}"


def _parse_file(data: Mapping[str, Any], path: Path, source: str) -> TargetsFile:
    _check_keys(source, "", data, _TOP_LEVEL_KEYS, what="top-level key")
    raw_targets = data.get("targets", {})
    if not isinstance(raw_targets, dict):
        raise _wrong_type(source, "targets", "a table of targets ([targets.NAME])", raw_targets)
    # The embedded target is always available, so --target embedded works with any file.
    targets: dict[str, Target] = {BUILTIN_EMBEDDED.name: BUILTIN_EMBEDDED}
    for name, table in raw_targets.items():
        key = f"targets.{name}"
        if not _TARGET_NAME.fullmatch(name):
            raise ConfigError(f"{source}: {key}: bad target name; use letters, digits, '_', "
                              "'.' and '-', starting with a letter or digit")
        if not isinstance(table, dict):
            raise _wrong_type(source, key, f"a table ([{key}])", table)
        targets[name] = _parse_target(name, table, path.parent, source)
    default = data.get("default", BUILTIN_EMBEDDED.name)
    if not isinstance(default, str):
        raise _wrong_type(source, "default", "a target name (string)", default)
    if default not in targets:
        raise ConfigError(f"{source}: default: no target named {default!r}"
                          f"{_suggest(default, targets)}; known targets: "
                          f"{', '.join(sorted(targets))}")
    return TargetsFile(path=path, default=default, targets=targets)


def _parse_target(name: str, table: Mapping[str, Any], base: Path, source: str) -> Target:
    prefix = f"targets.{name}"
    if "kind" not in table:
        raise ConfigError(f"{source}: {prefix}.kind: missing; add kind = \"embedded\", "
                          "\"endpoint\" or \"aws\"")
    kind = table["kind"]
    if not isinstance(kind, str):
        raise _wrong_type(source, f"{prefix}.kind", "a string", kind)
    if kind not in KINDS:
        raise ConfigError(f"{source}: {prefix}.kind: unknown kind {kind!r}"
                          f"{_suggest(kind, KINDS)}; use one of {', '.join(KINDS)}")
    allowed = _KEYS_BY_KIND[kind]
    for key in table:
        if key in allowed:
            continue
        if key in {"access_key_id", "secret_access_key"} and kind == "aws":
            raise ConfigError(f"{source}: {prefix}.{key}: secrets do not belong in targets.toml "
                              "for an aws target; use profile = \"...\" or the AWS_* "
                              "environment variables")
        if key in _ALL_TARGET_KEYS:
            kinds = [k for k in KINDS if key in _KEYS_BY_KIND[k]]
            raise ConfigError(f"{source}: {prefix}.{key}: does not apply to kind {kind!r} "
                              f"(only to {', '.join(kinds)}); remove it")
        raise ConfigError(f"{source}: {prefix}.{key}: unknown key{_suggest(key, allowed)}; "
                          f"keys for kind {kind!r}: {', '.join(sorted(allowed))}")
    for key, hint in _REQUIRED_BY_KIND[kind]:
        if key not in table:
            raise ConfigError(f"{source}: {prefix}.{key}: missing; kind {kind!r} needs {hint}")

    def opt(key: str, check: Callable[[str, Any], Any], default: Any = None) -> Any:
        return check(f"{prefix}.{key}", table[key]) if key in table else default

    def string(key: str, value: Any) -> str:
        if not isinstance(value, str) or not value:
            raise _wrong_type(source, key, "a non-empty string", value)
        return value

    def url(key: str, value: Any) -> str:
        return _check_url(source, key, string(key, value))

    def region(key: str, value: Any) -> str:
        text = string(key, value)
        if kind == "aws" and not _AWS_REGION.fullmatch(text):
            raise ConfigError(f"{source}: {key}: {text!r} is not an AWS region name; "
                              "write it like \"us-east-1\"")
        return text

    def seconds(key: str, value: Any) -> float:
        return _non_negative_number(source, key, value)

    def budget(key: str, value: Any) -> int:
        count = _integer(source, key, value)
        if count < 1:
            raise ConfigError(f"{source}: {key}: must be a positive number of API calls, "
                              f"got {count}")
        return count

    def rate(key: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _wrong_type(source, key, "a number of calls per second", value)
        if not math.isfinite(value) or value <= 0:
            raise ConfigError(f"{source}: {key}: must be a positive number of calls per "
                              f"second, got {value}")
        return float(value)

    def directory(key: str, value: Any) -> Path:
        given = Path(string(key, value)).expanduser()
        # Relative to the file, not the working directory, so a run works from anywhere.
        return given if given.is_absolute() else (base / given)

    def strictness(key: str, value: Any) -> str:
        text = string(key, value)
        if text not in STRICTNESS:
            raise ConfigError(f"{source}: {key}: unknown strictness {text!r}"
                              f"{_suggest(text, STRICTNESS)}; use \"spec\" or \"aws\"")
        return text

    def failures(key: str, value: Any) -> tuple[KnownDeviation, ...]:
        return known.parse(source, key, value)

    def failures_file(key: str, value: Any) -> tuple[KnownDeviation, ...]:
        if "expected_failures" in table:
            raise ConfigError(f"{source}: {key}: give expected_failures or "
                              "expected_failures_file, not both")
        return known.load_file(source, key, directory(key, value))

    def readings(key: str, value: Any) -> Mapping[str, str]:
        return MappingProxyType(_readings(source, key, value))

    def optional(key: str, value: Any) -> frozenset[str]:
        names = _string_list(source, key, value, "operation names")
        for name in names:
            if name not in SEARCHES:
                raise ConfigError(f"{source}: {key}: only the searches may be optional "
                                  f"({', '.join(sorted(SEARCHES))}), not {name!r}")
        return frozenset(names)

    def emulator(key: str, value: Any) -> Behaviour:
        return _parse_behaviour(source, key, value)

    def transport(key: str, value: Any) -> str:
        text = string(key, value)
        if text not in TRANSPORTS:
            raise ConfigError(f"{source}: {key}: unknown transport {text!r}"
                              f"{_suggest(text, TRANSPORTS)}; use \"in-process\" or \"http\"")
        return text

    return Target(
        name=name,
        kind=kind,
        endpoint_url=opt("endpoint_url", url),
        region=opt("region", region, DEFAULT_REGION),
        profile=opt("profile", string),
        access_key_id=opt("access_key_id", string),
        secret_access_key=opt("secret_access_key", string),
        settle_timeout=opt("settle_timeout", seconds, DEFAULT_SETTLE_TIMEOUT[kind]),
        faces_dir=opt("faces_dir", directory),
        call_budget=opt("call_budget", budget),
        max_rps=opt("max_rps", rate),
        strictness=opt("strictness", strictness, "spec"),
        expected_failures=(opt("expected_failures", failures)
                           or opt("expected_failures_file", failures_file, ())),
        readings=opt("readings", readings, MappingProxyType({})),
        behaviour=opt("emulator", emulator),
        transport=opt("transport", transport, "in-process"),
        optional_operations=opt("optional_operations", optional, frozenset()),
    )


def _parse_behaviour(source: str, key: str, value: Any) -> Behaviour:
    # Imported here: the emulator package is only needed when an emulator is described.
    from conformance.emulator.behaviour import DEFAULT_READINGS, DEVIATIONS, Behaviour

    if not isinstance(value, dict):
        raise _wrong_type(source, key, f"a table ([{key}])", value)
    _check_keys(source, key + ".", value, _EMULATOR_KEYS, what="key")
    kwargs: dict[str, Any] = {}
    if "readings" in value:
        # Partial tables are the norm: a legal variant changes one reading.
        kwargs["readings"] = MappingProxyType(
            {**DEFAULT_READINGS, **_readings(source, f"{key}.readings", value["readings"])})
    for seconds in ("settle_seconds", "creating_seconds"):
        if seconds in value:
            kwargs[seconds] = _non_negative_number(source, f"{key}.{seconds}", value[seconds])
    if "deviations" in value:
        names = _string_list(source, f"{key}.deviations", value["deviations"],
                             "deviation names")
        for dev in names:
            if dev not in DEVIATIONS:
                raise ConfigError(f"{source}: {key}.deviations: unknown deviation {dev!r}"
                                  f"{_suggest(dev, DEVIATIONS)}; deviations are listed in "
                                  "conformance/emulator/behaviour.py")
        kwargs["deviations"] = frozenset(names)
    if "missing_operations" in value:
        from conformance.emulator.backend import OPERATIONS

        names = _string_list(source, f"{key}.missing_operations", value["missing_operations"],
                             "operation names")
        for op in names:
            if op not in OPERATIONS:
                raise ConfigError(f"{source}: {key}.missing_operations: unknown operation "
                                  f"{op!r}{_suggest(op, OPERATIONS)}")
        kwargs["missing_operations"] = frozenset(names)
    for every in ("throttle_every", "fault_every"):
        if every in value:
            count = _integer(source, f"{key}.{every}", value[every])
            if count < 0:
                raise ConfigError(f"{source}: {key}.{every}: must be 0 (never) or a positive "
                                  f"count of requests, got {count}")
            kwargs[every] = count
    try:
        return Behaviour(**kwargs)
    except ValueError as exc:  # pragma: no cover - every input Behaviour checks is checked above
        raise ConfigError(f"{source}: {key}: {exc}") from None


def _readings(source: str, key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _wrong_type(source, key, 'a table of ambiguity = "reading"', value)
    out: dict[str, str] = {}
    for amb, reading in value.items():
        if amb not in AMBIGUITIES:
            raise ConfigError(f"{source}: {key}.{amb}: unknown ambiguity"
                              f"{_suggest(amb, AMBIGUITIES)}; ambiguities: "
                              f"{', '.join(AMBIGUITIES)}")
        choices = AMBIGUITIES[amb].readings
        if not isinstance(reading, str) or reading not in choices:
            shown = repr(reading) if isinstance(reading, str) else _type_name(reading)
            hint = _suggest(reading, choices) if isinstance(reading, str) else ""
            raise ConfigError(f"{source}: {key}.{amb}: unknown reading {shown}{hint}; use one "
                              f"of {', '.join(repr(c) for c in choices)}")
        out[amb] = reading
    return out


# --------------------------------------------------------------------------- checks


def _check_keys(source: str, prefix: str, table: Mapping[str, Any], allowed: Iterable[str],
                *, what: str) -> None:
    allowed = sorted(allowed)
    for key in table:
        if key not in allowed:
            raise ConfigError(f"{source}: {prefix}{key}: unknown {what}{_suggest(key, allowed)}"
                              f"; allowed: {', '.join(allowed)}")


def _check_url(source: str, key: str, value: str) -> str:
    problem = ""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        problem = str(exc)
    else:
        if parts.scheme not in ("http", "https"):
            problem = "the scheme must be http or https"
        elif not parts.hostname:
            problem = "no host"
        elif parts.username or parts.password:
            problem = "no user or password belongs in it"
        elif parts.path not in ("", "/") or parts.query or parts.fragment:
            problem = "no path, query or fragment belongs in it"
    if problem:
        raise ConfigError(f"{source}: {key}: bad URL {value!r} ({problem}); write it as "
                          "http(s)://host[:port], e.g. \"http://127.0.0.1:5000\"")
    return value.rstrip("/")


def _integer(source: str, key: str, value: Any) -> int:
    # bool is a subclass of int, and `true` where a count belongs is a mistake.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong_type(source, key, "an integer", value)
    return value


def _non_negative_number(source: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong_type(source, key, "a number of seconds", value)
    if not math.isfinite(value):
        raise ConfigError(f"{source}: {key}: must be a finite number of seconds, got {value}")
    if value < 0:
        raise ConfigError(f"{source}: {key}: must not be negative, got {value}")
    return float(value)


def _string_list(source: str, key: str, value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _wrong_type(source, key, f"a list of {what} (strings)", value)
    return cast(list[str], value)


def _type_name(value: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "float", str: "string", list: "array",
             dict: "table"}
    return names.get(type(value), type(value).__name__)


def _wrong_type(source: str, key: str, expected: str, value: Any) -> ConfigError:
    if isinstance(value, bool):
        shown = f" {str(value).lower()}"  # as written in TOML
    else:
        shown = f" {value!r}" if isinstance(value, str | int | float) else ""
    return ConfigError(f"{source}: {key}: expected {expected}, got {_type_name(value)}{shown}")


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --------------------------------------------------------------------------- resolving


def resolve_target(file: TargetsFile, name: str | None = None,
                   endpoint_url: str | None = None) -> Target:
    """The target a run uses: ``name``, or an ad-hoc endpoint, or the file's default.

    Also checks what only matters for the chosen target (its faces directory), so
    that a file naming an aws target still works on a machine without the photos.
    """
    if name is not None and endpoint_url is not None:
        raise ConfigError(f"{ADHOC_SOURCE}: cannot be combined with --target {name}; name a "
                          "target or give a URL, not both")
    if endpoint_url is not None:
        url = _check_url(ADHOC_SOURCE, "endpoint_url", endpoint_url)
        target = Target(name=ADHOC_NAME, kind="endpoint", endpoint_url=url,
                        settle_timeout=DEFAULT_SETTLE_TIMEOUT["endpoint"])
    else:
        chosen = file.default if name is None else name
        if chosen not in file.targets:
            source = str(file.path) if file.path is not None else BUILTIN_SOURCE
            raise ConfigError(f"{source}: targets.{chosen}: no such target"
                              f"{_suggest(chosen, file.targets)}; known targets: "
                              f"{', '.join(sorted(file.targets))}")
        target = file.targets[chosen]
    _check_faces_dir(file, target)
    return target


def _check_faces_dir(file: TargetsFile, target: Target) -> None:
    if target.faces_dir is None:
        return
    source = str(file.path) if file.path is not None else BUILTIN_SOURCE
    key = f"targets.{target.name}.faces_dir"
    if not target.faces_dir.is_dir():
        raise ConfigError(f"{source}: {key}: {target.faces_dir} is not a directory; create it "
                          "and put photos of distinct people in it, one face each")
    if not photo_files(target.faces_dir):
        raise ConfigError(f"{source}: {key}: no .jpg, .jpeg or .png file in "
                          f"{target.faces_dir}; add photos of distinct people, one face each")


# --------------------------------------------------------------------------- clients


@dataclass(frozen=True)
class Clients:
    # Validates parameters on the client, like any application would.
    checked: RekognitionClient
    # Sends whatever it is given, so the server's own validation can be tested:
    # botocore checks only `min` constraints, and the suite must reach the server.
    raw: RekognitionClient
    endpoint_url: str | None
    region: str


def _client_config(kind: Kind, *, parameter_validation: bool) -> Any:
    from botocore.config import Config

    # Standard mode retries throttling and 5xx with backoff; the SDK's idempotency
    # tokens make a retried write safe. The emulator throttles only when asked to.
    attempts = 4 if kind == "embedded" else 8
    return Config(
        connect_timeout=3,
        read_timeout=30,
        retries={"mode": "standard", "max_attempts": attempts},
        parameter_validation=parameter_validation,
        user_agent_extra="rekognition-conformance",
    )


def make_clients(target: Target, endpoint_url: str | None = None) -> Clients:
    """Build the checked and the raw Rekognition client for ``target``.

    ``endpoint_url`` overrides the target's: the embedded emulator's URL is only
    known once it has started. Nothing here calls the network.
    """
    import boto3

    url = endpoint_url if endpoint_url is not None else target.endpoint_url
    if target.kind == "aws":
        session = _aws_session(target)
    else:
        if url is None:
            raise ValueError(f"target {target.name!r} ({target.kind}) has no endpoint URL; "
                             "start the emulator and pass its URL")
        session = boto3.Session(
            botocore_session=_isolated_botocore_session(),
            aws_access_key_id=target.access_key_id or DUMMY_CREDENTIAL,
            aws_secret_access_key=target.secret_access_key or DUMMY_CREDENTIAL,
            region_name=target.region,
        )
    checked = session.client("rekognition", endpoint_url=url,
                             config=_client_config(target.kind, parameter_validation=True))
    raw = session.client("rekognition", endpoint_url=url,
                         config=_client_config(target.kind, parameter_validation=False))
    return Clients(checked=checked, raw=raw, endpoint_url=url, region=target.region)


def _isolated_botocore_session() -> Any:
    """A botocore session blind to the user's AWS profile and files.

    A test server must not receive the user's real credentials, and a stale
    AWS_PROFILE must not stop a run that needs no AWS at all.
    """
    import botocore.session

    session = botocore.session.Session()
    store = session.get_component("config_store")
    store.set_config_variable("profile", None)
    store.set_config_variable("config_file", os.devnull)
    store.set_config_variable("credentials_file", os.devnull)
    return session


def _aws_session(target: Target) -> Any:
    import boto3
    from botocore.exceptions import BotoCoreError, ProfileNotFound

    where = f"target {target.name!r}"
    try:
        session = boto3.Session(profile_name=target.profile, region_name=target.region)
        # Resolves from the environment, the profile and the shared files; it makes no
        # AWS API call (the instance metadata service is asked only when all else is empty).
        credentials = session.get_credentials()
    except ProfileNotFound as exc:
        raise ConfigError(f"no AWS profile {exc.kwargs.get('profile')!r} for {where}: create it "
                          "(aws configure --profile NAME) or fix profile in targets.toml / "
                          "AWS_PROFILE") from None
    except BotoCoreError as exc:
        raise ConfigError(f"cannot read AWS configuration for {where}: {exc}") from None
    if credentials is None:
        raise ConfigError(f"no AWS credentials for {where}: set AWS_PROFILE (or "
                          "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or profile in "
                          "targets.toml")
    return session
