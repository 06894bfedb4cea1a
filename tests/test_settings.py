"""Settings fail fast on secrets that would be unsafe."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from config.settings import DEVELOPMENT_SECRET, Settings


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ValidationError, match="HOSO_SECRET_KEY"):
        Settings(environment="production", secret_key=DEVELOPMENT_SECRET)


def test_short_secrets_are_refused_everywhere() -> None:
    with pytest.raises(ValidationError, match="32"):
        Settings(environment="development", secret_key="short")


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSO_ENVIRONMENT", "production")
    monkeypatch.setenv("HOSO_SECRET_KEY", "a-real-production-secret-with-enough-length")
    monkeypatch.setenv("HOSO_DATABASE_URL", "postgresql+psycopg://hoso@db/hoso")
    settings = Settings()
    assert settings.environment == "production"
    assert settings.database_url == "postgresql+psycopg://hoso@db/hoso"
