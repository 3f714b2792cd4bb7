"""A real `shegong serve` process over a fresh index of corpus/, shared by the API and UI tests.

Load it with `pytest_plugins = ["conftest_ui"]` so that one server serves the whole session.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import free_port, stop_process

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "测试-staff-pw-42"
ARTIFACTS = ROOT / "artifacts"
_CACHE_FILES = ("embeddings.sqlite", "embeddings.sqlite-wal")


@dataclass(frozen=True)
class LiveApp:
    """Where the running app is and what it works on."""

    url: str
    port: int
    data_dir: Path
    corpus_dir: Path
    password: str
    startup_s: float
    log: Path
    pid: int

    @property
    def feedback_db(self) -> Path:
        """The SQLite file the UI writes feedback to."""
        return self.data_dir / "feedback.sqlite"


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEGONG_")}
    return env | {
        "SHEGONG_DATA_DIR": str(root / "data"),
        "SHEGONG_CORPUS_DIR": str(root / "corpus"),
        "SHEGONG_ADMIN_PASSWORD": PASSWORD,
        # Empty beats a developer's .env: embedded Chroma and the offline extractive answerer.
        "SHEGONG_CHROMA_URL": "",
        "SHEGONG_LLM_BASE_URL": "",
        "SHEGONG_LLM_MODEL": "",
        "PYTHONUNBUFFERED": "1",
    }


def _ready(url: str, api_key: str) -> bool:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        models_req = urllib.request.Request(url + "/v1/models", headers=headers)
        with urllib.request.urlopen(models_req, timeout=2) as r:
            models = json.load(r)
        with urllib.request.urlopen(url + "/config", timeout=2) as r:
            return r.status == 200 and models["data"][0]["id"] == "shegong-bot"
    except (OSError, ValueError, KeyError):
        return False


@contextmanager
def launch_app(root: Path, request: pytest.FixtureRequest, **env: str) -> Iterator[LiveApp]:
    """Index a copy of corpus/ into `root`/data, then run `serve()` in a subprocess until exit.

    `env` adds variables (e.g. SHEGONG_API_KEY) to the server's environment."""
    data = root / "data"
    (data / "cache").mkdir(parents=True)
    shared_models = ROOT / "data" / "models"  # converted once, shared by every test run
    shared_models.mkdir(parents=True, exist_ok=True)
    (data / "models").symlink_to(shared_models, target_is_directory=True)
    shutil.copytree(ROOT / "corpus", root / "corpus")
    # Vectors of the corpus, kept between runs in pytest's cache: re-embedding takes a minute.
    store = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    cache = Path(store.mkdir("shegong-embeddings")) if store else root / "no-cache"
    cache.mkdir(parents=True, exist_ok=True)
    for name in _CACHE_FILES:
        if (cache / name).is_file():
            shutil.copyfile(cache / name, data / "cache" / name)
    env = _env(root) | env
    ingest = (
        "from bot.service import QAService\nfrom ingest.settings import Settings\n"
        "r = QAService(Settings()).ingest()\nprint(r.summary())\n"
        "raise SystemExit(1 if r.failed else 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", ingest],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for name in _CACHE_FILES:
        if (data / "cache" / name).is_file():
            shutil.copyfile(data / "cache" / name, cache / name)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = root / "server.log"
    serve = (
        "from bot.server import serve\nfrom ingest.settings import Settings\n"
        f"serve(Settings(), host='127.0.0.1', port={port})\n"
    )
    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", serve], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        api_key = env.get("SHEGONG_API_KEY", "").replace(",", " ").split(" ")[0]
        while not _ready(url, api_key):
            assert proc.poll() is None, log.read_text()
            assert time.perf_counter() - started < 180, (
                "server not ready in 180 s\n" + log.read_text()
            )
            time.sleep(0.25)
        startup = time.perf_counter() - started
        yield LiveApp(url, port, data, root / "corpus", PASSWORD, startup, log, proc.pid)
    finally:
        stop_process(proc)


@pytest.fixture(scope="session")
def live_app(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[LiveApp]:
    """The app over a fresh index of corpus/, shared by the API and UI tests of a session."""
    with launch_app(tmp_path_factory.mktemp("shegong-live"), request) as app:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "startup.json").write_text(json.dumps({"startup_s": round(app.startup_s, 2)}))
        yield app
