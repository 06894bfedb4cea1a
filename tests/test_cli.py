"""The ``hoso`` command line on a fresh SQLite file, as a new user runs it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app
from api.demo import DEMO_PASSWORD
from config import CONFIG_DIR
from config.settings import DEVELOPMENT_SECRET_WARNING, get_settings

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("HOSO_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def run(*args: str, input: str | None = None) -> str:
    result = runner.invoke(app, list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.output


def test_procedures_check_lists_every_version_and_regime() -> None:
    output = run("procedures", "check")
    assert "addiction_determination  2022-01-01  chế độ: VN2021, VN2025A, VN2025B" in output
    assert "addiction_determination  2026-07-01  chế độ: VN2026" in output


def test_diagram_is_mermaid() -> None:
    output = run("procedures", "diagram", "addiction_determination", "--version", "2022-01-01")
    assert output.splitlines()[3] == "stateDiagram-v2"
    assert "    user_confirmed --> criminal_referral : criminal_route [penal_case_applies]" in output
    assert runner.invoke(app, ["procedures", "diagram", "no_such"]).exit_code == 1


def test_upgrade_seed_and_users(database: str) -> None:
    run("db", "upgrade")
    seeded = run("demo", "seed")
    assert "canbo.hoankiem" in seeded
    for state in ("opened", "user_confirmed", "in_custody", "under_observation", "addicted", "voluntary_applied"):
        assert f" {state}" in seeded
    assert "đã có sẵn" in run("demo", "seed")
    run(
        "users",
        "create",
        "--username",
        "moi",
        "--role",
        "commune_chair",
        "--unit",
        "UBX-00070",
        input="mat-khau-dai-du\n",
    )
    refused = runner.invoke(
        app,
        ["users", "create", "--username", "sai", "--role", "commune_chair", "--unit", "CAX-00070"],
        input="mat-khau-dai-du\n",
    )
    assert refused.exit_code == 1
    assert "thuộc loại đơn vị commune_committee" in refused.output


def test_sweep_fires_expired_deadlines_of_the_demo(database: str) -> None:
    seeded_at = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 08:00 in Hà Nội
    run("db", "upgrade")
    with time_machine.travel(seeded_at, tick=False):
        seeded = run("demo", "seed")
        assert "0/0 thời hạn đã xử lý" in run("deadlines", "sweep")
    held = next(line.split()[0] for line in seeded.splitlines() if "Lý Văn Phong" in line)
    with time_machine.travel(seeded_at + timedelta(hours=11), tick=False):  # 19:00: custody (12 h) is over
        swept = run("deadlines", "sweep")
    assert f"{held}  custody_base  custody_limit_reached: đã thực hiện — determination_required" in swept
    assert "1/1 thời hạn đã xử lý" in swept
    with time_machine.travel(seeded_at + timedelta(days=2), tick=False):  # service targets of Monday missed
        swept = run("deadlines", "sweep")
    assert "status_check_target  service_target_missed: đã thực hiện — user_confirmed" in swept
    assert "result_service_target  service_target_missed: đã thực hiện — addicted" in swept
    assert "2/2 thời hạn đã xử lý" in swept
    refused = runner.invoke(app, ["deadlines", "sweep", "--system-user", "canbo.hoankiem"])
    assert refused.exit_code == 1
    assert "system" in refused.output


def test_demo_officers_can_use_the_api(database: str) -> None:
    run("db", "upgrade")
    run("demo", "seed")
    with TestClient(create_app()) as client:
        response = client.post("/api/v1/auth/token", data={"username": "canbo.hoankiem", "password": DEMO_PASSWORD})
        headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
        assert client.get("/api/v1/me", headers=headers).json()["unit_code"] == "CAX-00070"
        versions = client.get("/api/v1/procedures", headers=headers).json()
        # Every procedure file, and nothing else, is served.
        files = sorted((CONFIG_DIR / "procedures").glob("*/*.yaml"))
        assert len(files) >= 2
        assert [(v["code"], v["version"]) for v in versions] == [(f.parent.name, f.stem) for f in files]


def test_procedures_check_fails_on_a_broken_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = Path(__file__).resolve().parents[1] / "config" / "procedures" / "addiction_determination"
    target = tmp_path / "addiction_determination"
    target.mkdir()
    text = (source / "2022-01-01.yaml").read_text(encoding="utf-8")
    broken = text.replace("      - penal_case_applies:", "      - case_x:", 1)
    broken = broken.replace("{min_parameter: adult_age_years,", "{min_parameter: adult_age_yrs,", 1)
    assert broken.count("case_x") == 1 and broken.count("adult_age_yrs") == 1
    (target / "2022-01-01.yaml").write_text(broken, encoding="utf-8")
    monkeypatch.setenv("HOSO_PROCEDURES_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["procedures", "check"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    output = " ".join(result.output.split())  # the console wraps long lines
    assert "điều kiện chưa được đăng ký: case_x" in output
    assert "'min_parameter' chỉ đến tham số không tồn tại: adult_age_yrs" in output


def test_the_system_account_is_created_without_a_password_and_cannot_log_in(database: str) -> None:
    run("db", "upgrade")
    run("units", "create", "--code", "HT", "--name", "Hệ thống", "--kind", "national")
    created = runner.invoke(app, ["users", "create", "--username", "system", "--role", "system", "--unit", "HT"])
    assert created.exit_code == 0, created.output
    assert "Mật khẩu" not in created.output  # nothing was asked
    with TestClient(create_app()) as client:
        response = client.post("/api/v1/auth/token", data={"username": "system", "password": "mat-khau-dai-du"})
        assert response.status_code == 401
    assert "0/0 thời hạn đã xử lý" in run("deadlines", "sweep")  # the service still acts in-process


def test_demo_system_account_cannot_log_in(database: str) -> None:
    run("db", "upgrade")
    run("demo", "seed")
    with TestClient(create_app()) as client:
        response = client.post("/api/v1/auth/token", data={"username": "system", "password": DEMO_PASSWORD})
        assert response.status_code == 401


def test_serve_warns_about_the_development_secret(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[object] = []
    monkeypatch.setattr("uvicorn.run", lambda application, **options: served.append(application))
    monkeypatch.delenv("HOSO_SECRET_KEY", raising=False)
    monkeypatch.setenv("HOSO_ENVIRONMENT", "development")
    get_settings.cache_clear()
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 0, result.output
    assert len(served) == 1
    assert DEVELOPMENT_SECRET_WARNING in result.stderr


@pytest.mark.parametrize("environment", ["test", "production"])
def test_serve_refuses_to_start_on_a_placeholder_secret(
    database: str, monkeypatch: pytest.MonkeyPatch, environment: str
) -> None:
    served: list[object] = []
    monkeypatch.setattr("uvicorn.run", lambda application, **options: served.append(application))
    monkeypatch.setenv("HOSO_ENVIRONMENT", environment)
    monkeypatch.setenv("HOSO_SECRET_KEY", "changeme")
    get_settings.cache_clear()
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2
    assert served == []
    output = " ".join(result.output.split())
    assert "Cấu hình không hợp lệ: HOSO_SECRET_KEY đang là giá trị mặc định hoặc giá trị mẫu" in output
