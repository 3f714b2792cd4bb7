"""FeedbackStore: rows round-trip, newest first, and an acknowledged write survives kill -9."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from bot.feedback import FeedbackStore

ROOT = Path(__file__).resolve().parent.parent


def test_add_and_recent_round_trip(tmp_path: Path) -> None:
    """Fields come back as stored, newest first, with a timestamp and liked as bool."""
    store = FeedbackStore(tmp_path / "fb" / "feedback.sqlite")
    cites = json.dumps([{"n": 1, "title": "甘民发〔2021〕97号"}], ensure_ascii=False)
    first = store.add("社工站要达到哪些要求?", "要有场地[1]。", cites, True, "很有用")
    second = store.add("广东省社工站覆盖率是多少?", "资料中没有找到", "[]", False, "")
    assert second > first
    rows = store.recent()
    assert [r["id"] for r in rows] == [second, first]
    assert rows[1]["question"] == "社工站要达到哪些要求?"
    assert rows[1]["liked"] is True and rows[0]["liked"] is False
    assert rows[1]["comment"] == "很有用"
    assert json.loads(rows[1]["citations_json"])[0]["title"] == "甘民发〔2021〕97号"
    assert rows[0]["created_at"][:4].isdigit() and "T" in rows[0]["created_at"]
    assert len(store.recent(limit=1)) == 1


def test_wal_and_full_sync(tmp_path: Path) -> None:
    """The database runs in WAL mode with synchronous=FULL (2)."""
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    mode = store._db.execute("PRAGMA journal_mode").fetchone()[0]
    sync = store._db.execute("PRAGMA synchronous").fetchone()[0]
    assert (mode, sync) == ("wal", 2)


def test_concurrent_adds(tmp_path: Path) -> None:
    """Threads sharing one store lose no rows."""
    store = FeedbackStore(tmp_path / "feedback.sqlite")

    def work(i: int) -> None:
        for j in range(20):
            store.add(f"q{i}-{j}", "a", "[]", j % 2 == 0, "")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.recent(limit=1000)) == 80


def test_acknowledged_write_survives_kill(tmp_path: Path) -> None:
    """A row whose id was printed is present after the writer is killed with SIGKILL."""
    db = tmp_path / "feedback.sqlite"
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from bot.feedback import FeedbackStore\n"
        f"s = FeedbackStore(Path({str(db)!r}))\n"
        "i = s.add('持证社工目标?', '答[1]', '[]', True, '好')\n"
        "print(i, flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        row_id = int((proc.stdout.readline() if proc.stdout else "").strip())
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    with sqlite3.connect(db) as con:
        got = con.execute("SELECT question, liked FROM feedback WHERE id = ?", (row_id,)).fetchone()
    assert got == ("持证社工目标?", 1)
