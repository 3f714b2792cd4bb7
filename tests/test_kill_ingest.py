"""Crash safety of `shegong ingest`: killed with SIGKILL at several moments, or stopped at each
write step, the next normal run leaves exactly what a clean build gives."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import (
    SEED_FILES,
    SHEGONG,
    chroma_snapshot,
    collection_snapshot,
    copy_seeds,
    forget_chroma_clients,
    new_data_dir,
    run_shegong,
    subprocess_env,
)

from ingest.check import check_index
from ingest.kb import KnowledgeBase
from ingest.lexical import LexicalIndex
from ingest.pipeline import Ingestor
from ingest.store import VectorStore

pytestmark = pytest.mark.slow

TOTAL = len(SEED_FILES)
TIMES = {"ingested_at"}
BEIJING = "baozhi-beijing-kunming-guandu.txt"
TANGSHAN = "baozhi-heilongjiang-jiangsu-tangshan.txt"


def assert_same_index(got: dict, want: dict) -> None:
    """Same chunk ids, texts and metadata; vectors equal up to float noise."""
    assert set(got) == set(want)
    for chunk_id, (doc, meta, vector) in want.items():
        got_doc, got_meta, got_vector = got[chunk_id]
        assert got_doc == doc
        # Everything but the time of writing, should the store record one.
        assert {k: v for k, v in got_meta.items() if k not in TIMES} == {
            k: v for k, v in meta.items() if k not in TIMES
        }
        assert np.allclose(got_vector, vector, atol=1e-5), chunk_id


class Ingest:
    """`shegong ingest` in the background, its progress bar (stderr) read as it goes."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [str(SHEGONG), "ingest"],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.err = ""
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for raw in iter(lambda: self.proc.stderr.read1(4096), b""):
            with self._lock:
                self.err += raw.decode("utf-8", errors="replace")

    def done_files(self) -> int:
        with self._lock:
            counts = re.findall(rf"\|\s*(\d+)/{TOTAL}\s*\[", self.err)
        return int(counts[-1]) if counts else -1

    def kill_after(self, files_done: int, delay: float, timeout: float = 300) -> int | None:
        """SIGKILL `delay` seconds after the bar shows `files_done` files; the return code."""
        deadline = time.monotonic() + timeout
        try:
            while self.done_files() < files_done and self.proc.poll() is None:
                assert time.monotonic() < deadline, self.err[-2000:]
                time.sleep(0.02)
            time.sleep(delay)
        finally:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=60)
        self._reader.join(timeout=10)
        return self.proc.returncode


def test_sigkill_at_three_moments_then_a_normal_run_equals_a_clean_build(
    tmp_path, models_dir, seed_kb, shared_embedder
):
    corpus = copy_seeds(tmp_path / "corpus")
    data = new_data_dir(tmp_path / "data", models_dir)  # empty embedding cache: slow enough
    env = subprocess_env(data, corpus)

    # 1. While the second file is embedded (the first is written, nothing bumped or saved).
    first = Ingest(env, tmp_path)
    assert first.kill_after(1, 0.5) == -signal.SIGKILL, first.err[-2000:]
    # The half-built index is inconsistent, and `shegong check` says so.
    check = run_shegong(["check"], env, cwd=tmp_path, timeout=120)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "未入库" in check.stdout
    # 2. Right after a file's chunks are written, as the next one starts.
    second = Ingest(env, tmp_path)
    assert second.kill_after(3, 0.0) == -signal.SIGKILL, second.err[-2000:]
    # 3. The moment the last file is written: in the final version bump / lexical rebuild (or,
    # if the process is quicker than us, just after it finished).
    third = Ingest(env, tmp_path)
    assert third.kill_after(TOTAL, 0.0) in (-signal.SIGKILL, 0), third.err[-2000:]

    normal = run_shegong(["ingest", "--quiet"], env, cwd=tmp_path)
    assert normal.returncode == 0, normal.stdout + normal.stderr
    assert "失败 0 个" in normal.stdout

    forget_chroma_clients()
    settings = seed_kb.settings.model_copy(update={"data_dir": data, "corpus_dir": corpus})
    want = collection_snapshot(seed_kb.store.collection)
    assert_same_index(chroma_snapshot(settings), want)
    assert check_index(settings, embedder=shared_embedder) == []
    kb = KnowledgeBase(settings, embedder=shared_embedder)
    assert set(kb.lexical().ids) == set(want)
    hits = kb.search("唐山工会社会工作者证书补贴多少", k=3)
    assert hits[0].chunk.doc_id == f"{TANGSHAN}#3"


# --- a crash at each write step, simulated in-process -------------------------------------------


class Crash(BaseException):
    """Stands in for the process dying at this point (not an Exception: nothing catches it)."""


def crash(*_args, **_kwargs):
    raise Crash


def clean_build(make_settings, shared_embedder, corpus: Path) -> dict:
    settings = make_settings(corpus_dir=corpus)
    Ingestor(KnowledgeBase(settings, embedder=shared_embedder), progress=False).run()
    return chroma_snapshot(settings)


def change(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("从200至600元不等", "从300至900元不等"), encoding="utf-8")


@pytest.mark.parametrize(
    "step",
    ["before_stale_delete", "before_version_bump", "during_lexical_save", "before_removal"],
)
def test_crash_at_each_step_is_repaired_by_the_next_run(
    tmp_path, make_settings, shared_embedder, monkeypatch, step
):
    corpus = copy_seeds(tmp_path / "corpus", [BEIJING, TANGSHAN])
    settings = make_settings(corpus_dir=corpus)
    kb = KnowledgeBase(settings, embedder=shared_embedder)
    Ingestor(kb, progress=False).run()  # a completed build: its lexical index is saved

    # Then a run that changes one file, adds one and removes one, and dies at `step`.
    change(corpus / TANGSHAN)
    shutil.copy(corpus / BEIJING, tmp_path / "beijing.txt")
    (corpus / BEIJING).unlink()
    added = (tmp_path / "beijing.txt").read_text(encoding="utf-8").replace("北京", "天津")
    (corpus / "tianjin.txt").write_text(added, encoding="utf-8")
    targets = {
        "before_stale_delete": (VectorStore, "delete"),
        "before_version_bump": (VectorStore, "bump_version"),
        "during_lexical_save": (LexicalIndex, "save"),
        "before_removal": (Ingestor, "_drop_removed"),
    }
    with monkeypatch.context() as patch:
        patch.setattr(*targets[step], crash)
        with pytest.raises(Crash):
            Ingestor(KnowledgeBase(settings, embedder=shared_embedder), progress=False).run()
    assert check_index(settings, embedder=shared_embedder) != []

    # A fresh "process" runs normally and repairs everything.
    restarted = KnowledgeBase(settings, embedder=shared_embedder)
    report = Ingestor(restarted, progress=False).run()
    assert not report.failed
    assert check_index(settings, embedder=shared_embedder) == []
    assert set(restarted.lexical().ids) == {i for i, _, _ in restarted.store.records()}
    reference = clean_build(make_settings, shared_embedder, corpus)
    assert_same_index(chroma_snapshot(settings), reference)
    # A reader that had the old index loaded sees the repaired one (the version moved on).
    assert kb.lexical(force_check=True).version == restarted.store.version()
    assert set(kb.lexical().ids) == set(reference)
