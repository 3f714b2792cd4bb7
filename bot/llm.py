"""The LLM answerer: the prompt from prompts/, the evidence it reads, and two backends — any
OpenAI-compatible server (langchain-openai) or the packaged local model (llama-cpp-python)."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from typing import Protocol

from bot.condense import bounded
from bot.prompts import load_prompt
from ingest.lexical import tokenize
from ingest.punct import CLAUSE_SEP_CLASS
from ingest.schema import Evidence
from ingest.settings import Settings

# The local model's context: the fixed system prompt, the evidence shown, the question and up
# to llm_max_tokens of answer fit in 4,096 tokens with room to spare.
LOCAL_CONTEXT_TOKENS = 4096
TEMPERATURE = 0.1
# Sentences longer than this are cut to the clauses the question is about (question_clauses).
SHORT_SENTENCE = 60


class LLMError(RuntimeError):
    """The LLM failed or timed out; the caller falls back to the extractive answer."""


class ChatBackend(Protocol):
    """Streams the reply to (role, content) messages as text pieces; raises LLMError."""

    def stream(self, messages: list[tuple[str, str]]) -> Iterator[str]: ...


# What the LLM reads: (n, the evidence chunk, the sentences of it to show).
Shown = list[tuple[int, Evidence, list[str]]]


def evidence_block(shown: Shown) -> str:
    """Numbered evidence for the prompt: [n] title (region, issuer, date) > section, then the
    sentences shown of that chunk. The date lets the model put the newest rule first."""
    blocks = []
    for n, e, texts in shown:
        meta = e.chunk.meta
        about = ",".join(v for v in (meta.region, meta.issuer, meta.date) if v)
        name = (meta.title or e.chunk.source) + (f"({about})" if about else "")
        blocks.append(f"[{n}] {name} > {e.chunk.section}\n{''.join(texts)}")
    return "\n\n".join(blocks)


def question_clauses(text: str, question: str) -> str:
    """A long sentence cut to its clauses that share words with the question (in order, with
    its first clause for context): a small model given "…专业人才达到2.4万人,持证社工达到1万人…"
    for a question about 持证社工 tends to answer with the first figure it reads."""
    clauses = [c for c in re.split(f"(?<={CLAUSE_SEP_CLASS})", text) if c]
    if len(text) <= SHORT_SENTENCE or len(clauses) < 3:
        return text
    asked = set(tokenize(question))
    kept = [c for i, c in enumerate(clauses) if i == 0 or asked & set(tokenize(c))]
    if len(kept) < 2:
        return text
    return re.sub(f"{CLAUSE_SEP_CLASS}+$", "", "".join(kept)) + "……"


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
                n_threads_batch=os.cpu_count() or threads,  # reading the prompt scales well
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

    def stream(self, question: str, shown: Shown) -> Iterator[str]:
        """Text pieces of the answer from the evidence shown; raises LLMError on any failure."""
        block = evidence_block(shown)
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
