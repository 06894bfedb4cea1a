"""Runtime settings, read from the environment (prefix ``HOSO_``) and failing fast on bad values."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config import CONFIG_DIR

PROJECT_DIR = CONFIG_DIR.parent
DEVELOPMENT_SECRET = "development-only-secret-change-me-in-production"
_PLACEHOLDER_SECRETS = {DEVELOPMENT_SECRET, "changeme", "secret", ""}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOSO_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite:///{PROJECT_DIR / 'var' / 'hoso.sqlite3'}"
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    access_token_minutes: int = 30
    procedures_dir: Path = CONFIG_DIR / "procedures"
    calendars_dir: Path = CONFIG_DIR / "calendars"
    host: str = "127.0.0.1"
    port: int = 8000

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key.get_secret_value() in _PLACEHOLDER_SECRETS:
            raise ValueError("HOSO_SECRET_KEY phải được đặt giá trị bí mật thật khi chạy production")
        if len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("HOSO_SECRET_KEY phải dài ít nhất 32 ký tự")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
