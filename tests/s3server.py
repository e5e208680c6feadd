"""A local S3 endpoint for tests: moto's server mode on 127.0.0.1, plus an optional fault proxy.

Anonymous reads (the way users read ``its-live-data``) work only on a bucket created with
``ACL="public-read"`` and objects uploaded public-read; :meth:`S3Server.write_options` gives the
s3fs options that do that. :class:`FaultProxy` sits in front of the server on another loopback
port and answers a chosen share of requests with 500/503/SlowDown (bounded), to test retries.

Use the ``s3_server`` fixture (session scope) from any test module::

    from tests.s3server import s3_server  # noqa: F401  (pytest fixture)
"""

from __future__ import annotations

import http.client
import itertools
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

REGION = "us-west-2"


@dataclass
class S3Server:
    """A running moto server; ``endpoint`` is ``http://127.0.0.1:<port>``."""

    endpoint: str
    _server: object = field(repr=False, default=None)

    def client_kwargs(self, endpoint: str | None = None) -> dict:
        return {"endpoint_url": endpoint or self.endpoint, "region_name": REGION}

    def read_options(self, endpoint: str | None = None) -> dict:
        """s3fs options of an anonymous reader (as users read ITS_LIVE)."""
        return {"anon": True, "client_kwargs": self.client_kwargs(endpoint)}

    def write_options(self) -> dict:
        """s3fs options of a writer whose objects are public-read."""
        return {
            "anon": False,
            "key": "testing",
            "secret": "testing",
            "client_kwargs": self.client_kwargs(),
            "s3_additional_kwargs": {"ACL": "public-read"},
        }

    def create_bucket(self, name: str) -> str:
        """Create a public-read bucket (idempotent); returns ``s3://name``."""
        import s3fs

        fs = s3fs.S3FileSystem(**self.write_options(), skip_instance_cache=True)
        if not fs.exists(name):
            fs.call_s3(
                "create_bucket",
                Bucket=name,
                ACL="public-read",
                CreateBucketConfiguration={"LocationConstraint": REGION},
            )
        return f"s3://{name}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def start_s3_server() -> S3Server:
    """Start moto's threaded server on a free loopback port."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return S3Server(endpoint=f"http://{host}:{port}", _server=server)


_ERRORS = {
    500: ("InternalError", "We encountered an internal error. Please try again."),
    503: ("SlowDown", "Please reduce your request rate."),
}


class FaultProxy:
    """Loopback HTTP proxy in front of ``upstream`` that injects S3 errors.

    ``policy(method, path, n)`` (n = 0-based count of requests seen so far) returns an HTTP
    status (500 or 503) to answer instead of forwarding, or None to forward. At most
    ``max_faults`` faults are injected (None: unbounded, for a request that keeps failing).
    """

    def __init__(
        self, upstream: str, policy: Callable[[str, str, int], int | None], max_faults: int | None = 200
    ):
        m = re.match(r"http://([^:/]+):(\d+)", upstream)
        self.upstream = (m[1], int(m[2]))
        self.policy = policy
        self.max_faults = max_faults
        self.faults = 0
        self.requests = 0
        self._lock = threading.Lock()
        self._counter = itertools.count()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def _handle(self):
                n = next(proxy._counter)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status = proxy.policy(self.command, self.path, n)
                with proxy._lock:
                    proxy.requests += 1
                    if status is not None and (proxy.max_faults is None or proxy.faults < proxy.max_faults):
                        proxy.faults += 1
                    else:
                        status = None
                if status is not None:
                    code, message = _ERRORS.get(status, _ERRORS[500])
                    payload = (
                        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
                        f"<Message>{message}</Message></Error>"
                    ).encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(payload)
                    return
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=30)
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in {"connection", "keep-alive"}
                }
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in {"transfer-encoding", "connection", "content-length"}:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                conn.close()

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def every(
    k: int, status: int = 503, pattern: str = r"/\d+\.\d+\.\d+$"
) -> Callable[[str, str, int], int | None]:
    """A policy failing every k-th GET whose path matches ``pattern`` (default: chunk keys)."""
    seen = itertools.count()

    def policy(method: str, path: str, n: int) -> int | None:
        if method == "GET" and re.search(pattern, path.split("?")[0]):
            return status if next(seen) % k == 0 else None
        return None

    return policy


@pytest.fixture(scope="session")
def s3_server():
    """A moto S3 server on 127.0.0.1 for the whole session (stopped at the end)."""
    server = start_s3_server()
    yield server
    server.stop()
