"""Shared fixtures: settings for throw-away data dirs, one embedder per session, a seed index.

The embedding model is converted once into the repository's data/models (a fresh clone converts
it on first use); every test data dir links its `models` folder there, so nothing is converted
per test. One Embedder (with its own vector cache) serves the whole session, so the model loads
once; KnowledgeBase(settings, embedder=shared_embedder) uses it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.offline import go_offline

# Offline switches before sentence-transformers / transformers / chromadb are first imported.
go_offline()
# Helper modules that test files import directly: rewrite their asserts as pytest does its own.
pytest.register_assert_rewrite("conftest_ui", "hostile_inputs")

from ingest.embed import Embedder  # noqa: E402
from ingest.settings import Settings  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
SEED_CORPUS = REPO_ROOT / "corpus"
SEED_FILES = sorted(p.name for p in SEED_CORPUS.iterdir() if p.name != "manifest.toml")
SHEGONG = REPO_ROOT / ".venv" / "bin" / "shegong"

MakeSettings = Callable[..., Settings]


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """The repository's converted-model folder (converted here once if a clone lacks it)."""
    from ingest.e5_convert import ensure_e5_model

    target = REPO_ROOT / "data" / "models"
    ensure_e5_model(target)
    return target


def new_data_dir(parent: Path, models: Path) -> Path:
    """A data dir under `parent` whose models folder links to the converted models."""
    parent.mkdir(parents=True, exist_ok=True)
    (parent / "models").symlink_to(models, target_is_directory=True)
    return parent


@pytest.fixture(scope="session")
def make_settings(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> MakeSettings:
    """make_settings(corpus_dir=..., **overrides) -> Settings over a fresh tmp data dir."""

    def make(corpus_dir: Path = SEED_CORPUS, **overrides) -> Settings:
        data = new_data_dir(tmp_path_factory.mktemp("data"), models_dir)
        values = {"data_dir": data, "corpus_dir": Path(corpus_dir), "chroma_url": None}
        return Settings(_env_file=None, **(values | overrides))

    return make


@pytest.fixture(scope="session")
def shared_embedder(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Embedder:
    """One e5 embedder for the session (loads on first use), with a session vector cache."""
    cache = tmp_path_factory.mktemp("embcache") / "emb.sqlite"
    return Embedder(models_dir=models_dir, cache_path=cache)


@pytest.fixture(scope="session")
def seed_kb(make_settings: MakeSettings, shared_embedder: Embedder):
    """A KnowledgeBase with the five seed files indexed from scratch (embedded Chroma).

    Read-only for tests: it also serves as the clean-build reference of other tests.
    """
    from ingest.kb import KnowledgeBase
    from ingest.pipeline import Ingestor

    settings = make_settings(corpus_dir=SEED_CORPUS)
    kb = KnowledgeBase(settings, embedder=shared_embedder)
    report = Ingestor(kb, progress=False).run()
    assert report.count("indexed") == len(SEED_FILES), report.files
    return kb


def copy_seeds(target: Path, names: list[str] | None = None) -> Path:
    """Copy seed files (all by default) and the manifest into a corpus folder."""
    target.mkdir(parents=True, exist_ok=True)
    for name in [*(names or SEED_FILES), "manifest.toml"]:
        shutil.copy2(SEED_CORPUS / name, target / name)
    return target


def subprocess_env(data_dir: Path, corpus_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a `shegong` subprocess: its own data and corpus dirs, nothing inherited
    from SHEGONG_* variables of the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEGONG_")}
    env |= {
        "SHEGONG_DATA_DIR": str(data_dir),
        "SHEGONG_CORPUS_DIR": str(corpus_dir),
        "ANONYMIZED_TELEMETRY": "False",
        "PYTHONUNBUFFERED": "1",
    }
    return env | extra


def run_shegong(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the installed `shegong` console script and capture its output."""
    return subprocess.run(
        [str(SHEGONG), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def stop_process(proc: subprocess.Popen, timeout: float = 20) -> None:
    """Terminate a server process, and kill it if it does not stop in time."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def collection_snapshot(collection) -> dict[str, tuple[str, dict, list[float]]]:
    """{id: (document, metadata, embedding)} of a whole Chroma collection."""
    got = collection.get(include=["documents", "metadatas", "embeddings"])
    return {
        i: (doc, meta, list(vec))
        for i, doc, meta, vec in zip(
            got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
        )
    }


def chroma_snapshot(settings: Settings) -> dict[str, tuple[str, dict, list[float]]]:
    """collection_snapshot of the collection the settings point at."""
    from ingest.store import make_client

    return collection_snapshot(make_client(settings).get_collection(settings.collection))


def forget_chroma_clients() -> None:
    """Drop chromadb's per-path client cache, so a path written by another process is reopened."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
