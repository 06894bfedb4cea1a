"""Purpose-bound reads: every look at a dossier, a person or a document is recorded with the officer, the time
and the purpose they declared; a sensitive read (a minor's dossier) needs a purpose, and the record of reads of
a dossier is open to the head of a unit that covers it and to the officers who worked on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from states.actors import Actor
from states.engine import require_dossier_id
from states.errors import InvalidInputError, PermissionDeniedError, dossier_not_found
from states.legal_time import VN_TZ
from states.permissions import covers
from states.procedures import Rulebook
from states.redaction import is_minors_case
from states.store.database import Database
from states.store.repository import Record
from states.texts import text_problem

PURPOSE_MAX = 500


@dataclass(frozen=True)
class Read:
    """One read to record: what was looked at, through which path, for what declared purpose."""

    kind: str
    """``dossier``, ``dossier_list``, ``person``, ``person_search``, ``document``, ``control_slip``, ``history``."""
    target: str
    path: str
    purpose: str | None
    dossier_id: str | None = None


def clean_purpose(purpose: str | None) -> str | None:
    if purpose is None or not purpose.strip():
        return None
    purpose = " ".join(purpose.split())
    problem = text_problem(purpose)
    if problem is not None:
        raise InvalidInputError(f"Mục đích xem {problem}", field="purpose")
    if len(purpose) > PURPOSE_MAX:
        raise InvalidInputError(f"Mục đích xem dài quá {PURPOSE_MAX} ký tự", field="purpose")
    return purpose


def is_sensitive(dossier: Record, date_of_birth: date | None, on: date) -> bool:
    """A minor's dossier: opened under the minors' procedure, or the person is under 18 on the day of the read."""
    return is_minors_case([dossier["procedure_code"]], date_of_birth, on)


def require_purpose_if_sensitive(db: Database, dossier_id: str, purpose: str | None, now: datetime) -> None:
    """Refuse (422, nothing shown) a read of a minor's dossier that declares no purpose."""
    with db.reading() as repo:
        dossier = repo.dossier(dossier_id)
        if dossier is None:
            return
        person = repo.person(dossier["person_id"])
    if purpose is None and is_sensitive(dossier, person["date_of_birth"], now.astimezone(VN_TZ).date()):
        raise InvalidInputError(
            "Hồ sơ của người chưa thành niên: hãy nêu mục đích xem (tiêu đề X-Purpose hoặc tham số purpose), "
            "ví dụ 'Thụ lý hồ sơ đề nghị số 12/ĐN'",
            field="purpose",
        )


def require_purpose_for_person(db: Database, id_number: str, purpose: str | None, now: datetime) -> None:
    """Refuse a read of a minor's case that declares no purpose."""
    if purpose is not None:
        return
    with db.reading() as repo:
        person = repo.person_by_id_number(id_number)
        if person is None:
            return
        procedures = [d["procedure_code"] for d in repo.dossiers_of_person(person["id"])]
    if is_minors_case(procedures, person["date_of_birth"], now.astimezone(VN_TZ).date()):
        raise InvalidInputError(
            "Người chưa thành niên: hãy nêu mục đích xem (tiêu đề X-Purpose hoặc tham số purpose)", field="purpose"
        )


def record_read(db: Database, actor: Actor, read: Read, now: datetime) -> None:
    with db.transaction() as repo:
        repo.audit.insert_read(
            at=now,
            user_id=actor.user_id,
            username=actor.username,
            unit_code=actor.unit_code,
            role=actor.role,
            kind=read.kind,
            target=read.target[:200],
            dossier_id=read.dossier_id,
            path=read.path[:300],
            purpose=read.purpose,
        )


def reads_of_dossier(db: Database, rulebook: Rulebook, actor: Actor, dossier_id: str) -> list[dict[str, Any]]:
    """Who read the dossier, when and why: for the head of a unit that covers it, and for an officer who opened
    it or recorded a step in it."""
    dossier_id = require_dossier_id(dossier_id)
    with db.reading() as repo:
        dossier = repo.dossier(dossier_id)
        if dossier is None or not covers(rulebook.regimes, actor, dossier):
            raise dossier_not_found(dossier_id)
        head = rulebook.alerts.heads.get(actor.unit_kind) == actor.role
        worked_on = dossier["opened_by"] == actor.user_id or any(
            row["actor_user_id"] == actor.user_id for row in repo.history(dossier_id)
        )
        if not (head or worked_on):
            raise PermissionDeniedError(
                "Chỉ thủ trưởng đơn vị có thẩm quyền và cán bộ đã xử lý hồ sơ mới xem được ai đã xem hồ sơ này"
            )
        rows = repo.audit.reads_of_dossier(dossier_id)
    roles = rulebook.regimes.roles
    return [
        {
            "at": row["at"].isoformat(),
            "username": row["username"],
            "full_name": row["full_name"],
            "unit_code": row["unit_code"],
            "role": row["role"],
            "role_title": roles[row["role"]].title_vi if row["role"] in roles else row["role"],
            "kind": row["kind"],
            "path": row["path"],
            "purpose": row["purpose"],
        }
        for row in rows
    ]
