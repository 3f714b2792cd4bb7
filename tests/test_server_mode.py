"""Server mode: the knowledge base on a real `chroma run` server, shared between processes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import (
    REPO_ROOT,
    copy_seeds,
    free_port,
    new_data_dir,
    run_shegong,
    stop_process,
    subprocess_env,
)

import ingest.kb as kb_module
from ingest.check import check_index
from ingest.kb import KnowledgeBase
from ingest.pipeline import Ingestor

pytestmark = [pytest.mark.slow, pytest.mark.server]

CHROMA = REPO_ROOT / ".venv" / "bin" / "chroma"
NEW_FILE = "yunmeng-shegongzhan.txt"
NEW_TEXT = (
    "湖北:云梦县社工站推出“银龄守护”计划\n\n"
    "云梦县民政局日前启动“银龄守护”社会工作服务计划,由乡镇社工站的专职社会工作者"
    "每月上门探访独居老人,建立一人一档的服务台账。\n\n"
    "据介绍,该计划首批覆盖全县十二个乡镇,预计服务独居和空巢老人一千二百余名。\n"
)
QUESTION = "云梦县银龄守护计划探访独居老人"
# A second process with its own KnowledgeBase (its own data dir, so its lexical index can only
# come from the server): reads questions on stdin, prints the sources of its lexical hits.
READER = """
import json, sys
from ingest.kb import KnowledgeBase
from ingest.settings import Settings
kb = KnowledgeBase(Settings())
print(json.dumps({"ready": kb.store.count()}), flush=True)
for line in sys.stdin:
    hits = kb.search(line.strip(), k=5, mode="lexical")
    print(json.dumps({"sources": [h.chunk.source for h in hits],
                      "version": kb.lexical().version}), flush=True)
"""


def heartbeat(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as response:
            # {"nanosecond heartbeat": 1795401893446373866}
            return response.status == 200 and "nanosecond heartbeat" in json.loads(response.read())
    except (OSError, ValueError):
        return False


@pytest.fixture
def chroma_server(tmp_path):
    """A real `chroma run` on a free port; stopped (and checked stopped) afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "chroma.log").open("wb")
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(tmp_path / "server-db"), "--host", "127.0.0.1",
         "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={"ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while not heartbeat(url):
            assert proc.poll() is None, (tmp_path / "chroma.log").read_text(errors="replace")
            assert time.monotonic() < deadline, "chroma run did not answer its heartbeat"
            time.sleep(0.2)
        yield url
    finally:
        stop_process(proc)
        log.close()
    assert not heartbeat(url)


class Reader:
    """The second process, asked one question at a time."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", READER],
            env=env,
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.ready = json.loads(self.proc.stdout.readline())["ready"]

    def ask(self, question: str) -> dict:
        self.proc.stdin.write(question + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "the reader process died"
        return json.loads(line)

    def wait_for(self, predicate, timeout: float = 10.0) -> float:
        """Seconds until an answer satisfies `predicate` (asking every 0.2 s)."""
        started = time.monotonic()
        while not predicate(self.ask(QUESTION)):
            assert time.monotonic() - started < timeout, "the other process never saw it"
            time.sleep(0.2)
        return time.monotonic() - started

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def test_ingest_and_search_through_a_chroma_server(
    tmp_path, chroma_server, make_settings, shared_embedder, seed_kb, monkeypatch
):
    corpus = copy_seeds(tmp_path / "corpus")
    settings = make_settings(corpus_dir=corpus, chroma_url=chroma_server)
    kb = KnowledgeBase(settings, embedder=shared_embedder)
    report = Ingestor(kb, progress=False).run()
    assert report.count("indexed") == 5 and not report.failed
    # Nothing was stored locally: the chunks are on the server, the same as an embedded build.
    assert not (settings.index_dir / "chroma").exists()
    server_ids = {i for i, _, _ in kb.store.records()}
    assert server_ids == {i for i, _, _ in seed_kb.store.records()}
    for mode in ("dense", "lexical", "hybrid"):
        hits = kb.search("唐山工会社会工作者证书补贴多少", k=3, mode=mode)
        assert hits[0].chunk.doc_id == "baozhi-heilongjiang-jiangsu-tangshan.txt#3", mode
    # A region-filtered dense search asks the server among the allowed ids (forced here by
    # taking no extra unfiltered neighbours) and finds what the server's metadata filter finds.
    monkeypatch.setattr(kb_module, "OVERSAMPLE", 1)
    question, region = "社会工作专业人才队伍建设的目标", {"region": "唐山"}
    hits = kb.search(question, k=5, filters=region, mode="dense")
    vector = kb.embedder.embed_query(question)
    by_where = kb.store.nearest(vector, 5, where=kb_module._where(region))
    assert hits and [h.chunk.chunk_id for h in hits] == [cid for cid, _ in by_where]
    assert check_index(settings, embedder=shared_embedder) == []

    # A second process on the same server, with a data dir of its own.
    reader_data = new_data_dir(tmp_path / "reader-data", settings.models_dir.resolve())
    env = subprocess_env(reader_data, corpus, SHEGONG_CHROMA_URL=chroma_server)
    reader = Reader(env, tmp_path)
    try:
        assert reader.ready == len(server_ids)
        assert NEW_FILE not in reader.ask(QUESTION)["sources"]
        (corpus / NEW_FILE).write_text(NEW_TEXT, encoding="utf-8")
        report = Ingestor(kb, progress=False).run()
        assert report.count("indexed") == 1 and report.count("skipped") == 5
        assert kb.search(QUESTION, k=1, mode="lexical")[0].chunk.source == NEW_FILE
        # The other process's lexical index follows the collection's version within seconds.
        seen_after = reader.wait_for(lambda answer: answer["sources"][:1] == [NEW_FILE])
        assert seen_after < 10
        assert reader.ask(QUESTION)["version"] == kb.store.version()

        # The full question-answering path of another process sees it too.
        ask = run_shegong(["ask", "--json", QUESTION], env, cwd=tmp_path, timeout=300)
        assert ask.returncode == 0, ask.stderr[-3000:]
        answer = json.loads(ask.stdout)
        assert answer["retrieved"][0]["source"] == NEW_FILE
        assert any(c["source"] == NEW_FILE for c in answer["citations"]) or answer["refused"]

        # Removing the file removes it for the other process as well.
        (corpus / NEW_FILE).unlink()
        report = Ingestor(kb, progress=False).run()
        assert report.count("removed") == 1
        reader.wait_for(lambda answer: NEW_FILE not in answer["sources"])
    finally:
        reader.close()
    assert check_index(settings, embedder=shared_embedder) == []
