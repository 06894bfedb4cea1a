"""Access tokens (JWT, HS256) for officers who logged in with the OAuth2 password flow."""

from __future__ import annotations

from datetime import datetime, timedelta

import jwt

from states.accounts import SERVICE_ROLE
from states.actors import Actor
from states.errors import AuthenticationError

_ALGORITHM = "HS256"


def issue_token(actor: Actor, *, secret: str, now: datetime, minutes: int) -> str:
    if actor.role == SERVICE_ROLE:
        raise AuthenticationError("Tài khoản system chỉ hoạt động nội bộ, không được cấp mã truy cập")
    claims = {
        "sub": actor.username,
        "role": actor.role,
        "unit": actor.unit_code,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def username_from_token(token: str, *, secret: str, now: datetime) -> str:
    try:
        claims = jwt.decode(token, secret, algorithms=[_ALGORITHM], options={"verify_exp": False})
    except jwt.PyJWTError:
        raise AuthenticationError("Mã truy cập không hợp lệ") from None
    # Expiry is checked against the injected clock, so tests that move time see tokens expire.
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= now.timestamp():
        raise AuthenticationError("Mã truy cập đã hết hạn; hãy đăng nhập lại")
    subject = claims.get("sub")
    if not isinstance(subject, str):
        raise AuthenticationError("Mã truy cập không hợp lệ")
    return subject
