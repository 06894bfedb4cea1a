"""The officers' task desk: each officer's inbox, the unit's queue, the archive; claiming, releasing,
assigning, delegating (with return to the owner), substitutes for an absence, bulk reassignment.

Who may hold a task: an active officer whose role holds the task's role today, of the unit the task names or,
where it names none, of a unit that covers the dossier. The unit's head (``heads`` in config/alerts.yaml)
hands tasks out and reassigns them. A task assigned to an officer who is away goes to their substitute for
that day. Every change of hands is one guarded update and one ``task_events`` row, in one transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from states.accounts import active_officer
from states.actors import Actor
from states.clock import Clock
from states.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from states.legal_time import VN_TZ
from states.permissions import covers, sight_of
from states.procedures import Rulebook
from states.redaction import initials, is_minors_case, redaction_rules
from states.regimes import RegimeTable
from states.store.database import Database
from states.store.repository import Record, Repository
from states.store.taskdesk import NO_DUE, Scope, TaskKey, TaskList
from states.texts import text_problem
from states.worklists import BAD_CURSOR, MAX_PAGE, decode_cursor, encode_cursor

MAX_SUBSTITUTION_DAYS = 366
MAX_BULK = 1000


def _held_roles(regimes: RegimeTable, role: str, on: date) -> frozenset[str]:
    """The declared roles whose steps an officer of ``role`` holds on that date."""
    return frozenset(declared for declared in regimes.roles if role in regimes.resolve(declared, on))


@dataclass(frozen=True)
class TaskDesk:
    rulebook: Rulebook
    db: Database
    clock: Clock

    # -- lists -------------------------------------------------------------------------------------------

    def inbox(self, actor: Actor, cursor: str | None, limit: int) -> Record:
        """Open tasks assigned to the officer."""
        return self._page(actor, TaskList(assignee_id=actor.user_id, open=True), cursor, limit)

    def queue(self, actor: Actor, cursor: str | None, limit: int) -> Record:
        """Open, unassigned tasks the officer may claim."""
        return self._page(actor, TaskList(scope=self._scope(actor), open=True, unassigned=True), cursor, limit)

    def unit_tasks(self, actor: Actor, cursor: str | None, limit: int) -> Record:
        """Every open task of the unit, assigned or not: what its head hands out and reassigns."""
        self._require_head(actor, "xem toàn bộ nhiệm vụ của đơn vị")
        scope = Scope(sight_of(self.rulebook.regimes, actor), None)
        return self._page(actor, TaskList(scope=scope, open=True), cursor, limit)

    def archive(self, actor: Actor, cursor: str | None, limit: int) -> Record:
        """Tasks done: closed by a step the officer recorded, or closed while assigned to them."""
        return self._page(actor, TaskList(open=False, done_by=actor.user_id), cursor, limit)

    def task_events(self, actor: Actor, task_id: int) -> list[Record]:
        with self.db.reading() as repo:
            self._visible_task(repo, actor, task_id)
            events = repo.taskdesk.events(task_id)
            people = ("actor_user_id", "from_user_id", "to_user_id", "instead_of_id")
            names = repo.alerts.user_names(sorted({e[key] for e in events for key in people if e[key] is not None}))
        return [
            {
                "action": event["action"],
                "at": event["at"].isoformat(),
                "actor": names.get(event["actor_user_id"]),
                "from_user": names.get(event["from_user_id"]),
                "to_user": names.get(event["to_user_id"]),
                "instead_of": names.get(event["instead_of_id"]),
                "note": event["note"],
            }
            for event in events
        ]

    # -- changes of hands --------------------------------------------------------------------------------

    def claim(self, actor: Actor, task_id: int) -> Record:
        """The officer takes a task waiting in the unit's queue; of two claiming at once, one gets it."""
        now = self.clock.now()
        with self.db.transaction() as repo:
            task = self._holdable_task(repo, actor, task_id, now)
            if task["assignee_id"] == actor.user_id:
                return self._answer(repo, actor, task_id)
            if task["assignee_id"] is not None or not repo.taskdesk.hand_over(
                task_id, expected_assignee=None, assignee=actor.user_id, owner=None, at=now
            ):
                raise self._taken(repo, task_id)
            repo.taskdesk.record_event(
                task_id=task_id, action="claimed", actor_user_id=actor.user_id, to_user_id=actor.user_id, at=now
            )
            return self._answer(repo, actor, task_id)

    def release(self, actor: Actor, task_id: int) -> Record:
        now = self.clock.now()
        with self.db.transaction() as repo:
            task = self._visible_task(repo, actor, task_id)
            self._require_open(task)
            if task["assignee_id"] != actor.user_id:
                raise ConflictError("Chỉ người đang giữ nhiệm vụ mới trả nhiệm vụ về hàng chờ của đơn vị")
            if not repo.taskdesk.hand_over(task_id, expected_assignee=actor.user_id, assignee=None, owner=None, at=now):
                raise self._taken(repo, task_id)
            repo.taskdesk.record_event(
                task_id=task_id, action="released", actor_user_id=actor.user_id, from_user_id=actor.user_id, at=now
            )
            return self._answer(repo, actor, task_id)

    def assign(self, actor: Actor, task_id: int, user_id: int, note: str | None) -> Record:
        """The unit's head gives a task (waiting or held by someone else) to an officer."""
        now = self.clock.now()
        _check_text(note, "note")
        self._require_head(actor, "giao nhiệm vụ")
        with self.db.transaction() as repo:
            task = self._visible_task(repo, actor, task_id)
            self._require_open(task)
            target, instead_of = self._receiver(repo, actor, task, user_id, now)
            if not repo.taskdesk.hand_over(
                task_id, expected_assignee=task["assignee_id"], assignee=target.user_id, owner=None, at=now
            ):
                raise self._taken(repo, task_id)
            repo.taskdesk.record_event(
                task_id=task_id,
                action="assigned",
                actor_user_id=actor.user_id,
                from_user_id=task["assignee_id"],
                to_user_id=target.user_id,
                instead_of_id=instead_of,
                note=note,
                at=now,
            )
            return self._answer(repo, actor, task_id)

    def delegate(self, actor: Actor, task_id: int, user_id: int, note: str | None) -> Record:
        """The holder passes the task to a colleague; it comes back to the holder (the owner) on return."""
        now = self.clock.now()
        _check_text(note, "note")
        with self.db.transaction() as repo:
            task = self._visible_task(repo, actor, task_id)
            self._require_open(task)
            if task["assignee_id"] != actor.user_id:
                raise ConflictError("Chỉ người đang giữ nhiệm vụ mới ủy quyền được nhiệm vụ đó")
            target, instead_of = self._receiver(repo, actor, task, user_id, now)
            if target.user_id == actor.user_id:
                raise InvalidInputError("Không thể ủy quyền nhiệm vụ cho chính mình", field="user_id")
            owner = task["owner_id"] or actor.user_id
            if not repo.taskdesk.hand_over(
                task_id, expected_assignee=actor.user_id, assignee=target.user_id, owner=owner, at=now
            ):
                raise self._taken(repo, task_id)
            repo.taskdesk.record_event(
                task_id=task_id,
                action="delegated",
                actor_user_id=actor.user_id,
                from_user_id=actor.user_id,
                to_user_id=target.user_id,
                instead_of_id=instead_of,
                note=note,
                at=now,
            )
            return self._answer(repo, actor, task_id)

    def give_back(self, actor: Actor, task_id: int, note: str | None) -> Record:
        """The delegate returns the task to the officer who delegated it."""
        now = self.clock.now()
        _check_text(note, "note")
        with self.db.transaction() as repo:
            task = self._visible_task(repo, actor, task_id)
            self._require_open(task)
            if task["assignee_id"] != actor.user_id or task["owner_id"] is None:
                raise ConflictError("Nhiệm vụ này không phải nhiệm vụ được ủy quyền cho bạn")
            if not repo.taskdesk.hand_over(
                task_id, expected_assignee=actor.user_id, assignee=task["owner_id"], owner=None, at=now
            ):
                raise self._taken(repo, task_id)
            repo.taskdesk.record_event(
                task_id=task_id,
                action="returned",
                actor_user_id=actor.user_id,
                from_user_id=actor.user_id,
                to_user_id=task["owner_id"],
                note=note,
                at=now,
            )
            return self._answer(repo, actor, task_id)

    def reassign(
        self, actor: Actor, from_user: int, to_user: int, task_ids: Collection[int] | None, note: str | None
    ) -> Record:
        """The head moves an officer's open tasks (all, or those listed) to another officer at once; each task
        gets its own event. Nothing moves if one of them cannot go to that officer."""
        now = self.clock.now()
        _check_text(note, "note")
        self._require_head(actor, "chuyển nhiệm vụ giữa cán bộ")
        if task_ids is not None and len(task_ids) > MAX_BULK:
            raise InvalidInputError(f"Mỗi lần chuyển tối đa {MAX_BULK} nhiệm vụ", field="task_ids")
        with self.db.transaction() as repo:
            holder = self._colleague(repo, actor, from_user, "from_user_id")
            held = repo.taskdesk.open_tasks_of(holder.user_id, task_ids)
            if task_ids is not None and len(held) != len(set(task_ids)):
                missing = sorted(set(task_ids) - {task["id"] for task in held})
                raise InvalidInputError(
                    f"Các nhiệm vụ sau không phải nhiệm vụ đang mở của cán bộ đó: {', '.join(map(str, missing[:20]))}",
                    field="task_ids",
                )
            events = []
            for task in held:
                full = repo.taskdesk.task(task["id"])
                assert full is not None
                target, instead_of = self._receiver(repo, actor, full, to_user, now)
                if not repo.taskdesk.hand_over(
                    task["id"], expected_assignee=holder.user_id, assignee=target.user_id, owner=None, at=now
                ):
                    raise self._taken(repo, task["id"])
                events.append(
                    {
                        "task_id": task["id"],
                        "action": "reassigned",
                        "actor_user_id": actor.user_id,
                        "from_user_id": holder.user_id,
                        "to_user_id": target.user_id,
                        "instead_of_id": instead_of,
                        "note": note,
                        "at": now,
                    }
                )
            repo.taskdesk.record_events(events)
            return {"moved": len(events), "task_ids": [event["task_id"] for event in events]}

    # -- substitutes -------------------------------------------------------------------------------------

    def add_substitute(
        self,
        actor: Actor,
        *,
        user_id: int | None,
        substitute_id: int,
        from_day: date,
        to_day: date,
        reason: str | None,
    ) -> Record:
        """An officer names who stands in for them while away (the head may do it for anyone of the unit)."""
        now = self.clock.now()
        _check_text(reason, "reason")
        absent_id = user_id if user_id is not None else actor.user_id
        if absent_id != actor.user_id:
            self._require_head(actor, "cử người thay cho cán bộ khác")
        if to_day < from_day:
            raise InvalidInputError(
                f"Ngày kết thúc ({to_day.isoformat()}) trước ngày bắt đầu ({from_day.isoformat()})", field="to_day"
            )
        if (to_day - from_day).days >= MAX_SUBSTITUTION_DAYS:
            raise InvalidInputError(f"Mỗi lần cử người thay tối đa {MAX_SUBSTITUTION_DAYS} ngày", field="to_day")
        if to_day < now.astimezone(VN_TZ).date():
            raise InvalidInputError("Khoảng thời gian vắng mặt đã qua", field="to_day")
        with self.db.transaction() as repo:
            absent = self._colleague(repo, actor, absent_id, "user_id")
            standing_in = self._colleague(repo, actor, substitute_id, "substitute_id")
            if standing_in.user_id == absent.user_id:
                raise InvalidInputError("Người thay phải là một cán bộ khác", field="substitute_id")
            if standing_in.role != absent.role:
                title = self.rulebook.regimes.roles[absent.role].title_vi
                raise InvalidInputError(
                    f"Người thay phải cùng vai trò '{title}' để nhận được các nhiệm vụ đó", field="substitute_id"
                )
            row_id = repo.taskdesk.insert_substitute(
                user_id=absent.user_id,
                substitute_id=standing_in.user_id,
                from_day=from_day,
                to_day=to_day,
                reason=reason,
                created_by=actor.user_id,
                created_at=now,
            )
            return self._substitute_answer(repo, actor, row_id)

    def revoke_substitute(self, actor: Actor, row_id: int) -> Record:
        now = self.clock.now()
        with self.db.transaction() as repo:
            row = repo.taskdesk.substitute(row_id)
            absent = active_officer(repo, row["user_id"]) if row is not None else None
            if row is None or absent is None or absent.unit_code != actor.unit_code:
                raise NotFoundError(f"Không có lịch cử người thay {row_id}")
            if actor.user_id not in (row["user_id"], row["created_by"]):
                self._require_head(actor, "hủy lịch cử người thay của cán bộ khác")
            if not repo.taskdesk.revoke_substitute(row_id, by=actor.user_id, at=now):
                raise ConflictError("Lịch cử người thay này đã được hủy")
            return self._substitute_answer(repo, actor, row_id)

    def substitutes(self, actor: Actor) -> list[Record]:
        today = self.clock.now().astimezone(VN_TZ).date()
        with self.db.reading() as repo:
            return [_substitute_view(row) for row in repo.taskdesk.substitutes_of_unit(actor.unit_code, today)]

    def colleagues(self, actor: Actor) -> list[Record]:
        """The active officers of the actor's unit (whom a task can be given to)."""
        with self.db.reading() as repo:
            officers = [o for o in repo.alerts.officers_of([actor.unit_code]) if o["role"] != "system"]
            names = repo.alerts.user_names([int(o["id"]) for o in officers])
        roles = self.rulebook.regimes.roles
        return [
            {
                "id": officer["id"],
                "full_name": names.get(int(officer["id"]), officer["username"]),
                "role": officer["role"],
                "role_title": roles[officer["role"]].title_vi if officer["role"] in roles else officer["role"],
            }
            for officer in officers
        ]

    # -- rules -------------------------------------------------------------------------------------------

    def _scope(self, actor: Actor) -> Scope:
        today = self.clock.now().astimezone(VN_TZ).date()
        return Scope(sight_of(self.rulebook.regimes, actor), _held_roles(self.rulebook.regimes, actor.role, today))

    def _visible_task(self, repo: Repository, actor: Actor, task_id: int) -> Record:
        """The task, if the officer's unit covers its dossier (or the officer holds it); an unknown task and a task
        on a dossier outside the jurisdiction are answered alike."""
        task = repo.taskdesk.task(task_id)
        if task is None or not (covers(self.rulebook.regimes, actor, task) or task["assignee_id"] == actor.user_id):
            raise NotFoundError(f"Không có nhiệm vụ {task_id}")
        return task

    def _holdable_task(self, repo: Repository, actor: Actor, task_id: int, now: datetime) -> Record:
        task = self._visible_task(repo, actor, task_id)
        self._require_open(task)
        if not self._may_hold(actor, task, now):
            role = self.rulebook.regimes.roles[task["role"]].title_vi
            raise PermissionDeniedError(f"Nhiệm vụ này dành cho vai trò '{role}'")
        return task

    def _may_hold(self, officer: Actor, task: Record, now: datetime) -> bool:
        today = now.astimezone(VN_TZ).date()
        if task["role"] not in _held_roles(self.rulebook.regimes, officer.role, today):
            return False
        if task["unit_code"] is not None:
            return bool(task["unit_code"] == officer.unit_code)
        return covers(self.rulebook.regimes, officer, task)

    def _receiver(
        self, repo: Repository, actor: Actor, task: Record, user_id: int, now: datetime
    ) -> tuple[Actor, int | None]:
        """The officer a task goes to when given to ``user_id``: that officer, or their substitute today."""
        named = self._colleague(repo, actor, user_id, "user_id")
        instead_of = None
        standing_in = repo.taskdesk.substitute_on(named.user_id, now.astimezone(VN_TZ).date())
        if standing_in is not None:
            substitute = active_officer(repo, standing_in["substitute_id"])
            if substitute is not None and self._may_hold(substitute, task, now):
                named, instead_of = substitute, named.user_id
        if not self._may_hold(named, task, now):
            role = self.rulebook.regimes.roles[task["role"]].title_vi
            raise InvalidInputError(
                f"Cán bộ {named.full_name} không nhận được nhiệm vụ này: nhiệm vụ dành cho vai trò '{role}'",
                field="user_id",
            )
        return named, instead_of

    def _colleague(self, repo: Repository, actor: Actor, user_id: int, field: str) -> Actor:
        """An active officer of the actor's own unit; anyone else is answered as unknown."""
        officer = active_officer(repo, user_id)
        if officer is None or officer.unit_code != actor.unit_code:
            raise InvalidInputError(f"Không có cán bộ mã {user_id} đang làm việc trong đơn vị của bạn", field=field)
        return officer

    def _require_head(self, actor: Actor, what: str) -> None:
        head = self.rulebook.alerts.heads.get(actor.unit_kind)
        if head is None or actor.role != head:
            who = self.rulebook.regimes.roles[head].title_vi if head else "thủ trưởng đơn vị"
            raise PermissionDeniedError(f"Chỉ {who} mới được {what}")

    @staticmethod
    def _require_open(task: Record) -> None:
        if task["status"] != "open":
            raise ConflictError("Nhiệm vụ đã xong (hồ sơ đã sang bước khác)")

    def _taken(self, repo: Repository, task_id: int) -> ConflictError:
        task = repo.taskdesk.task(task_id)
        if task is None or task["status"] != "open":
            return ConflictError("Nhiệm vụ đã xong (hồ sơ đã sang bước khác)")
        holder = active_officer(repo, task["assignee_id"]) if task["assignee_id"] is not None else None
        name = holder.full_name if holder is not None else "một cán bộ khác"
        return ConflictError(f"Nhiệm vụ vừa được giao cho {name}; hãy tải lại danh sách")

    # -- answers -----------------------------------------------------------------------------------------

    def _page(self, actor: Actor, which: TaskList, cursor: str | None, limit: int) -> Record:
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInputError(f"Số dòng mỗi trang phải từ 1 đến {MAX_PAGE}", field="limit")
        after = _task_key(cursor)
        now = self.clock.now()
        with self.db.reading() as repo:
            rows, total = repo.taskdesk.page(which, after, limit)
        items = [self._item(actor, row, now) for row in rows]
        last = rows[-1] if len(rows) == limit else None
        next_cursor = None if last is None else encode_cursor(f"{last['due_key'].isoformat()}|{last['id']}")
        return {"items": items, "total": total, "next_cursor": next_cursor}

    def _answer(self, repo: Repository, actor: Actor, task_id: int) -> Record:
        rows, _ = repo.taskdesk.page(TaskList(task_id=task_id), None, 1)
        return self._item(actor, rows[0], self.clock.now())

    def _item(self, actor: Actor, row: Record, now: datetime) -> Record:
        definition = self.rulebook.pinned(row["procedure_code"], row["procedure_version"]).definition
        due = row["due_key"] if row["due_key"] < NO_DUE else None
        today = now.astimezone(VN_TZ).date()
        minor = is_minors_case([row["procedure_code"]], row["person_birth_date"], today)
        if redaction_rules().hides_identity(actor.role, minor):
            person_name = initials(row["person_name"])
        else:
            person_name = row["person_name"]
        days_left = None
        if due is not None:
            due_day = due.astimezone(VN_TZ).date()
            calendar = self.rulebook.calendar
            days_left = (
                calendar.working_days_between(today, due_day)
                if due_day >= today
                else -calendar.working_days_between(due_day, today)
            )
        roles = self.rulebook.regimes.roles
        return {
            "id": row["id"],
            "title": row["title"],
            "status": row["status"],
            "role": row["role"],
            "role_title": roles[row["role"]].title_vi if row["role"] in roles else row["role"],
            "unit_code": row["unit_code"],
            "dossier_id": row["dossier_id"],
            "procedure": row["procedure_code"],
            "procedure_title": definition.title_vi,
            "state": row["state"],
            "state_title": definition.states[row["state"]].title_vi,
            "person_name": person_name,
            "commune_code": row["commune_code"],
            "opened_at": row["opened_at"].isoformat(),
            "closed_at": row["closed_at"].isoformat() if row["closed_at"] else None,
            "assignee_id": row["assignee_id"],
            "assignee_name": row["assignee_name"],
            "owner_id": row["owner_id"],
            "due_at": due.isoformat() if due is not None else None,
            "working_days_left": days_left,
            "overdue": due is not None and due < now,
        }

    def _substitute_answer(self, repo: Repository, actor: Actor, row_id: int) -> Record:
        rows = repo.taskdesk.substitutes_of_unit(actor.unit_code, date.min)
        return _substitute_view(next(row for row in rows if row["id"] == row_id))


def _check_text(value: str | None, field: str) -> None:
    if value is not None:
        problem = text_problem(value, multiline=True)
        if problem is not None:
            raise InvalidInputError(f"Nội dung {problem}", field=field)


def _substitute_view(row: Record) -> Record:
    return {
        "id": row["id"],
        "user_id": row["user_id"],
        "user_name": row["user_name"],
        "substitute_id": row["substitute_id"],
        "substitute_name": row["substitute_name"],
        "from_day": row["from_day"].isoformat(),
        "to_day": row["to_day"].isoformat(),
        "reason": row["reason"],
        "revoked": row["revoked_at"] is not None,
    }


def _task_key(cursor: str | None) -> TaskKey | None:
    if cursor is None:
        return None
    due, task_id = decode_cursor(cursor)
    try:
        due_at = datetime.fromisoformat(due)
    except ValueError:
        raise InvalidInputError(BAD_CURSOR, field="cursor") from None
    if not task_id.isdigit() or len(task_id) > 12:
        raise InvalidInputError(BAD_CURSOR, field="cursor")
    return TaskKey(due_at, int(task_id))
