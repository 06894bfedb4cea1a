"""The ``hoso`` command line on a fresh SQLite file, as a new user runs it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from config.settings import get_settings

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
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
    assert "    user_confirmed --> criminal_referral : criminal_route [penal_code_256a_applies]" in output
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
