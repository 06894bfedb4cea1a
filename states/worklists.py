"""Finding the work: the dossiers and persons an officer's unit covers, filtered and paged; the units to pick.

Nothing outside the officer's jurisdiction is listed, counted or hinted at: the lists and their totals are
computed with the unit's visibility clause, and a filter naming a place or unit outside it simply finds
nothing.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from states.actors import Actor
from states.errors import InvalidInputError
from states.legal_time import VN_TZ
from states.permissions import sight_of, unit_sight
from states.places import commune
from states.procedures import Rulebook
from states.redaction import is_minors_case, shown_identity
from states.store.repository import Record, Repository
from states.store.worklists import DossierFilter, DossierKey, PersonFilter, PersonKey
from states.texts import name_key, text_problem
from states.views import dossier_header

DEFAULT_PAGE = 50
MAX_PAGE = 200


@dataclass(frozen=True)
class DossierQuery:
    procedure: str | None = None
    state: str | None = None
    commune_code: str | None = None
    unit_code: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    overdue: bool | None = None
    opened_from: date | None = None
    opened_to: date | None = None
    open_only: bool | None = None
    cursor: str | None = None
    limit: int = DEFAULT_PAGE


@dataclass(frozen=True)
class PersonQuery:
    name: str | None = None
    id_number: str | None = None
    date_of_birth: date | None = None
    cursor: str | None = None
    limit: int = DEFAULT_PAGE


def list_dossiers(repo: Repository, rulebook: Rulebook, actor: Actor, query: DossierQuery, now: datetime) -> Record:
    where = _dossier_filter(repo, rulebook, query, now)
    after = _dossier_key(query.cursor)
    limit = _limit(query.limit)
    rows, total = repo.worklists.dossier_page(sight_of(rulebook.regimes, actor), where, after, limit)
    items = [_dossier_item(rulebook, actor, row, now) for row in rows]
    last = rows[-1] if len(rows) == limit else None
    cursor = None if last is None else encode_cursor(f"{last['opened_at'].isoformat()}|{last['id']}")
    return {"items": items, "total": total, "next_cursor": cursor}


def find_persons(repo: Repository, rulebook: Rulebook, actor: Actor, query: PersonQuery, now: datetime) -> Record:
    """Persons with at least one dossier the officer's unit covers, each with only those dossiers."""
    if query.name is None and query.id_number is None:
        raise InvalidInputError("Hãy nhập họ tên hoặc số định danh cá nhân để tìm", field="name")
    key = None
    if query.name is not None:
        problem = text_problem(query.name)
        if problem is not None:
            raise InvalidInputError(f"Họ tên tìm kiếm {problem}", field="name")
        key = name_key(query.name)
        if len(key) < 2:
            raise InvalidInputError("Họ tên tìm kiếm phải có ít nhất 2 ký tự", field="name")
    sight = sight_of(rulebook.regimes, actor)
    limit = _limit(query.limit)
    rows, total = repo.worklists.person_page(
        sight, PersonFilter(key, query.id_number, query.date_of_birth), _person_key(query.cursor), limit
    )
    dossiers = repo.worklists.visible_dossiers_of(sight, [row["id"] for row in rows])
    today = now.astimezone(VN_TZ).date()
    items = []
    for row in rows:
        own = [d for d in dossiers if d["person_id"] == row["id"]]
        minor = is_minors_case([d["procedure_code"] for d in own], row["date_of_birth"], today)
        items.append(
            {
                **shown_identity(
                    actor.role, minor, row["full_name"], row["date_of_birth"].isoformat(), row["id_number"]
                ),
                "sex": row["sex"],
                "dossiers": [
                    {
                        "id": d["id"],
                        "procedure": d["procedure_code"],
                        "state": d["state"],
                        "opened_at": d["opened_at"].isoformat(),
                        "closed": d["closed_at"] is not None,
                    }
                    for d in own
                ],
            }
        )
    last = rows[-1] if len(rows) == limit else None
    cursor = None if last is None else encode_cursor(f"{last['name_key']}|{last['id']}")
    return {"items": items, "total": total, "next_cursor": cursor}


def list_units(
    repo: Repository,
    rulebook: Rulebook,
    *,
    kind: str | None = None,
    province_code: str | None = None,
    commune_code: str | None = None,
    name: str | None = None,
) -> list[Record]:
    """The units an officer may pick (e.g. the facility a request goes to): any officer may list them."""
    if kind is not None and kind not in rulebook.regimes.unit_kinds:
        raise InvalidInputError(f"Không có loại đơn vị '{kind}'", field="kind")
    if commune_code is not None:
        commune(commune_code)
    key = None
    if name is not None:
        problem = text_problem(name)
        if problem is not None:
            raise InvalidInputError(f"Tên đơn vị tìm kiếm {problem}", field="name")
        key = name_key(name)
    rows = repo.worklists.units(kind=kind, province_code=province_code, commune_code=commune_code)
    return [
        {
            "code": row["code"],
            "name": row["name"],
            "kind": row["kind"],
            "kind_title": rulebook.regimes.unit_kinds[row["kind"]].title_vi
            if row["kind"] in rulebook.regimes.unit_kinds
            else row["kind"],
            "province_code": row["province_code"],
            "commune_code": row["commune_code"],
        }
        for row in rows
        if key is None or key in name_key(str(row["name"]))
    ]


# -- filters -----------------------------------------------------------------------------------------------


def _dossier_filter(repo: Repository, rulebook: Rulebook, query: DossierQuery, now: datetime) -> DossierFilter:
    if query.procedure is not None and query.procedure not in rulebook.procedures:
        raise InvalidInputError(f"Không có thủ tục '{query.procedure}'", field="procedure")
    if query.state is not None:
        codes = [query.procedure] if query.procedure is not None else rulebook.codes()
        known = {state for code in codes for version in rulebook.versions(code) for state in version.definition.states}
        if query.state not in known:
            raise InvalidInputError(f"Không có trạng thái '{query.state}' trong thủ tục đã chọn", field="state")
    if query.commune_code is not None:
        commune(query.commune_code)
    within = None
    if query.unit_code is not None:
        unit = repo.unit(query.unit_code)
        if unit is None:
            raise InvalidInputError(f"Không có đơn vị mã '{query.unit_code}'", field="unit")
        within = unit_sight(rulebook.regimes, unit["code"], unit["kind"], unit["province_code"], unit["commune_code"])
    _ordered(query.due_from, query.due_to, "due_to", "hạn xử lý")
    _ordered(query.opened_from, query.opened_to, "opened_to", "ngày mở hồ sơ")
    return DossierFilter(
        procedure=query.procedure,
        state=query.state,
        commune_code=query.commune_code,
        within=within,
        due_from=_day_start(query.due_from),
        due_before=_day_start(query.due_to + timedelta(days=1)) if query.due_to else None,
        overdue_at=now if query.overdue else None,
        not_overdue_at=now if query.overdue is False else None,
        opened_from=_day_start(query.opened_from),
        opened_before=_day_start(query.opened_to + timedelta(days=1)) if query.opened_to else None,
        open_only=query.open_only,
    )


def _ordered(start: date | None, end: date | None, field: str, what: str) -> None:
    if start is not None and end is not None and end < start:
        raise InvalidInputError(
            f"Khoảng {what} không hợp lệ: ngày cuối ({end.isoformat()}) trước ngày đầu ({start.isoformat()})",
            field=field,
        )


def _day_start(day: date | None) -> datetime | None:
    """The first instant of a day in Vietnam: officers' dates are Vietnamese calendar days."""
    return None if day is None else datetime.combine(day, time(0), VN_TZ)


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInputError(f"Số dòng mỗi trang phải từ 1 đến {MAX_PAGE}", field="limit")
    return limit


def _dossier_item(rulebook: Rulebook, actor: Actor, row: Record, now: datetime) -> Record:
    next_due = row["next_due_at"]
    today = now.astimezone(VN_TZ).date()
    minor = is_minors_case([row["procedure_code"]], row["date_of_birth"], today)
    return {
        **dossier_header(rulebook, row, today),
        "opened_at": row["opened_at"].isoformat(),
        "closed": row["closed_at"] is not None,
        "person": shown_identity(
            actor.role, minor, row["full_name"], row["date_of_birth"].isoformat(), row["id_number"]
        ),
        "next_due_at": next_due.isoformat() if next_due is not None else None,
        "overdue": next_due is not None and next_due < now,
    }


# -- cursors -----------------------------------------------------------------------------------------------

BAD_CURSOR = "Con trỏ trang (cursor) không hợp lệ: hãy dùng đúng giá trị next_cursor của trang trước"


def encode_cursor(text: str) -> str:
    """An opaque page cursor carrying the key of the last row of a page."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInputError(BAD_CURSOR, field="cursor") from None
    head, separator, tail = text.rpartition("|")
    if not separator or not tail:
        raise InvalidInputError(BAD_CURSOR, field="cursor")
    return head, tail


def _dossier_key(cursor: str | None) -> DossierKey | None:
    if cursor is None:
        return None
    opened, dossier_id = decode_cursor(cursor)
    try:
        opened_at = datetime.fromisoformat(opened)
    except ValueError:
        raise InvalidInputError(BAD_CURSOR, field="cursor") from None
    if opened_at.tzinfo is None or len(dossier_id) > 36:
        raise InvalidInputError(BAD_CURSOR, field="cursor")
    return DossierKey(opened_at, dossier_id)


def _person_key(cursor: str | None) -> PersonKey | None:
    if cursor is None:
        return None
    key, person_id = decode_cursor(cursor)
    if not person_id.isdigit() or len(person_id) > 12 or len(key) > 255:
        raise InvalidInputError(BAD_CURSOR, field="cursor")
    return PersonKey(key, int(person_id))
