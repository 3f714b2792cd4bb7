"""The LLM answerer: the prompt from prompts/, the evidence it reads, and two backends — any
OpenAI-compatible server (langchain-openai) or the packaged local model (llama-cpp-python)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Protocol

from bot.condense import bounded
from bot.prompts import load_prompt
from bot.sentences import split_sentences
from ingest.lexical import tokenize
from ingest.schema import Evidence
from ingest.settings import Settings

# The local model's context: the fixed system prompt, ~1,200 characters of evidence, the
# question and up to llm_max_tokens of answer fit in 4,096 tokens with room to spare.
LOCAL_CONTEXT_TOKENS = 4096
TEMPERATURE = 0.1


class LLMError(RuntimeError):
    """The LLM failed or timed out; the caller falls back to the extractive answer."""


class ChatBackend(Protocol):
    """Streams the reply to (role, content) messages as text pieces; raises LLMError."""

    def stream(self, messages: list[tuple[str, str]]) -> Iterator[str]: ...


def evidence_block(evidence: list[Evidence], question: str, max_chars: int) -> str:
    """Numbered evidence for the prompt: [n] title (region, issuer, date) > section, then the
    chunk's sentences that share words with the question (all of them when none does), in
    order, within `max_chars` in all. The date lets the model put the newest rule first."""
    asked = set(tokenize(question))
    per_chunk = max_chars // max(1, len(evidence))
    blocks = []
    for i, e in enumerate(evidence, start=1):
        meta = e.chunk.meta
        about = ",".join(v for v in (meta.region, meta.issuer, meta.date) if v)
        name = (meta.title or e.chunk.source) + (f"({about})" if about else "")
        found = split_sentences(e)
        kept = [s.text for s in found if asked & set(tokenize(s.text))] or [s.text for s in found]
        text = "".join(kept)[:per_chunk] if found else e.chunk.text[:per_chunk]
        blocks.append(f"[{i}] {name} > {e.chunk.section}\n{text}")
    return "\n\n".join(blocks)


class OpenAIBackend:
    """Any OpenAI-compatible server (vLLM, Ollama, llama.cpp's server, DeepSeek, Qwen…)."""

    def __init__(self, settings: Settings) -> None:
        from langchain_openai import ChatOpenAI

        self._model = ChatOpenAI(
            base_url=settings.llm_base_url,
            model=settings.llm_model or "",
            api_key=settings.llm_api_key or "not-needed",
            timeout=settings.llm_timeout_s,
            max_retries=0,
            # ChatOpenAI's own max_tokens is sent as max_completion_tokens, which llama.cpp and
            # other OpenAI-compatible servers ignore; the classic field works with all of them.
            extra_body={"max_tokens": settings.llm_max_tokens},
            temperature=TEMPERATURE,
        )

    def stream(self, messages: list[tuple[str, str]]) -> Iterator[str]:
        try:
            for piece in self._model.stream(messages):
                if piece.content:
                    yield str(piece.content)
        except Exception as err:  # any transport, HTTP or timeout error of the client
            raise LLMError(f"{type(err).__name__}: {err}") from err


class LocalBackend:
    """The packaged model in this process, one answer at a time (llama.cpp is not thread-safe;
    a second question waits). In-process rather than a llama.cpp server: nothing to start, stop
    or leave running, and no port; the web app streams its tokens all the same.

    The fixed system prompt comes first in every prompt, so llama.cpp reuses its evaluated
    tokens from the previous answer (its longest-common-prefix cache) instead of reading it
    again."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._llama = None

    def _model(self):
        """The loaded model (about 3.5 s and 1.8 GB, on first use)."""
        if self._llama is None:
            # OpenMP threads that spin while waiting starve everything else on 2 cores.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            from llama_cpp import Llama

            from bot.local_model import ensure_local_model

            s = self._settings
            path = s.llm_model_path or ensure_local_model(s.models_dir)
            threads = s.llm_threads or os.cpu_count() or 1
            self._llama = Llama(
                model_path=str(path),
                n_ctx=LOCAL_CONTEXT_TOKENS,
                n_threads=threads,
                n_threads_batch=threads,
                verbose=False,
            )
        return self._llama

    def stream(self, messages: list[tuple[str, str]]) -> Iterator[str]:
        chat = [{"role": role, "content": content} for role, content in messages]
        deadline = time.monotonic() + self._settings.llm_timeout_s
        with self._lock:
            try:
                reply = self._model().create_chat_completion(
                    messages=chat,
                    stream=True,
                    max_tokens=self._settings.llm_max_tokens,
                    temperature=TEMPERATURE,
                )
                for chunk in reply:
                    if time.monotonic() > deadline:
                        raise LLMError(f"超过 {self._settings.llm_timeout_s:.0f} 秒未答完")
                    if piece := chunk["choices"][0]["delta"].get("content"):
                        yield piece
            except LLMError:
                raise
            except Exception as err:  # the model file, llama.cpp or the context failed
                raise LLMError(f"{type(err).__name__}: {err}") from err


class LLMAnswerer:
    """Writes a cited answer from numbered evidence, streaming; condenses follow-ups."""

    def __init__(self, settings: Settings, backend: ChatBackend | None = None) -> None:
        self.settings = settings
        if backend is None:
            backend = LocalBackend(settings) if settings.local_llm else OpenAIBackend(settings)
        self.backend = backend

    def stream(self, question: str, evidence: list[Evidence]) -> Iterator[str]:
        """Text pieces of the answer; raises LLMError on any failure."""
        block = evidence_block(evidence, question, self.settings.llm_context_chars)
        yield from self.backend.stream(
            [
                ("system", load_prompt("system")),
                ("user", load_prompt("answer").format(evidence=block, question=question)),
            ]
        )

    def condense(self, question: str, history: list[dict]) -> str:
        """A standalone question written by the LLM; raises LLMError on failure."""
        turns = "\n".join(f"{m['role']}: {m['content']}" for m in bounded(history))
        prompt = load_prompt("condense").format(history=turns, question=question)
        text = "".join(self.backend.stream([("user", prompt)])).strip().splitlines()
        return text[0].strip() if text else question
