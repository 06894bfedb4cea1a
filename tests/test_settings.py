"""Settings fail fast on secrets that would be unsafe."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from pydantic import ValidationError

from api.app import create_app
from api.deps import throttle_policy
from config.settings import DEVELOPMENT_SECRET, DEVELOPMENT_SECRET_WARNING, Settings, warn_if_development_secret
from tests.conftest import World


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
    monkeypatch.setenv("HOSO_HISTORY_KEY", REAL_HISTORY_KEY)
    settings = Settings()
    assert settings.environment == "production"
    assert settings.history_key.get_secret_value() == REAL_HISTORY_KEY
    assert settings.database_url == "postgresql+psycopg://hoso@db/hoso"


REAL_SECRET = "k3J9-vQ2x_Lm8pR4tY7wZ1aB5cD6eF0gH"
REAL_HISTORY_KEY = "pQ8-wE3rT6yU9iO2pA5sD8fG1hJ4kL7zX"


@pytest.mark.parametrize("environment", ["test", "production"])
@pytest.mark.parametrize(
    "secret",
    [DEVELOPMENT_SECRET, "changeme", "  Secret  ", "please-change-me-before-going-live-0123456789"],
)
def test_outside_development_default_and_placeholder_secrets_are_refused(environment: str, secret: str) -> None:
    with pytest.raises(ValidationError, match="giá trị mặc định hoặc giá trị mẫu"):
        Settings(environment=environment, secret_key=secret)


@pytest.mark.parametrize("environment", ["test", "production"])
def test_outside_development_the_secret_must_be_long_and_varied(environment: str) -> None:
    with pytest.raises(ValidationError, match="ít nhất 32 ký tự"):
        Settings(environment=environment, secret_key=REAL_SECRET[:31])
    with pytest.raises(ValidationError, match="quá đơn điệu"):
        Settings(environment=environment, secret_key="ab" * 20)
    settings = Settings(environment=environment, secret_key=REAL_SECRET, history_key=REAL_HISTORY_KEY)
    assert settings.secret_key.get_secret_value() == REAL_SECRET


def test_production_refuses_the_development_history_key() -> None:
    with pytest.raises(ValidationError, match="HOSO_HISTORY_KEY"):
        Settings(environment="production", secret_key=REAL_SECRET)
    with pytest.raises(ValidationError, match="ít nhất 32 ký tự"):
        Settings(environment="production", secret_key=REAL_SECRET, history_key="ngan-qua")
    assert Settings(environment="test", secret_key=REAL_SECRET).history_key.get_secret_value()


def test_the_environment_without_a_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOSO_SECRET_KEY", raising=False)
    monkeypatch.setenv("HOSO_ENVIRONMENT", "test")
    with pytest.raises(ValidationError, match="HOSO_SECRET_KEY"):
        Settings()


def test_development_keeps_the_default_secret_but_says_so(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(environment="development")
    assert settings.uses_development_secret
    with caplog.at_level(logging.WARNING, logger="config.settings"):
        assert warn_if_development_secret(settings)
    assert "khóa bí mật mặc định" in capsys.readouterr().err
    assert [r.getMessage() for r in caplog.records if r.name == "config.settings"] == [DEVELOPMENT_SECRET_WARNING]
    assert not warn_if_development_secret(Settings(environment="development", secret_key=REAL_SECRET))
    assert capsys.readouterr().err == ""


def test_starting_the_app_with_the_default_secret_warns(
    sqlite_world: World, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    world = sqlite_world
    development = Settings(environment="development", secret_key=DEVELOPMENT_SECRET)
    with caplog.at_level(logging.WARNING, logger="config.settings"):
        create_app(development, clock=world.clock, db=world.db, rulebook=world.rulebook)
    assert DEVELOPMENT_SECRET_WARNING in capsys.readouterr().err
    assert DEVELOPMENT_SECRET_WARNING in caplog.text
    caplog.clear()
    create_app(
        Settings(environment="development", secret_key=REAL_SECRET),
        clock=world.clock,
        db=world.db,
        rulebook=world.rulebook,
    )
    assert capsys.readouterr().err == "" and not caplog.text


def test_the_login_throttling_settings_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSO_LOGIN_ACCOUNT_FAILURES", "3")
    monkeypatch.setenv("HOSO_LOGIN_ADDRESS_FAILURES", "50")
    monkeypatch.setenv("HOSO_LOGIN_WINDOW_MINUTES", "30")
    monkeypatch.setenv("HOSO_LOGIN_MAX_DELAY_MINUTES", "60")
    policy = throttle_policy(Settings())
    assert (policy.account_failures, policy.address_failures) == (3, 50)
    assert (policy.window, policy.first_delay, policy.max_delay) == (
        timedelta(minutes=30),
        timedelta(seconds=1),
        timedelta(minutes=60),
    )
    monkeypatch.setenv("HOSO_LOGIN_ACCOUNT_FAILURES", "0")
    with pytest.raises(ValidationError):
        Settings()
