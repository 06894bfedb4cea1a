"""Access tokens (JWT, HS256) for officers who logged in with the OAuth2 password flow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from states.accounts import SERVICE_ROLE
from states.actors import Actor
from states.errors import AuthenticationError

_ALGORITHM = "HS256"


@dataclass(frozen=True)
class TokenClaims:
    username: str
    session_id: str


def issue_token(actor: Actor, *, secret: str, now: datetime, minutes: int, session_id: str = "") -> str:
    """An access token of the officer, naming the login session it belongs to (``sid``)."""
    if actor.role == SERVICE_ROLE:
        raise AuthenticationError("Tài khoản system chỉ hoạt động nội bộ, không được cấp mã truy cập")
    claims = {
        "sub": actor.username,
        "sid": session_id,
        "role": actor.role,
        "unit": actor.unit_code,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def claims_of_token(token: str, *, secret: str, now: datetime) -> TokenClaims:
    try:
        claims = jwt.decode(token, secret, algorithms=[_ALGORITHM], options={"verify_exp": False})
    except jwt.PyJWTError:
        raise AuthenticationError("Mã truy cập không hợp lệ") from None
    # Expiry is checked against the injected clock, so tests that move time see tokens expire.
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= now.timestamp():
        raise AuthenticationError("Mã truy cập đã hết hạn; hãy đăng nhập lại")
    subject, session_id = claims.get("sub"), claims.get("sid")
    if not isinstance(subject, str) or not isinstance(session_id, str) or not session_id:
        raise AuthenticationError("Mã truy cập không hợp lệ")
    return TokenClaims(subject, session_id)
