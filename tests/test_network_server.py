"""A real `shegong serve` process set up for a network: API keys, the lockout, body limits.

The default app (no key, see test_api.py) is unchanged; this one runs with two keys, a staff
password and a short cool-off, and is driven by the `openai` client, `gradio_client` and raw
HTTP, as a bureau's clients and an attacker would.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import openai
import pytest
from conftest_ui import PASSWORD, launch_app

from bot.audit import AuditAction, AuditLog

if TYPE_CHECKING:
    from conftest_ui import LiveApp

pytestmark = [pytest.mark.server, pytest.mark.slow]

KEYS = ("key-for-open-webui", "key-for-scripts")
COOLOFF_S = 20  # long enough for 16 calls through gradio_client on a busy machine
QUESTION = "社工站要达到哪些要求?"
NOTICE = "青山市社会工作服务站管理办法\n第一条 青山市社工站每年培训时长不少于88学时。\n"


@pytest.fixture(scope="module")
def guarded(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[LiveApp]:
    """The app with SHEGONG_API_KEY (two keys), a 20 s cool-off and small request limits."""
    with launch_app(
        tmp_path_factory.mktemp("shegong-guarded"),
        request,
        SHEGONG_API_KEY=",".join(KEYS),
        SHEGONG_LOGIN_COOLOFF_S=str(COOLOFF_S),
        SHEGONG_MAX_API_REQUEST_KB="256",
        SHEGONG_MAX_WEB_REQUEST_MB="8",
        SHEGONG_MAX_QUESTION_CHARS="300",
    ) as app:
        yield app


def _audit(app: LiveApp) -> AuditLog:
    return AuditLog(app.data_dir / "audit.sqlite")


def test_without_a_key_the_api_answers_401_in_openai_style(guarded: LiveApp) -> None:
    client = openai.OpenAI(base_url=guarded.url + "/v1", api_key="wrong", timeout=60)
    with pytest.raises(openai.AuthenticationError) as err:
        client.chat.completions.create(
            model="shegong-bot", messages=[{"role": "user", "content": QUESTION}]
        )
    assert err.value.status_code == 401 and err.value.code == "invalid_api_key"
    assert "API 密钥" in err.value.message
    conn = http.client.HTTPConnection("127.0.0.1", guarded.port, timeout=30)
    conn.request("GET", "/v1/models")  # no Authorization header at all
    resp = conn.getresponse()
    assert resp.status == 401 and resp.getheader("WWW-Authenticate") == "Bearer"
    assert json.loads(resp.read())["error"]["code"] == "invalid_api_key"


@pytest.mark.parametrize("key", KEYS)
def test_with_either_key_the_openai_client_gets_answers(guarded: LiveApp, key: str) -> None:
    client = openai.OpenAI(base_url=guarded.url + "/v1", api_key=key, timeout=120)
    assert [m.id for m in client.models.list()] == ["shegong-bot"]
    resp = client.chat.completions.create(
        model="shegong-bot", messages=[{"role": "user", "content": QUESTION}]
    )
    assert "[1]" in (resp.choices[0].message.content or "")
    stream = client.chat.completions.create(
        model="shegong-bot", messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)


def test_the_web_app_itself_needs_no_key(guarded: LiveApp) -> None:
    """Staff and candidates open the page in a browser: the key guards the API only."""
    conn = http.client.HTTPConnection("127.0.0.1", guarded.port, timeout=30)
    conn.request("GET", "/config")
    assert conn.getresponse().status == 200


def test_ingest_endpoint_needs_the_key_as_well_as_the_password(guarded: LiveApp) -> None:
    from gradio_client import Client

    content = base64.b64encode(NOTICE.encode()).decode()
    anonymous = Client(guarded.url + "/", verbose=False)
    refused = anonymous.predict(PASSWORD, "青山.txt", content, api_name="/ingest")
    assert refused["ok"] is False and "API 密钥" in refused["summary"]
    staff = Client(guarded.url + "/", verbose=False, headers={"Authorization": f"Bearer {KEYS[1]}"})
    done = staff.predict(PASSWORD, "青山.txt", content, api_name="/ingest")
    assert done["ok"] is True and done["files"][0][1] == "已入库"
    upload = next(e for e in _audit(guarded).recent() if e.action is AuditAction.UPLOAD)
    assert upload.file_name == "uploads/青山.txt" and upload.client == "127.0.0.1"
    assert upload.sha256 == hashlib.sha256(NOTICE.encode()).hexdigest()
    assert upload.outcome.startswith("已入库")


def test_twenty_wrong_passwords_then_the_right_one_is_refused_until_the_cooloff(
    guarded: LiveApp,
) -> None:
    from gradio_client import Client

    staff = Client(guarded.url + "/", verbose=False, headers={"Authorization": f"Bearer {KEYS[0]}"})
    content = base64.b64encode(NOTICE.encode()).decode()
    before = max((e.id for e in _audit(guarded).recent(1)), default=0)

    def attempt(password: str) -> dict:
        return staff.predict(password, "g.txt", content, api_name="/ingest")

    summaries = [attempt(f"guess-{i}")["summary"] for i in range(5)]
    fifth = time.monotonic()  # the lock runs from the fifth wrong password
    summaries += [attempt(f"guess-{i}")["summary"] for i in range(5, 20)]
    right = attempt(PASSWORD)
    took = time.monotonic() - fifth
    assert took < COOLOFF_S, f"the calls took {took:.1f} s: the cool-off ended before they did"
    assert summaries[:5] == ["密码不正确。"] * 5
    assert all("密码错误次数过多" in s for s in summaries[5:]), summaries
    assert right["ok"] is False and "登录已暂停" in right["summary"]
    new = [e for e in _audit(guarded).recent(100) if e.id > before]
    counts = {a: sum(e.action is a for e in new) for a in AuditAction}
    assert counts[AuditAction.LOGIN_FAILED] == 5 and counts[AuditAction.LOGIN_LOCKED] == 16
    assert counts[AuditAction.UPLOAD] == 0 and not (guarded.corpus_dir / "uploads/g.txt").exists()
    time.sleep(max(0.0, fifth + COOLOFF_S + 1 - time.monotonic()))
    assert attempt(PASSWORD)["ok"] is True


def test_a_question_over_the_limit_is_refused_with_a_clear_error(guarded: LiveApp) -> None:
    client = openai.OpenAI(base_url=guarded.url + "/v1", api_key=KEYS[0], timeout=60)
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(
            model="shegong-bot", messages=[{"role": "user", "content": "社工" * 200}]
        )
    assert "问题过长(400 字)" in err.value.message and "300 字以内" in err.value.message


def _rss_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{field} not in /proc/{pid}/status")


class _RssWatch:
    """Samples a process's resident memory every 20 ms while a block runs."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_kb, self._stop = pid, 0, threading.Event()
        self.start_kb = _rss_kb(pid, "VmRSS")

    def __enter__(self) -> _RssWatch:
        def sample() -> None:
            while not self._stop.is_set():
                self.peak_kb = max(self.peak_kb, _rss_kb(self.pid, "VmRSS"))
                time.sleep(0.02)

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth_mb(self) -> float:
        return max(0, self.peak_kb - self.start_kb) / 1024


def _send_body(
    port: int, path: str, headers: dict[str, str], chunks: int, prefix: bytes = b""
) -> int:
    """POST `prefix` and up to `chunks` MiB more (chunked transfer when no length is given);
    the response's status."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.putrequest("POST", path)
    for name, value in headers.items():
        conn.putheader(name, value)
    conn.endheaders()
    block = b"x" * (1 << 20)
    chunked = "Content-Length" not in headers
    try:
        if prefix:
            conn.send(b"%x\r\n%s\r\n" % (len(prefix), prefix) if chunked else prefix)
        for _ in range(chunks):
            conn.send(b"%x\r\n%s\r\n" % (len(block), block) if chunked else block)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed: what it said is read below
    return conn.getresponse().status


def test_oversized_bodies_are_refused_without_memory_growth(guarded: LiveApp) -> None:
    """Declared 512 MiB and undeclared (chunked) 200 MiB bodies, to the API and to the web
    app's upload route: all refused with 413 while the server's memory stays flat."""
    auth = {"Authorization": f"Bearer {KEYS[0]}", "Content-Type": "application/json"}
    huge = str(512 << 20)
    with _RssWatch(guarded.pid) as watch:
        declared_api = _send_body(
            guarded.port, "/v1/chat/completions", auth | {"Content-Length": huge}, 0
        )
        chunked_api = _send_body(
            guarded.port, "/v1/chat/completions", auth | {"Transfer-Encoding": "chunked"}, 200
        )
        upload = {"Content-Type": "multipart/form-data; boundary=x"}
        declared_web = _send_body(
            guarded.port, "/gradio_api/upload", upload | {"Content-Length": huge}, 0
        )
        chunked_web = _send_body(
            guarded.port,
            "/gradio_api/upload",
            upload | {"Transfer-Encoding": "chunked"},
            200,
            prefix=b'--x\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n'
            b"Content-Type: text/plain\r\n\r\n",
        )
    peak = _rss_kb(guarded.pid, "VmHWM") / 1024
    print(
        f"server RSS before {watch.start_kb / 1024:.0f} MiB, sampled peak growth"
        f" {watch.growth_mb:.1f} MiB, VmHWM {peak:.0f} MiB"
    )
    assert (declared_api, chunked_api, declared_web, chunked_web) == (413, 413, 413, 413)
    assert watch.growth_mb < 40
    client = openai.OpenAI(base_url=guarded.url + "/v1", api_key=KEYS[0], timeout=120)
    resp = client.chat.completions.create(
        model="shegong-bot", messages=[{"role": "user", "content": QUESTION}]
    )
    assert "[1]" in (resp.choices[0].message.content or "")  # still serving
