"""targets.toml parsing, validation messages, target resolution and client construction."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from conformance.emulator.behaviour import DEFAULT_READINGS, Behaviour
from conformance.errors import ConfigError
from conformance.known import KnownDeviation
from conformance.targets import (
    BUILTIN_EMBEDDED,
    Clients,
    Target,
    TargetsFile,
    load_targets,
    make_clients,
    resolve_target,
)

REPO = Path(__file__).resolve().parent.parent
FACE_ID = "11111111-2222-3333-4444-555555555555"


def write(tmp_path: Path, text: str, name: str = "targets.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def config_error(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_targets(path)
    message = str(caught.value)
    # One line that a CI log shows whole, naming the file.
    assert "\n" not in message
    assert message.startswith(str(path)), message
    return message


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No AWS credentials anywhere, and no way for botocore to reach the network for some."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    aws_dir = tmp_path / "aws"
    aws_dir.mkdir()
    (aws_dir / "config").write_text("", encoding="utf-8")
    (aws_dir / "credentials").write_text("", encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(aws_dir / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(aws_dir / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("HOME", str(tmp_path))
    return aws_dir


# --------------------------------------------------------------------------- good files


FULL = """\
default = "local"

[targets.embedded]
kind = "embedded"

[targets.local]
kind = "endpoint"
endpoint_url = "http://127.0.0.1:5000"
settle_timeout = 5
access_key_id = "AKIDLOCAL"
secret_access_key = "local-secret"
region = "eu-west-1"
expected_failures = ["AF-CAP-USER", "DF-NOT-FOUND"]

[targets.aws]
kind = "aws"
region = "us-east-1"
profile = "default"
faces_dir = "faces"
call_budget = 2000
max_rps = 4.5
strictness = "aws"
expected_failures = ["AF-CAP-USER"]

[targets.aws.readings]
AMB-CAP = "exception"
"""


def test_full_file_parses(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    targets = load_targets(path)
    assert targets.path == path
    assert targets.default == "local"
    assert set(targets.targets) == {"embedded", "local", "aws"}

    local = targets.targets["local"]
    assert local == Target(
        name="local", kind="endpoint", endpoint_url="http://127.0.0.1:5000", region="eu-west-1",
        access_key_id="AKIDLOCAL", secret_access_key="local-secret", settle_timeout=5.0,
        expected_failures=(KnownDeviation("AF-CAP-USER"), KnownDeviation("DF-NOT-FOUND")),
    )

    aws = targets.targets["aws"]
    assert aws.kind == "aws"
    assert aws.profile == "default"
    assert aws.faces_dir == tmp_path / "faces"
    assert aws.call_budget == 2000
    assert aws.max_rps == 4.5
    assert aws.strictness == "aws"
    assert aws.settle_timeout == 60.0
    assert dict(aws.readings) == {"AMB-CAP": "exception"}
    assert aws.behaviour is None

    embedded = targets.targets["embedded"]
    assert embedded.kind == "embedded"
    assert embedded.settle_timeout == 10.0
    assert embedded.call_budget is None
    assert embedded.max_rps is None
    assert embedded.strictness == "spec"


def test_targets_are_hashable_and_frozen(tmp_path: Path) -> None:
    target = load_targets(write(tmp_path, FULL)).targets["aws"]
    assert {target: 1}[target] == 1
    with pytest.raises(AttributeError):
        target.name = "other"  # type: ignore[misc]


def test_pinned_readings_are_the_targets_own(tmp_path: Path) -> None:
    aws = load_targets(write(tmp_path, FULL)).targets["aws"]
    # Strictness aws adds no pin: the ledger refuses what AWS contradicts (differs_from_aws),
    # which may leave more than one reading.
    assert aws.strictness == "aws"
    assert aws.pinned_readings == {"AMB-CAP": "exception"}
    assert BUILTIN_EMBEDDED.pinned_readings == {}


def test_the_repository_targets_file_parses() -> None:
    targets = load_targets(REPO / "targets.toml")
    assert targets.default == "embedded"
    assert targets.targets["embedded"].kind == "embedded"


def test_the_shipped_aws_target_fits_the_live_profile_with_room() -> None:
    from conformance.cost import profile_calls

    aws = load_targets(REPO / "targets.toml").targets["aws"]
    live = profile_calls("live")
    assert live is not None
    # Room for what live AWS adds: the polls of slow settling and re-reads after knock-ons.
    assert aws.call_budget is not None and aws.call_budget >= 1.4 * sum(live.values())
    assert aws.max_rps is not None and aws.max_rps <= 5


def test_no_path_and_no_file_gives_the_builtin_embedded_target(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    targets = load_targets(None)
    assert targets.path is None
    assert targets.default == "embedded"
    assert targets.targets == {"embedded": BUILTIN_EMBEDDED}
    assert resolve_target(targets) == BUILTIN_EMBEDDED


def test_no_path_reads_targets_toml_in_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, FULL)
    monkeypatch.chdir(tmp_path)
    targets = load_targets(None)
    assert targets.path == tmp_path / "targets.toml"
    assert resolve_target(targets).name == "local"


def test_embedded_is_always_available_and_is_the_default(tmp_path: Path) -> None:
    targets = load_targets(write(tmp_path, """\
        [targets.moto]
        kind = "endpoint"
        endpoint_url = "https://localhost:4566/"
    """))
    assert targets.default == "embedded"
    assert resolve_target(targets) == BUILTIN_EMBEDDED
    # A trailing slash is harmless; it is dropped so that URLs compare equal in reports.
    assert resolve_target(targets, "moto").endpoint_url == "https://localhost:4566"


def test_emulator_table_becomes_a_behaviour(tmp_path: Path) -> None:
    targets = load_targets(write(tmp_path, """\
        [targets.variant]
        kind = "embedded"
        settle_timeout = 2.5
        [targets.variant.emulator]
        readings = { AMB-CAP = "unsuccessful-entries" }
        settle_seconds = 0.5
        creating_seconds = 0.25
        deviations = ["cap-off-by-one"]
        throttle_every = 3
        fault_every = 0
        missing_operations = ["DisassociateFaces"]
    """))
    variant = targets.targets["variant"]
    assert variant.settle_timeout == 2.5
    behaviour = variant.behaviour
    assert isinstance(behaviour, Behaviour)
    assert behaviour.reading("AMB-CAP") == "unsuccessful-entries"
    # The other readings stay the emulator's defaults.
    assert behaviour.readings["AMB-OWNER-ID"] == DEFAULT_READINGS["AMB-OWNER-ID"]
    assert behaviour.settle_seconds == 0.5
    assert behaviour.creating_seconds == 0.25
    assert behaviour.deviations == frozenset({"cap-off-by-one"})
    assert behaviour.throttle_every == 3
    assert behaviour.fault_every == 0
    assert behaviour.missing_operations == frozenset({"DisassociateFaces"})


def test_relative_faces_dir_is_resolved_against_the_file(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    conf = tmp_path / "conf"
    conf.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    path = write(conf, """\
        [targets.aws]
        kind = "aws"
        faces_dir = "photos/people"
        [targets.abs]
        kind = "aws"
        faces_dir = "/srv/faces"
    """)
    targets = load_targets(path)
    assert targets.targets["aws"].faces_dir == conf / "photos" / "people"
    assert targets.targets["abs"].faces_dir == Path("/srv/faces")


def test_faces_dir_is_checked_only_for_the_chosen_target(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        [targets.aws]
        kind = "aws"
        faces_dir = "faces"
    """)
    targets = load_targets(path)  # loading works without the photos
    resolve_target(targets, "embedded")

    with pytest.raises(ConfigError, match=r"targets\.aws\.faces_dir: .* is not a directory"):
        resolve_target(targets, "aws")
    (tmp_path / "faces").mkdir()
    (tmp_path / "faces" / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"targets\.aws\.faces_dir: no \.jpg"):
        resolve_target(targets, "aws")
    (tmp_path / "faces" / "alice.JPG").write_bytes(b"\xff\xd8")
    assert resolve_target(targets, "aws").faces_dir == tmp_path / "faces"


# --------------------------------------------------------------------------- resolving


def _builtin() -> TargetsFile:
    return TargetsFile(path=None, default="embedded", targets={"embedded": BUILTIN_EMBEDDED})


def test_endpoint_url_makes_an_adhoc_target() -> None:
    target = resolve_target(_builtin(), None, "http://127.0.0.1:4566")
    assert target == Target(name="endpoint", kind="endpoint",
                            endpoint_url="http://127.0.0.1:4566", settle_timeout=10.0)


def test_target_name_and_endpoint_url_together_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"--endpoint-url.*not both"):
        resolve_target(_builtin(), "embedded", "http://127.0.0.1:4566")


def test_bad_adhoc_url_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"--endpoint-url: endpoint_url: bad URL"):
        resolve_target(_builtin(), None, "127.0.0.1:4566")


def test_unknown_target_name_lists_the_known_ones(tmp_path: Path) -> None:
    targets = load_targets(write(tmp_path, FULL))
    with pytest.raises(ConfigError) as caught:
        resolve_target(targets, "lcoal")
    message = str(caught.value)
    assert "targets.lcoal" in message
    assert "did you mean 'local'" in message
    assert "aws, embedded, local" in message


# --------------------------------------------------------------------------- bad files


BAD_FILES: list[tuple[str, str, list[str]]] = [
    ("syntax", '[targets.x]\nkind = "endpoint"\nendpoint_url = \n',
     [":3: TOML syntax error"]),
    ("unknown top-level key", 'defualt = "embedded"\n',
     ["defualt: unknown top-level key", "did you mean 'default'"]),
    ("targets not a table", "targets = 3\n", ["targets: expected a table"]),
    ("target not a table", "[targets]\nx = 3\n", ["targets.x: expected a table"]),
    ("bad target name", '[targets."my target"]\nkind = "embedded"\n',
     ["targets.my target: bad target name"]),
    ("missing kind", "[targets.x]\nregion = 'us-east-1'\n", ["targets.x.kind: missing"]),
    ("kind not a string", "[targets.x]\nkind = 1\n", ["targets.x.kind: expected a string"]),
    ("unknown kind", '[targets.x]\nkind = "endpiont"\n',
     ["targets.x.kind: unknown kind 'endpiont'", "did you mean 'endpoint'"]),
    ("unknown key", '[targets.x]\nkind = "endpoint"\nendpoint_urll = "http://h"\n',
     ["targets.x.endpoint_urll: unknown key", "did you mean 'endpoint_url'"]),
    ("key of another kind", '[targets.x]\nkind = "embedded"\nprofile = "p"\n',
     ["targets.x.profile: does not apply to kind 'embedded'"]),
    ("secrets for aws", '[targets.x]\nkind = "aws"\nfaces_dir = "f"\naccess_key_id = "A"\n',
     ["targets.x.access_key_id: secrets do not belong"]),
    ("emulator on an endpoint",
     '[targets.x]\nkind = "endpoint"\nendpoint_url = "http://h"\n[targets.x.emulator]\n',
     ["targets.x.emulator: does not apply to kind 'endpoint'"]),
    ("missing endpoint_url", '[targets.x]\nkind = "endpoint"\n',
     ["targets.x.endpoint_url: missing", "http://127.0.0.1:5000"]),
    ("missing faces_dir", '[targets.x]\nkind = "aws"\n', ["targets.x.faces_dir: missing"]),
    ("url without scheme", '[targets.x]\nkind = "endpoint"\nendpoint_url = "127.0.0.1:5000"\n',
     ["targets.x.endpoint_url: bad URL", "http(s)://host[:port]"]),
    ("url with another scheme", '[targets.x]\nkind = "endpoint"\nendpoint_url = "ftp://h"\n',
     ["targets.x.endpoint_url: bad URL"]),
    ("url with a bad port",
     '[targets.x]\nkind = "endpoint"\nendpoint_url = "http://h:99999"\n',
     ["targets.x.endpoint_url: bad URL"]),
    ("url with a path", '[targets.x]\nkind = "endpoint"\nendpoint_url = "http://h/api"\n',
     ["targets.x.endpoint_url: bad URL", "path"]),
    ("url without host", '[targets.x]\nkind = "endpoint"\nendpoint_url = "http://"\n',
     ["targets.x.endpoint_url: bad URL"]),
    ("url not a string", '[targets.x]\nkind = "endpoint"\nendpoint_url = 5000\n',
     ["targets.x.endpoint_url: expected a non-empty string, got integer"]),
    ("settle_timeout as string", '[targets.x]\nkind = "embedded"\nsettle_timeout = "5"\n',
     ["targets.x.settle_timeout: expected a number of seconds, got string '5'"]),
    ("settle_timeout negative", '[targets.x]\nkind = "embedded"\nsettle_timeout = -1\n',
     ["targets.x.settle_timeout: must not be negative"]),
    ("settle_timeout nan", '[targets.x]\nkind = "embedded"\nsettle_timeout = nan\n',
     ["targets.x.settle_timeout: must be a finite number"]),
    ("call_budget as bool", '[targets.x]\nkind = "embedded"\ncall_budget = true\n',
     ["targets.x.call_budget: expected an integer, got boolean true"]),
    ("call_budget as float", '[targets.x]\nkind = "embedded"\ncall_budget = 10.5\n',
     ["targets.x.call_budget: expected an integer, got float"]),
    ("call_budget negative", '[targets.x]\nkind = "embedded"\ncall_budget = -5\n',
     ["targets.x.call_budget: must be a positive number"]),
    ("call_budget zero", '[targets.x]\nkind = "embedded"\ncall_budget = 0\n',
     ["targets.x.call_budget: must be a positive number"]),
    ("max_rps zero", '[targets.x]\nkind = "embedded"\nmax_rps = 0\n',
     ["targets.x.max_rps: must be a positive number of calls per second, got 0"]),
    ("max_rps negative", '[targets.x]\nkind = "embedded"\nmax_rps = -2.5\n',
     ["targets.x.max_rps: must be a positive number of calls per second"]),
    ("max_rps inf", '[targets.x]\nkind = "embedded"\nmax_rps = inf\n',
     ["targets.x.max_rps: must be a positive number of calls per second"]),
    ("max_rps as string", '[targets.x]\nkind = "embedded"\nmax_rps = "5"\n',
     ["targets.x.max_rps: expected a number of calls per second, got string '5'"]),
    ("strictness", '[targets.x]\nkind = "embedded"\nstrictness = "strict"\n',
     ["targets.x.strictness: unknown strictness 'strict'", '"spec" or "aws"']),
    ("aws region", '[targets.x]\nkind = "aws"\nfaces_dir = "f"\nregion = "us-east1"\n',
     ["targets.x.region: 'us-east1' is not an AWS region name"]),
    ("expected_failures not a list",
     '[targets.x]\nkind = "embedded"\nexpected_failures = "AF-CAP-USER"\n',
     ["targets.x.expected_failures: expected a list of clause ids"]),
    ("unknown clause id", '[targets.x]\nkind = "embedded"\nexpected_failures = ["AF-CAP-USR"]\n',
     ["targets.x.expected_failures[0]: unknown clause id 'AF-CAP-USR'",
      "did you mean 'AF-CAP-USER'"]),
    ("readings not a table", '[targets.x]\nkind = "embedded"\nreadings = ["AMB-CAP"]\n',
     ["targets.x.readings: expected a table"]),
    ("unknown ambiguity", '[targets.x]\nkind = "embedded"\nreadings = { AMB-CAPP = "x" }\n',
     ["targets.x.readings.AMB-CAPP: unknown ambiguity", "did you mean 'AMB-CAP'"]),
    ("unknown reading", '[targets.x]\nkind = "embedded"\nreadings = { AMB-CAP = "throw" }\n',
     ["targets.x.readings.AMB-CAP: unknown reading 'throw'", "'exception'"]),
    ("reading not a string", '[targets.x]\nkind = "embedded"\nreadings = { AMB-CAP = 1 }\n',
     ["targets.x.readings.AMB-CAP: unknown reading integer"]),
    ("emulator unknown key", '[targets.x]\nkind = "embedded"\n[targets.x.emulator]\n'
     "settle_second = 1\n",
     ["targets.x.emulator.settle_second: unknown key", "did you mean 'settle_seconds'"]),
    ("emulator unknown deviation", '[targets.x]\nkind = "embedded"\n[targets.x.emulator]\n'
     'deviations = ["cap-of-by-one"]\n',
     ["targets.x.emulator.deviations: unknown deviation 'cap-of-by-one'",
      "did you mean 'cap-off-by-one'"]),
    ("emulator unknown operation", '[targets.x]\nkind = "embedded"\n[targets.x.emulator]\n'
     'missing_operations = ["DisassociateFace"]\n',
     ["targets.x.emulator.missing_operations: unknown operation 'DisassociateFace'",
      "did you mean 'DisassociateFaces'"]),
    ("emulator unknown reading", '[targets.x]\nkind = "embedded"\n[targets.x.emulator]\n'
     'readings = { AMB-DUP-IDS = "twice" }\n',
     ["targets.x.emulator.readings.AMB-DUP-IDS: unknown reading 'twice'"]),
    ("emulator negative throttle", '[targets.x]\nkind = "embedded"\n[targets.x.emulator]\n'
     "throttle_every = -2\n", ["targets.x.emulator.throttle_every: must be 0"]),
    ("emulator negative settle", '[targets.x]\nkind = "embedded"\n[targets.x.emulator]\n'
     "settle_seconds = -0.5\n", ["targets.x.emulator.settle_seconds: must not be negative"]),
    ("emulator not a table", '[targets.x]\nkind = "embedded"\nemulator = 1\n',
     ["targets.x.emulator: expected a table"]),
    ("default not a target", 'default = "lcoal"\n[targets.local]\nkind = "embedded"\n',
     ["default: no target named 'lcoal'", "did you mean 'local'", "embedded, local"]),
    ("default not a string", "default = 1\n", ["default: expected a target name"]),
]


@pytest.mark.parametrize(("text", "expected"), [(t, e) for _, t, e in BAD_FILES],
                         ids=[case for case, _, _ in BAD_FILES])
def test_bad_file_gives_a_one_line_config_error(tmp_path: Path, text: str,
                                                expected: list[str]) -> None:
    message = config_error(tmp_path, text)
    for part in expected:
        assert part in message, message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_targets(tmp_path / "nope.toml")


def test_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "targets.toml"
    path.write_bytes(b'default = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_targets(path)


# --------------------------------------------------------------------------- clients


class _Sent(Exception):
    """Raised instead of sending, so that no test touches the network."""

    def __init__(self, body: bytes) -> None:
        super().__init__("sent")
        self.body = body


def _intercept(client: Any) -> None:
    def before_send(request: Any, **_: Any) -> None:
        raise _Sent(request.body)

    client.meta.events.register("before-send.rekognition", before_send)


def test_endpoint_clients_validate_and_do_not_validate_parameters(
        aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A stale profile and real-looking credentials must not leak into a test server.
    monkeypatch.setenv("AWS_PROFILE", "ghost")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREAL")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    target = Target(name="local", kind="endpoint", endpoint_url="http://127.0.0.1:5000")
    clients = make_clients(target)
    assert isinstance(clients, Clients)
    assert clients.endpoint_url == "http://127.0.0.1:5000"
    for client in (clients.checked, clients.raw):
        assert client.meta.endpoint_url == "http://127.0.0.1:5000"
        assert client.meta.region_name == "us-east-1"
        assert client.meta.config.connect_timeout == 3
        assert client.meta.config.read_timeout == 30
        assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 9}
        assert client._request_signer._credentials.access_key == "testing"
        _intercept(client)

    # botocore checks `min` on the client: an empty FaceIds list never leaves a checked client.
    from botocore.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError):
        clients.checked.associate_faces(CollectionId="c", UserId="u", FaceIds=[])
    with pytest.raises(_Sent) as sent:
        clients.raw.associate_faces(CollectionId="c", UserId="u", FaceIds=[])
    assert b'"FaceIds": []' in sent.value.body
    with pytest.raises(_Sent):
        clients.checked.associate_faces(CollectionId="c", UserId="u", FaceIds=[FACE_ID])


def test_endpoint_clients_use_given_credentials_and_region(aws_env: Path) -> None:
    target = Target(name="local", kind="endpoint", endpoint_url="http://127.0.0.1:5000",
                    region="eu-west-1", access_key_id="AKIDLOCAL", secret_access_key="s")
    clients = make_clients(target)
    assert clients.region == "eu-west-1"
    assert clients.checked.meta.region_name == "eu-west-1"
    assert clients.raw._request_signer._credentials.access_key == "AKIDLOCAL"


def test_embedded_clients_take_the_emulators_url(aws_env: Path) -> None:
    clients = make_clients(BUILTIN_EMBEDDED, "http://127.0.0.1:40123")
    assert clients.checked.meta.endpoint_url == "http://127.0.0.1:40123"
    assert clients.raw.meta.config.retries == {"mode": "standard", "total_max_attempts": 5}
    with pytest.raises(ValueError, match="no endpoint URL"):
        make_clients(BUILTIN_EMBEDDED)


AWS_TARGET = Target(name="aws", kind="aws", faces_dir=Path("faces"), settle_timeout=60.0)


def test_aws_without_credentials_is_a_config_error(aws_env: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        make_clients(AWS_TARGET)
    message = str(caught.value)
    assert "no AWS credentials for target 'aws'" in message
    assert "AWS_PROFILE" in message
    assert "profile in targets.toml" in message


def test_aws_with_an_unknown_profile_is_a_config_error(aws_env: Path) -> None:
    target = Target(name="aws", kind="aws", profile="ghost", faces_dir=Path("faces"))
    with pytest.raises(ConfigError, match="no AWS profile 'ghost' for target 'aws'"):
        make_clients(target)


def test_aws_with_environment_credentials(aws_env: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    clients = make_clients(AWS_TARGET)
    assert clients.checked.meta.region_name == "us-east-1"
    assert "rekognition.us-east-1.amazonaws.com" in clients.checked.meta.endpoint_url
    assert clients.raw.meta.config.retries == {"mode": "standard", "total_max_attempts": 9}
    assert clients.checked._request_signer._credentials.access_key == "AKIDENV"


def test_aws_with_a_profile(aws_env: Path) -> None:
    (aws_env / "credentials").write_text(
        "[conformance]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = s\n",
        encoding="utf-8")
    target = Target(name="aws", kind="aws", profile="conformance", region="eu-west-1",
                    faces_dir=Path("faces"))
    clients = make_clients(target)
    assert clients.checked.meta.region_name == "eu-west-1"
    assert clients.raw._request_signer._credentials.access_key == "AKIDPROFILE"
