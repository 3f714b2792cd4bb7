"""Checks every HTTP request passes before any route sees it: the API key on /v1, body sizes.

A pure ASGI middleware: a body declared larger than its limit is refused from the header, and
one sent without a length (chunked) is counted as it arrives and cut off at the limit, so an
oversized request never sits in memory whole.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

API_PREFIX = "/v1"


def key_matches(authorization: str | None, keys: tuple[str, ...]) -> bool:
    """Whether an `Authorization: Bearer …` header carries one of `keys` (constant time)."""
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return False
    token = given.strip().encode("utf-8")
    # Every key is compared, so the time taken does not tell which one nearly matched.
    return sum(hmac.compare_digest(token, k.encode("utf-8")) for k in keys) > 0


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _error_body(message: str, kind: str, code: str | None) -> bytes:
    """An OpenAI-style error object (clients such as `openai` read `error.message`)."""
    body = {"error": {"message": message, "type": kind, "code": code}}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


class _TooLarge(Exception):
    """Raised inside the wrapped receive once a body passes its limit."""


class RequestGuard:
    """ASGI middleware: API key for /v1 when keys are set; a body limit for /v1 and one for the
    rest (the web app's uploads and named endpoints)."""

    def __init__(self, app: ASGIApp, keys: tuple[str, ...], api_limit: int, web_limit: int) -> None:
        self.app = app
        self.keys = keys
        self.api_limit = api_limit
        self.web_limit = web_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        is_api = path == API_PREFIX or path.startswith(API_PREFIX + "/")
        if is_api and self.keys and not key_matches(_header(scope, b"authorization"), self.keys):
            await _respond(
                send,
                401,
                _error_body(
                    "缺少或错误的 API 密钥:请在请求头中提供"
                    " Authorization: Bearer <SHEGONG_API_KEY>。 Missing or invalid API key.",
                    "invalid_request_error",
                    "invalid_api_key",
                ),
                {"www-authenticate": "Bearer"},
            )
            return
        limit = self.api_limit if is_api else self.web_limit
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await _respond(send, 413, _too_large(limit), {"connection": "close"})
            return
        await self._counted(scope, receive, send, limit)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Run the app with a receive that stops at `limit` bytes; then answer 413 ourselves."""
        seen = 0
        cut = False  # the body passed the limit: from then on the app's replies are dropped
        started = False

        async def counted_receive() -> Message:
            nonlocal seen, cut
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    cut = True
                    raise _TooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if cut:
                return  # e.g. the 500 a mounted app (Gradio) makes of our exception
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except Exception:
            if not cut:
                raise
        if cut and not started:
            await _respond(send, 413, _too_large(limit), {"connection": "close"})


def _too_large(limit: int) -> bytes:
    size = f"{limit / 1048576:g} MB" if limit >= 1048576 else f"{limit // 1024} KB"
    return _error_body(
        f"请求内容过大,上限为 {size}。 Request body too large.",
        "invalid_request_error",
        "request_too_large",
    )


async def _respond(send: Send, status: int, body: bytes, headers: dict[str, str]) -> None:
    raw = [(b"content-type", b"application/json; charset=utf-8")]
    raw += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    raw.append((b"content-length", str(len(body)).encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
