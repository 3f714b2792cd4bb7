"""OpenAI-compatible HTTP API: `GET /v1/models` and `POST /v1/chat/completions` over QAService."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from bot.answer_types import Answer
from bot.service import QAService, QuestionTooLong

MODEL_ID = "shegong-bot"


def _text(content: Any) -> str:
    """A message's text: a plain string, or the text parts of a content list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(p.get("text", ""))
            for p in content
            if isinstance(p, dict) and p.get("type") == "text"
        )
    return ""


def split_messages(messages: list[dict]) -> tuple[str, list[dict]]:
    """(question, history): the last user message, and the user/assistant turns before it."""
    turns = [
        {"role": m.get("role"), "content": _text(m.get("content"))}
        for m in messages
        if isinstance(m, dict) and m.get("role") in ("user", "assistant")
    ]
    last = max((i for i, m in enumerate(turns) if m["role"] == "user"), default=-1)
    if last < 0 or not turns[last]["content"].strip():
        return "", []
    return turns[last]["content"], turns[:last]


def _error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "code": None}}, status)


def _sse(obj: dict) -> str:
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"


def make_router(service: QAService) -> APIRouter:
    """The /v1 routes, answering through `service`."""
    router = APIRouter(prefix="/v1")

    @router.get("/models")
    def models() -> dict:
        """The one model this server offers."""
        return {
            "object": "list",
            "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "shegong"}],
        }

    @router.post("/chat/completions", response_model=None)
    async def chat_completions(request: Request) -> JSONResponse | StreamingResponse:
        """Answer the last user message, with the earlier messages as history."""
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "request body is not valid JSON")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return _error(400, "'messages' must be a list")
        question, history = split_messages(body["messages"])
        if not question:
            return _error(400, "no user message to answer")
        try:
            service.check_question(question)
        except QuestionTooLong as err:
            return _error(400, str(err))
        region = body.get("region") or None
        base = {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "created": int(time.time()),
            "model": MODEL_ID,
        }
        if body.get("stream"):
            return StreamingResponse(
                _stream(service, question, history, region, base),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        from starlette.concurrency import run_in_threadpool

        answer = await run_in_threadpool(service.ask, question, history, region)
        return JSONResponse(
            base
            | {
                "object": "chat.completion",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": answer.answer},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "citations": answer.citation_dicts(),
                "refused": answer.refused,
            }
        )

    return router


def _stream(
    service: QAService, question: str, history: list[dict], region: str | None, base: dict
) -> Iterator[str]:
    """SSE lines: a role chunk, the text pieces, a final chunk with citations, then [DONE]."""
    chunk = base | {"object": "chat.completion.chunk"}

    def piece(delta: dict, finish: str | None = None, **extra: Any) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return _sse(chunk | {"choices": [choice]} | extra)

    yield piece({"role": "assistant", "content": ""})
    sent = ""
    try:
        for part in service.stream(question, history, region):
            if isinstance(part, Answer):
                # The checked answer may add to what was streamed; send what is missing.
                rest = part.answer[len(sent) :] if part.answer.startswith(sent) else ""
                if rest:
                    yield piece({"content": rest})
                yield piece({}, "stop", citations=part.citation_dicts(), refused=part.refused)
                break
            sent += part
            yield piece({"content": part})
    except Exception as err:  # the stream has started: report in-band, as OpenAI does
        yield _sse({"error": {"message": str(err), "type": "server_error", "code": None}})
    yield "data: [DONE]\n\n"
