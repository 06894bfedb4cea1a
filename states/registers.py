"""Importing the registers of drug users and addicts that provinces keep in spreadsheets
(``config/registers/<code>.yaml``): every row is checked first — its identity number against the birth date, its
commune against today's communes of the province (a former one that became exactly one of today's is placed there
and the officer told; one divided among several is refused with them), its dates, its status, a person listed
twice, a number already recorded for someone else — and each row that cannot be placed is listed with its cell.
Rows that can are then opened through the engine and placed at the stage the register records — and, when the
status says so, at the follow-ups that stage starts (an addict's voluntary rehab), each linked to the dossier before
it — each with an idempotency key made of the file's SHA-256 and the row, so an interrupted import run again
creates nothing twice, and a person is never created twice (persons are found by their identity number)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from config import CONFIG_DIR
from states.actors import Actor
from states.definitions import REGISTER_IMPORTED
from states.engine import DossierEngine, SubjectInput
from states.errors import ConflictError, HosoError, InvalidInputError
from states.identity import id_number_problem
from states.places import Commune, commune, province_name
from states.procedures import Rulebook
from states.store.repository import Repository
from states.target_files import Cell
from states.targets import province_of
from states.texts import name_key, text_problem
from states.units_data import FormerCommune, default_units
from states.yaml_loading import load_coded_models

REGISTERS_DIR = CONFIG_DIR / "registers"
MAX_PROBLEMS = 2000
FIELDS = ("full_name", "date_of_birth", "sex", "id_number", "commune", "status", "since")
REQUIRED = ("full_name", "date_of_birth", "id_number", "commune", "status", "since")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegisterPlacement(_Strict):
    procedure: str
    state: str


class RegisterStatus(_Strict):
    labels: tuple[str, ...] = Field(min_length=1)
    title_vi: str = Field(min_length=1)
    procedure: str
    state: str
    then: tuple[RegisterPlacement, ...] = ()
    """Further dossiers the status becomes, each the follow-up that the stage before it starts (a person
    determined addicted must register voluntary rehab), linked to it as the engine links a follow-up."""

    @property
    def placements(self) -> tuple[RegisterPlacement, ...]:
        return (RegisterPlacement(procedure=self.procedure, state=self.state), *self.then)


class RegisterLayout(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title_vi: str = Field(min_length=1)
    basis: str = Field(min_length=1)
    unverified: str | None = None
    columns: dict[str, tuple[str, ...]]
    ignored_headers: tuple[str, ...] = ()
    sexes: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    statuses: tuple[RegisterStatus, ...] = Field(min_length=1)

    def check(self, rulebook: Rulebook) -> list[str]:
        problems = [f"{self.code}: thiếu cột '{name}'" for name in REQUIRED if name not in self.columns]
        problems += [f"{self.code}: cột lạ '{name}'" for name in self.columns if name not in FIELDS]
        for status in self.statuses:
            placements = status.placements
            for placement in placements:
                versions = rulebook.procedures.get(placement.procedure)
                if not versions:
                    problems.append(f"{self.code}: không có thủ tục '{placement.procedure}'")
                elif not any(placement.state in v.definition.states for v in versions):
                    problems.append(
                        f"{self.code}: thủ tục {placement.procedure} không có trạng thái '{placement.state}'"
                    )
            for before, after in pairwise(placements):
                if not any(
                    dest == before.state and any(start.procedure == after.procedure for start in t.start_procedures)
                    for v in rulebook.procedures.get(before.procedure, [])
                    for _, dest, t in v.definition.edges()
                ):
                    problems.append(
                        f"{self.code}: trạng thái '{before.state}' của thủ tục {before.procedure} "
                        f"không mở tiếp thủ tục {after.procedure}"
                    )
        return problems

    def status_of(self, text: str) -> RegisterStatus | None:
        key = name_key(text)
        return next((s for s in self.statuses if key in {name_key(label) for label in s.labels}), None)


@lru_cache(maxsize=4)
def load_registers(directory: Path = REGISTERS_DIR) -> dict[str, RegisterLayout]:
    return load_coded_models(directory, RegisterLayout)


def register_layout(code: str, rulebook: Rulebook | None = None) -> RegisterLayout:
    """The layout, checked against the procedures when a rulebook is given."""
    layouts = load_registers()
    if code not in layouts:
        raise InvalidInputError(f"Không có mẫu danh sách '{code}' (có: {', '.join(sorted(layouts))})", field="layout")
    problems = layouts[code].check(rulebook) if rulebook is not None else []
    if problems:
        raise InvalidInputError(f"Mẫu danh sách không khớp các thủ tục: {'; '.join(problems)}", field="layout")
    return layouts[code]


def status_outcomes(layout: RegisterLayout, rulebook: Rulebook, on: date) -> list[str]:
    """What each status of the layout becomes, in words: the dossiers opened and the stage each is placed at."""
    lines = []
    for status in layout.statuses:
        placed = []
        for placement in status.placements:
            definition = rulebook.in_force(placement.procedure, on).definition
            state = definition.states[placement.state].title_vi
            placed.append(f"hồ sơ «{definition.title_vi}» ở giai đoạn «{state}»")
        lines.append(f"Tình trạng '{status.labels[0]}' ({status.title_vi}) → " + ", rồi ".join(placed))
    return lines


# -- checking --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    row: int
    cell: str
    message: str

    def as_record(self) -> dict[str, Any]:
        return {"row": self.row, "cell": self.cell, "message": self.message}


@dataclass(frozen=True)
class PlacedRow:
    row: int
    subject: SubjectInput
    status: RegisterStatus
    since: date
    commune_as_written: str | None = None
    """The commune as the register writes it, when it is a former one placed in what it became."""


@dataclass
class RegisterCheck:
    layout: RegisterLayout
    province_code: str
    sha256: str
    rows: int = 0
    placed: list[PlacedRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[RowProblem] = field(default_factory=list)
    """What was changed in rows that are placed (a former commune placed in the one it became), with the cell."""

    def add(self, problem: RowProblem) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)


_DAY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _day(cell: Cell) -> date | str:
    """The date a cell holds, or why it holds none (a spreadsheet date, ``dd/mm/yyyy`` or ``yyyy-mm-dd``)."""
    if isinstance(cell.value, datetime):
        return cell.value.date()
    if isinstance(cell.value, date):
        return cell.value
    text = cell.text.strip()
    found = _DAY.match(text)
    parts = (found.group(3), found.group(2), found.group(1)) if found else None
    if parts is None and (iso := _ISO.match(text)):
        parts = (iso.group(1), iso.group(2), iso.group(3))
    if parts is None:
        return f"'{text}' không phải là ngày (ghi ngày/tháng/năm, ví dụ 05/04/1992)"
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return f"Ngày không có thật: {text}"


def check_register(
    layout: RegisterLayout,
    content_rows: list[list[Cell]],
    content: bytes,
    province_code: str,
    repo: Repository,
    today: date,
) -> RegisterCheck:
    province_name(province_code)
    checked = RegisterCheck(layout, province_code, hashlib.sha256(content).hexdigest())
    headers = {name_key(h): key for key, names in layout.columns.items() for h in names}
    ignored = {name_key(h) for h in layout.ignored_headers}
    header_index = next(
        (i for i, row in enumerate(content_rows[:20]) if sum(name_key(c.text) in headers for c in row) >= 3), None
    )
    if header_index is None:
        checked.add(RowProblem(1, "A1", "Không tìm thấy dòng tiêu đề (Họ và tên, Ngày sinh, Số định danh cá nhân …)"))
        return checked
    positions: dict[str, int] = {}
    for position, cell in enumerate(content_rows[header_index]):
        key = name_key(cell.text)
        if not key or key in ignored:
            continue
        if key not in headers:
            checked.add(
                RowProblem(header_index + 1, cell.ref, f"Cột '{cell.text.strip()}' không có trong mẫu danh sách")
            )
        elif headers[key] in positions:
            checked.add(RowProblem(header_index + 1, cell.ref, f"Cột '{cell.text.strip()}' xuất hiện hai lần"))
        else:
            positions[headers[key]] = position
    missing = [name for name in REQUIRED if name not in positions]
    if missing:
        listed = ", ".join(layout.columns[name][0] for name in missing)
        checked.add(RowProblem(header_index + 1, content_rows[header_index][0].ref, f"Thiếu cột: {listed}"))
        return checked
    seen: dict[str, int] = {}
    for row in content_rows[header_index + 1 :]:
        cells = {name: row[p] if p < len(row) else Cell(ref="", text="") for name, p in positions.items()}
        if not any(cell.text.strip() for cell in cells.values()):
            continue
        checked.rows += 1
        placed = _check_row(checked, cells, repo, today, seen)
        if placed is not None:
            checked.placed.append(placed)
    return checked


def _check_row(
    checked: RegisterCheck, cells: dict[str, Cell], repo: Repository, today: date, seen: dict[str, int]
) -> PlacedRow | None:
    layout = checked.layout
    number = next((int(re.sub(r"\D", "", c.ref)) for c in cells.values() if c.ref), 0)
    found: list[RowProblem] = []

    def problem(name: str, message: str) -> None:
        found.append(RowProblem(number, cells[name].ref, message))

    full_name = " ".join(cells["full_name"].text.split())
    if not full_name:
        problem("full_name", "Thiếu họ tên")
    elif (wrong := text_problem(full_name)) is not None:
        problem("full_name", f"Họ tên {wrong}")
    born = _day(cells["date_of_birth"])
    if isinstance(born, str):
        problem("date_of_birth", born)
    elif born > today:
        problem("date_of_birth", f"Ngày sinh {born:%d/%m/%Y} sau ngày hôm nay")
    id_number = cells["id_number"].text.strip()
    if isinstance(born, date) and (wrong := id_number_problem(id_number, born)) is not None:
        problem("id_number", wrong)
    elif id_number in seen:
        problem("id_number", f"Trùng số định danh với dòng {seen[id_number]}: một người chỉ được ghi một lần")
    sex = None
    if "sex" in cells and cells["sex"].text.strip():
        sex = next(
            (k for k, labels in layout.sexes.items() if name_key(cells["sex"].text) in map(name_key, labels)), None
        )
        if sex is None:
            problem("sex", f"Giới tính '{cells['sex'].text.strip()}' không hợp lệ (Nam hoặc Nữ)")
    mapped: list[RowProblem] = []
    place = _commune(
        checked.province_code,
        cells["commune"].text,
        problem,
        lambda message: mapped.append(RowProblem(number, cells["commune"].ref, message)),
    )
    status = layout.status_of(cells["status"].text)
    if status is None:
        choices = "; ".join(s.labels[0] for s in layout.statuses)
        problem("status", f"Tình trạng '{cells['status'].text.strip()}' không có trong mẫu ({choices})")
    since = _day(cells["since"])
    if isinstance(since, str):
        problem("since", since)
    elif since > today:
        problem("since", f"Ngày {since:%d/%m/%Y} sau ngày hôm nay")
    elif isinstance(born, date) and since < born:
        problem("since", f"Ngày {since:%d/%m/%Y} trước ngày sinh")
    if not found and isinstance(born, date):
        stored = repo.person_by_id_number(id_number)
        if stored is not None and (
            name_key(stored["full_name"]) != name_key(full_name) or stored["date_of_birth"] != born
        ):
            problem(
                "id_number",
                f"Số định danh đã ghi cho {stored['full_name']} (sinh {stored['date_of_birth']:%d/%m/%Y}): "
                "kiểm tra lại họ tên, ngày sinh",
            )
    if id_number and id_number not in seen:
        seen[id_number] = number
    for item in found:
        checked.add(item)
    if found or place is None or status is None or not isinstance(born, date) or not isinstance(since, date):
        return None
    subject = SubjectInput(full_name=full_name, date_of_birth=born, id_number=id_number, commune_code=place, sex=sex)
    checked.notes.extend(mapped)
    as_written = " ".join(cells["commune"].text.split()) if mapped else None
    return PlacedRow(number, subject, status, since, as_written)


def _commune(
    province_code: str, text: str, problem: Callable[[str, str], None], mapped: Callable[[str], None]
) -> str | None:
    text = text.strip()
    if re.fullmatch(r"\d{5}", text):
        try:
            place = commune(text)
        except InvalidInputError:
            place = None
        if place is not None and place.province_code == province_code:
            return place.code
        problem("commune", f"Mã '{text}' không phải xã, phường hiện nay của {province_name(province_code)}")
        return None
    units = default_units()
    found = units.commune_named(province_code, text)
    if found is not None:
        return found.code
    former = units.former_commune(province_code, text)
    if former is None:
        problem("commune", f"Không có xã, phường '{text}' trong {province_name(province_code)}")
        return None
    successor = _sole_successor(former, province_code)
    if successor is None:
        names = ", ".join(ref.name for ref in former.successors)
        rest = "" if former.complete else " và xã, phường khác chưa có trong dữ liệu"
        problem(
            "commune",
            f"'{text}' đã được chia từ 01/07/2025 vào {names}{rest}: ghi xã, phường hiện nay nơi người này cư trú",
        )
        return None
    unverified = "" if former.verified else " (dữ liệu sáp nhập chưa kiểm chứng)"
    mapped(f"'{text}' đã sáp nhập vào {successor.name} từ 01/07/2025 — xếp vào {successor.name}{unverified}")
    return successor.code


def _sole_successor(former: FormerCommune, province_code: str) -> Commune | None:
    """Today's commune of the province a former commune wholly became; None when it was divided."""
    if former.split or len(former.successors) != 1:
        return None
    place = commune(former.successors[0].code)
    return place if place.province_code == province_code else None


# -- importing -------------------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    """Dossiers of the file's rows: opened and placed by this run, or found placed by an earlier run of the same
    file (also listed in ``earlier``)."""
    earlier: list[str] = field(default_factory=list)
    """Of ``created``, the dossiers an earlier run of the same file had placed already."""
    already: list[tuple[int, str]] = field(default_factory=list)
    """Rows whose person already has an open dossier of the procedure (row, why)."""
    refused: list[tuple[int, str]] = field(default_factory=list)
    notes: list[RowProblem] = field(default_factory=list)
    """What was changed in the rows placed (a former commune placed in the one it became), with the cell."""


def _imported_before(engine: DossierEngine, row: PlacedRow, procedure: str, sha256: str) -> str | None:
    """The dossier of the procedure this row of this file was placed as, if it already was."""
    with engine.db.reading() as repo:
        person = repo.person_by_id_number(row.subject.id_number)
        if person is None:
            return None
        for dossier in repo.dossiers_of_person(int(person["id"])):
            if dossier["procedure_code"] != procedure:
                continue
            for entry in repo.history(str(dossier["id"]))[1:3]:
                payload = entry["payload"]
                if entry["event"] == REGISTER_IMPORTED and (payload.get("file_sha256"), payload.get("row")) == (
                    sha256,
                    row.row,
                ):
                    return str(dossier["id"])
    return None


def import_register(
    engine: DossierEngine,
    actor: Actor,
    checked: RegisterCheck,
    file_name: str,
    *,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Open and place every row that could be placed — the dossier its status becomes, then each follow-up the
    status lists, opened as the follow-up of the one before; a row the engine refuses is reported, not retried.
    Only a province-level officer (or a national one) imports a province's register."""
    province_of(engine.rulebook, actor, checked.province_code, what="danh sách")
    problems = checked.layout.check(engine.rulebook)
    if problems:
        raise InvalidInputError(f"Mẫu danh sách không khớp các thủ tục: {'; '.join(problems)}", field="layout")
    report = ImportReport()
    placed_rows = {row.row for row in checked.placed}
    report.notes = [note for note in checked.notes if note.row in placed_rows]
    for done, row in enumerate(checked.placed, start=1):
        parent: str | None = None
        for step, placement in enumerate(row.status.placements):
            parent = _place(engine, actor, checked, file_name, row, placement, parent if step else None, report)
            if parent is None:
                break  # nothing to link a follow-up to
        if progress is not None:
            progress(done)
    return report


def _place(
    engine: DossierEngine,
    actor: Actor,
    checked: RegisterCheck,
    file_name: str,
    row: PlacedRow,
    placement: RegisterPlacement,
    parent: str | None,
    report: ImportReport,
) -> str | None:
    """Open and place one dossier of a row (the follow-up of ``parent`` when given); its id, or None when it
    could not be placed (reported)."""
    earlier = _imported_before(engine, row, placement.procedure, checked.sha256)
    if earlier is not None:
        # Imported from this file before, by this or another officer: the same dossier, not a second one.
        report.created.append(earlier)
        report.earlier.append(earlier)
        return earlier
    key = f"register:{checked.sha256[:40]}:{row.row}"
    if parent is not None:
        key += f":{placement.procedure}"
    source: dict[str, Any] = {
        "register": checked.layout.code,
        "file": file_name[:200],
        "file_sha256": checked.sha256,
        "row": row.row,
        "status": row.status.title_vi,
        "since": row.since.isoformat(),
    }
    if row.commune_as_written is not None:
        source["commune_as_written"] = row.commune_as_written[:200]
    try:
        dossier_id = engine.open_dossier(
            actor, placement.procedure, row.subject, occurred_on=row.since, idempotency_key=key, parent_id=parent
        )
        engine.place_from_register(actor, dossier_id, state=placement.state, occurred_on=row.since, source=source)
    except ConflictError as error:
        if "open_dossier_id" in error.details:
            report.already.append((row.row, error.message))
        else:
            report.refused.append((row.row, error.message))
        return None
    except HosoError as error:
        report.refused.append((row.row, error.message))
        return None
    report.created.append(dossier_id)
    return dossier_id
