"""Logging in: throttled per account and per address, every failure recorded, and the `system` service
identity never logged in nor accepted behind a token."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.app import create_app
from api.security import issue_token
from config.settings import Settings
from states.errors import AuthenticationError
from states.sessions import start_session
from states.store.tables import users
from tests.conftest import PASSWORD, World

SECRET = "test-secret-key-of-at-least-thirty-two-chars"
TOKEN_URL = "/api/v1/auth/token"
REFUSED = "Tên đăng nhập hoặc mật khẩu không đúng"

ClientAt = Callable[[str], TestClient]


@pytest.fixture
def app(world: World) -> FastAPI:
    settings = Settings(environment="test", secret_key=SECRET)
    return create_app(settings, clock=world.clock, db=world.db, rulebook=world.rulebook)


@pytest.fixture
def client_at(app: FastAPI) -> Iterator[ClientAt]:
    """Clients calling from the given addresses."""
    opened: list[TestClient] = []

    def make(address: str) -> TestClient:
        client = TestClient(app, client=(address, 50000))
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()


@pytest.fixture
def client(client_at: ClientAt) -> TestClient:
    return client_at("10.0.0.1")


def attempt(client: TestClient, username: str, password: str = PASSWORD) -> httpx.Response:
    response: httpx.Response = client.post(TOKEN_URL, data={"username": username, "password": password})
    return response


def fail(client: TestClient, username: str, times: int) -> None:
    for _ in range(times):
        response = attempt(client, username, "not-the-password")
        assert response.status_code == 401, response.text


def attempts(world: World) -> list[dict[str, Any]]:
    with world.db.reading() as repo:
        return repo.login_attempts()


def later(world: World, **delta: float) -> None:
    world.clock.set(world.clock.now() + timedelta(**delta))


def test_the_right_password_logs_in_and_is_recorded(client: TestClient, world: World) -> None:
    assert attempt(client, "police").status_code == 200
    [row] = attempts(world)
    assert (row["username"], row["address"], row["succeeded"], row["reason"]) == ("police", "10.0.0.1", True, None)


def test_an_account_is_throttled_after_five_failures_even_with_the_right_password(
    client: TestClient, client_at: ClientAt, world: World
) -> None:
    fail(client, "police", 5)
    response = attempt(client, "police")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    body = response.json()
    assert body["code"] == "throttled"
    assert "thử lại sau 1 giây" in body["detail"]
    assert "access_token" not in body
    # Another officer at another address is not affected.
    assert attempt(client_at("10.0.0.2"), "chief").status_code == 200
    later(world, seconds=1)
    assert attempt(client, "police").status_code == 200


def test_the_delay_doubles_with_each_further_failure(client: TestClient, world: World) -> None:
    fail(client, "police", 5)
    waits = []
    for _ in range(5):
        refused = attempt(client, "police")
        assert refused.status_code == 429
        waits.append(int(refused.headers["retry-after"]))
        later(world, seconds=waits[-1])
        fail(client, "police", 1)
    assert waits == [1, 2, 4, 8, 16]
    # An attempt made too early is refused but does not lengthen the wait.
    for _ in range(3):
        assert attempt(client, "police").headers["retry-after"] == "32"
    later(world, seconds=31)
    assert attempt(client, "police").headers["retry-after"] == "1"
    later(world, seconds=1)
    assert attempt(client, "police").status_code == 200


def test_the_delay_stops_growing_at_fifteen_minutes(world: World) -> None:
    settings = Settings(environment="test", secret_key=SECRET, login_window_minutes=120)
    with TestClient(create_app(settings, clock=world.clock, db=world.db, rulebook=world.rulebook)) as client:
        fail(client, "police", 5)
        waits = []
        for _ in range(13):
            waits.append(int(attempt(client, "police").headers["retry-after"]))
            later(world, seconds=waits[-1])
            fail(client, "police", 1)
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]


def test_a_success_resets_the_account_counter(client: TestClient) -> None:
    fail(client, "police", 4)
    assert attempt(client, "police").status_code == 200
    fail(client, "police", 4)
    assert attempt(client, "police").status_code == 200


def test_failures_older_than_the_window_no_longer_count(client: TestClient, world: World) -> None:
    fail(client, "police", 4)
    later(world, minutes=15)
    fail(client, "police", 4)
    assert attempt(client, "police").status_code == 200
    fail(client, "police", 5)
    assert attempt(client, "police").status_code == 429
    later(world, minutes=15, seconds=1)
    assert attempt(client, "police").status_code == 200


def test_an_address_is_throttled_across_usernames(client: TestClient, client_at: ClientAt, world: World) -> None:
    for serial in range(20):
        fail(client, f"guess{serial}", 1)
    response = attempt(client, "police")
    assert (response.status_code, response.headers["retry-after"]) == (429, "1")
    # The same officer from another address is not held back by this one.
    assert attempt(client_at("10.0.0.9"), "police").status_code == 200
    # A success from the address does not clear the address counter.
    assert attempt(client, "chief").status_code == 429
    later(world, seconds=1)
    assert attempt(client, "chief").status_code == 200
    fail(client, "guess-again", 1)
    assert attempt(client, "chief").headers["retry-after"] == "2"


def test_unknown_usernames_are_recorded_and_throttled_like_known_ones(client: TestClient, world: World) -> None:
    known: list[httpx.Response] = []
    unknown: list[httpx.Response] = []
    for username, answers in (("police", known), ("nobody", unknown)):
        for _ in range(5):
            answers.append(attempt(client, username, "not-the-password"))
        answers.append(attempt(client, username))
    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [401] * 5 + [429]
    assert [r.json()["detail"] for r in known] == [r.json()["detail"] for r in unknown]
    assert known[-1].headers["retry-after"] == unknown[-1].headers["retry-after"]
    reasons = [(row["username"], row["reason"]) for row in attempts(world)]
    assert reasons == [
        *[("police", "wrong_password")] * 5,
        ("police", "throttled"),
        *[("nobody", "unknown_user")] * 5,
        ("nobody", "throttled"),
    ]


def test_every_failure_is_recorded_and_logged_without_the_password(
    client: TestClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    long_name = "x" * 200
    with caplog.at_level(logging.INFO, logger="states.logins"):
        assert attempt(client, "police", "wrong-password-123").status_code == 401
        assert attempt(client, long_name, "wrong-password-123").status_code == 401
        assert attempt(client, "bad\x00name", "wrong-password-123").status_code == 401
        assert attempt(client, "system").status_code == 401
        assert attempt(client, "police").status_code == 200
    rows = attempts(world)
    assert [(row["username"], row["succeeded"], row["reason"]) for row in rows] == [
        ("police", False, "wrong_password"),
        ("x" * 80, False, "unknown_user"),
        ("bad\ufffdname", False, "unknown_user"),
        ("system", False, "service_account"),
        ("police", True, None),
    ]
    assert {row["address"] for row in rows} == {"10.0.0.1"}
    assert all(row["at"] == world.clock.now() for row in rows)
    logged = [r for r in caplog.records if r.name == "states.logins"]
    assert [r.levelno for r in logged] == [logging.WARNING] * 4 + [logging.INFO]
    assert "wrong-password-123" not in caplog.text and PASSWORD not in caplog.text
    assert "service_account" in caplog.text and "10.0.0.1" in caplog.text


def test_an_inactive_account_is_refused_alike(client: TestClient, world: World) -> None:
    with world.db.engine.begin() as conn:
        conn.execute(update(users).where(users.c.username == "police").values(active=False))
    response = attempt(client, "police")
    assert (response.status_code, response.json()["detail"]) == (401, REFUSED)
    assert attempts(world)[-1]["reason"] == "inactive"


def test_system_cannot_log_in_with_any_password(client: TestClient, world: World) -> None:
    for password in (PASSWORD, "", "!", "anything-at-all"):
        response = attempt(client, "system", password)
        if response.status_code != 422:
            assert (response.status_code, response.json()["detail"]) == (401, REFUSED)
    with world.db.reading() as repo:
        stored = repo.officer("system")
    assert stored is not None and stored["password_hash"].startswith("!")


def test_a_token_naming_system_is_refused(client: TestClient, world: World) -> None:
    system = world.actors["system"]
    with pytest.raises(AuthenticationError, match="system"):
        issue_token(system, secret=SECRET, now=world.clock.now(), minutes=30)
    now = int(world.clock.now().timestamp())
    forged = jwt.encode(
        {"sub": "system", "role": "system", "unit": "HT", "iat": now, "exp": now + 600}, SECRET, algorithm="HS256"
    )
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    # The same token shape for an officer works when it names a live session of theirs; without one it does not.
    session = start_session(world.db, world.actors["police"], world.clock.now(), timedelta(hours=1), None)
    claims = {"sub": "police", "role": "commune_police", "unit": "CAX-00070", "iat": now, "exp": now + 600}
    officer = jwt.encode({**claims, "sid": session.session_id}, SECRET, algorithm="HS256")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {officer}"}).status_code == 200
    sessionless = jwt.encode(claims, SECRET, algorithm="HS256")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {sessionless}"}).status_code == 401
