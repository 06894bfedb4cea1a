"""The dossier engine: opening dossiers and firing events, each in one transaction.

Firing an event checks, in order: the dossier exists and the caller's ``expected_version`` is current; the
caller's unit has jurisdiction; the event exists and may be fired from the current state; the caller's
role holds the step on today's date (role successors per regime); the payload; the legal guards. Then one
transaction writes the new state (conditional on the version, so a concurrent writer gets a conflict, not
a lost update), the hash-chained history row, the closed and opened tasks and deadlines, and the outbox
rows for documents, notices and follow-up procedures.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from states.actors import Actor
from states.clock import Clock
from states.deadlines import plan, plan_window
from states.definitions import ProcedureDefinition, TransitionDefinition
from states.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    StaleVersionError,
)
from states.guards import GuardContext
from states.history import GENESIS_HASH, row_hash
from states.identity import id_number_problem, sex_from_id_number
from states.legal_time import VN_TZ
from states.payloads import facts_from, has_control_characters, validate_payload
from states.permissions import holders, require_jurisdiction, require_role
from states.places import commune
from states.procedures import Rulebook
from states.store.database import Database
from states.store.repository import Record, Repository

OPENING_EVENT = "dossier_opened"


def require_dossier_id(dossier_id: str) -> str:
    """Dossier ids are UUIDs; anything else cannot name a dossier (and never reaches the database)."""
    try:
        return str(uuid.UUID(dossier_id))
    except ValueError:
        raise NotFoundError(f"Không tìm thấy hồ sơ {dossier_id!r}", dossier_id=dossier_id) from None


@dataclass(frozen=True)
class SubjectInput:
    full_name: str
    date_of_birth: date
    id_number: str
    commune_code: str
    sex: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class FireResult:
    dossier_id: str
    version: int
    state: str
    event: str


_OpenDeadline = tuple[int, str, datetime]


@dataclass(frozen=True)
class _Step:
    """One firing being written: everything the effects need, read once."""

    repo: Repository
    definition: ProcedureDefinition
    row: Record
    transition: TransitionDefinition
    dest: str
    actor: Actor
    stored: dict[str, Any]
    facts: dict[str, Any]
    seq: int
    now: datetime
    today: date
    regime: str


class DossierEngine:
    def __init__(self, rulebook: Rulebook, db: Database, clock: Clock) -> None:
        self.rulebook = rulebook
        self.db = db
        self.clock = clock

    # -- opening ---------------------------------------------------------------------------------------

    def open_dossier(self, actor: Actor, procedure_code: str, subject: SubjectInput) -> str:
        now = self.clock.now()
        today = now.astimezone(VN_TZ).date()
        compiled = self.rulebook.in_force(procedure_code, today)
        definition = compiled.definition
        place = commune(subject.commune_code)
        _check_subject(subject, today)
        require_role(self.rulebook.regimes, actor, definition.opening_roles, today, "mở hồ sơ thủ tục này")
        # A unit that acts only where designated (a health facility receiving a voluntary applicant from
        # anywhere) is designated by opening the dossier itself.
        parties: dict[str, str] = {}
        if self.rulebook.regimes.unit_kinds[actor.unit_kind].designated_only:
            parties[actor.unit_kind] = actor.unit_code
        new_dossier = {"parties": parties, "province_code": place.province_code, "commune_code": place.code}
        require_jurisdiction(self.rulebook.regimes, actor, new_dossier)
        regime = self.rulebook.regimes.regime_at(today).key
        dossier_id = str(uuid.uuid4())
        with self.db.transaction() as repo:
            person_id = _upsert_person(repo, subject, now)
            repo.insert_dossier(
                id=dossier_id,
                procedure_code=definition.code,
                procedure_version=definition.version,
                state=definition.initial_state,
                version=1,
                person_id=person_id,
                commune_code=place.code,
                province_code=place.province_code,
                facts={},
                parties=parties,
                opened_at=now,
                opened_by=actor.user_id,
                updated_at=now,
                closed_at=None,
            )
            self._append_history(
                repo,
                dossier_id=dossier_id,
                seq=1,
                prev_hash=GENESIS_HASH,
                event=OPENING_EVENT,
                from_state=None,
                to_state=definition.initial_state,
                actor=actor,
                regime=regime,
                occurred_at=now,
                payload={"procedure_version": definition.version, "person_id": person_id},
            )
            self._open_tasks(repo, definition, dossier_id, definition.initial_state, parties, 1, now, today)
        return dossier_id

    # -- firing ----------------------------------------------------------------------------------------

    def fire(
        self, actor: Actor, dossier_id: str, event: str, payload: Mapping[str, Any], expected_version: int
    ) -> FireResult:
        dossier_id = require_dossier_id(dossier_id)
        now = self.clock.now()
        today = now.astimezone(VN_TZ).date()
        regimes = self.rulebook.regimes
        with self.db.transaction() as repo:
            loaded = repo.dossier_for_step(dossier_id)
            if loaded is None:
                raise NotFoundError(f"Không tìm thấy hồ sơ {dossier_id}", dossier_id=dossier_id)
            row, open_deadlines = loaded
            require_jurisdiction(regimes, actor, row)
            if row["version"] != expected_version:
                raise StaleVersionError(
                    f"Hồ sơ đã được cập nhật (phiên bản hiện tại {row['version']}, yêu cầu dựa trên "
                    f"{expected_version}); hãy tải lại hồ sơ",
                    current_version=row["version"],
                )
            compiled = self.rulebook.pinned(row["procedure_code"], row["procedure_version"])
            definition = compiled.definition
            candidates = compiled.candidates(row["state"], event)
            step_title = definition.events[event].title_vi
            declared = [role for transition in candidates for role in transition.roles]
            require_role(regimes, actor, declared, today, f"thực hiện '{step_title}'")
            typed, stored = validate_payload(event, definition.events[event], payload)
            ctx = GuardContext(
                definition=definition,
                payload=typed,
                facts=row["facts"],
                subject_birth_date=row["date_of_birth"],
                act_date=today,
                open_deadlines=frozenset(rule_id for _, rule_id, _ in open_deadlines),
            )
            dest, transition = compiled.fire(row["state"], event, ctx)
            if actor.role not in holders(regimes, transition.roles, today):
                raise PermissionDeniedError(f"Vai trò của bạn không được thực hiện '{step_title}' trong trường hợp này")
            step = _Step(
                repo=repo,
                definition=definition,
                row=row,
                transition=transition,
                dest=dest,
                actor=actor,
                stored=stored,
                facts={**row["facts"], **facts_from(definition.events[event], stored)},
                seq=expected_version + 1,
                now=now,
                today=today,
                regime=regimes.regime_at(today).key,
            )
            self._apply(step, open_deadlines)
        return FireResult(dossier_id=dossier_id, version=step.seq, state=dest, event=event)

    def _apply(self, step: _Step, open_deadlines: Sequence[_OpenDeadline]) -> None:
        row, transition = step.row, step.transition
        parties = dict(row["parties"])
        place = {"commune_code": row["commune_code"], "province_code": row["province_code"]}
        if transition.designates is not None:
            field = step.definition.events[transition.event].payload[transition.designates]
            unit_code = step.stored[transition.designates]
            kind = _unit_kind(step.repo, unit_code)
            if kind != field.unit_kind:
                expected = self.rulebook.regimes.unit_kinds[str(field.unit_kind)].title_vi
                raise InvalidInputError(f"Đơn vị '{unit_code}' không phải là {expected}", field=transition.designates)
            parties[kind] = unit_code
        if transition.relocates is not None:
            new_place = commune(step.stored[transition.relocates])
            place = {"commune_code": new_place.code, "province_code": new_place.province_code}
        is_final = step.dest in step.definition.final_states
        advanced = step.repo.advance_dossier(
            row["id"],
            step.seq - 1,
            state=step.dest,
            version=step.seq,
            facts=step.facts,
            parties=parties,
            updated_at=step.now,
            closed_at=step.now if is_final else None,
            **place,
        )
        if not advanced:
            raise StaleVersionError("Hồ sơ vừa được người khác cập nhật; hãy tải lại hồ sơ")
        self._append_history(
            step.repo,
            dossier_id=row["id"],
            seq=step.seq,
            prev_hash=row["head_hash"] or GENESIS_HASH,
            event=transition.event,
            from_state=row["state"],
            to_state=step.dest,
            actor=step.actor,
            regime=step.regime,
            occurred_at=step.now,
            payload=step.stored,
        )
        if step.dest != row["state"] or transition.relocates is not None:
            step.repo.close_open_tasks(row["id"], at=step.now, seq=step.seq, by=step.actor.user_id)
            if not is_final:
                self._open_tasks(
                    step.repo, step.definition, row["id"], step.dest, parties, step.seq, step.now, step.today
                )
        self._move_deadlines(step, open_deadlines)
        self._write_outbox(step)

    # -- effects ---------------------------------------------------------------------------------------

    def _append_history(self, repo: Repository, **values: Any) -> None:
        actor: Actor = values.pop("actor")
        prev_hash: str = values.pop("prev_hash")
        row = {
            **values,
            "actor_user_id": actor.user_id,
            "actor_username": actor.username,
            "actor_role": actor.role,
            "actor_unit": actor.unit_code,
        }
        repo.insert_history({**row, "prev_hash": prev_hash, "hash": row_hash(row, prev_hash)})

    def _open_tasks(
        self,
        repo: Repository,
        definition: ProcedureDefinition,
        dossier_id: str,
        state: str,
        parties: Mapping[str, str],
        seq: int,
        now: datetime,
        today: date,
    ) -> None:
        regimes = self.rulebook.regimes
        rows = []
        for template in definition.states[state].tasks:
            role = regimes.canonical_role(template.role)
            rows.append(
                {
                    "dossier_id": dossier_id,
                    "state": state,
                    "role": role,
                    "holder_roles": sorted(regimes.resolve(role, today)),
                    "unit_code": parties.get(regimes.roles[role].unit_kind),
                    "title": template.title_vi,
                    "status": "open",
                    "opened_at": now,
                    "opened_seq": seq,
                }
            )
        repo.insert_tasks(rows)

    def _move_deadlines(self, step: _Step, open_deadlines: Sequence[_OpenDeadline]) -> None:
        definition, event = step.definition, step.transition.event
        starting = [rule for rule in definition.deadlines if event in rule.start_on and step.dest in rule.active_in]
        superseded = {rule_id for rule in starting for rule_id in rule.replaces} | {rule.id for rule in starting}
        rules = {rule.id: rule for rule in definition.deadlines}
        closing = []
        for deadline_id, rule_id, due_at in open_deadlines:
            rule = rules[rule_id]
            if rule_id in superseded:
                status = "superseded"
            elif step.actor.role == "system" and event == rule.expiry_event and due_at <= step.now:
                status = "expired"
            elif step.dest in rule.active_in:
                continue
            else:
                status = "met" if step.now <= due_at else "met_late"
            closing.append({"id": deadline_id, "status": status, "closed_at": step.now, "closed_seq": step.seq})
        step.repo.close_deadlines(closing)
        opening = []
        for rule in starting:
            planned = plan(
                rule, definition, event=event, occurred_at=step.now, facts=step.facts, calendar=self.rulebook.calendar
            )
            opening.append(
                {
                    "dossier_id": step.row["id"],
                    "rule_id": rule.id,
                    "kind": rule.kind,
                    "title": rule.title_vi,
                    "status": "open",
                    "due_at": planned.due_at,
                    "expiry_event": rule.expiry_event,
                    "explanation": planned.explanation,
                    "opened_at": step.now,
                    "opened_seq": step.seq,
                }
            )
        step.repo.insert_deadlines(opening)

    def _write_outbox(self, step: _Step) -> None:
        transition, dossier_id, seq, now = step.transition, step.row["id"], step.seq, step.now
        definition, person_id, regime, today = step.definition, step.row["person_id"], step.regime, step.today
        common = {"dossier_id": dossier_id, "event": transition.event, "seq": seq, "regime": regime}
        rows: list[dict[str, Any]] = []

        def add(kind: str, name: str, payload: dict[str, Any]) -> None:
            rows.append(
                {
                    "dossier_id": dossier_id,
                    "history_seq": seq,
                    "kind": kind,
                    "name": name,
                    "payload": {**common, **payload},
                    "idempotency_key": f"{dossier_id}:{seq}:{kind}:{name}",
                    "status": "pending",
                    "attempts": 0,
                    "created_at": now,
                }
            )

        for form in transition.documents:
            add("document", form, {"form": form, "title_vi": self.rulebook.forms.forms[form].title_vi})
        for notice in transition.notices:
            recipients = sorted(self.rulebook.regimes.resolve(notice.to_role, today))
            add("notice", notice.to_role, {"to_roles": recipients, "title_vi": notice.title_vi})
        for start in transition.start_procedures:
            window = None
            if start.window is not None:
                window = plan_window(
                    start.window,
                    definition,
                    event=transition.event,
                    occurred_at=now,
                    facts=step.facts,
                    calendar=self.rulebook.calendar,
                )
            add(
                "start_procedure",
                start.procedure,
                {
                    "procedure": start.procedure,
                    "person_id": person_id,
                    "reason_vi": start.reason_vi,
                    "window": window,
                    "facts": step.facts,
                },
            )
        step.repo.insert_outbox(rows)


def _check_subject(subject: SubjectInput, today: date) -> None:
    if not subject.full_name.strip():
        raise InvalidInputError("Họ và tên không được để trống", field="full_name")
    for name, value in (("full_name", subject.full_name), ("address", subject.address or "")):
        if has_control_characters(value):
            raise InvalidInputError(f"Trường '{name}' chứa ký tự điều khiển không hợp lệ", field=name)
    if not date(1900, 1, 1) <= subject.date_of_birth <= today:
        raise InvalidInputError("Ngày sinh không hợp lệ", field="date_of_birth")
    problem = id_number_problem(subject.id_number, subject.date_of_birth)
    if problem is not None:
        raise InvalidInputError(problem, field="id_number")
    if subject.sex is not None and subject.sex != sex_from_id_number(subject.id_number):
        raise InvalidInputError("Giới tính không khớp với số định danh cá nhân", field="sex")


def _upsert_person(repo: Repository, subject: SubjectInput, now: datetime) -> int:
    """The person with this identity number, created on first sight.

    Two officers may open the first dossiers of the same person at the same moment: the one whose insert
    loses the race reads the row the other one wrote.
    """
    existing = _person_by_id_number(repo, subject)
    if existing is not None:
        return existing
    created = repo.insert_person(
        id_number=subject.id_number,
        full_name=subject.full_name.strip(),
        date_of_birth=subject.date_of_birth,
        sex=subject.sex or sex_from_id_number(subject.id_number),
        commune_code=subject.commune_code,
        address=subject.address,
        created_at=now,
    )
    if created is not None:
        return created
    concurrent = _person_by_id_number(repo, subject)
    if concurrent is None:
        raise ConflictError("Không ghi được thông tin người này; hãy thử lại", field="id_number")
    return concurrent


def _person_by_id_number(repo: Repository, subject: SubjectInput) -> int | None:
    existing = repo.person_by_id_number(subject.id_number)
    if existing is None:
        return None
    if existing["full_name"] != subject.full_name.strip() or existing["date_of_birth"] != subject.date_of_birth:
        raise ConflictError(
            "Số định danh cá nhân này đã được ghi cho một người có họ tên hoặc ngày sinh khác", field="id_number"
        )
    return int(existing["id"])


def _unit_kind(repo: Repository, unit_code: str) -> str:
    unit = repo.unit(unit_code)
    if unit is None:
        raise InvalidInputError(f"Không có đơn vị mang mã '{unit_code}'", field="unit")
    return str(unit["kind"])
