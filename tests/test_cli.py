"""The ``hoso`` command line on a fresh SQLite file, as a new user runs it."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app
from api.demo import DEMO_PASSWORD
from config import CONFIG_DIR
from config.settings import DEVELOPMENT_SECRET_WARNING, get_settings
from states.accounts import actor_by_username
from states.indicators import load_indicators
from states.procedures import load_rulebook
from states.statistics import area_report
from states.store.database import Database
from tests.states.test_registers import BAD_ROWS as REGISTER_BAD_ROWS
from tests.states.test_registers import GOOD_ROWS as REGISTER_ROWS
from tests.states.test_registers import MERGED_ROW as REGISTER_MERGED_ROW
from tests.states.test_registers import _sheet as register_sheet
from tests.states.test_targets import GOOD, _csv

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("HOSO_DATABASE_URL", url)
    monkeypatch.setenv("HOSO_DOCUMENTS_DIR", str(tmp_path / "van-ban"))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def run(*args: str, input: str | None = None) -> str:
    result = runner.invoke(app, list(args), input=input, terminal_width=200)
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


def test_upgrade_seed_and_users(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSO_SOFFICE", "/khong-co/soffice")
    run("db", "upgrade")
    seeded = run("demo", "seed")
    assert "canbo.hoankiem" in seeded
    # The seeded dossiers' documents are issued at once; without LibreOffice (as here) they stay .docx and
    # the seed says why.
    assert re.search(r"Văn bản của các hồ sơ mẫu: \d{2,} văn bản đã ban hành", seeded)
    assert "LƯU Ý: Không có LibreOffice" in seeded
    for state in ("opened", "user_confirmed", "in_custody", "under_observation", "addicted", "voluntary_applied"):
        assert f" {state}" in seeded
    for reached in (
        "drug_user_management: under_management",
        "voluntary_rehab: hc_active",
        "voluntary_rehab: facility_active",
        "commune_education: under_education",
    ):
        assert reached in seeded
    samples = [line.strip() for line in seeded.splitlines() if line.strip().endswith(".xlsx")]
    assert [Path(sample).name for sample in samples] == [
        "chi-tieu-2026-ha-noi-co-loi.xlsx",
        "chi-tieu-2026-ha-noi.xlsx",
    ]
    assert all(Path(sample).is_file() for sample in samples)
    # Every indicator has a figure in the demo, in 2025 or in 2026.
    rulebook = load_rulebook(CONFIG_DIR)
    with Database(database).reading() as repo:
        admin = actor_by_username(repo, "admin")
        yearly = [area_report(repo, rulebook, load_indicators(), admin, year) for year in ("2025", "2026")]
    figures: dict[str, list[Any]] = {answer["indicator"]: [] for answer in yearly[0]}
    for answers in yearly:
        for answer in answers:
            figures[answer["indicator"]].append(answer["value"])
    assert [code for code, values in figures.items() if not any(values)] == []
    assert "đã có sẵn" in run("demo", "seed", "--no-documents")
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
        seeded = run("demo", "seed", "--no-documents")
        first = run("deadlines", "sweep")
    # Đặng Văn Quang was tested five days before and never checked: the target is missed and, a working day
    # later, escalated to the head of the commune police; Lý Văn Phong's 12-hour custody is past 80 %.
    overdue = next(line.split()[0] for line in seeded.splitlines() if "Đặng Văn Quang" in line)
    assert f"{overdue}  status_check_target  service_target_missed: đã thực hiện — user_confirmed" in first
    # Đặng Văn Nam's review (the story stopped in July 2025) is past its time limit: recorded and escalated.
    assert "review_limit  time_limit_passed: đã thực hiện — under_review_apply" in first
    assert "2/2 thời hạn đã xử lý" in first
    assert "Nhắc hạn: 1 cảnh báo sắp hết hạn, 2 báo quá hạn lên thủ trưởng" in first
    held = next(line.split()[0] for line in seeded.splitlines() if "Lý Văn Phong" in line)
    with time_machine.travel(seeded_at + timedelta(hours=2), tick=False):  # 10:00: custody (12 h) is over
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
    run("demo", "seed", "--no-documents")
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
    run("demo", "seed", "--no-documents")
    with TestClient(create_app()) as client:
        response = client.post("/api/v1/auth/token", data={"username": "system", "password": DEMO_PASSWORD})
        assert response.status_code == 401


def test_serve_warns_about_the_development_secret(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[object] = []
    monkeypatch.setattr("uvicorn.run", lambda application, **options: served.append(application))
    monkeypatch.delenv("HOSO_SECRET_KEY", raising=False)
    monkeypatch.setenv("HOSO_ENVIRONMENT", "development")
    monkeypatch.setenv("HOSO_FLOWS", "off")  # the API alone (tests/workflows/test_embedded.py runs the flows)
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


def test_units_load_is_idempotent_and_lists_data_and_database(database: str) -> None:
    run("db", "upgrade")
    run(
        "units",
        "create",
        "--code",
        "TAKV-01-99",
        "--name",
        "Tòa án nhập tay",
        "--kind",
        "regional_court",
        "--province",
        "01",
    )
    loaded = run("units", "load", "--file", "regional_courts.yaml")
    assert "Đã tạo TAKV-01-01" in loaded and "Đã tạo VKSKV-79-03" in loaded and "CSCN-01-01" not in loaded
    assert "0 đổi tên" in loaded and "0 không nạp được" in loaded
    again = run("units", "load")
    assert "Đã tạo CSCN-01-01" in again and "Đã tạo CAT-01" in again and "Đã tạo TAKV" not in again
    assert " 0 đơn vị đã tạo" not in again
    assert run("units", "load").startswith("0 đơn vị đã tạo, 0 đổi tên")
    listed = run("units", "list", "--kind", "regional_court", "--province", "01")
    rows = [line for line in listed.splitlines() if "TAKV-" in line]
    assert [row.split()[1] for row in rows] == ["TAKV-01-01", "TAKV-01-02", "TAKV-01-03", "TAKV-01-04", "TAKV-01-99"]
    assert "tệp + CSDL" in rows[0] and "CSDL" in rows[-1] and "tệp" not in rows[-1]
    assert "chưa" in rows[3]  # khu vực 4: its list is incomplete in the source
    refused = runner.invoke(app, ["units", "load", "--file", "legacy_districts.yaml"])
    assert refused.exit_code == 2 and "không có đơn vị để nạp" in refused.output


def test_units_competent_by_commune_and_date() -> None:
    output = run("units", "competent", "00070", "--on", "2026-03-02")
    assert "Phường Hoàn Kiếm (00070), Thành phố Hà Nội — ngày 2026-03-02" in output
    assert "Tòa án: TAKV-01-01 Tòa án nhân dân khu vực 1 - Hà Nội" in output
    assert "Viện kiểm sát: VKSKV-01-01 Viện kiểm sát nhân dân khu vực 1 - Hà Nội — " in output
    assert "chưa kiểm chứng" in output
    assert "Tòa án: TAKV-79-03" in run("units", "competent", "27343", "--on", "2026-03-02")
    before = run("units", "competent", "00070", "--on", "2025-06-30")
    assert "Trước ngày 01/07/2025: Tòa án nhân dân và Viện kiểm sát nhân dân cấp huyện" in before
    unknown = run("units", "competent", "09706", "--on", "2026-03-02")
    assert "Tòa án: chưa có dữ liệu cho xã, phường này" in unknown
    assert "không kiểm chứng được từ dữ liệu" in unknown
    refused = runner.invoke(app, ["units", "competent", "99999"])
    assert refused.exit_code == 1 and "Không có xã, phường mang mã '99999'" in refused.output


def test_units_resolve_an_old_address() -> None:
    output = run("units", "resolve", "--province", "Hà Nội", "--district", "Quận Hoàn Kiếm", "--commune", "Hàng Bạc")
    assert "Địa chỉ cũ: Phường Hàng Bạc, Quận Hoàn Kiếm, Hà Nội" in output
    assert "Xã, phường hiện nay: Phường Hoàn Kiếm (00070)" in output
    assert "Tòa án có thẩm quyền: TAKV-01-01 Tòa án nhân dân khu vực 1 - Hà Nội (theo xã, phường)" in output
    district = run("units", "resolve", "--province", "TP.HCM", "--district", "Huyện Củ Chi")
    assert "Nay thuộc: Thành phố Hồ Chí Minh (79)" in district
    assert "Xã, phường hiện nay: chưa có dữ liệu" in district
    assert "TAKV-79-08" in district and "(tòa kế thừa Tòa án cấp huyện cũ)" in district
    refused = runner.invoke(app, ["units", "resolve", "--province", "Bình Dương", "--district", "Quận 1"])
    assert refused.exit_code == 1
    assert "Chưa có dữ liệu về quận, huyện 'Quận 1' của Bình Dương" in " ".join(refused.output.split())


def test_procedures_check_refuses_a_broken_chain_wherever_the_procedures_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "procedures"
    shutil.copytree(CONFIG_DIR / "procedures", copy)
    target = copy / "drug_user_management" / "2026-07-01.yaml"
    text = target.read_text(encoding="utf-8")
    assert "procedure: addiction_determination" in text
    target.write_text(text.replace("procedure: addiction_determination", "procedure: no_such_procedure", 1), "utf-8")
    monkeypatch.setenv("HOSO_PROCEDURES_DIR", str(copy))
    get_settings.cache_clear()
    try:
        refused = runner.invoke(app, ["procedures", "check"])
    finally:
        get_settings.cache_clear()
    assert refused.exit_code == 1
    assert "no_such_procedure" in refused.output and "drug_user_management/2026-07-01" in refused.output


def test_calendar_explain_prints_the_computation_day_by_day() -> None:
    output = run("calendar", "explain", "--from", "2026-04-22", "--add", "3 ngày làm việc")
    assert "  -  thứ Hai 27/04/2026  không tính: Ngày Giỗ Tổ Hùng Vương (nghỉ bù)" in output
    assert "  3  thứ Ba 28/04/2026  ngày làm việc thứ 3" in output
    assert "hạn cuối 23:59 ngày 28/04/2026" in output
    refused = runner.invoke(app, ["calendar", "explain", "--from", "2026-02-30", "--add", "3 ngày làm việc"])
    assert refused.exit_code == 1 and "2026-02-30" in refused.output


def _provincial_officer() -> None:
    """A migrated database with the Hà Nội police and one of its officers, ``pc04``."""
    run("db", "upgrade")
    run(
        "units",
        "create",
        "--code",
        "CAT-01",
        "--name",
        "Công an thành phố Hà Nội",
        "--kind",
        "provincial_police",
        "--province",
        "01",
    )
    run("users", "create", "--username", "pc04", "--role", "police_unit", "--unit", "CAT-01", input="mat-khau-dai-du\n")


def test_targets_import_lists_each_problem_with_its_cell_and_keeps_only_a_consistent_table(
    database: str, tmp_path: Path
) -> None:

    _provincial_officer()
    bad = [row[:] for row in GOOD]
    bad[5][2] = "330"
    table = tmp_path / "chi-tieu-2026.csv"
    table.write_bytes(_csv(bad))
    common = ["targets", "import", str(table), "--year", "2026", "--source", "KH 45/KH-UBND", "--as", "pc04"]
    refused = runner.invoke(app, common, terminal_width=200)
    assert refused.exit_code == 1
    assert "C6" in refused.output and "Dòng tổng ghi 330" in refused.output and "chưa lưu" in refused.output
    table.write_bytes(_csv(GOOD))
    assert "Bảng khớp: 2 đơn vị" in run(*common, "--dry-run")
    assert "phiên bản 1, 2 đơn vị" in run(*common)


def test_import_registers_checks_then_opens_each_row_once(database: str, tmp_path: Path) -> None:
    _provincial_officer()
    register = tmp_path / "danh-sach.xlsx"
    register.write_bytes(register_sheet([*REGISTER_ROWS, *REGISTER_BAD_ROWS[:2], REGISTER_MERGED_ROW]))
    command = ["import", "registers", str(register), "--as", "pc04"]
    checked = runner.invoke(app, [*command, "--dry-run"], terminal_width=200)
    assert checked.exit_code == 1
    assert (
        "E6" in checked.output
        and "F7" in checked.output
        and "6 dòng: 4 đặt được, 2 chỗ không đặt được" in checked.output
    )
    assert (
        "Dòng 8: 'Phường Hàng Bạc' đã sáp nhập vào Phường Hoàn Kiếm từ 01/07/2025 — xếp vào Phường Hoàn Kiếm (ô F8)"
        in checked.output
    )
    assert (
        "Tình trạng 'Nghiện' (Người đã được xác định là nghiện ma túy) → hồ sơ «Xác định tình trạng nghiện ma túy»"
        in checked.output
        and ", rồi hồ sơ «Cai nghiện ma túy tự nguyện» ở giai đoạn «Người nghiện phải đăng ký" in checked.output
    )
    imported = runner.invoke(app, command, terminal_width=200)
    assert "Đã mở và đặt đúng giai đoạn 6 hồ sơ" in imported.output, imported.output
    again = runner.invoke(app, command, terminal_width=200)
    assert "Đã mở và đặt đúng giai đoạn 6 hồ sơ" in again.output  # the same six dossiers, none added
    assert "Trong đó 6 hồ sơ đã được nhập từ chính tệp này trước đó" in again.output
    assert "đã được nhập từ chính tệp này" not in imported.output
    with Database(database).reading() as repo:
        assert len(repo.open_dossier_ids("drug_user_management")) == 2
        assert len(repo.open_dossier_ids("voluntary_rehab")) == 2  # the two addicts must register


def test_reports_produce_makes_the_due_reports_once(database: str, tmp_path: Path) -> None:
    run("db", "upgrade")
    seeded = run("demo", "seed", "--no-documents")
    table = next(line.strip() for line in seeded.splitlines() if line.strip().endswith("chi-tieu-2026-ha-noi.xlsx"))
    run("targets", "import", table, "--year", "2026", "--source", "KH 45/KH-UBND", "--as", "pc04.hanoi")
    with time_machine.travel(datetime(2026, 6, 8, 2, 0, tzinfo=UTC), tick=False):
        first = run("reports", "produce")
        second = run("reports", "produce")
    assert "đã lập  01 2026-H1 (half_year)" in first
    assert "chưa lập được  Chưa có bảng chỉ tiêu" in first  # the other provinces with a police unit
    assert "0 báo cáo đã lập" in second
