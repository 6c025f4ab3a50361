"""Staff accounts of the console: passwords (salted scrypt, memory-hard, as the kiosk's PINs), lock-out after
repeated failures, and sessions whose token only the browser's cookie holds (the database keeps its hash).

    >>> add_account(storage, "li.ming", "李明", "window", "a long passphrase")
    >>> signed = sign_in(storage, "li.ming", "a long passphrase")   # SignedIn(token, csrf) or a SignInRefused
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from kiosk.hall.console.storage import ROLES, ConsoleSession, ConsoleStorage, Role
from kiosk.hall.storage import HallError, iso_seconds, token_hash, utc_now
from kiosk.pin import hash_secret, verify_secret

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
SESSION = timedelta(hours=9)  # a working day and its overtime; then sign in again
MIN_PASSWORD = 10
USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")
_DECOY = hash_secret("no account has this password")  # an unknown name costs the same time as a wrong password


class SignInRefused(HallError):
    """Wrong name or password, or an account locked for a while; the message is for the person signing in."""


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    """For the cookie alone: the database keeps its hash."""
    csrf: str


def add_account(storage: ConsoleStorage, username: str, name: str, role: Role, password: str) -> bool:
    """Add an account or reset one's name, role and password; True if added. :class:`HallError` for a name,
    role or password that will not do."""
    if not username or set(username) - USERNAME_CHARS or len(username) > 32:
        raise HallError("用户名只能用小写字母、数字和 . _ -，最长 32 个字符")
    if role not in ROLES:
        raise HallError(f"角色只能是 {'、'.join(ROLES)}")
    if not name.strip() or len(name) > 20:
        raise HallError("姓名不能为空，最长 20 个字")
    if len(password) < MIN_PASSWORD:
        raise HallError(f"密码至少 {MIN_PASSWORD} 个字符")
    return storage.put_staff_account(username, name.strip(), role, hash_secret(password))


def sign_in(storage: ConsoleStorage, username: str, password: str, now: datetime | None = None) -> SignedIn:
    """A new session for ``username`` if ``password`` is theirs and the account is not locked; else
    :class:`SignInRefused` saying why (never which of name and password was wrong)."""
    now = now or utc_now()
    account = storage.staff_account(username.strip().lower())
    if account is not None and account.locked_until and account.locked_until > iso_seconds(now):
        minutes = max(1, round((datetime.fromisoformat(account.locked_until) - now).total_seconds() / 60))
        raise SignInRefused(f"密码错误次数过多，账号已锁定，请 {minutes} 分钟后再试，或请管理员重置密码")
    if account is None or not verify_secret(password, account.password_hash):
        if account is None:
            verify_secret(password, _DECOY)
            raise SignInRefused("用户名或密码不对")
        left = MAX_FAILURES - storage.sign_in_failed(account.username, MAX_FAILURES, iso_seconds(now + LOCKOUT))
        if left == MAX_FAILURES:
            raise SignInRefused(f"密码错误次数过多，账号已锁定 {LOCKOUT.seconds // 60} 分钟")
        raise SignInRefused(f"用户名或密码不对（再错 {left} 次将锁定账号）")
    signed = SignedIn(secrets.token_urlsafe(32), secrets.token_urlsafe(24))
    storage.open_session(account.username, token_hash(signed.token), signed.csrf, iso_seconds(now + SESSION))
    return signed


def session_of(storage: ConsoleStorage, token: str | None) -> ConsoleSession | None:
    """Who a cookie's token signs in, or None for no token, an unknown one or one that expired."""
    if not token:
        return None
    return storage.console_session(token_hash(token), iso_seconds(utc_now()))


def sign_out(storage: ConsoleStorage, token: str | None) -> None:
    if token:
        storage.close_session(token_hash(token))
