"""Load test of the scale-out set-up, against 127.0.0.1 only (a script; a short run is a test).

One real `chroma run` server holds the vectors; N `shegong serve` replicas answer from it.
Concurrent gradio_client users ask gold questions (follow-ups included) spread across the
replicas while a staff user ingests a new document through replica 0; we then time how soon
replica 1 answers from it. Run: python -m evals.load_test [--users 20] [--questions 10].
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / ".venv" / "bin"
PASSWORD = "load-test-staff"
NEW_DOC = "青山市社工站每年组织社会工作者培训,培训时长不少于88学时。"
NEW_QUESTION = "青山市社工站每年的培训时长不少于多少学时?"


@dataclass
class LoadReport:
    """What the load test measured."""

    asks: int = 0
    errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    ingest_summary: str = ""
    freshness_s: float | None = None  # new document answered by the other replica after …

    def lines(self) -> list[str]:
        """The report as printable lines."""
        lat = np.array(self.latencies_ms or [0.0])
        fresh = f"{self.freshness_s:.1f} s" if self.freshness_s is not None else "未在时限内找到"
        return [
            f"asks: {self.asks}  errors: {len(self.errors)}",
            f"latency p50: {np.percentile(lat, 50):.0f} ms  p95: {np.percentile(lat, 95):.0f} ms",
            f"staff ingest via replica 0: {self.ingest_summary}",
            f"new document answered via replica 1 after: {fresh}",
            *[f"error: {e}" for e in self.errors[:10]],
        ]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, timeout: float, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited early: {proc.args}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(url)


def _env(data: Path, corpus: Path, chroma_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEGONG_")}
    return env | {
        "SHEGONG_DATA_DIR": str(data),
        "SHEGONG_CORPUS_DIR": str(corpus),
        "SHEGONG_CHROMA_URL": chroma_url,
        "SHEGONG_ADMIN_PASSWORD": PASSWORD,
        "PYTHONUNBUFFERED": "1",
    }


def _data_dir(root: Path, name: str) -> Path:
    """A data dir sharing the converted model and the embedding cache of the repository."""
    data = root / name
    (data / "cache").mkdir(parents=True)
    (data / "models").symlink_to(REPO / "data" / "models", target_is_directory=True)
    cache = REPO / "data" / "cache" / "embeddings.sqlite"
    if cache.exists():
        shutil.copy2(cache, data / "cache" / "embeddings.sqlite")
    return data


def _questions(n_users: int, per_user: int) -> list[list[dict]]:
    items = [json.loads(line) for line in (REPO / "evals" / "qa.jsonl").open(encoding="utf-8")]
    cycle = itertools.cycle(items)
    return [[next(cycle) for _ in range(per_user)] for _ in range(n_users)]


def _user(url: str, items: list[dict], report: LoadReport, lock: threading.Lock) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    for item in items:
        started = time.perf_counter()
        try:
            result = client.predict(
                item["question"], json.dumps(item.get("history") or []), "", api_name="/ask"
            )
            ok = isinstance(result, dict) and "answer" in result
            error = None if ok else f"bad result for {item['id']}"
        except Exception as err:  # any client or server failure is what we count
            error = f"{item['id']}: {type(err).__name__}: {err}"
        with lock:
            report.asks += 1
            if error:
                report.errors.append(error)
            else:
                report.latencies_ms.append((time.perf_counter() - started) * 1000)


def _staff_then_check(urls: list[str], report: LoadReport, timeout: float) -> None:
    from gradio_client import Client

    time.sleep(2)
    content = base64.b64encode(NEW_DOC.encode("utf-8")).decode()
    result = Client(urls[0], verbose=False).predict(
        PASSWORD, "青山市社工站办法.txt", content, api_name="/ingest"
    )
    report.ingest_summary = result.get("summary", str(result))
    done = time.monotonic()
    other = Client(urls[1 % len(urls)], verbose=False)
    while time.monotonic() - done < timeout:
        answer = other.predict(NEW_QUESTION, "[]", "", api_name="/ask")
        if "88学时" in answer.get("answer", ""):
            report.freshness_s = time.monotonic() - done
            return
        time.sleep(0.5)


def run(users: int, questions: int, replicas: int = 2, freshness_timeout: float = 30) -> LoadReport:
    """Start Chroma and the replicas, run the users and the staff ingest, stop everything."""
    root = Path(tempfile.mkdtemp(prefix="shegong-load-"))
    procs: list[subprocess.Popen] = []
    try:
        corpus = root / "corpus"
        shutil.copytree(REPO / "corpus", corpus)
        port = _free_port()
        chroma = subprocess.Popen(
            [str(BIN / "chroma"), "run", "--path", str(root / "chroma"), "--host", "127.0.0.1",
             "--port", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        procs.append(chroma)
        chroma_url = f"http://127.0.0.1:{port}"
        _wait(f"{chroma_url}/api/v2/heartbeat", 60, chroma)
        ingest_env = _env(_data_dir(root, "data-ingest"), corpus, chroma_url)
        subprocess.run([str(BIN / "shegong"), "ingest", "--quiet"], env=ingest_env, check=True)
        urls = []
        for i in range(replicas):
            p = _free_port()
            env = _env(_data_dir(root, f"data-{i}"), corpus, chroma_url)
            proc = subprocess.Popen(
                [str(BIN / "shegong"), "serve", "--port", str(p)],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            procs.append(proc)
            urls.append(f"http://127.0.0.1:{p}/")
            _wait(f"http://127.0.0.1:{p}/v1/models", 120, proc)
        report = LoadReport()
        lock = threading.Lock()
        plan = _questions(users, questions)
        with ThreadPoolExecutor(max_workers=users + 1) as pool:
            staff = pool.submit(_staff_then_check, urls, report, freshness_timeout)
            jobs = [
                pool.submit(_user, urls[i % len(urls)], plan[i], report, lock) for i in range(users)
            ]
            for job in [*jobs, staff]:
                job.result()
        return report
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    """Run the load test and print its report; exit 1 on errors or a stale replica."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--replicas", type=int, default=2)
    args = parser.parse_args()
    report = run(args.users, args.questions, args.replicas)
    print("\n".join(report.lines()))
    return 1 if report.errors or report.freshness_s is None else 0


if __name__ == "__main__":
    sys.exit(main())
