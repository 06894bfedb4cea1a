"""The ``hoso`` command line. Every command reads the database URL from ``HOSO_DATABASE_URL``."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from api.demo import seed
from api.demo_statistics import write_sample_tables
from config import CONFIG_DIR
from config.settings import Settings, get_settings
from documents.demo_ca import ensure_demo_ca, ensure_unit_key
from documents.files import FileStore
from documents.issue import IssueOutcome, issue_batch
from documents.pdf_stage import PdfOutcome, pdf_batch
from documents.periodic import produce_due_reports
from documents.setup import DocumentSetup
from documents.signing import load_trust_roots
from documents.verification import verify_file
from states.accounts import SERVICE_ROLE, actor_by_username, change_role, create_unit, create_user, disable_user
from states.actors import Actor
from states.alerts import sweep_alerts
from states.audit import CheckpointKey, export_checkpoints, seal_legacy_rows, verify_all, write_checkpoint
from states.clock import SystemClock
from states.definitions import ProcedureDefinition
from states.diagrams import diagram_file_name, mermaid, mermaid_document
from states.engine import DossierEngine
from states.errors import HosoError, InvalidInputError
from states.history_seal import keys_from_settings
from states.legal_text import day_by_day, day_words, parse_period
from states.legal_time import VN_TZ
from states.notices import escalate_unacknowledged
from states.outbox_drain import DrainOutcome, drain_outbox
from states.procedures import Rulebook, describe, load_rulebook
from states.regimes import RegimeTable, load_regime_table
from states.registers import check_register, import_register, register_layout, status_outcomes
from states.replay import replay_open_dossiers
from states.store.database import Database
from states.store.migrate import upgrade
from states.sweep import sweep_due_deadlines
from states.target_files import read_table
from states.targets import TargetImport, TargetTableError, import_targets, province_of
from states.units_data import DATA_FILES, LEGACY_FILE, UNITS_DIR, DataUnit, UnitsData, load_units, sync_units
from states.yaml_loading import load_model

Outcome = TypeVar("Outcome")
app = typer.Typer(help="hoso — hồ sơ cai nghiện ma túy", no_args_is_help=True)
db_app = typer.Typer(help="Cơ sở dữ liệu", no_args_is_help=True)
users_app = typer.Typer(help="Người dùng", no_args_is_help=True)
units_app = typer.Typer(help="Đơn vị", no_args_is_help=True)
procedures_app = typer.Typer(help="Thủ tục (định nghĩa YAML)", no_args_is_help=True)
demo_app = typer.Typer(help="Dữ liệu mẫu", no_args_is_help=True)
deadlines_app = typer.Typer(help="Thời hạn", no_args_is_help=True)
dossiers_app = typer.Typer(help="Hồ sơ", no_args_is_help=True)
outbox_app = typer.Typer(help="Hàng đợi việc phát sinh (thủ tục tiếp theo, thông báo, văn bản)", no_args_is_help=True)
calendar_app = typer.Typer(help="Lịch làm việc và cách tính thời hạn", no_args_is_help=True)
documents_app = typer.Typer(help="Văn bản đã ban hành", no_args_is_help=True)
targets_app = typer.Typer(help="Chỉ tiêu kế hoạch theo đơn vị và năm", no_args_is_help=True)
reports_app = typer.Typer(help="Báo cáo định kỳ", no_args_is_help=True)
import_app = typer.Typer(help="Nhập dữ liệu có sẵn (danh sách, sổ theo dõi)", no_args_is_help=True)
audit_app = typer.Typer(
    help="Kiểm tra toàn vẹn lịch sử hồ sơ: niêm phong, điểm kiểm tra có chữ ký", no_args_is_help=True
)
for sub, name in (
    (audit_app, "audit"),
    (targets_app, "targets"),
    (reports_app, "reports"),
    (import_app, "import"),
    (documents_app, "documents"),
    (calendar_app, "calendar"),
    (deadlines_app, "deadlines"),
    (dossiers_app, "dossiers"),
    (outbox_app, "outbox"),
    (db_app, "db"),
    (users_app, "users"),
    (units_app, "units"),
    (procedures_app, "procedures"),
    (demo_app, "demo"),
):
    app.add_typer(sub, name=name)

console = Console()
SCHEMA_PATH = CONFIG_DIR / "schema" / "procedure.schema.json"
DIAGRAMS_DIR = CONFIG_DIR.parent / "docs" / "procedures"


def _settings() -> Settings:
    """The settings, or a plain Vietnamese refusal (e.g. a placeholder secret outside development)."""
    try:
        return get_settings()
    except ValidationError as error:
        for item in error.errors():
            console.print(f"[red]Cấu hình không hợp lệ:[/red] {str(item['msg']).removeprefix('Value error, ')}")
        raise typer.Exit(code=2) from None


def _rulebook(*, strict_chains: bool | None = None) -> Rulebook:
    settings = _settings()
    return load_rulebook(
        CONFIG_DIR,
        procedures_dir=settings.procedures_dir,
        calendars_dir=settings.calendars_dir,
        strict_chains=strict_chains,
    )


def _database() -> Database:
    return Database(_settings().database_url)


def _engine(rulebook: Rulebook, db: Database) -> DossierEngine:
    settings = _settings()
    return DossierEngine(
        rulebook,
        db,
        SystemClock(),
        clock_skew=settings.clock_skew,
        history_keys=keys_from_settings(settings),
    )


def _as_system(system_user: str, job: Callable[[DossierEngine, Actor], list[Outcome]]) -> list[Outcome]:
    """Run an in-process job of the service identity (the sweep, the follow-ups); errors end the command."""
    rulebook = _rulebook()
    db = _database()
    try:
        with db.reading() as repo:
            system = actor_by_username(repo, system_user)
        return job(_engine(rulebook, db), system)
    except HosoError as error:
        _fail(error)


def _fail(error: HosoError) -> NoReturn:
    console.print(f"[red]Lỗi:[/red] {error.message}")
    raise typer.Exit(code=1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Áp dụng các migration đến phiên bản mới nhất."""
    url = _settings().database_url
    upgrade(url)
    database = Database(url)
    console.print(f"Cơ sở dữ liệu đã ở phiên bản mới nhất: {database.display_url()}")
    database.dispose()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Địa chỉ lắng nghe")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Cổng")] = 8000,
    flows: Annotated[
        bool | None,
        typer.Option("--flows/--no-flows", help="Chạy kèm các luồng tự động trên máy chủ Prefect cục bộ (HOSO_FLOWS)"),
    ] = None,
    prefect_port: Annotated[
        int | None, typer.Option(help="Cổng của máy chủ Prefect cục bộ (HOSO_PREFECT_PORT, mặc định 4200)")
    ] = None,
) -> None:
    """Chạy API (OpenAPI tại /docs và /openapi.json) cùng các luồng tự động: quét thời hạn, xử lý hàng đợi, gửi
    thông báo (máy chủ Prefect cục bộ; tắt bằng --no-flows hoặc HOSO_FLOWS=off)."""
    from api.app import create_app
    from api.embedded import EmbeddedFlowsError, exit_on_signals, port_free, start_embedded_flows

    settings = _settings()
    # create_app warns (log and standard error) when the development secret is in use.
    application = create_app(settings)
    if not (settings.flows if flows is None else flows):
        uvicorn.run(application, host=host, port=port)
        return
    if not port_free(host, port):
        console.print(f"[red]Lỗi:[/red] cổng {port} trên {host} đã có chương trình khác dùng", highlight=False)
        raise typer.Exit(code=1)
    exit_on_signals()
    try:
        embedded = start_embedded_flows(settings, prefect_port or settings.prefect_port)
    except EmbeddedFlowsError as error:
        console.print(f"[red]Lỗi:[/red] {error}", highlight=False)
        raise typer.Exit(code=1) from None
    try:
        typer.echo(f"Giao diện Prefect: {embedded.prefect_url}")
        typer.echo(
            f"Luồng tự động: quét thời hạn mỗi {settings.sweep_interval_seconds} giây, hàng đợi mỗi "
            f"{settings.outbox_interval_seconds} giây, gửi thông báo mỗi {settings.delivery_interval_seconds} giây, "
            f"báo cáo định kỳ mỗi {settings.reports_interval_seconds} giây (nhật ký trong {embedded.log_dir})"
        )
        embedded.watch(lambda line: typer.echo(line, err=True))
        uvicorn.run(application, host=host, port=port)
    finally:
        embedded.stop()


@units_app.command("create")
def units_create(
    code: Annotated[str, typer.Option(help="Mã đơn vị")],
    name: Annotated[str, typer.Option(help="Tên đơn vị")],
    kind: Annotated[str, typer.Option(help="Loại đơn vị (config/roles.yaml)")],
    commune: Annotated[str | None, typer.Option(help="Mã xã, phường (đơn vị cấp xã)")] = None,
    province: Annotated[str | None, typer.Option(help="Mã tỉnh (đơn vị cấp tỉnh)")] = None,
) -> None:
    """Tạo đơn vị."""
    rulebook = _rulebook()
    try:
        with _database().transaction() as repo:
            create_unit(
                repo, rulebook.regimes, code=code, name=name, kind=kind, commune_code=commune, province_code=province
            )
    except HosoError as error:
        _fail(error)
    console.print(f"Đã tạo đơn vị {code}")


def _units_data() -> tuple[UnitsData, RegimeTable]:
    """The data files of config/units/, checked against the unit kinds of the role catalogue."""
    try:
        regimes = load_regime_table(CONFIG_DIR)
        return load_units(UNITS_DIR, regimes=regimes), regimes
    except HosoError as error:
        _fail(error)


def _checked(unit: DataUnit) -> str:
    return "có" if unit.verified else "chưa"


def _described(unit: DataUnit) -> str:
    text = f"{unit.code} {unit.name}"
    if not unit.verified:
        text += f" — {unit.note}"
    return text


@units_app.command("list")
def units_list(
    kind: Annotated[str | None, typer.Option(help="Chỉ loại đơn vị này (config/roles.yaml)")] = None,
    province: Annotated[str | None, typer.Option(help="Chỉ đơn vị của tỉnh mang mã này (2 chữ số)")] = None,
) -> None:
    """Liệt kê đơn vị trong các tệp dữ liệu config/units/ và trong cơ sở dữ liệu."""
    data, _ = _units_data()
    try:
        with _database().reading() as repo:
            stored = {str(row["code"]): row for row in repo.all_units()}
    except typer.Exit:
        raise
    except Exception as error:  # the database may not exist or be migrated yet: the data files still list
        console.print(
            f"[yellow]Không đọc được cơ sở dữ liệu ({type(error).__name__}); chỉ liệt kê tệp dữ liệu.[/yellow]"
        )
        stored = {}
    rows: dict[str, tuple[str, str, str, str, str, str, str]] = {}
    for unit in data.units:
        served = ""
        if unit.kind in data.regional_kinds:
            served = f"{len(unit.communes)}" + ("" if unit.complete else " (chưa đủ)")
        where = "tệp + CSDL" if unit.code in stored else "tệp"
        rows[unit.code] = (unit.code, unit.name, unit.kind, unit.province_code, served, where, _checked(unit))
    for code, row in stored.items():
        if code not in rows:
            place = str(row["province_code"] or "")
            rows[code] = (code, str(row["name"]), str(row["kind"]), place, "", "CSDL", "")
    table = Table(title="Đơn vị", show_lines=False)
    for title, options in (
        ("Mã", {"no_wrap": True}),
        ("Tên", {"overflow": "fold"}),
        ("Loại", {"no_wrap": True}),
        ("Tỉnh", {"no_wrap": True}),
        ("Xã, phường", {"no_wrap": True}),
        ("Nguồn", {"no_wrap": True}),
        ("Kiểm chứng", {"no_wrap": True}),
    ):
        table.add_column(title, **options)
    shown = 0
    for code in sorted(rows):
        cells = rows[code]
        if (kind is None or cells[2] == kind) and (province is None or cells[3] == province):
            table.add_row(*cells)
            shown += 1
    # A pipe or a test runner has no width of its own: give the table room rather than cutting names.
    (console if console.is_terminal else Console(width=160)).print(table)
    typer.echo(f"{shown} đơn vị")


@units_app.command("load")
def units_load(
    file: Annotated[
        list[str] | None,
        typer.Option("--file", help="Chỉ nạp đơn vị của tệp này trong config/units/ (có thể lặp lại)"),
    ] = None,
) -> None:
    """Nạp đơn vị của các tệp dữ liệu vào cơ sở dữ liệu: tạo đơn vị còn thiếu, cập nhật tên, không xóa."""
    loadable = [name for name in DATA_FILES if name != LEGACY_FILE]
    unknown = sorted(set(file or ()) - set(loadable))
    if unknown:
        console.print(f"[red]Lỗi:[/red] tệp không có đơn vị để nạp: {', '.join(unknown)} (chọn: {', '.join(loadable)})")
        raise typer.Exit(code=2)
    data, regimes = _units_data()
    try:
        with _database().transaction() as repo:
            report = sync_units(repo, regimes, data, files=file)
    except HosoError as error:
        _fail(error)
    for code in report.created:
        typer.echo(f"Đã tạo {code}")
    for code in report.renamed:
        typer.echo(f"Đã cập nhật tên {code}")
    for problem in report.conflicts:
        typer.echo(f"Không nạp {problem}")
    typer.echo(
        f"{len(report.created)} đơn vị đã tạo, {len(report.renamed)} đổi tên, {len(report.unchanged)} giữ nguyên, "
        f"{len(report.conflicts)} không nạp được"
    )
    if report.conflicts:
        raise typer.Exit(code=1)


@units_app.command("competent")
def units_competent(
    commune: Annotated[str, typer.Argument(help="Mã xã, phường hiện nay (5 chữ số)")],
    on: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Ngày (YYYY-MM-DD; mặc định hôm nay)")
    ] = None,
) -> None:
    """Tòa án nhân dân khu vực và Viện kiểm sát nhân dân khu vực có thẩm quyền đối với một xã, phường."""
    data, _ = _units_data()
    day: date = on.date() if on is not None else SystemClock().now().astimezone(VN_TZ).date()
    try:
        found = data.competence(commune, day)
    except HosoError as error:
        _fail(error)
    place = found.commune
    typer.echo(f"{place.name} ({place.code}), {place.province_name} — ngày {day.isoformat()}")
    if found.regime == "district":
        typer.echo(
            f"Trước ngày {data.in_force_from.strftime('%d/%m/%Y')}: Tòa án nhân dân và Viện kiểm sát nhân dân cấp "
            "huyện nơi người đó cư trú (dữ liệu cấp huyện chưa có)"
        )
        return
    for title, unit in (("Tòa án", found.court), ("Viện kiểm sát", found.procuracy)):
        if unit is None:
            typer.echo(
                f"{title}: chưa có dữ liệu cho xã, phường này — mọi đơn vị khu vực của {place.province_name} "
                "(không kiểm chứng được từ dữ liệu)"
            )
        else:
            typer.echo(f"{title}: {_described(unit)}")
            typer.echo(f"    nguồn: {unit.source}")


@units_app.command("resolve")
def units_resolve(
    province: Annotated[str, typer.Option(help="Tỉnh, thành phố (tên trước hoặc sau ngày 01/07/2025)")],
    district: Annotated[str, typer.Option(help="Quận, huyện, thị xã, thành phố thuộc tỉnh (trước 01/07/2025)")],
    commune: Annotated[str | None, typer.Option(help="Xã, phường, thị trấn (trước 01/07/2025)")] = None,
) -> None:
    """Địa chỉ ghi theo đơn vị hành chính trước ngày 01/07/2025: tỉnh, xã, phường và Tòa án có thẩm quyền nay."""
    data, _ = _units_data()
    try:
        found = data.resolve_legacy_address(province, district, commune)
    except HosoError as error:
        _fail(error)
    old = ", ".join(part for part in (found.former_commune or commune, found.district, found.former_province) if part)
    typer.echo(f"Địa chỉ cũ: {old}")
    typer.echo(f"Nay thuộc: {found.province_name} ({found.province_code})")
    names = ", ".join(f"{place.name} ({place.code})" for place in found.communes)
    if found.exact:
        typer.echo(f"Xã, phường hiện nay: {names}")
    elif names:
        typer.echo(f"Xã, phường hiện nay: một trong {names}")
    else:
        typer.echo("Xã, phường hiện nay: chưa có dữ liệu")
    if found.court is None:
        typer.echo("Tòa án có thẩm quyền: chưa có dữ liệu")
    else:
        basis = "theo xã, phường" if found.court_basis == "commune" else "tòa kế thừa Tòa án cấp huyện cũ"
        typer.echo(f"Tòa án có thẩm quyền: {found.court.code} {found.court.name} ({basis})")
    typer.echo(f"Kiểm chứng: {'có' if found.verified else 'chưa'}")
    for note in found.notes:
        typer.echo(f"Ghi chú: {note}")


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="Tên đăng nhập")],
    role: Annotated[str, typer.Option(help="Vai trò (config/roles.yaml)")],
    unit: Annotated[str, typer.Option(help="Mã đơn vị")],
    password: Annotated[
        str | None,
        typer.Option(help="Mật khẩu (ít nhất 10 ký tự; hỏi nếu bỏ trống; vai trò system không có mật khẩu)"),
    ] = None,
    full_name: Annotated[str | None, typer.Option(help="Họ và tên")] = None,
) -> None:
    """Tạo người dùng (tài khoản system chỉ dùng nội bộ, không đăng nhập được nên không có mật khẩu)."""
    rulebook = _rulebook()
    if role == SERVICE_ROLE:
        if password is not None:
            console.print("Tài khoản system không đăng nhập bằng mật khẩu; mật khẩu đã nhập được bỏ qua.")
        password = None
    elif password is None:
        password = typer.prompt("Mật khẩu", hide_input=True)
    try:
        with _database().transaction() as repo:
            user_id = create_user(
                repo,
                rulebook.regimes,
                username=username,
                password=password,
                full_name=full_name or username,
                role=role,
                unit_code=unit,
                now=SystemClock().now(),
            )
    except HosoError as error:
        _fail(error)
    console.print(f"Đã tạo người dùng {username} (id {user_id})")


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Argument(help="Tên đăng nhập")]) -> None:
    """Khóa tài khoản: mọi phiên đăng nhập của người đó hết hiệu lực ngay."""
    try:
        with _database().transaction() as repo:
            ended = disable_user(repo, username, SystemClock().now())
    except HosoError as error:
        _fail(error)
    console.print(f"Đã khóa tài khoản {username}; {ended} phiên đăng nhập đã kết thúc")


@users_app.command("set-role")
def users_set_role(
    username: Annotated[str, typer.Argument(help="Tên đăng nhập")],
    role: Annotated[str, typer.Option(help="Vai trò mới (config/roles.yaml)")],
    unit: Annotated[str, typer.Option(help="Mã đơn vị")],
) -> None:
    """Đổi vai trò hoặc đơn vị của cán bộ: có hiệu lực từ yêu cầu tiếp theo của người đó."""
    try:
        with _database().transaction() as repo:
            change_role(repo, _rulebook().regimes, username, role, unit)
    except HosoError as error:
        _fail(error)
    console.print(f"Đã đổi {username} sang vai trò {role} tại {unit}")


@procedures_app.command("check")
def procedures_check() -> None:
    """Kiểm tra mọi định nghĩa thủ tục (cả liên kết giữa các thủ tục) và in tóm tắt."""
    try:
        # Whatever directory the settings point at, the links between procedures are checked here.
        rulebook = _rulebook(strict_chains=True)
    except HosoError as error:
        _fail(error)
    rows = describe(rulebook)
    typer.echo(f"{len(rows)} phiên bản thủ tục hợp lệ:")
    for row in rows:
        typer.echo(
            f"  {row['code']}  {row['version']}  chế độ: {', '.join(row['regimes'])}  "
            f"({row['states']} trạng thái, {row['transitions']} chuyển tiếp, {row['deadlines']} thời hạn)"
        )


@procedures_app.command("replay")
def procedures_replay(
    candidate: Annotated[Path, typer.Argument(help="Tệp YAML của phiên bản dự kiến ban hành")],
) -> None:
    """Chạy lại các bước đã ghi của mọi hồ sơ đang mở trên một phiên bản dự kiến, liệt kê những gì thay đổi
    (trạng thái, hạn, kỳ hạn) trước khi ban hành phiên bản đó. Cơ sở dữ liệu thật chỉ được đọc."""
    settings = _settings()
    try:
        definition = load_model(candidate, ProcedureDefinition)
        with tempfile.TemporaryDirectory(prefix="hoso-candidate-") as folder:
            procedures = Path(folder)
            shutil.copytree(settings.procedures_dir, procedures, dirs_exist_ok=True)
            target = procedures / definition.code / f"{definition.version}.yaml"
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(candidate, target)
            rulebook = load_rulebook(CONFIG_DIR, procedures_dir=procedures, calendars_dir=settings.calendars_dir)
        outcomes = replay_open_dossiers(_database(), rulebook, definition.code, definition.version)
    except HosoError as error:
        _fail(error)
    changed = [outcome for outcome in outcomes if outcome.changed]
    for outcome in changed:
        typer.echo(f"{outcome.dossier_id}: trạng thái {outcome.state_now} → {outcome.state_replayed or '—'}")
        if outcome.stopped_at:
            typer.echo(f"    dừng tại bước {outcome.stopped_at}")
        for rule_id in sorted(set(outcome.due_now) | set(outcome.due_replayed)):
            before, after = outcome.due_now.get(rule_id, "—"), outcome.due_replayed.get(rule_id, "—")
            if before != after:
                typer.echo(f"    {rule_id}: {before} → {after}")
    typer.echo(f"{len(changed)}/{len(outcomes)} hồ sơ đang mở sẽ thay đổi trên {definition.code} {definition.version}")


@dossiers_app.command("migrate")
def dossiers_migrate(
    to_version: Annotated[str, typer.Option("--to", help="Phiên bản đích (ngày hiệu lực)")],
    reason: Annotated[str, typer.Option(help="Lý do, căn cứ quy định chuyển tiếp")],
    procedure: Annotated[str, typer.Option(help="Mã thủ tục: chuyển mọi hồ sơ đang mở của thủ tục")],
    dossier: Annotated[str | None, typer.Option(help="Chỉ chuyển hồ sơ này")] = None,
    operator: Annotated[str, typer.Option(help="Tài khoản quản trị thực hiện")] = "admin",
) -> None:
    """Chuyển hồ sơ đang chạy sang phiên bản thủ tục mới (ghi vào lịch sử, tính lại các thời hạn)."""
    rulebook = _rulebook()
    db = _database()
    engine = _engine(rulebook, db)
    try:
        with db.reading() as repo:
            actor = actor_by_username(repo, operator)
            ids = [dossier] if dossier else repo.open_dossier_ids(procedure)
            versions = {i: (repo.dossier(i) or {}).get("version", 0) for i in ids}
    except HosoError as error:
        _fail(error)
    moved = 0
    for dossier_id in ids:
        try:
            engine.migrate_version(
                actor, dossier_id, to_version, reason_vi=reason, expected_version=versions[dossier_id]
            )
        except HosoError as error:
            typer.echo(f"{dossier_id}: không chuyển — {error.message}")
            continue
        moved += 1
        typer.echo(f"{dossier_id}: đã chuyển sang {to_version}")
    typer.echo(f"{moved}/{len(ids)} hồ sơ đã chuyển")


@procedures_app.command("diagram")
def procedures_diagram(
    code: str,
    version: Annotated[str | None, typer.Option(help="Phiên bản (mặc định: mới nhất)")] = None,
) -> None:
    """In sơ đồ Mermaid của một thủ tục."""
    try:
        rulebook = _rulebook()
        compiled = rulebook.pinned(code, version) if version else rulebook.versions(code)[-1]
    except HosoError as error:
        _fail(error)
    typer.echo(mermaid(compiled.definition), nl=False)


@procedures_app.command("diagrams")
def procedures_diagrams(
    folder: Annotated[Path, typer.Option(help="Thư mục ghi sơ đồ")] = DIAGRAMS_DIR,
) -> None:
    """Ghi sơ đồ Mermaid của mọi phiên bản thủ tục vào docs/procedures/ (để rà soát pháp lý)."""
    try:
        rulebook = _rulebook()
    except HosoError as error:
        _fail(error)
    folder.mkdir(parents=True, exist_ok=True)
    for compiled in rulebook.all_versions():
        path = folder / diagram_file_name(compiled.definition)
        path.write_text(mermaid_document(compiled.definition), encoding="utf-8")
        typer.echo(f"Đã ghi {path}")


def procedure_json_schema() -> str:
    return json.dumps(ProcedureDefinition.model_json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


@procedures_app.command("schema")
def procedures_schema() -> None:
    """Ghi JSON Schema của tệp thủ tục vào config/schema/."""
    SCHEMA_PATH.write_text(procedure_json_schema(), encoding="utf-8")
    console.print(f"Đã ghi {SCHEMA_PATH}")


@calendar_app.command("explain")
def calendar_explain(
    start: Annotated[str, typer.Option("--from", help="Ngày bắt đầu tính (YYYY-MM-DD) hoặc thời điểm (ISO 8601)")],
    add: Annotated[str, typer.Option(help="Thời hạn: '3 ngày làm việc', '30 ngày', '24 tháng', '12 giờ'")],
    term: Annotated[bool, typer.Option("--term", help="Thời hạn chấp hành: ngày cuối không dời")] = False,
) -> None:
    """Tính thời hạn theo lịch làm việc (ngày nghỉ lễ, Tết, nghỉ bù, ngày làm bù), từng ngày một."""
    try:
        count, unit = parse_period(add)
        started = _local_start(start)
        lines, _due_at, sentence = day_by_day(started, count, unit, _rulebook().calendar, term=term)
    except HosoError as error:
        _fail(error)
    for line in lines:
        shown = f"{line.counted:>3}" if line.counted is not None else "  -"
        typer.echo(f"{shown}  {day_words(line.day)}  {line.note}")
    typer.echo(sentence)


def _local_start(text: str) -> datetime:
    """A date (counted from that day, as a period starting on a day is) or an instant; Vietnamese time."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0, 0), tzinfo=VN_TZ)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(f"'{text}' không phải ngày YYYY-MM-DD hay thời điểm ISO 8601", field="from") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=VN_TZ)


@app.command()
def openapi() -> None:
    """In bản mô tả OpenAPI của API (hợp đồng được lưu tại docs/openapi.json)."""
    from api.app import create_app

    typer.echo(json.dumps(create_app().openapi(), indent=2, ensure_ascii=False, sort_keys=True))


@deadlines_app.command("sweep")
def deadlines_sweep(
    system_user: Annotated[str, typer.Option(help="Tài khoản vai trò system thực hiện")] = "system",
) -> None:
    """Thực hiện các bước tự động của những thời hạn đã hết (luật định và chỉ tiêu phục vụ), một lần."""
    outcomes = _as_system(system_user, sweep_due_deadlines)
    for outcome in outcomes:
        mark = "đã thực hiện" if outcome.fired else "không thực hiện được"
        typer.echo(f"{outcome.dossier_id}  {outcome.rule_id}  {outcome.event}: {mark} — {outcome.detail}")
    typer.echo(f"{sum(o.fired for o in outcomes)}/{len(outcomes)} thời hạn đã xử lý")
    rulebook, db, now = _rulebook(), _database(), SystemClock().now()
    stages = sweep_alerts(db, rulebook, now)
    escalated = escalate_unacknowledged(db, rulebook, now, batch_size=10_000)
    words = {"warned": "cảnh báo sắp hết hạn", "due": "báo đến hạn", "escalated": "báo quá hạn lên thủ trưởng"}
    typer.echo(
        "Nhắc hạn: "
        + (", ".join(f"{stages[key]} {text}" for key, text in words.items() if stages[key]) or "không có")
        + f"; {len(escalated)} thông báo chưa được xác nhận đã báo thủ trưởng đơn vị nhận"
    )


@outbox_app.command("drain")
def outbox_drain(
    system_user: Annotated[str, typer.Option(help="Tài khoản vai trò system thực hiện")] = "system",
) -> None:
    """Xử lý hàng đợi một lần: mở các thủ tục tiếp theo mà các bước đã yêu cầu (liên kết với hồ sơ gốc), gửi
    thông báo đến các đơn vị nhận, ban hành văn bản (đánh số, lưu tệp) — mỗi việc một lần."""
    outcomes = _as_system(system_user, _drain_all)
    for outcome in outcomes:
        typer.echo(f"{outcome.outbox_id}  {outcome.outcome}  {outcome.dossier_id or '-'}  {outcome.detail}")
    opened = sum(o.outcome == "opened" for o in outcomes)
    followups = sum(o.kind == "start_procedure" for o in outcomes)
    posted = sum(o.outcome == "posted" for o in outcomes)
    issued, pdfs = _issue_documents()
    for document in issued:
        typer.echo(
            f"{document.outbox_id}  văn bản {document.outcome}  {document.number_symbol or '-'}  {document.detail}"
        )
    for pdf in pdfs:
        typer.echo(f"{pdf.outbox_id}  bản PDF {pdf.outcome}  văn bản {pdf.document_id}  {pdf.detail}")
    typer.echo(
        f"{opened}/{followups} thủ tục tiếp theo đã mở; {posted} thông báo đã gửi đến đơn vị nhận; "
        f"{sum(d.outcome == 'issued' for d in issued)} văn bản đã ban hành; "
        f"{sum(p.outcome == 'signed' for p in pdfs)} bản PDF đã ký số"
    )


def _issue_documents(
    db: Database | None = None, rulebook: Rulebook | None = None
) -> tuple[list[IssueOutcome], list[PdfOutcome]]:
    """Issue every waiting document, then make and sign the PDF of each (the outbox-drain flow's documents)."""
    db, rulebook = db or _database(), rulebook or _rulebook()
    setup = DocumentSetup.from_settings(_settings())
    return _issue_all(setup, db, rulebook), _sign_all(setup, db, rulebook)


def _issue_all(setup: DocumentSetup, db: Database, rulebook: Rulebook) -> list[IssueOutcome]:
    issuer, issued = setup.issuer(db, rulebook), []
    while True:
        batch = issue_batch(issuer, worker=f"hoso-cli:{os.getpid()}", now=SystemClock().now(), batch_size=200)
        issued += batch
        if len(batch) < 200 or all(outcome.outcome == "retry" for outcome in batch):
            return issued


def _sign_all(setup: DocumentSetup, db: Database, rulebook: Rulebook) -> list[PdfOutcome]:
    finisher, policy, pdfs = setup.finisher(db), rulebook.alerts.delivery, []
    while True:
        signed = pdf_batch(
            finisher,
            worker=f"hoso-cli:{os.getpid()}",
            now=SystemClock().now(),
            batch_size=20,
            lease_seconds=policy.lease_seconds,
            retry_seconds=policy.retry_seconds,
        )
        pdfs += signed
        if len(signed) < 20 or all(outcome.outcome == "retry" for outcome in signed):
            return pdfs


def _demo_documents(db: Database, rulebook: Rulebook) -> list[str]:
    """The seeded dossiers' documents, issued and signed: a local test CA (never for real use) gives a key to
    every unit that has officers, so a new user finds signed decisions at once."""
    settings = _settings()
    setup = DocumentSetup.from_settings(settings)
    issued = _issue_all(setup, db, rulebook)
    keys = settings.signing_keys_dir
    if keys is not None and settings.signing_pkcs11_module is None:
        ensure_demo_ca(keys)
        with db.reading() as repo:
            officer_units = {str(user["unit_code"]) for user in repo.all_users()}
            units = [unit for unit in repo.all_units() if unit["code"] in officer_units]
        for unit in units:
            ensure_unit_key(keys, str(unit["code"]), str(unit["name"]))
    pdfs = _sign_all(setup, db, rulebook)
    lines = [
        f"Văn bản của các hồ sơ mẫu: {sum(d.outcome == 'issued' for d in issued)} văn bản đã ban hành "
        f"(thư mục {setup.documents_dir}), {sum(p.outcome == 'signed' for p in pdfs)} bản PDF đã ký số "
        f"bằng khóa của CA thử nghiệm ({keys})."
    ]
    if any(p.outcome == "unavailable" for p in pdfs):
        lines.append(f"LƯU Ý: {setup.finisher(db).converter.unavailable_reason_vi()}")
    return lines


def _drain_all(engine: DossierEngine, system: Actor) -> list[DrainOutcome]:
    outcomes: list[DrainOutcome] = []
    while batch := drain_outbox(engine, system, worker=f"hoso-cli:{os.getpid()}", batch_size=200):
        outcomes += batch
        if len(batch) < 200 or all(outcome.outcome == "retry" for outcome in batch):
            break
    return outcomes


@demo_app.command("seed")
def demo_seed(
    documents: Annotated[
        bool,
        typer.Option(
            "--documents/--no-documents",
            help="Ban hành và ký số ngay các văn bản của hồ sơ mẫu (nếu không: chúng chờ luồng outbox-drain)",
        ),
    ] = True,
) -> None:
    """Tạo đơn vị, người dùng và hồ sơ mẫu tại phường Hoàn Kiếm (00070)."""
    rulebook = _rulebook()
    db = _database()
    lines = seed(db, rulebook, _engine(rulebook, db))
    if not lines:
        console.print("Dữ liệu mẫu đã có sẵn; không tạo thêm.")
    else:
        if documents:
            lines += _demo_documents(db, rulebook)
        samples = write_sample_tables(_settings().documents_dir.parent / "mau")
        lines.append("Bảng chỉ tiêu mẫu để thử nhập (hoso targets import … hoặc POST /api/v1/targets/imports):")
        lines += [f"  {path}" for path in samples]
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True)


@documents_app.command("verify")
def documents_verify(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="Tệp .docx cần xác minh")],
) -> None:
    """Đối chiếu SHA-256 của tệp với các văn bản đã ban hành (mã thoát 0: hợp lệ, 1: không)."""
    settings = _settings()
    roots = load_trust_roots([path for path in settings.signing_trust_roots if path.is_file()])
    answer = verify_file(_database(), file.read_bytes(), FileStore(settings.documents_dir).read, roots)
    document = answer["document"]
    if answer["valid"] and document is not None:
        typer.echo(f"Hợp lệ: {document['title']} {document['number_symbol'] or ''}".rstrip())
        typer.echo(f"Đơn vị ban hành: {document['unit_name']} — {document['issued_at']}")
        if not answer["stored_intact"]:
            typer.echo("Lưu ý: tệp lưu trữ của văn bản này không còn nguyên vẹn")
    else:
        typer.echo(f"Không hợp lệ: {answer['reason']}")
    if answer["signature_note"]:
        typer.echo(answer["signature_note"])
    if not answer["valid"]:
        raise typer.Exit(code=1)


_AUDIT_REASONS = {
    "missing_row": "thiếu dòng",
    "broken_link": "đứt liên kết với dòng trước",
    "content_changed": "nội dung đã bị sửa",
    "seal_mismatch": "niêm phong không khớp (dòng đã bị viết lại)",
    "unsealed": "chưa được niêm phong",
    "unknown_key": "niêm phong bằng khóa không biết",
    "version_mismatch": "phiên bản hồ sơ không khớp với dòng cuối",
    "differs_from_checkpoint": "khác với điểm kiểm tra đã ký",
    "checkpointed_row_missing": "dòng đã ghi trong điểm kiểm tra không còn",
    "checkpoint_chain_broken": "đứt chuỗi điểm kiểm tra",
    "checkpoint_changed": "điểm kiểm tra đã bị sửa",
    "untrusted_key": "điểm kiểm tra ký bằng khóa không được tin cậy",
    "bad_signature": "chữ ký điểm kiểm tra không hợp lệ",
}


@audit_app.command("verify")
def audit_verify(
    trust: Annotated[
        list[str] | None,
        typer.Option(help="Khóa công khai (hex) được tin cậy thêm, ví dụ khóa trong bản xuất đã gửi Viện kiểm sát"),
    ] = None,
) -> None:
    """Kiểm tra mọi hồ sơ: chuỗi băm, niêm phong, điểm kiểm tra có chữ ký; nêu dòng hỏng đầu tiên (mã thoát 1)."""
    settings = _settings()
    trusted = set(trust or [])
    if settings.checkpoint_key_file.is_file():
        trusted.add(CheckpointKey.load_or_create(settings.checkpoint_key_file).public_hex)
    report = verify_all(_database(), keys_from_settings(settings), trusted)
    typer.echo(f"Đã kiểm tra {report.dossiers} hồ sơ, {report.rows} dòng lịch sử, {report.checkpoints} điểm kiểm tra.")
    for entry in report.broken:
        reason = _AUDIT_REASONS.get(entry["reason"], entry["reason"])
        typer.echo(f"Hồ sơ {entry['dossier_id']}: dòng {entry['first_invalid_seq']} — {reason}")
    for entry in report.checkpoint_problems:
        reason = _AUDIT_REASONS.get(entry["reason"], entry["reason"])
        where = (
            f"Điểm kiểm tra {entry['checkpoint_id']}"
            if "checkpoint_id" in entry
            else f"Hồ sơ {entry['dossier_id']}: dòng {entry['seq']}"
        )
        typer.echo(f"{where} — {reason}")
    if not report.valid:
        raise typer.Exit(code=1)
    typer.echo("Lịch sử toàn vẹn.")


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Ký ngay một điểm kiểm tra các dòng cuối của mọi hồ sơ (luồng quét thời hạn làm việc này mỗi ngày)."""
    settings = _settings()
    written = write_checkpoint(
        _database(), CheckpointKey.load_or_create(settings.checkpoint_key_file), SystemClock().now()
    )
    typer.echo(f"Điểm kiểm tra {written['id']}: {written['dossiers']} hồ sơ, mã {written['digest']}")


@audit_app.command("export")
def audit_export(
    output: Annotated[Path, typer.Argument(dir_okay=False, help="Tệp JSON để gửi Viện kiểm sát")],
) -> None:
    """Xuất mọi điểm kiểm tra (có chữ ký Ed25519 và khóa công khai) ra một tệp JSON."""
    document = export_checkpoints(_database())
    output.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    typer.echo(f"Đã xuất {len(document['checkpoints'])} điểm kiểm tra vào {output}")


@audit_app.command("seal")
def audit_seal() -> None:
    """Niêm phong các dòng lịch sử ghi trước khi có niêm phong (một lần, sau khi nâng cấp)."""
    sealed = seal_legacy_rows(_database(), keys_from_settings(_settings()))
    typer.echo(f"Đã niêm phong {sealed} dòng lịch sử.")


@targets_app.command("import")
def targets_import(
    file: Annotated[Path, typer.Argument(help="Bảng chỉ tiêu (.xlsx hoặc .csv) như tỉnh đã ban hành")],
    year: Annotated[int, typer.Option(help="Năm kế hoạch")],
    source: Annotated[str, typer.Option(help="Văn bản ban hành bảng (số, ký hiệu, ngày)")],
    operator: Annotated[str, typer.Option("--as", help="Tài khoản cán bộ cấp tỉnh nhập bảng")],
    layout: Annotated[str, typer.Option(help="Mẫu bảng (config/targets)")] = "rehab_plan",
    province: Annotated[str | None, typer.Option(help="Mã tỉnh (chỉ với tài khoản cấp trung ương)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Chỉ kiểm tra, không lưu")] = False,
) -> None:
    """Nhập bảng chỉ tiêu: liệt kê mọi chỗ không khớp kèm ô; chỉ lưu (thành phiên bản mới) khi bảng khớp hết."""
    rulebook = _rulebook()
    db = _database()
    try:
        content = file.read_bytes()
    except OSError as error:
        console.print(f"[red]Lỗi:[/red] không đọc được tệp {file}: {error.strerror}")
        raise typer.Exit(code=1) from None
    request = TargetImport(layout, year, source, file.name, content, dry_run, province)
    try:
        with db.reading() as repo:
            actor = actor_by_username(repo, operator)
        answer = import_targets(db, rulebook, actor, request, SystemClock().now())
    except TargetTableError as error:
        _print_target_problems(error.details.get("records", []))
        _fail(error)
    except HosoError as error:
        _fail(error)
    if answer["problems"]:
        _print_target_problems(answer["problems"])
        console.print(f"{len(answer['problems'])} chỗ không khớp; chưa lưu")
        raise typer.Exit(code=1)
    if answer["saved"]:
        console.print(
            f"Đã lưu bảng chỉ tiêu {layout} năm {year} của tỉnh {answer['province_code']}: phiên bản "
            f"{answer['version']}, {answer['units']} đơn vị, SHA-256 {answer['file_sha256']}"
        )
    else:
        console.print(f"Bảng khớp: {answer['units']} đơn vị (chưa lưu: --dry-run)")


def _print_target_problems(records: list[dict[str, str | None]]) -> None:
    table = Table("Ô", "Đơn vị", "Cột", "Vấn đề")
    for record in records:
        table.add_row(record["cell"] or "", record["unit"] or "", record["column"] or "", record["message"] or "")
    console.print(table)


@import_app.command("registers")
def import_registers(
    file: Annotated[Path, typer.Argument(help="Danh sách người sử dụng, người nghiện (.xlsx hoặc .csv)")],
    operator: Annotated[str, typer.Option("--as", help="Tài khoản cán bộ cấp tỉnh nhập danh sách")],
    layout: Annotated[str, typer.Option(help="Mẫu danh sách (config/registers)")] = "drug_registers",
    province: Annotated[str | None, typer.Option(help="Mã tỉnh (mặc định: tỉnh của cán bộ)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Chỉ kiểm tra, liệt kê các dòng không đặt được")] = False,
) -> None:
    """Nhập danh sách: kiểm tra từng dòng, rồi mở hồ sơ đúng giai đoạn qua engine; chạy lại an toàn."""
    rulebook = _rulebook()
    db = _database()
    engine = _engine(rulebook, db)
    try:
        content = file.read_bytes()
    except OSError as error:
        console.print(f"[red]Lỗi:[/red] không đọc được tệp {file}: {error.strerror}")
        raise typer.Exit(code=1) from None
    today = engine.clock.now().astimezone(VN_TZ).date()
    try:
        with db.reading() as repo:
            actor = actor_by_username(repo, operator)
            place = province_of(rulebook, actor, province, what="danh sách")
            checked = check_register(
                register_layout(layout, rulebook), read_table(file.name, content), content, place, repo, today
            )
    except HosoError as error:
        _fail(error)
    for line in status_outcomes(checked.layout, rulebook, today):
        console.print(line, highlight=False, soft_wrap=True)
    if checked.problems:
        table = Table("Dòng", "Ô", "Vấn đề")
        for item in checked.problems:
            table.add_row(str(item.row), item.cell, item.message)
        console.print(table)
    for note in checked.notes:
        console.print(f"Dòng {note.row}: {note.message} (ô {note.cell})", highlight=False, soft_wrap=True)
    console.print(f"{checked.rows} dòng: {len(checked.placed)} đặt được, {len(checked.problems)} chỗ không đặt được")
    if dry_run or not checked.placed:
        raise typer.Exit(code=1 if checked.problems else 0)
    with Progress(console=console) as progress:
        bar = progress.add_task("Mở hồ sơ", total=len(checked.placed))
        report = import_register(
            engine, actor, checked, file.name, progress=lambda done: progress.update(bar, completed=done)
        )
    for row, reason in report.already:
        console.print(f"Dòng {row}: đã có hồ sơ đang mở — {reason}")
    for row, reason in report.refused:
        console.print(f"Dòng {row}: không mở được — {reason}")
    console.print(
        f"Đã mở và đặt đúng giai đoạn {len(report.created)} hồ sơ; {len(report.already)} đã có; "
        f"{len(report.refused)} không mở được"
    )
    if report.earlier:
        console.print(f"Trong đó {len(report.earlier)} hồ sơ đã được nhập từ chính tệp này trước đó (không mở lại)")


@reports_app.command("produce")
def reports_produce(
    system_user: Annotated[str, typer.Option(help="Tài khoản vai trò system thực hiện")] = "system",
) -> None:
    """Lập một lần các báo cáo định kỳ đã đến lúc lập (như luồng periodic-reports): lưu tệp kèm SHA-256, báo đơn
    vị nhận; báo cáo chưa lập được ghi lý do và sẽ được thử lại."""
    settings = _settings()
    rulebook = _rulebook()
    db = _database()
    try:
        with db.reading() as repo:
            system = actor_by_username(repo, system_user)
        outcomes = produce_due_reports(
            db,
            rulebook,
            FileStore(settings.documents_dir),
            system,
            SystemClock().now(),
            worker=f"hoso-cli:{os.getpid()}",
            public_url=settings.public_url,
        )
    except HosoError as error:
        _fail(error)
    for outcome in outcomes:
        shown = "đã lập" if outcome.outcome == "produced" else "chưa lập được"
        console.print(f"{outcome.report_id}  {shown}  {outcome.detail}", highlight=False, soft_wrap=True)
    produced = sum(o.outcome == "produced" for o in outcomes)
    console.print(f"{produced} báo cáo đã lập; {len(outcomes) - produced} chưa lập được (sẽ thử lại)")
