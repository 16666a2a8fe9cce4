"""An S3-compatible server for tests and benches: moto's (a dev dependency), in a process of its
own (so that what it holds never counts in the caller's memory) on 127.0.0.1 at a free port.
Any access key works; each caller makes its own bucket."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

# moto accepts any signed request; the client still needs a key to sign with.
TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "portal-test", "AWS_SECRET_ACCESS_KEY": "portal-test"}
REGION = "eu-north-1"


def why_no_s3_server() -> str | None:
    """None when an S3 server can be started here, else why not (a test skips with it)."""
    try:
        import flask  # noqa: F401  (moto's server runs on it)
        import moto.server  # noqa: F401
        import obstore  # noqa: F401
    except ImportError as error:
        return f"no S3-compatible server or client installed ({error.name}): uv sync --extra s3"
    return None


STARTUP_SECONDS = 30.0  # a loaded machine imports moto slowly


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextmanager
def s3_server() -> Iterator[str]:
    """A running moto server: its endpoint, http://127.0.0.1:<port>."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"moto's S3 server exited with status {server.returncode}")
            try:
                httpx.get(f"{endpoint}/moto-api/", timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


def new_bucket(endpoint: str) -> str:
    """A new, empty bucket (unsigned: moto does not check)."""
    name = f"portal-{uuid.uuid4().hex[:12]}"
    response = httpx.put(
        f"{endpoint}/{name}",
        content=(
            "<CreateBucketConfiguration><LocationConstraint>"
            f"{REGION}</LocationConstraint></CreateBucketConfiguration>"
        ),
    )
    response.raise_for_status()
    return name


def storage_url(endpoint: str, bucket: str, prefix: str = "files") -> str:
    return f"s3://{bucket}/{prefix}?endpoint={endpoint}&region={REGION}"


def set_credentials(environ: Any = os.environ) -> None:
    """The standard AWS variables the S3 backend reads (a monkeypatch or os.environ)."""
    for name, value in TEST_CREDENTIALS.items():
        if hasattr(environ, "setenv"):
            environ.setenv(name, value)
        else:
            environ[name] = value
