"""Units and officers: creating them, and turning a login into an ``Actor``."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from states.actors import Actor
from states.errors import AuthenticationError, ConflictError, DefinitionError, InvalidInputError, NotFoundError
from states.payloads import has_control_characters
from states.places import commune, province_name
from states.regimes import RegimeTable
from states.store.repository import Record, Repository

_hasher = PasswordHasher()
# Verifying against this keeps the time of a login for an unknown user close to that of a wrong password.
_DUMMY_HASH = _hasher.hash("hoso-dummy-password-for-timing")
MIN_PASSWORD_LENGTH = 10


SERVICE_ROLE = "system"
"""The role of the service identity: it acts only in-process (the deadline sweep), never logs in."""
UNUSABLE_PASSWORD_PREFIX = "!"
LOGIN_REFUSED = "Tên đăng nhập hoặc mật khẩu không đúng"
MAX_USERNAME_LENGTH = 80

# Why a login was refused (recorded in ``login_attempts.reason``; never shown to the caller).
WRONG_PASSWORD = "wrong_password"
UNKNOWN_USER = "unknown_user"
INACTIVE = "inactive"
SERVICE_ACCOUNT = "service_account"


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự", field="password")
    return _hasher.hash(password)


def unusable_password_hash() -> str:
    """A stored value that no password verifies: it is not an argon2 hash at all."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(16)


def create_unit(
    repo: Repository,
    regimes: RegimeTable,
    *,
    code: str,
    name: str,
    kind: str,
    commune_code: str | None = None,
    province_code: str | None = None,
) -> None:
    if kind not in regimes.unit_kinds:
        raise InvalidInputError(f"Loại đơn vị không hợp lệ: {kind}", field="kind")
    scope = regimes.unit_kinds[kind].scope
    if scope == "commune":
        if commune_code is None:
            raise InvalidInputError("Đơn vị cấp xã phải có mã xã, phường", field="commune_code")
        province_code = commune(commune_code).province_code
    elif scope == "province":
        if province_code is None:
            raise InvalidInputError("Đơn vị cấp tỉnh phải có mã tỉnh", field="province_code")
        province_name(province_code)
        commune_code = None
    elif scope == "district":
        raise InvalidInputError("Cấp huyện không còn tồn tại từ 01/07/2025; không tạo đơn vị cấp huyện mới")
    if repo.unit(code) is not None:
        raise ConflictError(f"Đã có đơn vị mang mã {code}", field="code")
    repo.insert_unit(code=code, name=name, kind=kind, commune_code=commune_code, province_code=province_code)


def create_user(
    repo: Repository,
    regimes: RegimeTable,
    *,
    username: str,
    password: str | None,
    full_name: str,
    role: str,
    unit_code: str,
    now: datetime,
    email: str | None = None,
    phone: str | None = None,
) -> int:
    """A new officer; ``email`` and ``phone`` (optional) are where notices reach them outside hoso."""
    email, phone = _contact(email, phone)
    try:
        canonical = regimes.canonical_role(role)
    except DefinitionError:
        canonical = None
    if canonical is None or not regimes.roles[canonical].user_role:
        raise InvalidInputError(f"Vai trò không hợp lệ cho người dùng: {role}", field="role")
    unit = repo.unit(unit_code)
    if unit is None:
        raise NotFoundError(f"Không có đơn vị mang mã {unit_code}", field="unit")
    expected_kind = regimes.roles[canonical].unit_kind
    if unit["kind"] != expected_kind:
        raise InvalidInputError(
            f"Vai trò {canonical} thuộc loại đơn vị {expected_kind}, không thuộc {unit['kind']}", field="role"
        )
    if repo.username_taken(username):
        raise ConflictError(f"Tên đăng nhập {username} đã tồn tại", field="username")
    if canonical == SERVICE_ROLE:
        password_hash = unusable_password_hash()  # any password given is ignored: the service never logs in
    elif password is None:
        raise InvalidInputError("Người dùng phải có mật khẩu", field="password")
    else:
        password_hash = hash_password(password)
    return repo.insert_user(
        username=username,
        full_name=full_name,
        password_hash=password_hash,
        role=canonical,
        unit_code=unit_code,
        active=True,
        created_at=now,
        email=email,
        phone=phone,
    )


def disable_user(repo: Repository, username: str, now: datetime) -> int:
    """Lock the account and end its sessions at once; returns how many sessions ended."""
    row = repo.officer(username)
    if row is None:
        raise NotFoundError(f"Không có người dùng {username}", field="username")
    repo.set_user_active(int(row["id"]), active=False)
    return repo.sessions.revoke_all_of(int(row["id"]), at=now, reason="disabled")


def change_role(repo: Repository, regimes: RegimeTable, username: str, role: str, unit_code: str) -> None:
    """Give an officer another role or unit; their next request already acts under it."""
    row = repo.officer(username)
    if row is None:
        raise NotFoundError(f"Không có người dùng {username}", field="username")
    try:
        canonical = regimes.canonical_role(role)
    except DefinitionError:
        canonical = None
    if canonical is None or not regimes.roles[canonical].user_role or canonical == SERVICE_ROLE:
        raise InvalidInputError(f"Vai trò không hợp lệ cho người dùng: {role}", field="role")
    unit = repo.unit(unit_code)
    if unit is None:
        raise NotFoundError(f"Không có đơn vị mang mã {unit_code}", field="unit")
    if unit["kind"] != regimes.roles[canonical].unit_kind:
        raise InvalidInputError(
            f"Vai trò {canonical} thuộc loại đơn vị {regimes.roles[canonical].unit_kind}, không thuộc {unit['kind']}",
            field="role",
        )
    repo.set_user_role(int(row["id"]), role=canonical, unit_code=unit_code)


_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")
_PHONE = re.compile(r"\+?[0-9]{8,15}")


def _contact(email: str | None, phone: str | None) -> tuple[str | None, str | None]:
    email = (email or "").strip() or None
    phone = (phone or "").strip().replace(" ", "") or None
    if email is not None and (len(email) > 255 or not _EMAIL.fullmatch(email)):
        raise InvalidInputError(f"Địa chỉ thư điện tử không hợp lệ: {email}", field="email")
    if phone is not None and not _PHONE.fullmatch(phone):
        raise InvalidInputError(f"Số điện thoại không hợp lệ: {phone}", field="phone")
    return email, phone


def _actor(row: Record) -> Actor:
    return Actor(
        user_id=row["id"],
        username=row["username"],
        full_name=row["full_name"],
        role=row["role"],
        unit_code=row["unit_code"],
        unit_kind=row["kind"],
        province_code=row["province_code"],
        commune_code=row["commune_code"],
    )


def authenticate(repo: Repository, username: str, password: str) -> Actor:
    """The officer whose password this is. Refused alike, with ``reason`` in the details for the record: a
    wrong password, an unknown or malformed username (verified against a dummy hash all the same, so that
    the time taken does not tell them apart), a locked account, and the ``system`` service identity."""
    valid = not has_control_characters(username) and 0 < len(username) <= MAX_USERNAME_LENGTH
    row = repo.officer(username) if valid else None
    stored = row["password_hash"] if row is not None else _DUMMY_HASH
    if row is not None and (row["role"] == SERVICE_ROLE or stored.startswith(UNUSABLE_PASSWORD_PREFIX)):
        stored = _DUMMY_HASH
    verified: bool
    try:
        verified = _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        verified = False
    if row is None:
        raise AuthenticationError(LOGIN_REFUSED, reason=UNKNOWN_USER)
    if row["role"] == SERVICE_ROLE:
        raise AuthenticationError(LOGIN_REFUSED, reason=SERVICE_ACCOUNT)
    if not verified:
        raise AuthenticationError(LOGIN_REFUSED, reason=WRONG_PASSWORD)
    if not row["active"]:
        raise AuthenticationError(LOGIN_REFUSED, reason=INACTIVE)
    return _actor(row)


def active_officer(repo: Repository, user_id: int) -> Actor | None:
    """The officer with this id, if the account exists and is active."""
    row = repo.officer_by_id(user_id)
    return _actor(row) if row is not None and row["active"] else None


def actor_by_username(repo: Repository, username: str) -> Actor:
    row = repo.officer(username)
    if row is None or not row["active"]:
        raise AuthenticationError("Tài khoản không tồn tại hoặc đã bị khóa")
    return _actor(row)
