"""moto's S3 in server mode on 127.0.0.1: a real HTTP endpoint that boto3 (ours and the fake Bedrock's) talks to.

moto keeps its state per process, so buckets outlive one server; tests use a fresh bucket name each.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def moto_s3_server() -> Iterator[str]:
    """Start moto's threaded server on a free port; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
