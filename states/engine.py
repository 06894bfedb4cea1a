"""The dossier engine: opening dossiers and firing events, each in one transaction.

Firing an event checks, in order: the dossier exists and the caller's ``expected_version`` is current; the
caller's unit has jurisdiction; the event exists and may be fired from the current state; the caller's
role holds the step on today's date (role successors per regime); the payload; the legal guards. Then one
transaction writes the new state (conditional on the version, so a concurrent writer gets a conflict, not
a lost update), the hash-chained history row, the closed and opened tasks and deadlines, and the outbox
rows for documents, notices and follow-up procedures.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from states.actors import Actor
from states.alert_policy import Stage
from states.clock import Clock
from states.deadlines import (
    extend,
    ground,
    plan,
    plan_window,
    recomputed,
    remaining_at,
    resumed_due,
    step_record,
)
from states.definitions import (
    OPENING_EVENT,
    REGISTER_IMPORTED,
    VERSION_MIGRATED,
    DeadlineRule,
    EventDefinition,
    ProcedureDefinition,
    TransitionDefinition,
)
from states.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PayloadError,
    PermissionDeniedError,
    StaleVersionError,
    TransitionNotAllowedError,
    dossier_not_found,
)
from states.guards import GuardContext, as_day
from states.history import GENESIS_HASH, row_hash
from states.history_seal import DEVELOPMENT_KEYS, HistoryKeys
from states.identity import id_number_problem, sex_from_id_number
from states.legal_time import VN_TZ
from states.payloads import capped, facts_from, validate_payload
from states.permissions import CONFIDENTIAL_PARTY, covers, holders, require_jurisdiction, require_role, require_sight
from states.places import Commune, commune
from states.procedures import Rulebook
from states.store.database import Database
from states.store.repository import Record, Repository
from states.texts import name_key, normalize_name, same_name, text_problem
from states.units_data import competent_unit

DEFAULT_CLOCK_SKEW = timedelta(minutes=5)


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
class FollowUp:
    outbox_id: int
    outcome: str
    """opened, linked (the person already has such a dossier open), refused, waiting or skipped."""
    dossier_id: str | None
    detail: str


@dataclass(frozen=True)
class _Opening:
    dossier_id: str
    definition: ProcedureDefinition
    person_id: int
    place: Commune
    parties: dict[str, str]
    facts: dict[str, Any]
    subject: dict[str, Any]
    actor: Actor
    regime: str
    now: datetime
    occurred_on: date | None
    parent_id: str | None


@dataclass(frozen=True)
class FireResult:
    dossier_id: str
    version: int
    state: str
    event: str


_OpenDeadline = tuple[int, str, datetime, str]
"""(id, rule id, due instant, status: open or paused)."""


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
    legal_at: datetime
    """When the legal fact happened (its ``occurred_field``); ``now`` is when it is recorded."""
    today: date
    regime: str


class DossierEngine:
    def __init__(
        self,
        rulebook: Rulebook,
        db: Database,
        clock: Clock,
        *,
        clock_skew: timedelta = DEFAULT_CLOCK_SKEW,
        history_keys: HistoryKeys = DEVELOPMENT_KEYS,
    ) -> None:
        self.rulebook = rulebook
        self.db = db
        self.clock = clock
        self.clock_skew = clock_skew
        """How far in the future a recorded time may lie (the clocks of officers' devices drift)."""
        self.history_keys = history_keys
        """The key that seals each history row (``states.history_seal``); it never enters the database."""

    # -- opening ---------------------------------------------------------------------------------------

    def open_dossier(
        self,
        actor: Actor,
        procedure_code: str,
        subject: SubjectInput,
        *,
        occurred_on: date | None = None,
        idempotency_key: str | None = None,
        version: str | None = None,
        parent_id: str | None = None,
    ) -> str:
        """Open a dossier; the version and regime are those in force on ``occurred_on``, the day of the fact
        that opens the matter (today when not given).

        With an ``idempotency_key`` the same request from the same officer opens one dossier however often
        it is repeated. A second open dossier of the same procedure for the same person, within the
        officer's jurisdiction, is refused with a pointer to the open one. ``version`` pins another version
        than the one in force (replaying recorded steps against a candidate version).

        ``parent_id`` opens the follow-up that the step into that dossier's present state starts, when the
        step was taken on paper (a register): linked to its parent and carrying the facts its procedure
        inherits, as ``open_followup`` opens one. The officer must be one who may take that step on the
        parent; a parent starts a procedure once, so the follow-up already opened is answered again.
        """
        now = self.clock.now()
        today = now.astimezone(VN_TZ).date()
        subject = _clean_subject(subject)
        fact_day = occurred_on or today
        if occurred_on is not None:
            self._check_fact_day(occurred_on, subject.date_of_birth, now, "occurred_on", "Ngày của sự việc")
        if version is None:
            compiled = self.rulebook.in_force(procedure_code, fact_day)
        else:
            compiled = self.rulebook.pinned(procedure_code, version)
        definition = compiled.definition
        place = commune(subject.commune_code)
        _check_subject(subject, today)
        _check_age(definition, subject.date_of_birth, fact_day)
        if parent_id is None:
            require_role(self.rulebook.regimes, actor, definition.opening_roles, today, "mở hồ sơ thủ tục này")
        else:
            parent_id = require_dossier_id(parent_id)
        # A unit that acts only where designated (a health facility receiving a voluntary applicant from
        # anywhere) is designated by opening the dossier itself.
        parties: dict[str, str] = {}
        if self.rulebook.regimes.unit_kinds[actor.unit_kind].designated_only:
            parties[actor.unit_kind] = actor.unit_code
        if definition.confidential is not None and actor.unit_kind in definition.confidential.opened_by:
            parties[CONFIDENTIAL_PARTY] = actor.unit_code
        new_dossier = {"parties": parties, "province_code": place.province_code, "commune_code": place.code}
        require_jurisdiction(self.rulebook.regimes, actor, new_dossier)
        regime = self.rulebook.regimes.regime_at(fact_day).key
        request_hash = _request_hash(procedure_code, subject, occurred_on, parent_id)
        if idempotency_key is not None:
            _check_idempotency_key(idempotency_key)
        dossier_id = str(uuid.uuid4())
        try:
            with self.db.transaction() as repo:
                if idempotency_key is not None:
                    earlier = _earlier_request(repo, actor, idempotency_key, request_hash)
                    if earlier is not None:
                        return earlier
                person_id, stored = _upsert_person(repo, subject, now)
                # One opening at a time per person: the checks below then see every dossier committed before.
                repo.lock_person(person_id)
                if idempotency_key is not None:
                    earlier = _earlier_request(repo, actor, idempotency_key, request_hash)
                    if earlier is not None:
                        return earlier
                facts: dict[str, Any] = {}
                if parent_id is not None:
                    facts, followup = self._chained_from(repo, actor, parent_id, person_id, definition, today)
                    if followup is not None:
                        return followup
                self._refuse_second_open(repo, actor, person_id, definition)
                self._write_opening(
                    repo,
                    _Opening(
                        dossier_id=dossier_id,
                        definition=definition,
                        person_id=person_id,
                        place=place,
                        parties=parties,
                        facts=facts,
                        subject=_subject_snapshot(subject),
                        actor=actor,
                        regime=regime,
                        now=now,
                        occurred_on=occurred_on,
                        parent_id=parent_id,
                    ),
                )
                if stored is not None and not _same_person(stored, subject):
                    _open_identity_review(repo, actor, person_id, dossier_id, subject, stored, place.province_code, now)
                if idempotency_key is not None and not repo.insert_idempotency_key(
                    user_id=actor.user_id,
                    key=idempotency_key,
                    request_hash=request_hash,
                    dossier_id=dossier_id,
                    created_at=now,
                ):
                    raise _ConcurrentRetry
        except _ConcurrentRetry:
            # The same request, sent twice at once, was saved by the other transaction: answer with its dossier.
            with self.db.reading() as repo:
                earlier = _earlier_request(repo, actor, str(idempotency_key), request_hash)
            if earlier is None:
                raise ConflictError("Không ghi được yêu cầu; hãy thử lại", field="Idempotency-Key") from None
            return earlier
        return dossier_id

    def _write_opening(self, repo: Repository, opening: _Opening) -> None:
        """The dossier row, its first history row, the tasks of its initial state and the deadlines that
        start at the opening — in the caller's transaction."""
        definition, now = opening.definition, opening.now
        today = now.astimezone(VN_TZ).date()
        legal_at = now if opening.occurred_on is None else datetime.combine(opening.occurred_on, time(), VN_TZ)
        repo.insert_dossier(
            id=opening.dossier_id,
            procedure_code=definition.code,
            procedure_version=definition.version,
            state=definition.initial_state,
            version=1,
            person_id=opening.person_id,
            commune_code=opening.place.code,
            province_code=opening.place.province_code,
            facts=opening.facts,
            parties=opening.parties,
            opened_at=now,
            opened_by=opening.actor.user_id,
            updated_at=now,
            closed_at=None,
            subject=opening.subject,
            parent_id=opening.parent_id,
        )
        payload: dict[str, Any] = {"procedure_version": definition.version, "person_id": opening.person_id}
        if opening.occurred_on is not None:
            payload["occurred_on"] = opening.occurred_on.isoformat()
        if opening.parent_id is not None:
            payload["parent_id"] = opening.parent_id
        self._append_history(
            repo,
            dossier_id=opening.dossier_id,
            seq=1,
            prev_hash=GENESIS_HASH,
            event=OPENING_EVENT,
            from_state=None,
            to_state=definition.initial_state,
            actor=opening.actor,
            regime=opening.regime,
            occurred_at=legal_at,
            recorded_at=now,
            payload=payload,
        )
        self._open_tasks(
            repo,
            definition,
            opening.dossier_id,
            definition.initial_state,
            opening.parties,
            1,
            now,
            today,
            {"commune_code": opening.place.code, "province_code": opening.place.province_code},
        )
        rows = []
        for rule in definition.deadlines:
            if OPENING_EVENT not in rule.start_on:
                continue
            planned = plan(
                rule,
                definition,
                event=OPENING_EVENT,
                occurred_at=legal_at,
                facts=opening.facts,
                calendar=self.rulebook.calendar,
            )
            rows.append(
                {
                    **_deadline_row(opening.dossier_id, rule, planned.due_at, planned.explanation, now, 1),
                    **self._alert_fields(rule, planned.explanation, planned.due_at, "none"),
                }
            )
        repo.insert_deadlines(rows)
        repo.refresh_task_due(opening.dossier_id)

    def open_followup(self, system: Actor, outbox_id: int) -> FollowUp:
        """Open the procedure a step asked for (an outbox ``start_procedure`` row) as the next dossier of
        the same person, linked to its parent and carrying the facts its procedure inherits — in the
        transaction that marks the row handled, so a follow-up is opened at most once."""
        if system.role != "system":
            raise PermissionDeniedError("Chỉ tài khoản 'system' mở thủ tục tiếp theo từ hàng đợi")
        now = self.clock.now()
        today = now.astimezone(VN_TZ).date()
        with self.db.transaction() as repo:
            item = repo.outbox_item(outbox_id)
            if item is None or item["kind"] != "start_procedure" or item["status"] != "pending":
                return FollowUp(outbox_id, "skipped", None, "Đã được xử lý")
            code = item["payload"]["procedure"]
            if code not in self.rulebook.procedures:
                repo.note_outbox_failure(outbox_id, error=f"Thủ tục '{code}' chưa có định nghĩa")
                return FollowUp(outbox_id, "waiting", None, f"Thủ tục '{code}' chưa có định nghĩa")
            parent = repo.dossier(item["dossier_id"])
            assert parent is not None
            definition = self.rulebook.in_force(code, today).definition
            existing = repo.open_dossiers_of(parent["person_id"], code)
            if existing:
                repo.finish_outbox(outbox_id, status="linked", at=now, error=None)
                return FollowUp(outbox_id, "linked", str(existing[0]["id"]), "Người này đã có hồ sơ đang mở")
            person = repo.person(parent["person_id"])
            try:
                _check_age(definition, person["date_of_birth"], today)
            except InvalidInputError as refusal:
                repo.finish_outbox(outbox_id, status="refused", at=now, error=refusal.message)
                return FollowUp(outbox_id, "refused", None, refusal.message)
            repo.lock_person(parent["person_id"])
            dossier_id = str(uuid.uuid4())
            passed = item["payload"].get("passed_facts") or {}
            facts = {
                name: passed[name] if name in passed else parent["facts"][name]
                for name in definition.inherited_facts
                if name in passed or name in parent["facts"]
            }
            self._write_opening(
                repo,
                _Opening(
                    dossier_id=dossier_id,
                    definition=definition,
                    person_id=parent["person_id"],
                    place=commune(parent["commune_code"]),
                    parties={},
                    facts=facts,
                    subject=parent["subject"] or {},
                    actor=system,
                    regime=self.rulebook.regimes.regime_at(today).key,
                    now=now,
                    occurred_on=None,
                    parent_id=parent["id"],
                ),
            )
            if not repo.finish_outbox(outbox_id, status="done", at=now):
                raise ConflictError("Hàng đợi vừa được xử lý bởi tiến trình khác")
        return FollowUp(outbox_id, "opened", dossier_id, definition.title_vi)

    def migrate_version(
        self, operator: Actor, dossier_id: str, to_version: str, *, reason_vi: str, expected_version: int
    ) -> FireResult:
        """Move a running dossier to a later version of its procedure (00-legal-regimes-2025.md §4): an
        explicit step by an operator, written to the history with its reason, that keeps the state and the
        facts and recomputes the open deadlines under the new version's rules from their original start."""
        if operator.role not in ("admin", "system"):
            raise PermissionDeniedError("Chỉ quản trị hệ thống chuyển hồ sơ sang phiên bản thủ tục mới")
        if not reason_vi.strip() or text_problem(reason_vi, multiline=True):
            raise InvalidInputError("Hãy ghi lý do chuyển phiên bản (căn cứ quy định chuyển tiếp)", field="reason")
        dossier_id = require_dossier_id(dossier_id)
        now = self.clock.now()
        today = now.astimezone(VN_TZ).date()
        with self.db.transaction() as repo:
            row = repo.dossier(dossier_id)
            if row is None:
                raise dossier_not_found(dossier_id)
            if row["version"] != expected_version:
                raise StaleVersionError("Hồ sơ đã được cập nhật; hãy tải lại", current_version=row["version"])
            source = self.rulebook.pinned(row["procedure_code"], row["procedure_version"]).definition
            target = self.rulebook.pinned(row["procedure_code"], to_version).definition
            if (
                row["closed_at"] is not None
                or target.effective_from <= source.effective_from
                or target.effective_from > today
            ):
                raise ConflictError(
                    "Chỉ chuyển hồ sơ đang mở sang phiên bản đã có hiệu lực, ban hành sau phiên bản hiện tại",
                    current_version=row["version"],
                )
            if row["state"] not in target.states:
                raise ConflictError(
                    f"Phiên bản {to_version} không có trạng thái '{row['state']}' của hồ sơ",
                    current_version=row["version"],
                )
            seq = row["version"] + 1
            changes = self._recompute_deadlines(repo, row, target, now, seq)
            if not repo.repin_dossier(dossier_id, row["version"], procedure_version=to_version, at=now):
                raise StaleVersionError(
                    "Hồ sơ vừa được người khác cập nhật; hãy tải lại", current_version=row["version"]
                )
            history = repo.history(dossier_id)
            self._append_history(
                repo,
                dossier_id=dossier_id,
                seq=seq,
                prev_hash=history[-1]["hash"],
                event=VERSION_MIGRATED,
                from_state=row["state"],
                to_state=row["state"],
                actor=operator,
                regime=self.rulebook.regimes.regime_at(today).key,
                occurred_at=now,
                recorded_at=now,
                payload={
                    "from_version": source.version,
                    "to_version": target.version,
                    "reason_vi": reason_vi.strip(),
                    "deadlines": changes,
                },
            )
            repo.close_open_tasks(dossier_id, at=now, seq=seq, by=operator.user_id)
            place = {"commune_code": row["commune_code"], "province_code": row["province_code"]}
            self._open_tasks(repo, target, dossier_id, row["state"], row["parties"], seq, now, today, place)
            repo.refresh_task_due(dossier_id)
        return FireResult(dossier_id=dossier_id, version=seq, state=row["state"], event=VERSION_MIGRATED)

    def place_from_register(
        self, actor: Actor, dossier_id: str, *, state: str, occurred_on: date, source: Mapping[str, Any]
    ) -> FireResult:
        """Move a dossier just opened from a register to the stage the register records (one step, written to
        the history with the register's file, row and dates). What happened before is on paper: no deadline
        starts and no follow-up is sent; the time limits the opening started are closed as superseded. A
        dossier already placed is answered as it is (an interrupted import run again)."""
        dossier_id = require_dossier_id(dossier_id)
        now = self.clock.now()
        today = now.astimezone(VN_TZ).date()
        with self.db.transaction() as repo:
            row = repo.dossier(dossier_id)
            if row is None:
                raise dossier_not_found(dossier_id)
            require_jurisdiction(self.rulebook.regimes, actor, row)
            if row["version"] != 1:
                if any(entry["event"] == REGISTER_IMPORTED for entry in repo.history(dossier_id)):
                    return FireResult(dossier_id, row["version"], row["state"], REGISTER_IMPORTED)
                raise ConflictError(
                    "Hồ sơ đã có bước khác sau khi mở: không đặt theo sổ", current_version=row["version"]
                )
            definition = self.rulebook.pinned(row["procedure_code"], row["procedure_version"]).definition
            if state not in definition.states:
                raise InvalidInputError(f"Thủ tục {definition.title_vi} không có trạng thái '{state}'", field="state")
            is_final = state in definition.final_states
            place = {"commune_code": row["commune_code"], "province_code": row["province_code"]}
            if not repo.advance_dossier(
                dossier_id,
                1,
                state=state,
                version=2,
                facts=row["facts"],
                parties=row["parties"],
                updated_at=now,
                closed_at=now if is_final else None,
                **place,
            ):
                raise StaleVersionError("Hồ sơ vừa được người khác cập nhật; hãy tải lại hồ sơ")
            self._append_history(
                repo,
                dossier_id=dossier_id,
                seq=2,
                prev_hash=repo.history(dossier_id)[-1]["hash"],
                event=REGISTER_IMPORTED,
                from_state=row["state"],
                to_state=state,
                actor=actor,
                regime=self.rulebook.regimes.regime_at(occurred_on).key,
                occurred_at=datetime.combine(occurred_on, time(), VN_TZ),
                recorded_at=now,
                payload=dict(source),
            )
            repo.close_deadlines(
                [
                    {"id": d["id"], "status": "superseded", "closed_at": now, "closed_seq": 2}
                    for d in repo.deadlines(dossier_id)
                    if d["status"] in ("open", "paused")
                ]
            )
            repo.close_open_tasks(dossier_id, at=now, seq=2, by=actor.user_id)
            if not is_final:
                self._open_tasks(repo, definition, dossier_id, state, row["parties"], 2, now, today, place)
            repo.refresh_task_due(dossier_id)
        return FireResult(dossier_id=dossier_id, version=2, state=state, event=REGISTER_IMPORTED)

    def _recompute_deadlines(
        self, repo: Repository, row: Record, target: ProcedureDefinition, now: datetime, seq: int
    ) -> list[dict[str, Any]]:
        rules = {rule.id: rule for rule in target.deadlines}
        changes = []
        for deadline in repo.deadlines(row["id"]):
            if deadline["status"] not in ("open", "paused"):
                continue
            rule = rules.get(deadline["rule_id"])
            if rule is None or deadline["status"] == "paused":
                if rule is None:
                    repo.close_deadlines(
                        [{"id": deadline["id"], "status": "superseded", "closed_at": now, "closed_seq": seq}]
                    )
                changes.append(
                    {
                        "rule_id": deadline["rule_id"],
                        "before": deadline["due_at"].isoformat(),
                        "after": None if rule is None else "paused",
                    }
                )
                continue
            before = deadline["explanation"]
            planned = plan(
                rule,
                target,
                event=str(before.get("start_event", "")),
                occurred_at=datetime.fromisoformat(str(before["start_at"])),
                facts=row["facts"],
                calendar=self.rulebook.calendar,
            )
            planned = recomputed(planned, before, self.rulebook.calendar)
            explanation = {
                **planned.explanation,
                "migrated_from": {"version": row["procedure_version"], "due_at": deadline["due_at"].isoformat()},
            }
            repo.update_deadline(
                deadline["id"],
                due_at=planned.due_at,
                explanation=explanation,
                title=rule.title_vi,
                **self._alert_fields(rule, planned.explanation, planned.due_at, deadline["alert_stage"]),
            )
            changes.append(
                {"rule_id": rule.id, "before": deadline["due_at"].isoformat(), "after": planned.due_at.isoformat()}
            )
        return changes

    def _chained_from(
        self,
        repo: Repository,
        actor: Actor,
        parent_id: str,
        person_id: int,
        definition: ProcedureDefinition,
        today: date,
    ) -> tuple[dict[str, Any], str | None]:
        """For a follow-up opened by an officer: the facts it inherits from its parent, and the follow-up of
        this procedure the parent already has, if any."""
        parent = repo.dossier(parent_id)
        if parent is None:
            raise dossier_not_found(parent_id)
        if parent["person_id"] != person_id:
            raise InvalidInputError("Hồ sơ trước là của người khác", field="parent_id")
        require_jurisdiction(self.rulebook.regimes, actor, parent)
        before = self.rulebook.pinned(parent["procedure_code"], parent["procedure_version"]).definition
        steps = [
            transition
            for _, dest, transition in before.edges()
            if dest == parent["state"]
            and any(start.procedure == definition.code and not start.external for start in transition.start_procedures)
        ]
        if not steps:
            raise ConflictError(
                f"Hồ sơ '{before.title_vi}' ở trạng thái '{before.states[parent['state']].title_vi}' "
                f"không mở tiếp thủ tục {definition.title_vi}",
                field="parent_id",
            )
        roles = {role for transition in steps for role in transition.roles}
        require_role(self.rulebook.regimes, actor, roles, today, "mở hồ sơ tiếp nối thủ tục này")
        for other in repo.dossiers_of_person(person_id):
            if other["parent_id"] == parent_id and other["procedure_code"] == definition.code:
                return {}, str(other["id"])
        facts = {name: parent["facts"][name] for name in definition.inherited_facts if name in parent["facts"]}
        return facts, None

    def _refuse_second_open(
        self, repo: Repository, actor: Actor, person_id: int, definition: ProcedureDefinition
    ) -> None:
        for other in repo.open_dossiers_of(person_id, definition.code):
            if covers(self.rulebook.regimes, actor, other):
                raise ConflictError(
                    f"Người này đang có hồ sơ '{definition.title_vi}' chưa kết thúc (mã {other['id']}); "
                    "hãy tiếp tục trên hồ sơ đó",
                    field="subject",
                    open_dossier_id=other["id"],
                )

    def _refuse_second_at(self, step: _Step, commune_code: str) -> None:
        """A move of residence must not leave the person with two open dossiers of one procedure in the
        new commune; the mover learns that one is open there, and its id only when they may see it."""
        row = step.row
        for other in step.repo.open_dossiers_of(row["person_id"], row["procedure_code"]):
            if other["id"] == row["id"] or other["commune_code"] != commune_code:
                continue
            visible = covers(self.rulebook.regimes, step.actor, other)
            raise ConflictError(
                f"Tại xã, phường nơi cư trú mới, người này đã có hồ sơ '{step.definition.title_vi}' chưa kết thúc"
                + (f" (mã {other['id']})" if visible else "")
                + "; không chuyển hồ sơ này đến đó. Hãy phối hợp với đơn vị nơi cư trú mới để tiếp tục trên "
                "một hồ sơ",
                field=str(step.transition.relocates),
                **({"open_dossier_id": other["id"]} if visible else {}),
            )

    def _check_fact_day(self, value: date, born: date, now: datetime, name: str, title: str) -> None:
        latest = (now + self.clock_skew).astimezone(VN_TZ).date()
        if value > latest:
            raise InvalidInputError(f"{title} không thể ở tương lai", field=name)
        if value < born:
            raise InvalidInputError(f"{title} không thể trước ngày sinh của người này", field=name)

    # -- firing ----------------------------------------------------------------------------------------

    def fire(
        self, actor: Actor, dossier_id: str, event: str, payload: Mapping[str, Any], expected_version: int
    ) -> FireResult:
        dossier_id = require_dossier_id(dossier_id)
        now = self.clock.now()
        today = now.astimezone(VN_TZ).date()
        regimes = self.rulebook.regimes
        try:
            with self.db.transaction() as repo:
                loaded = repo.dossier_for_step(dossier_id)
                if loaded is None:
                    raise dossier_not_found(dossier_id)
                row, open_deadlines = loaded
                require_sight(regimes, actor, row)
                if row["version"] != expected_version:
                    raise StaleVersionError(
                        f"Hồ sơ đã được cập nhật (phiên bản hiện tại {row['version']}, yêu cầu dựa trên "
                        f"{expected_version}); hãy tải lại hồ sơ",
                        current_version=row["version"],
                    )
                step = self._prepare(repo, actor, row, open_deadlines, event, payload, now, today)
                self._apply(step, open_deadlines)
        except ConflictError as conflict:
            # Every conflict tells the caller which version to reload (a concurrent writer may have moved it).
            if "current_version" not in conflict.details:
                with self.db.reading() as repo:
                    current = repo.dossier(dossier_id)
                conflict.details["current_version"] = current["version"] if current else expected_version
            raise
        return FireResult(dossier_id=dossier_id, version=step.seq, state=step.dest, event=event)

    def _prepare(
        self,
        repo: Repository,
        actor: Actor,
        row: Record,
        open_deadlines: Sequence[_OpenDeadline],
        event: str,
        payload: Mapping[str, Any],
        now: datetime,
        today: date,
    ) -> _Step:
        regimes = self.rulebook.regimes
        compiled = self.rulebook.pinned(row["procedure_code"], row["procedure_version"])
        definition = compiled.definition
        candidates = compiled.candidates(row["state"], event)
        spec = definition.events[event]
        declared = [role for transition in candidates for role in transition.roles]
        require_role(regimes, actor, declared, today, f"thực hiện '{spec.title_vi}'")
        typed, stored = validate_payload(event, spec, payload)
        legal_at = _legal_time(spec, typed, now)
        self._check_times(spec, typed, row, now)
        _require_due(definition, event, open_deadlines, now)
        ctx = GuardContext(
            definition=definition,
            payload=typed,
            facts=row["facts"],
            subject_birth_date=row["date_of_birth"],
            act_date=legal_at.astimezone(VN_TZ).date(),
            act_at=legal_at,
            now=now,
            open_deadlines={rule_id: due_at for _, rule_id, due_at, status in open_deadlines if status == "open"},
        )
        dest, transition = compiled.fire(row["state"], event, ctx)
        if actor.role not in holders(regimes, transition.roles, today):
            raise PermissionDeniedError(f"Vai trò của bạn không được thực hiện '{spec.title_vi}' trong trường hợp này")
        return _Step(
            repo=repo,
            definition=definition,
            row=row,
            transition=transition,
            dest=dest,
            actor=actor,
            stored=stored,
            facts={**row["facts"], **facts_from(spec, stored)},
            seq=row["version"] + 1,
            now=now,
            legal_at=legal_at,
            today=today,
            regime=regimes.regime_at(legal_at.astimezone(VN_TZ).date()).key,
        )

    def _check_times(self, spec: EventDefinition, typed: Mapping[str, Any], row: Record, now: datetime) -> None:
        """Every date and time of the step: not in the future (beyond the clock skew), not before the
        person's birth, not before the previous step; then the step's own cross-field rules."""
        latest = now + self.clock_skew
        latest_day = latest.astimezone(VN_TZ).date()
        born: date = row["date_of_birth"]
        # The opening records when the dossier was opened, not a legal fact: later facts may precede it.
        previous: datetime | None = row["head_occurred_at"] if row["version"] >= 2 else None
        problems: list[str] = []
        for name, value in typed.items():
            field = spec.payload[name]
            if field.type not in ("date", "datetime"):
                continue
            day = as_day(value)
            assert day is not None
            label = f"'{name}' ({field.title_vi})"
            is_instant = field.type == "datetime"
            if (value > latest) if is_instant else (day > latest_day):
                problems.append(f"{label} không thể ở tương lai")
            elif day < born:
                problems.append(f"{label} không thể trước ngày sinh của người này ({born.strftime('%d/%m/%Y')})")
            elif previous is not None and (
                (value < previous) if is_instant else (day < previous.astimezone(VN_TZ).date())
            ):
                shown = previous.astimezone(VN_TZ).strftime("%H:%M ngày %d/%m/%Y")
                problems.append(f"{label} không thể trước bước trước của hồ sơ ({shown})")
        facts = row["facts"]
        for check in spec.checks:
            left = typed.get(check.field, facts.get(check.field))
            right = typed.get(check.other, facts.get(check.other))
            if left is None or right is None:
                continue
            ordered = _comparable(left, right)
            if check.not_before is not None and ordered[0] < ordered[1]:
                problems.append(check.message_vi)
            if check.not_after is not None and ordered[0] > ordered[1]:
                problems.append(check.message_vi)
        if problems:
            shown_problems = capped(problems)
            raise PayloadError("Thời điểm không hợp lệ: " + "; ".join(shown_problems), problems=shown_problems)

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
            self._refuse_second_at(step, new_place.code)
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
            occurred_at=step.legal_at,
            recorded_at=step.now,
            payload=step.stored,
        )
        if step.dest != row["state"] or transition.relocates is not None:
            step.repo.close_open_tasks(row["id"], at=step.now, seq=step.seq, by=step.actor.user_id)
            if not is_final:
                self._open_tasks(
                    step.repo, step.definition, row["id"], step.dest, parties, step.seq, step.now, step.today, place
                )
        self._move_deadlines(step, open_deadlines)
        # Each open task carries the dossier's earliest open time limit, so queues sort by it without a join.
        step.repo.refresh_task_due(row["id"])
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
        digest = row_hash(row, prev_hash)
        key_id, seal = self.history_keys.seal(row["dossier_id"], row["seq"], digest)
        repo.insert_history({**row, "prev_hash": prev_hash, "hash": digest, "seal": seal, "key_id": key_id})

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
        place: Mapping[str, str],
    ) -> None:
        regimes = self.rulebook.regimes
        rows = []
        for template in definition.states[state].tasks:
            role = regimes.canonical_role(template.role)
            kind = regimes.roles[role].unit_kind
            rows.append(
                {
                    "dossier_id": dossier_id,
                    "state": state,
                    "role": role,
                    "holder_roles": sorted(regimes.resolve(role, today)),
                    "unit_code": parties.get(kind) or self._territorial_unit(repo, kind, place),
                    "title": template.title_vi,
                    "status": "open",
                    "opened_at": now,
                    "opened_seq": seq,
                }
            )
        repo.insert_tasks(rows)

    def _territorial_unit(self, repo: Repository, kind: str, place: Mapping[str, str]) -> str | None:
        """The one unit of ``kind`` whose territory holds the dossier, when the unit data names exactly one: the
        task goes straight to its queue. None (any unit covering the dossier) otherwise."""
        unit_kind = self.rulebook.regimes.unit_kinds[kind]
        if unit_kind.designated_only or unit_kind.scope == "national":
            return None
        if unit_kind.competence == "regional":
            return competent_unit(kind, place["commune_code"])
        if unit_kind.scope == "commune":
            return repo.only_unit_of_kind(kind, commune_code=place["commune_code"], province_code=None)
        return repo.only_unit_of_kind(kind, commune_code=None, province_code=place["province_code"])

    def _move_deadlines(self, step: _Step, open_deadlines: Sequence[_OpenDeadline]) -> None:
        definition, event = step.definition, step.transition.event
        starting = [rule for rule in definition.deadlines if event in rule.start_on and step.dest in rule.active_in]
        superseded = {rule_id for rule in starting for rule_id in rule.replaces} | {rule.id for rule in starting}
        rules = {rule.id: rule for rule in definition.deadlines}
        closing = []
        for deadline_id, rule_id, due_at, current in open_deadlines:
            rule = rules[rule_id]
            in_time = "met" if step.legal_at <= due_at else "met_late"
            if rule_id not in superseded and self._pause_or_resume(step, deadline_id, rule, current, due_at):
                continue
            if rule_id in superseded:
                status = "superseded"
            elif current == "paused":
                # Left the paused states for one where the deadline no longer applies (e.g. death).
                status = "met"
            elif event == rule.expiry_event and due_at <= step.now:
                status = "expired"
            elif event in rule.ends_on:
                status = "escaped" if rule.ends_on[event] == "escaped" else in_time
            elif step.dest in rule.active_in:
                continue
            else:
                status = in_time
            closing.append({"id": deadline_id, "status": status, "closed_at": step.now, "closed_seq": step.seq})
        step.repo.close_deadlines(closing)
        running = {rule_id: (deadline_id, due_at, current) for deadline_id, rule_id, due_at, current in open_deadlines}
        opening = []
        for rule in starting:
            planned = plan(
                rule,
                definition,
                event=event,
                occurred_at=step.legal_at,
                facts=step.facts,
                calendar=self.rulebook.calendar,
            )
            replaced_id = next((rule_id for rule_id in rule.replaces if rule_id in running), None)
            if replaced_id is not None:
                deadline_id, due_before, status_before = running[replaced_id]
                unit = step.repo.unit(step.actor.unit_code)
                planned = extend(
                    planned,
                    rules[replaced_id],
                    step.repo.deadline(deadline_id)["explanation"],
                    due_before=due_before,
                    status_before=status_before,
                    step=step_record(
                        definition,
                        event=event,
                        seq=step.seq,
                        at=step.legal_at,
                        actor=step.actor,
                        unit_name=unit["name"] if unit else None,
                    ),
                    reason_vi=ground(rule, definition, event, step.stored),
                    calendar=self.rulebook.calendar,
                )
            opening.append(
                {
                    **_deadline_row(step.row["id"], rule, planned.due_at, planned.explanation, step.now, step.seq),
                    **self._alert_fields(rule, planned.explanation, planned.due_at, "none"),
                }
            )
        step.repo.insert_deadlines(opening)

    def _pause_or_resume(
        self, step: _Step, deadline_id: int, rule: DeadlineRule, current: str, due_at: datetime
    ) -> bool:
        """Stop the clock on entering a state of ``paused_in``; restart it, with the time that remained (the
        days, or hours, counted again from the day it restarts), on returning to a state of ``active_in``. Who
        stopped and restarted it, and by which step, is kept in the explanation. True when handled here."""

        def taken() -> dict[str, Any]:
            """This step, who took it and why (its title), for the pause's record."""
            unit = step.repo.unit(step.actor.unit_code)
            return step_record(
                step.definition,
                event=step.transition.event,
                seq=step.seq,
                at=step.legal_at,
                actor=step.actor,
                unit_name=unit["name"] if unit else None,
            )

        if current == "open" and step.dest in rule.paused_in and step.transition.event not in rule.ends_on:
            stored = step.repo.deadline(deadline_id)
            explanation = dict(stored["explanation"])
            explanation["paused"] = {
                "since": step.legal_at.isoformat(),
                **remaining_at(explanation, due_at, step.legal_at, self.rulebook.calendar),
                "event": step.transition.event,
                "seq": step.seq,
                "step": taken(),
            }
            # A stopped clock warns nobody; resuming schedules the alerts again.
            step.repo.update_deadline(deadline_id, status="paused", explanation=explanation, next_alert_at=None)
            return True
        if current != "paused":
            return False
        if step.dest in rule.paused_in:
            return True
        if step.dest not in rule.active_in:
            return False
        stored = step.repo.deadline(deadline_id)
        explanation = dict(stored["explanation"])
        paused = explanation.pop("paused")
        new_due, moved = resumed_due(explanation, paused, step.legal_at, self.rulebook.calendar)
        pauses = [*explanation.get("pauses", [])]
        pauses.append(
            {
                "from": paused["since"],
                "to": step.legal_at.isoformat(),
                "paused_by": paused["event"],
                "resumed_by": step.transition.event,
                "paused_step": paused.get("step"),
                "resumed_step": taken(),
                "not_counted_seconds": int((step.legal_at - datetime.fromisoformat(paused["since"])).total_seconds()),
                "due_at_before": due_at.isoformat(),
                **moved,
            }
        )
        explanation.update({"end_date": moved["end_date"]} if moved else {})
        explanation["pauses"] = pauses
        explanation["due_at"] = new_due.isoformat()
        step.repo.update_deadline(
            deadline_id,
            status="open",
            due_at=new_due,
            explanation=explanation,
            **self._alert_fields(rule, explanation, new_due, stored["alert_stage"]),
        )
        return True

    def _alert_fields(
        self, rule: DeadlineRule, explanation: Mapping[str, Any], due_at: datetime, stage: str
    ) -> dict[str, Any]:
        """When the deadline warns its officers and escalates (``states.alert_policy``); terms never do."""
        if rule.nature == "term" or not rule.alerts:
            return {"warn_at": None, "alert_stage": "off", "next_alert_at": None}
        policy = self.rulebook.alerts
        warn_at = policy.warn_at(datetime.fromisoformat(str(explanation["start_at"])), due_at)
        next_at = policy.next_alert(cast(Stage, stage), warn_at=warn_at, due_at=due_at, calendar=self.rulebook.calendar)
        return {"warn_at": warn_at, "alert_stage": stage, "next_alert_at": next_at}

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
            if start.external:
                # A procedure run outside hoso (substitution therapy): handed over to its service, never opened.
                recipients = sorted(self.rulebook.regimes.resolve(str(start.to_role), today))
                add(
                    "handoff",
                    start.procedure,
                    {
                        "procedure": start.procedure,
                        "person_id": person_id,
                        "reason_vi": start.reason_vi,
                        "to_roles": recipients,
                    },
                )
                continue
            window = None
            if start.window is not None:
                window = plan_window(
                    start.window,
                    definition,
                    event=transition.event,
                    occurred_at=step.legal_at,
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
                    "passed_facts": {
                        child: step.facts[parent] for child, parent in start.passes.items() if parent in step.facts
                    },
                },
            )
        step.repo.insert_outbox(rows)


def _deadline_row(
    dossier_id: str, rule: DeadlineRule, due_at: datetime, explanation: dict[str, Any], now: datetime, seq: int
) -> dict[str, Any]:
    return {
        "dossier_id": dossier_id,
        "rule_id": rule.id,
        "kind": rule.kind,
        "title": rule.title_vi,
        "status": "open",
        "due_at": due_at,
        "expiry_event": rule.expiry_event,
        "explanation": explanation,
        "opened_at": now,
        "opened_seq": seq,
    }


class _ConcurrentRetry(Exception):
    """The same idempotent request was committed by a concurrent transaction."""


def _legal_time(spec: EventDefinition, typed: Mapping[str, Any], now: datetime) -> datetime:
    if spec.occurred_field is None:
        return now
    value = typed[spec.occurred_field]
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time(), VN_TZ)


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    """Two dates or times in one kind: days when either is a day, instants otherwise."""
    left = datetime.fromisoformat(left) if isinstance(left, str) and "T" in left else left
    right = datetime.fromisoformat(right) if isinstance(right, str) and "T" in right else right
    if isinstance(left, datetime) and isinstance(right, datetime):
        return left, right
    return as_day(left), as_day(right)


def _require_due(
    definition: ProcedureDefinition, event: str, open_deadlines: Sequence[_OpenDeadline], now: datetime
) -> None:
    """An expiry event belongs to time: it is accepted only when one of its deadlines has passed."""
    if event not in definition.expiry_events:
        return
    rules = {rule.id: rule for rule in definition.deadlines}
    if any(
        rules[rule_id].expiry_event == event and due_at <= now and status == "open"
        for _, rule_id, due_at, status in open_deadlines
    ):
        return
    raise TransitionNotAllowedError(
        f"Bước '{definition.events[event].title_vi}' chỉ được ghi khi thời hạn tương ứng đã hết; "
        "hồ sơ chưa có thời hạn nào đến hạn",
        event=event,
    )


def _check_age(definition: ProcedureDefinition, born: date, on: date) -> None:
    limits = definition.subject_age
    if limits is None:
        return
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    low = definition.parameters[limits.min_parameter].value if limits.min_parameter else None
    high = definition.parameters[limits.max_parameter].value if limits.max_parameter else None
    if isinstance(low, int) and age < low:
        raise InvalidInputError(
            f"Người này {age} tuổi; thủ tục '{definition.title_vi}' áp dụng cho người từ đủ {low} tuổi",
            field="date_of_birth",
        )
    if isinstance(high, int) and age >= high:
        raise InvalidInputError(
            f"Người này {age} tuổi; thủ tục '{definition.title_vi}' áp dụng cho người dưới {high} tuổi",
            field="date_of_birth",
        )


def _clean_subject(subject: SubjectInput) -> SubjectInput:
    for name, value in (("full_name", subject.full_name), ("address", subject.address or "")):
        problem = text_problem(value)
        if problem is not None:
            raise InvalidInputError(f"Trường '{name}' {problem}", field=name)
    address = normalize_name(subject.address) if subject.address else None
    return replace(subject, full_name=normalize_name(subject.full_name), address=address or None)


def _subject_snapshot(subject: SubjectInput) -> dict[str, Any]:
    return {
        "full_name": subject.full_name,
        "date_of_birth": subject.date_of_birth.isoformat(),
        "id_number": subject.id_number,
        "sex": subject.sex or sex_from_id_number(subject.id_number),
        "commune_code": subject.commune_code,
        "address": subject.address,
    }


def _request_hash(procedure_code: str, subject: SubjectInput, occurred_on: date | None, parent_id: str | None) -> str:
    content: dict[str, Any] = {
        "procedure": procedure_code,
        "subject": _subject_snapshot(subject),
        "occurred_on": occurred_on.isoformat() if occurred_on else None,
    }
    if parent_id is not None:
        content["parent_id"] = parent_id
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _check_idempotency_key(key: str) -> None:
    if not 1 <= len(key) <= 200 or not key.isascii() or not key.isprintable():
        raise InvalidInputError(
            "Idempotency-Key phải gồm 1–200 ký tự ASCII in được (ví dụ một UUID)", field="Idempotency-Key"
        )


def _earlier_request(repo: Repository, actor: Actor, key: str, request_hash: str) -> str | None:
    earlier = repo.idempotency_key(actor.user_id, key)
    if earlier is None:
        return None
    if earlier["request_hash"] != request_hash:
        raise ConflictError(
            "Idempotency-Key này đã được dùng cho một yêu cầu mở hồ sơ khác; hãy dùng khóa mới",
            field="Idempotency-Key",
        )
    return str(earlier["dossier_id"])


def _same_person(stored: Record, subject: SubjectInput) -> bool:
    return bool(same_name(stored["full_name"], subject.full_name) and stored["date_of_birth"] == subject.date_of_birth)


def _open_identity_review(
    repo: Repository,
    actor: Actor,
    person_id: int,
    dossier_id: str,
    subject: SubjectInput,
    stored: Record,
    province_code: str,
    now: datetime,
) -> None:
    """The details given differ from those on record: a unit that may see every dossier of the person
    (their province's, or national when the dossiers lie in several provinces) reviews them. The officer
    who opened the dossier is told nothing they could not know."""
    provinces = set(repo.provinces_of_person(person_id)) | {province_code}
    repo.insert_identity_review(
        person_id=person_id,
        dossier_id=dossier_id,
        given=_subject_snapshot(subject),
        stored={
            "full_name": stored["full_name"],
            "date_of_birth": stored["date_of_birth"].isoformat(),
            "sex": stored["sex"],
        },
        province_code=province_code if len(provinces) == 1 else None,
        status="open",
        opened_by=actor.user_id,
        opened_at=now,
        closed_at=None,
    )


def _check_subject(subject: SubjectInput, today: date) -> None:
    if not subject.full_name:
        raise InvalidInputError("Họ và tên không được để trống", field="full_name")
    if not date(1900, 1, 1) <= subject.date_of_birth <= today:
        raise InvalidInputError("Ngày sinh không hợp lệ", field="date_of_birth")
    problem = id_number_problem(subject.id_number, subject.date_of_birth)
    if problem is not None:
        raise InvalidInputError(problem, field="id_number")
    if subject.sex is not None and subject.sex != sex_from_id_number(subject.id_number):
        raise InvalidInputError("Giới tính không khớp với số định danh cá nhân", field="sex")


def _upsert_person(repo: Repository, subject: SubjectInput, now: datetime) -> tuple[int, Record | None]:
    """The person with this identity number (with the details on record), created on first sight.

    Two officers may open the first dossiers of the same person at the same moment: the one whose insert
    loses the race reads the row the other one wrote.
    """
    existing = repo.person_by_id_number(subject.id_number)
    if existing is not None:
        return int(existing["id"]), existing
    created = repo.insert_person(
        id_number=subject.id_number,
        full_name=subject.full_name,
        name_key=name_key(subject.full_name),
        date_of_birth=subject.date_of_birth,
        sex=subject.sex or sex_from_id_number(subject.id_number),
        commune_code=subject.commune_code,
        address=subject.address,
        created_at=now,
    )
    if created is not None:
        return created, None
    concurrent = repo.person_by_id_number(subject.id_number)
    if concurrent is None:
        raise ConflictError("Không ghi được thông tin người này; hãy thử lại", field="id_number")
    return int(concurrent["id"]), concurrent


def _unit_kind(repo: Repository, unit_code: str) -> str:
    unit = repo.unit(unit_code)
    if unit is None:
        raise InvalidInputError(f"Không có đơn vị mang mã '{unit_code}'", field="unit")
    return str(unit["kind"])
