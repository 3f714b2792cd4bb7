"""API keys, the login lockout and the append-only audit log, without a server (fast rules)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.audit import AuditAction, AuditLog, file_sha256
from bot.http_guard import key_matches
from bot.login_guard import LoginGuard, LoginOutcome
from ingest.settings import Settings

KEYS = ("k-one", "k-two")


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        ("Bearer k-one", True),
        ("Bearer k-two", True),
        ("bearer k-two", True),  # the scheme is case-insensitive (RFC 7235)
        ("Bearer  k-one ", True),
        ("Bearer k-three", False),
        ("Bearer k-on", False),
        ("Bearer ", False),
        ("Basic k-one", False),
        ("k-one", False),
        ("", False),
        (None, False),
    ],
)
def test_bearer_header_matches_only_a_configured_key(header: str | None, ok: bool) -> None:
    assert key_matches(header, KEYS) is ok


@pytest.mark.parametrize(
    ("value", "keys"),
    [
        (None, ()),
        ("", ()),
        ("abc", ("abc",)),
        ("a1, b2", ("a1", "b2")),
        ("a1 b2,,c3", ("a1", "b2", "c3")),
    ],
)
def test_api_key_setting_holds_one_or_several_keys(value: str | None, keys: tuple) -> None:
    assert Settings(api_key=value).api_keys == keys


def _guard(tmp_path: Path, cooloff_s: float = 300.0) -> LoginGuard:
    return LoginGuard("right-pw", AuditLog(tmp_path / "audit.sqlite"), 5, cooloff_s)


def test_wrong_passwords_lock_the_address_even_for_the_right_one(tmp_path: Path) -> None:
    guard = _guard(tmp_path)
    outcomes = [guard.attempt("10.0.0.7", f"guess-{i}").outcome for i in range(20)]
    assert outcomes[:5] == [LoginOutcome.WRONG] * 5
    assert outcomes[5:] == [LoginOutcome.LOCKED] * 15
    locked = guard.attempt("10.0.0.7", "right-pw")
    assert locked.outcome is LoginOutcome.LOCKED and 290 <= locked.wait_s <= 300
    assert "密码错误次数过多" in locked.message() and "5 分钟" in locked.message()
    assert guard.attempt("10.0.0.8", "right-pw").ok  # another address is not held back


def test_the_lock_ends_after_the_cooloff_and_a_right_password_resets_the_count(
    tmp_path: Path,
) -> None:
    guard = _guard(tmp_path, cooloff_s=1.0)
    for _ in range(5):
        guard.attempt("10.0.0.7", "guess")
    assert guard.attempt("10.0.0.7", "right-pw").outcome is LoginOutcome.LOCKED
    time.sleep(1.2)
    assert guard.attempt("10.0.0.7", "right-pw").ok
    # The count starts again from zero: four more wrong ones do not lock.
    assert [guard.attempt("10.0.0.7", "x").outcome for _ in range(4)] == [LoginOutcome.WRONG] * 4
    assert guard.attempt("10.0.0.7", "right-pw").ok


def test_no_password_configured_means_staff_login_is_disabled(tmp_path: Path) -> None:
    guard = LoginGuard(None, AuditLog(tmp_path / "a.sqlite"), 5, 300)
    result = guard.attempt("10.0.0.7", "")
    assert result.outcome is LoginOutcome.DISABLED and "SHEGONG_ADMIN_PASSWORD" in result.message()


def test_processes_sharing_the_log_share_the_lockout(tmp_path: Path) -> None:
    """Two replicas pointed at one audit file: failures through one lock the other."""
    first = _guard(tmp_path)
    second = LoginGuard("right-pw", AuditLog(tmp_path / "audit.sqlite"), 5, 300)
    for _ in range(3):
        first.attempt("10.0.0.7", "guess")
    for _ in range(2):
        second.attempt("10.0.0.7", "guess")
    assert first.attempt("10.0.0.7", "right-pw").outcome is LoginOutcome.LOCKED


def test_every_attempt_is_in_the_audit_log(tmp_path: Path) -> None:
    guard = _guard(tmp_path)
    for pw in ("a", "b", "right-pw"):
        guard.attempt("10.0.0.9", pw, "notice.txt")
    actions = [(e.action, e.client, e.file_name) for e in reversed(guard.audit.recent())]
    assert actions == [
        (AuditAction.LOGIN_FAILED, "10.0.0.9", "notice.txt"),
        (AuditAction.LOGIN_FAILED, "10.0.0.9", "notice.txt"),
        (AuditAction.LOGIN_OK, "10.0.0.9", "notice.txt"),
    ]


def test_audit_rows_cannot_be_changed_or_removed(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.sqlite")
    log.record(AuditAction.DELETE, "10.0.0.1", "uploads/a.txt", "ab" * 32, "删除 3 个片段")
    with sqlite3.connect(tmp_path / "audit.sqlite") as con:
        for statement in ("UPDATE audit SET outcome = 'x'", "DELETE FROM audit"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                con.execute(statement)
    (entry,) = log.recent()
    assert entry.outcome == "删除 3 个片段" and entry.action is AuditAction.DELETE


def test_an_acknowledged_row_survives_kill_9(tmp_path: Path) -> None:
    """A process records a row, prints its id, and kills itself: the row is on disk."""
    script = (
        "import os, signal, sys\n"
        "from bot.audit import AuditAction, AuditLog\n"
        f"log = AuditLog({str(tmp_path / 'audit.sqlite')!r})\n"
        "print(log.record(AuditAction.UPLOAD, '10.0.0.2', 'uploads/b.txt', 'cd' * 32, '已入库'),"
        " flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == -9 and done.stdout.strip() == "1"
    (entry,) = AuditLog(tmp_path / "audit.sqlite").recent()
    assert (entry.file_name, entry.outcome) == ("uploads/b.txt", "已入库")


def test_file_hash_is_the_sha256_of_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"abc")
    assert file_sha256(path).startswith("ba7816bf8f01cfea")
    assert file_sha256(tmp_path / "missing.txt") == ""
