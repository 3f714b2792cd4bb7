"""Crash safety of `shegong ingest`: killed with SIGKILL at several moments (three chosen ones,
then ten random ones), or stopped at each write step, the next normal run leaves exactly what a
clean build gives."""

from __future__ import annotations

import random
import re
import shutil
import signal
import sqlite3
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
        """Files the progress bar shows done; -1 before the bar appears."""
        with self._lock:
            counts = re.findall(r"\|\s*(\d+)/\d+\s*\[", self.err)
        return int(counts[-1]) if counts else -1

    def wait_for_bar(self, timeout: float = 120) -> float:
        """Wait until the progress bar is up (imports done, files found); when it came."""
        deadline = time.monotonic() + timeout
        while self.done_files() < 0 and self.proc.poll() is None:
            assert time.monotonic() < deadline, self.err[-2000:]
            time.sleep(0.01)
        return time.monotonic()

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


# --- SIGKILL at ten random moments ----------------------------------------------------------------

KILL_SEED = 20261123  # the moments are random, but the same on every run: a failure reproduces
EXTRA = "extra.txt"


def mutate(corpus: Path, round_no: int) -> None:
    """Change the corpus the way staff do between ingests: edit a file, add or remove one."""
    files = sorted(p for p in corpus.iterdir() if p.suffix in (".txt", ".md") and p.name != EXTRA)
    edited = files[round_no % len(files)]
    with edited.open("a", encoding="utf-8") as f:
        f.write(f"\n\n第{round_no}次补充:街道社工站每年开展服务评估{round_no + 2}次。\n")
    extra = corpus / EXTRA
    if extra.exists():
        extra.unlink()
    else:
        text = (corpus / BEIJING).read_text(encoding="utf-8")
        extra.write_text(text.replace("北京", "天津").replace("2022", str(2023 + round_no)))


def share_vector_cache(embedder, data: Path) -> None:
    """Copy the session's vector cache into a data dir, so its ingest never loads the model and
    the random moments fall among the writes (kills during embedding are covered above)."""
    target = data / "cache" / "embeddings.sqlite"
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(embedder.cache_path) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def test_sigkill_at_ten_random_moments_each_then_a_normal_run_equals_a_clean_build(
    tmp_path, models_dir, make_settings, shared_embedder
):
    rng = random.Random(KILL_SEED)
    corpus = copy_seeds(tmp_path / "corpus")
    data = new_data_dir(tmp_path / "data", models_dir)
    env = subprocess_env(data, corpus)
    settings = make_settings(corpus_dir=corpus).model_copy(update={"data_dir": data})
    Ingestor(KnowledgeBase(settings, embedder=shared_embedder), progress=False).run()
    window = 0.0
    outcomes = []
    for round_no in range(11):
        mutate(corpus, round_no)
        want = clean_build(make_settings, shared_embedder, corpus)  # also caches the new vectors
        share_vector_cache(shared_embedder, data)
        run = Ingest(env, tmp_path)
        if round_no == 0:
            # Calibration: how long a run lasts once its progress bar is up.
            started = run.wait_for_bar()
            assert run.proc.wait(timeout=120) == 0, run.err[-2000:]
            window = time.monotonic() - started
            continue
        moment = rng.uniform(0, window)
        outcomes.append(run.kill_after(0, moment))
        forget_chroma_clients()
        report = Ingestor(KnowledgeBase(settings, embedder=shared_embedder), progress=False).run()
        assert not report.failed, report.files
        forget_chroma_clients()
        assert_same_index(chroma_snapshot(settings), want)
        assert check_index(settings, embedder=shared_embedder) == []
    # Most moments must really have interrupted a run (the others came after it finished).
    assert outcomes.count(-signal.SIGKILL) >= 6, (window, outcomes)


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
