"""Answer feedback (👍/👎 and a comment) in SQLite; an acknowledged write survives a crash."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations_json TEXT NOT NULL,
    liked INTEGER NOT NULL,
    comment TEXT NOT NULL DEFAULT ''
)
"""
_COLUMNS = ("id", "created_at", "question", "answer", "citations_json", "liked", "comment")


class FeedbackStore:
    """One SQLite file (WAL, synchronous=FULL), safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)

    def add(
        self, question: str, answer: str, citations_json: str, liked: bool, comment: str = ""
    ) -> int:
        """Store one judgement; returns its id once it is durably on disk."""
        created = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO feedback"
                " (created_at, question, answer, citations_json, liked, comment)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (created, question, answer, citations_json, int(bool(liked)), comment or ""),
            )
            return int(cur.lastrowid or 0)

    def recent(self, limit: int = 50) -> list[dict]:
        """The newest judgements first, as dicts with `liked` a bool."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM feedback ORDER BY id DESC LIMIT ?",
                (int(limit),),
            ).fetchall()
        return [dict(zip(_COLUMNS, row, strict=True)) | {"liked": bool(row[5])} for row in rows]

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()
