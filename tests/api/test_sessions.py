"""Sessions: a short-lived access token and a one-use refresh token; logout ends the session at once; a
refresh token used twice ends it too; a disabled account or a changed role takes effect at the next request;
every request is logged with its officer."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from api.cli import app as cli_app
from config.settings import get_settings
from states.store.tables import users
from tests.api.test_api import client
from tests.conftest import PASSWORD, World

__all__ = ["client"]


def log_in(client: TestClient, username: str = "police") -> dict[str, Any]:
    answer = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def refresh(client: TestClient, token: str) -> Any:
    return client.post("/api/v1/auth/refresh", json={"refresh_token": token})


def test_a_refresh_token_renews_once_and_a_second_use_ends_the_session(client: TestClient, world: World) -> None:
    first = log_in(client)
    assert first["expires_in"] == 30 * 60 and first["refresh_token"] and first["session_expires_at"]
    world.clock.set(world.clock.now() + timedelta(minutes=40))
    assert client.get("/api/v1/me", headers=bearer(first)).status_code == 401  # the access token expired
    second = refresh(client, first["refresh_token"])
    assert second.status_code == 200, second.text
    assert client.get("/api/v1/me", headers=bearer(second.json())).json()["username"] == "police"
    # The first refresh token comes back (copied by someone): the whole session ends.
    replayed = refresh(client, first["refresh_token"])
    assert replayed.status_code == 401 and "đã được dùng" in replayed.json()["detail"]
    assert client.get("/api/v1/me", headers=bearer(second.json())).status_code == 401
    assert refresh(client, second.json()["refresh_token"]).status_code == 401


def test_logout_ends_the_session_at_once(client: TestClient) -> None:
    tokens = log_in(client)
    other = log_in(client)  # another device of the same officer keeps its own session
    assert client.post("/api/v1/auth/logout", headers=bearer(tokens)).status_code == 204
    after = client.get("/api/v1/me", headers=bearer(tokens))
    assert after.status_code == 401 and "đăng xuất" in after.json()["detail"]
    assert refresh(client, tokens["refresh_token"]).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 200


def test_a_session_ends_after_its_hours_whatever_the_refreshes(client: TestClient, world: World) -> None:
    tokens = log_in(client)
    world.clock.set(world.clock.now() + timedelta(hours=13))
    assert refresh(client, tokens["refresh_token"]).status_code == 401


def test_a_disabled_account_and_a_changed_role_take_effect_at_the_next_request(
    client: TestClient, world: World
) -> None:
    police, clerk = log_in(client, "police"), log_in(client, "clerk")
    with world.db.engine.begin() as conn:
        conn.execute(update(users).where(users.c.username == "clerk").values(role="physician"))
        conn.execute(update(users).where(users.c.username == "police").values(active=False))
    assert client.get("/api/v1/me", headers=bearer(clerk)).json()["role"] == "physician"
    assert client.get("/api/v1/me", headers=bearer(police)).status_code == 401
    assert refresh(client, police["refresh_token"]).status_code == 401


@pytest.mark.parametrize("body", [{"refresh_token": "không-có-dấu-chấm"}, {"refresh_token": "a.b"}, {"x": 1}])
def test_malformed_refresh_tokens_are_refused(client: TestClient, body: dict[str, Any]) -> None:
    answer = client.post("/api/v1/auth/refresh", json=body)
    assert answer.status_code in (401, 422) and answer.json()["detail"]


def test_every_request_is_logged_with_its_officer(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    tokens = log_in(client)
    with caplog.at_level(logging.INFO, logger="hoso.access"):
        client.get("/api/v1/me", headers=bearer(tokens))
        client.get("/api/v1/me")
    lines = [record.getMessage() for record in caplog.records if record.name == "hoso.access"]
    assert any(line.startswith("GET /api/v1/me 200 police@CAX-00070 ") for line in lines), lines
    assert any(line.startswith("GET /api/v1/me 401 - ") for line in lines), lines


def test_the_cli_disables_an_account_and_changes_a_role_for_the_next_request(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    police, clerk = log_in(client, "police"), log_in(client, "clerk")
    monkeypatch.setenv("HOSO_DATABASE_URL", world.db.url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        disabled = runner.invoke(cli_app, ["users", "disable", "police"])
        moved = runner.invoke(cli_app, ["users", "set-role", "clerk", "--role", "physician", "--unit", "YT-01-01"])
        wrong = runner.invoke(cli_app, ["users", "set-role", "clerk", "--role", "physician", "--unit", "CAX-00070"])
    finally:
        get_settings.cache_clear()
    assert disabled.exit_code == 0 and "1 phiên đăng nhập đã kết thúc" in disabled.output
    assert client.get("/api/v1/me", headers=bearer(police)).status_code == 401
    assert refresh(client, police["refresh_token"]).status_code == 401
    assert moved.exit_code == 0
    assert client.get("/api/v1/me", headers=bearer(clerk)).json()["role"] == "physician"
    assert wrong.exit_code != 0 and "không thuộc" in " ".join(wrong.output.split())
