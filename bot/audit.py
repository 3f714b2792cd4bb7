"""The audit log of staff actions (upload, replace, delete, logins) in append-only SQLite.

One row per action: when (UTC), from which client address, which file and its SHA-256, the
outcome. Triggers refuse UPDATE and DELETE, WAL with synchronous=FULL keeps an acknowledged row
through a kill -9. Several processes may share one file (the login lockout then holds across
them), as SQLite locks between processes on one machine.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path


class AuditAction(Enum):
    """What a staff member (or someone trying to be one) did."""

    UPLOAD = "upload"
    REPLACE = "replace"  # an upload under the name of a file already there
    DELETE = "delete"
    LOGIN_OK = "login_ok"
    LOGIN_FAILED = "login_failed"
    LOGIN_LOCKED = "login_locked"  # refused unchecked: too many wrong passwords just before

    @property
    def label(self) -> str:
        """The action's name in the staff view."""
        return _LABELS[self]


_LABELS = {
    AuditAction.UPLOAD: "上传",
    AuditAction.REPLACE: "替换",
    AuditAction.DELETE: "删除",
    AuditAction.LOGIN_OK: "登录成功",
    AuditAction.LOGIN_FAILED: "密码错误",
    AuditAction.LOGIN_LOCKED: "登录被暂停",
}

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        client TEXT NOT NULL,
        file_name TEXT NOT NULL DEFAULT '',
        sha256 TEXT NOT NULL DEFAULT '',
        outcome TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX IF NOT EXISTS audit_client ON audit (client, id)",
    """CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
)
_COLUMNS = ("id", "at", "action", "client", "file_name", "sha256", "outcome")


@dataclass(frozen=True)
class AuditEntry:
    """One row of the log."""

    id: int
    at: str  # ISO 8601, UTC, milliseconds
    action: AuditAction
    client: str
    file_name: str
    sha256: str
    outcome: str


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file's bytes, read in pieces; "" when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with Path(path).open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return ""
    return digest.hexdigest()


class AuditLog:
    """Appends and reads audit rows; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=30
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        for statement in _SCHEMA:
            self._db.execute(statement)

    def record(
        self,
        action: AuditAction,
        client: str,
        file_name: str = "",
        sha256: str = "",
        outcome: str = "",
    ) -> int:
        """Append one row; returns its id once it is durably on disk."""
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO audit (at, action, client, file_name, sha256, outcome)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (at, action.value, client or "", file_name, sha256, outcome),
            )
            return int(cur.lastrowid or 0)

    def recent(self, limit: int = 100) -> list[AuditEntry]:
        """The newest rows first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM audit ORDER BY id DESC LIMIT ?", (int(limit),)
            ).fetchall()
        return [_entry(row) for row in rows]

    def failed_logins(self, client: str, within_s: float) -> list[datetime]:
        """Times of this client's wrong passwords since its last right one, newest first,
        counting only the last `within_s` seconds."""
        since = (datetime.now(UTC) - timedelta(seconds=within_s)).isoformat(timespec="milliseconds")
        with self._lock:
            rows = self._db.execute(
                "SELECT at FROM audit WHERE client = ? AND action = ? AND at >= ?"
                " AND id > COALESCE((SELECT MAX(id) FROM audit WHERE client = ? AND action = ?), 0)"
                " ORDER BY id DESC",
                (
                    client,
                    AuditAction.LOGIN_FAILED.value,
                    since,
                    client,
                    AuditAction.LOGIN_OK.value,
                ),
            ).fetchall()
        return [datetime.fromisoformat(at) for (at,) in rows]

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()


def _entry(row: tuple) -> AuditEntry:
    values = dict(zip(_COLUMNS, row, strict=True))
    return AuditEntry(**(values | {"action": AuditAction(values["action"])}))
