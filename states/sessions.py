"""Login sessions: a short-lived access token names its session; a refresh token (rotated at each use) renews
it until the session's end; logout revokes it at once. A refresh token used twice means it was copied: the
session is revoked. A disabled account's sessions end at its next request or refresh."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from states.accounts import active_officer
from states.actors import Actor
from states.errors import AuthenticationError
from states.store.database import Database

EXPIRED = "Phiên đăng nhập đã hết hạn hoặc đã đăng xuất; hãy đăng nhập lại"


@dataclass(frozen=True)
class Session:
    session_id: str
    refresh_token: str
    expires_at: datetime


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _split(refresh_token: str) -> tuple[str, str]:
    session_id, _, secret = refresh_token.partition(".")
    if not session_id or not secret or len(refresh_token) > 200:
        raise AuthenticationError("Mã làm mới không hợp lệ")
    return session_id, secret


def start_session(db: Database, actor: Actor, now: datetime, lifetime: timedelta, address: str | None) -> Session:
    session_id, secret = str(uuid.uuid4()), secrets.token_urlsafe(32)
    with db.transaction() as repo:
        repo.sessions.insert(
            id=session_id,
            user_id=actor.user_id,
            created_at=now,
            expires_at=now + lifetime,
            refresh_hash=_digest(secret),
            address=(address or "")[:64] or None,
        )
    return Session(session_id, f"{session_id}.{secret}", now + lifetime)


def refresh_session(db: Database, refresh_token: str, now: datetime) -> tuple[Actor, Session]:
    """The officer and the session's next refresh token; the one presented is spent."""
    session_id, secret = _split(refresh_token)
    with db.reading() as repo:
        row = repo.sessions.get(session_id)
        actor = active_officer(repo, row["user_id"]) if row is not None else None
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= now:
        raise AuthenticationError(EXPIRED)
    if not hmac.compare_digest(row["refresh_hash"], _digest(secret)):
        # A spent (or forged) token: whoever holds the live one is not the only holder. End the session.
        _revoke_and_refuse(db, session_id, now, "reuse", "Mã làm mới đã được dùng; phiên đăng nhập đã bị hủy")
    if actor is None:
        _revoke_and_refuse(db, session_id, now, "disabled", "Tài khoản không tồn tại hoặc đã bị khóa")
    assert actor is not None
    new_secret = secrets.token_urlsafe(32)
    with db.transaction() as repo:
        rotated = repo.sessions.rotate(session_id, old_hash=row["refresh_hash"], new_hash=_digest(new_secret), at=now)
    if not rotated:
        raise AuthenticationError("Mã làm mới vừa được dùng ở nơi khác; hãy đăng nhập lại")
    return actor, Session(session_id, f"{session_id}.{new_secret}", row["expires_at"])


def _revoke_and_refuse(db: Database, session_id: str, now: datetime, reason: str, message: str) -> None:
    with db.transaction() as repo:
        repo.sessions.revoke(session_id, at=now, reason=reason)
    raise AuthenticationError(message)


def end_session(db: Database, session_id: str, now: datetime) -> None:
    with db.transaction() as repo:
        repo.sessions.revoke(session_id, at=now, reason="logout")


def require_live_session(db: Database, session_id: str, user_id: int, now: datetime) -> None:
    with db.reading() as repo:
        row = repo.sessions.get(session_id)
    if row is None or row["user_id"] != user_id or row["revoked_at"] is not None or row["expires_at"] <= now:
        raise AuthenticationError(EXPIRED)
