"""The emulator without a socket: a boto3 client whose requests the Backend answers in-process.

botocore still serialises, validates parameters, signs, retries and parses as
over HTTP; only the send is replaced, by a ``before-send`` handler that hands
the prepared request to the AWS JSON layer (``protocol.handle``) and returns its
answer as the HTTP response (moto's in-process mock does the same). A run
through the HTTP server makes some 300 calls a second; in-process, botocore
alone sets the pace.

    backend = Backend(behaviour)
    client = inprocess_client(backend)                   # validating, default retries
    client, raw = inprocess_client_pair(backend)         # raw: parameter_validation off
    attach(existing_client, backend)                     # any rekognition client

Handlers on ``after-call.rekognition`` see an ``http_response`` whose
``.content`` is the raw JSON body, as over HTTP.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config

from conformance.emulator import protocol
from conformance.emulator.backend import Backend

REGION = "us-east-1"
# Never contacted: the handler answers before botocore opens a connection.
ENDPOINT_URL = "http://emulator.in-process"


class _RawBody(io.BytesIO):
    """The body as urllib3 would hand it to botocore, which reads it through ``stream()``."""

    def stream(self, amt: int = 1 << 16, decode_content: bool | None = None) -> Iterator[bytes]:
        while chunk := self.read(amt):
            yield chunk


def attach(client: Any, backend: Backend) -> None:
    """Answer every request of ``client`` (a rekognition client) from ``backend``, in-process.

    Call it once per client; the handler stays for the client's life. Each client
    has its own event hooks, so other clients of the same session are unaffected.
    """

    def send(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        # Signing leaves some header values as bytes; over HTTP they would be text.
        sent = {name: value.decode("latin-1") if isinstance(value, bytes) else str(value)
                for name, value in request.headers.items()}
        status, headers, body = protocol.handle(backend, sent, _body_bytes(request.body))
        return AWSResponse(request.url, status, headers, _RawBody(body))

    client.meta.events.register("before-send.rekognition", send)


def inprocess_client(backend: Backend, *, parameter_validation: bool = True,
                     config: Config | None = None) -> Any:
    """A fresh boto3 rekognition client answered by ``backend``, with dummy credentials.

    ``config`` is merged over ``parameter_validation``; pass e.g.
    ``Config(retries={"total_max_attempts": 1})`` to see injected faults unretried.
    """
    merged = Config(parameter_validation=parameter_validation)
    if config is not None:
        merged = merged.merge(config)
    client = boto3.session.Session().client(
        "rekognition", endpoint_url=ENDPOINT_URL, region_name=REGION,
        aws_access_key_id="testing", aws_secret_access_key="testing", config=merged)
    attach(client, backend)
    return client


def inprocess_client_pair(backend: Backend, config: Config | None = None) -> tuple[Any, Any]:
    """(validating client, raw client) on ``backend``: raw skips botocore's parameter
    validation so that requests reach the emulator's own validation."""
    return (inprocess_client(backend, config=config),
            inprocess_client(backend, parameter_validation=False, config=config))


def _body_bytes(body: object) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    read = getattr(body, "read", None)  # a file-like body, which botocore may rewind to retry
    if read is not None:
        data = read()
        seek = getattr(body, "seek", None)
        if seek is not None:
            seek(0)
        return data if isinstance(data, bytes) else str(data).encode("utf-8")
    raise TypeError(f"cannot send a request body of type {type(body).__name__}")
