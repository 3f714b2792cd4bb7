"""The staff password check with a per-address lockout: a few wrong passwords, then a pause.

The count lives in the audit log (rows of wrong passwords since the address's last right one),
so it survives a restart and holds across every process that shares the log's file.
"""

from __future__ import annotations

import hmac
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from bot.audit import AuditAction, AuditLog


class LoginOutcome(Enum):
    """How one password attempt ended."""

    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"  # not even checked: this address is cooling off
    DISABLED = "disabled"  # no staff password is configured


@dataclass(frozen=True)
class LoginResult:
    """The outcome and, when locked, how many seconds remain."""

    outcome: LoginOutcome
    wait_s: int = 0

    @property
    def ok(self) -> bool:
        """Whether the password was accepted."""
        return self.outcome is LoginOutcome.OK

    def message(self) -> str:
        """What the person at the login box (or the /ingest caller) is told."""
        if self.outcome is LoginOutcome.LOCKED:
            return f"密码错误次数过多,登录已暂停,请 {_duration(self.wait_s)}后再试。"
        if self.outcome is LoginOutcome.DISABLED:
            return "未设置 SHEGONG_ADMIN_PASSWORD,工作人员功能未开启。"
        if self.outcome is LoginOutcome.WRONG:
            return "密码不正确。"
        return "已登录。"


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} 秒"
    return f"{math.ceil(seconds / 60)} 分钟"


class LoginGuard:
    """Checks passwords for one address at a time and records every attempt in the audit log."""

    def __init__(
        self, password: str | None, audit: AuditLog, max_failures: int, cooloff_s: float
    ) -> None:
        self._password = password or ""
        self.audit = audit
        self.max_failures = max_failures
        self.cooloff_s = cooloff_s

    def wait_s(self, client: str) -> int:
        """Seconds this address must still wait; 0 when it may try."""
        failures = self.audit.failed_logins(client, self.cooloff_s)
        if len(failures) < self.max_failures:
            return 0
        until = failures[0] + timedelta(seconds=self.cooloff_s)
        return max(0, math.ceil((until - datetime.now(UTC)).total_seconds()))

    def attempt(self, client: str, given: str | None, file_name: str = "") -> LoginResult:
        """Check one password from `client`: refused unchecked while it cools off; a right
        password resets its count. Compared in constant time."""
        if not self._password:
            return LoginResult(LoginOutcome.DISABLED)
        wait = self.wait_s(client)
        if wait:
            self.audit.record(AuditAction.LOGIN_LOCKED, client, file_name, outcome=f"{wait} s")
            return LoginResult(LoginOutcome.LOCKED, wait)
        if hmac.compare_digest((given or "").encode("utf-8"), self._password.encode("utf-8")):
            self.audit.record(AuditAction.LOGIN_OK, client, file_name)
            return LoginResult(LoginOutcome.OK)
        self.audit.record(AuditAction.LOGIN_FAILED, client, file_name)
        return LoginResult(LoginOutcome.WRONG)
