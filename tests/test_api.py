"""The OpenAI-compatible API and the Gradio named endpoints, called like real clients would."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

import pytest
from openai import OpenAI

if TYPE_CHECKING:
    from conftest_ui import LiveApp

pytest_plugins = ["conftest_ui"]
pytestmark = [pytest.mark.server, pytest.mark.slow]

GANSU = "gansu-ganminfa-2021-97.txt"
STATION_Q = "甘民发〔2021〕97号对社会工作服务站建设有什么要求?"


@pytest.fixture(scope="module")
def client(live_app: LiveApp) -> OpenAI:
    """The official openai client pointed at the app."""
    return OpenAI(base_url=live_app.url + "/v1", api_key="x", timeout=120)


def test_startup_time_recorded(live_app: LiveApp) -> None:
    """The app (index loaded, model warmed up) answers within a minute of process start."""
    print(f"startup {live_app.startup_s:.1f} s")
    assert live_app.startup_s < 60


def test_models_list(client: OpenAI) -> None:
    """GET /v1/models lists shegong-bot."""
    assert [m.id for m in client.models.list()] == ["shegong-bot"]


def test_non_streaming_answer_has_markers_and_citations(client: OpenAI) -> None:
    """The answer cites [1], and the citations field says which clause of which file."""
    resp = client.chat.completions.create(
        model="shegong-bot", messages=[{"role": "user", "content": STATION_Q}]
    )
    text = resp.choices[0].message.content or ""
    assert "[1]" in text and "社工站" in text
    assert resp.model == "shegong-bot" and resp.choices[0].finish_reason == "stop"
    cites = (resp.model_extra or {})["citations"]
    assert cites and cites[0]["n"] == 1 and cites[0]["source"] == GANSU
    assert all(c["quote"] in c["text"] for c in cites)
    assert cites[0]["doc_number"] == "甘民发〔2021〕97号"
    assert (resp.model_extra or {})["refused"] is False


def test_streaming_answer_assembles_to_the_same_text(client: OpenAI) -> None:
    """Chunks add up to the non-streaming answer; the final chunk carries the citations."""
    messages = [{"role": "user", "content": "社工站要达到哪些要求?"}]
    whole = client.chat.completions.create(model="shegong-bot", messages=messages)
    stream = client.chat.completions.create(model="shegong-bot", messages=messages, stream=True)
    pieces, last = [], None
    for chunk in stream:
        assert chunk.object == "chat.completion.chunk"
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        last = chunk
    assert last is not None and last.choices[0].finish_reason == "stop"
    assert "".join(pieces) == whole.choices[0].message.content
    assert "[1]" in "".join(pieces)
    assert (last.model_extra or {})["citations"][0]["n"] == 1


def test_history_makes_a_followup_answerable(client: OpenAI) -> None:
    """The follow-up "那黑龙江呢?" after a Gansu question is answered from the Heilongjiang text."""
    resp = client.chat.completions.create(
        model="shegong-bot",
        messages=[
            {"role": "system", "content": "你是社工政策助手。"},
            {"role": "user", "content": "甘肃的持证社工目标是多少?"},
            {"role": "assistant", "content": "持证社工达到1万人。[1]"},
            {"role": "user", "content": [{"type": "text", "text": "那黑龙江呢?"}]},
        ],
    )
    cites = (resp.model_extra or {})["citations"]
    assert "三万" in (resp.choices[0].message.content or "")
    assert any("heilongjiang" in c["source"] for c in cites)


def test_unanswerable_question_is_refused(client: OpenAI) -> None:
    """A question the corpus cannot answer comes back refused, saying so."""
    resp = client.chat.completions.create(
        model="shegong-bot", messages=[{"role": "user", "content": "广东省社工站覆盖率是多少?"}]
    )
    assert (resp.model_extra or {})["refused"] is True
    assert "没有找到" in (resp.choices[0].message.content or "")


def test_bad_requests_get_openai_style_errors(live_app: LiveApp) -> None:
    """No user message, or no messages list: 400 with an error object."""
    for body in ({"model": "shegong-bot", "messages": [{"role": "system", "content": "x"}]}, {}):
        req = urllib.request.Request(
            live_app.url + "/v1/chat/completions",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=30)
        assert err.value.code == 400
        assert "message" in json.load(err.value)["error"]


def test_raw_sse_ends_with_done(live_app: LiveApp) -> None:
    """The stream is `data: {...}` lines ending with `data: [DONE]`."""
    body = {
        "model": "shegong-bot",
        "stream": True,
        "messages": [{"role": "user", "content": STATION_Q}],
    }
    req = urllib.request.Request(
        live_app.url + "/v1/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=120) as resp:
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        lines = [ln.decode() for ln in resp.read().splitlines() if ln.strip()]
    assert all(ln.startswith("data: ") for ln in lines)
    assert lines[-1] == "data: [DONE]"
    final = json.loads(lines[-2][len("data: ") :])
    assert final["choices"][0]["finish_reason"] == "stop" and final["citations"]


def test_gradio_client_named_endpoint(live_app: LiveApp) -> None:
    """gradio_client calls /ask with a history (JSON) and a region; /documents lists the corpus."""
    from gradio_client import Client

    gc = Client(live_app.url + "/", verbose=False)
    named = gc.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/ask", "/documents"} <= set(named)
    result = gc.predict("甘肃对社会工作者职业水平评价有什么规定?", "[]", "甘肃", api_name="/ask")
    assert result["refused"] is False and "[1]" in result["answer"]
    assert {c["source"] for c in result["citations"]} == {GANSU}
    history = json.dumps(
        [
            {"role": "user", "content": "甘肃的持证社工目标是多少?"},
            {"role": "assistant", "content": "持证社工达到1万人。[1]"},
        ],
        ensure_ascii=False,
    )
    followup = gc.predict("那黑龙江呢?", history, "全部", api_name="/ask")
    assert "三万" in followup["answer"]
    as_list = gc.predict("那黑龙江呢?", json.loads(history), "", api_name="/ask")
    assert as_list["answer"] == followup["answer"]
    docs = gc.predict(api_name="/documents")
    assert GANSU in {d["source"] for d in docs}
    assert all("parts" not in d for d in docs)
