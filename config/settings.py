"""Runtime settings, read from the environment (prefix ``HOSO_``) and failing fast on bad values."""

from __future__ import annotations

import logging
import sys
from datetime import timedelta
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config import CONFIG_DIR

PROJECT_DIR = CONFIG_DIR.parent
DEVELOPMENT_SECRET = "development-only-secret-change-me-in-production"
DEVELOPMENT_HISTORY_KEY = "development-only-history-key-never-use-in-production"
MIN_SECRET_LENGTH = 32
MIN_SECRET_DISTINCT_CHARACTERS = 8
# Values people leave in place from examples and templates; compared without case or surrounding spaces.
_PLACEHOLDER_SECRETS = frozenset(
    {
        DEVELOPMENT_SECRET,
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "secret-key",
        "secret_key",
        "your-secret-key",
        "your_secret_key",
        "please-change-this-secret",
        "insecure",
        "",
    }
)
DEVELOPMENT_SECRET_WARNING = (
    "CẢNH BÁO: hoso đang dùng khóa bí mật mặc định dành cho phát triển (HOSO_SECRET_KEY chưa được đặt). "
    "Mã truy cập có thể bị giả mạo; không dùng cấu hình này ngoài máy phát triển."
)

logger = logging.getLogger(__name__)


def _is_placeholder(secret: str) -> bool:
    plain = secret.strip().lower()
    return plain in _PLACEHOLDER_SECRETS or "change-me" in plain or "changeme" in plain


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOSO_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite:///{PROJECT_DIR / 'var' / 'hoso.sqlite3'}"
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    access_token_minutes: int = 30
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    """How long a login lasts with refreshes (a working day and some); then the officer logs in again."""
    procedures_dir: Path = CONFIG_DIR / "procedures"
    calendars_dir: Path = CONFIG_DIR / "calendars"
    documents_dir: Path = PROJECT_DIR / "var" / "documents"
    """Where issued documents are stored (written once; the database keeps their SHA-256)."""
    templates_dir: Path | None = None
    """A province's own templates, replacing the shipped ones without code: ``<dir>/<province code>/<form>.docx``
    or ``<dir>/<form>.docx`` (documents/README in the main README)."""
    public_url: str = "http://127.0.0.1:8000"
    """The address the QR code of every document points to (``/api/v1/documents/verify/<code>``)."""
    soffice: str = "soffice"
    """LibreOffice's command, for the PDF copies; without it documents stay .docx with a visible note."""
    signing_keys_dir: Path | None = PROJECT_DIR / "var" / "pki"
    """Keys of the issuing units: ``<unit code>.key.pem`` + ``<unit code>.cert.pem`` (or ``<unit code>.p12``)."""
    signing_key_passphrase: SecretStr | None = None
    signing_trust_roots: list[Path] = [PROJECT_DIR / "var" / "pki" / "ca.cert.pem"]
    """Certificates a document's signature must chain to (PEM or DER files)."""
    signing_pkcs11_module: str | None = None
    """A PKCS#11 library (a USB token or an HSM); keys on the token are labelled with the unit code."""
    signing_pkcs11_token: str | None = None
    signing_pkcs11_pin: SecretStr | None = None
    history_key: SecretStr = SecretStr(DEVELOPMENT_HISTORY_KEY)
    """Seals every history row (HMAC): kept outside the database, so that whoever can write to the database
    cannot rewrite a dossier's history unseen. Production refuses the development value."""
    history_previous_keys: list[SecretStr] = []
    """Keys that sealed earlier rows (after a rotation): they still verify, they no longer seal."""
    checkpoint_key_file: Path = PROJECT_DIR / "var" / "pki" / "history-checkpoint.key.pem"
    """The Ed25519 key that signs the checkpoints of all dossiers' heads (created when missing)."""
    signing_pkcs11_raw_mechanism: bool = True
    """hoso hashes the document and the token signs the digest (CKM_RSA_PKCS / CKM_ECDSA), which every token
    offers; off, the token hashes too (CKM_SHA256_RSA_PKCS, CKM_ECDSA_SHA256), which some tokens lack."""
    host: str = "127.0.0.1"
    port: int = 8000
    # Scheduled flows (workflows/flows.py). `hoso serve` runs them itself unless flows is off: a local Prefect
    # server (its own SQLite under prefect_home) and one process serving the three flows on these intervals.
    flows: bool = True
    prefect_port: int = Field(default=4200, ge=1, le=65535)
    prefect_home: Path = PROJECT_DIR / "var" / "prefect"
    prefect_start_timeout_seconds: float = Field(default=120, gt=0)
    sweep_interval_seconds: int = Field(default=15, ge=1)
    outbox_interval_seconds: int = Field(default=10, ge=1)
    delivery_interval_seconds: int = Field(default=10, ge=1)
    reports_interval_seconds: int = Field(default=3600, ge=1)
    """How often the periodic-reports flow looks for reports that are due (config/reports.yaml)."""
    # Login throttling (states/logins.py): failures counted within the window, per account and per address.
    login_account_failures: int = Field(default=5, ge=1)
    login_address_failures: int = Field(default=20, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    login_first_delay_seconds: int = Field(default=1, ge=1)
    login_max_delay_minutes: int = Field(default=15, ge=1)
    clock_skew_seconds: int = Field(default=300, ge=0, le=3600)
    """How far in the future a recorded date or time may lie (officers' device clocks drift)."""
    # Notice channels (workflows/channels.py): email when an SMTP host is set, SMS through an adapter.
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_sender: str = "hoso@localhost"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=10, gt=0, le=300)
    sms_adapter: Literal["recording", "none"] = "recording"
    sms_recording_path: Path = PROJECT_DIR / "var" / "sms.jsonl"
    sms_max_length: int = Field(default=480, ge=70, le=1600)

    @property
    def clock_skew(self) -> timedelta:
        return timedelta(seconds=self.clock_skew_seconds)

    @field_validator("smtp_host", "smtp_username", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator("smtp_sender")
    @classmethod
    def _plain_sender_address(cls, value: str) -> str:
        _, address = parseaddr(value)
        if (
            any(ord(c) < 32 for c in value)
            or address.count("@") != 1
            or not all(address.split("@"))
            or any(c.isspace() or ord(c) < 32 or ord(c) > 126 for c in address)
        ):
            raise ValueError(f"HOSO_SMTP_SENDER không phải địa chỉ thư hợp lệ: {value!r}")
        return value

    @model_validator(mode="after")
    def _smtp_login_needs_both(self) -> Settings:
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError("HOSO_SMTP_USERNAME và HOSO_SMTP_PASSWORD phải được đặt cùng nhau")
        credentials = (self.smtp_username or "") + (self.smtp_password.get_secret_value() if self.smtp_password else "")
        if not credentials.isascii():
            raise ValueError(
                "HOSO_SMTP_USERNAME và HOSO_SMTP_PASSWORD chỉ được chứa ký tự ASCII (giới hạn của SMTP AUTH)"
            )
        if self.smtp_username is not None and self.smtp_host is None:
            raise ValueError("Đã đặt HOSO_SMTP_USERNAME nhưng chưa đặt HOSO_SMTP_HOST")
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_secret(self) -> Settings:
        secret = self.secret_key.get_secret_value()
        if self.environment != "development":
            if _is_placeholder(secret):
                raise ValueError(
                    f"HOSO_SECRET_KEY đang là giá trị mặc định hoặc giá trị mẫu; môi trường {self.environment} "
                    "phải dùng một khóa bí mật thật, ngẫu nhiên"
                )
            if len(set(secret)) < MIN_SECRET_DISTINCT_CHARACTERS:
                raise ValueError(
                    f"HOSO_SECRET_KEY quá đơn điệu (ít hơn {MIN_SECRET_DISTINCT_CHARACTERS} ký tự khác nhau); "
                    "hãy dùng một khóa ngẫu nhiên"
                )
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"HOSO_SECRET_KEY phải dài ít nhất {MIN_SECRET_LENGTH} ký tự")
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_history_key(self) -> Settings:
        key = self.history_key.get_secret_value()
        if self.environment == "production" and (key == DEVELOPMENT_HISTORY_KEY or _is_placeholder(key)):
            raise ValueError("HOSO_HISTORY_KEY đang là giá trị mặc định; môi trường production phải dùng khóa riêng")
        if len(key) < MIN_SECRET_LENGTH:
            raise ValueError(f"HOSO_HISTORY_KEY phải dài ít nhất {MIN_SECRET_LENGTH} ký tự")
        return self

    def history_key_bytes(self) -> tuple[bytes, list[bytes]]:
        """The current history key and the earlier ones, as bytes."""
        previous = [key.get_secret_value().encode() for key in self.history_previous_keys]
        return self.history_key.get_secret_value().encode(), previous

    @property
    def uses_development_secret(self) -> bool:
        return self.secret_key.get_secret_value() == DEVELOPMENT_SECRET


def warn_if_development_secret(settings: Settings) -> bool:
    """Says loudly (log and standard error) that the server runs on the default secret; True if it does."""
    if not settings.uses_development_secret:
        return False
    logger.warning(DEVELOPMENT_SECRET_WARNING)
    # With no logging configured, Python already writes the warning to standard error; say it once.
    if logger.hasHandlers():
        print(DEVELOPMENT_SECRET_WARNING, file=sys.stderr)
    return True


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
