"""The optional LLM answerer: any OpenAI-compatible server through langchain-openai."""

from __future__ import annotations

from collections.abc import Iterator

from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

from bot.condense import bounded
from bot.prompts import load_prompt
from ingest.schema import Evidence
from ingest.settings import Settings


class LLMError(RuntimeError):
    """The LLM server failed or timed out; the caller falls back to the extractive answer."""


def evidence_block(evidence: list[Evidence]) -> str:
    """Numbered evidence for the prompt: [n] title (region, issuer, date) > section, then the
    chunk's text; the date lets the model put the newest rule first."""
    blocks = []
    for i, e in enumerate(evidence, start=1):
        meta = e.chunk.meta
        about = ",".join(v for v in (meta.region, meta.issuer, meta.date) if v)
        name = (meta.title or e.chunk.source) + (f"({about})" if about else "")
        blocks.append(f"[{i}] {name} > {e.chunk.section}\n{e.chunk.text}")
    return "\n\n".join(blocks)


class LLMAnswerer:
    """Writes a cited answer from numbered evidence, streaming; condenses follow-ups."""

    def __init__(self, settings: Settings) -> None:
        self._model = ChatOpenAI(
            base_url=settings.llm_base_url,
            model=settings.llm_model or "",
            api_key=settings.llm_api_key or "not-needed",
            timeout=settings.llm_timeout_s,
            max_retries=0,
            # ChatOpenAI's own max_tokens is sent as max_completion_tokens, which llama.cpp and
            # other OpenAI-compatible servers ignore; the classic field works with all of them.
            extra_body={"max_tokens": settings.llm_max_tokens},
            temperature=0.1,
        )

    def stream(self, question: str, evidence: list[Evidence]) -> Iterator[str]:
        """Text pieces of the answer; raises LLMError on any server failure."""
        messages = [
            SystemMessage(load_prompt("system")),
            HumanMessage(
                load_prompt("answer").format(evidence=evidence_block(evidence), question=question)
            ),
        ]
        try:
            for piece in self._model.stream(messages):
                if piece.content:
                    yield str(piece.content)
        except Exception as err:  # any transport, HTTP or timeout error of the client
            raise LLMError(f"{type(err).__name__}: {err}") from err

    def condense(self, question: str, history: list[dict]) -> str:
        """A standalone question written by the LLM; raises LLMError on failure."""
        turns = "\n".join(f"{m['role']}: {m['content']}" for m in bounded(history))
        prompt = load_prompt("condense").format(history=turns, question=question)
        try:
            reply = self._model.invoke([HumanMessage(prompt)])
        except Exception as err:  # any transport, HTTP or timeout error of the client
            raise LLMError(f"{type(err).__name__}: {err}") from err
        text = str(reply.content).strip().splitlines()
        return text[0].strip() if text else question
