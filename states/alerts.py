"""Bringing running deadlines to officers' attention (the stages of ``states.alert_policy``).

Each batch is one transaction: the deadlines whose next alert is due are locked (``SKIP LOCKED`` on
PostgreSQL, so two workers share the work; SQLite serialises writers), and for each one the notice, the
task and the move to the next stage are written together. A worker killed mid-batch rolls the batch back
whole; a stage is reached once, so no alert is ever written twice.

Who is told: the units and roles with an open task on the dossier (the officers who have to act). At the
warning and on the due date, those units; once overdue, a task for them and a notice to the head of each
unit (``heads`` in config/alerts.yaml). A deadline whose expiry the law turned into a new state (custody
ended, a window closed) says nothing more: the consequence has been applied.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from states.alert_policy import Stage
from states.legal_text import deadline_sentence
from states.legal_time import VN_TZ
from states.notice_texts import local_time, notice_texts
from states.notices import Draft, Posting, place_words
from states.procedures import Rulebook
from states.recipients import UnitDirectory
from states.store.database import Database
from states.store.repository import Record, Repository


@dataclass(frozen=True)
class AlertBatch:
    examined: int
    counts: Mapping[str, int]
    """Stages reached in this batch: ``warned``, ``due``, ``escalated``, ``off`` (nothing more to say)."""


def alert_batch(db: Database, rulebook: Rulebook, now: datetime, *, batch_size: int) -> AlertBatch:
    counts: Counter[str] = Counter()
    with db.transaction() as repo:
        rows = repo.alerts.deadlines_to_alert(now, batch_size)
        if not rows:
            return AlertBatch(0, {})
        tasks: dict[str, list[Record]] = {}
        for task in repo.alerts.open_tasks_of(sorted({row["dossier_id"] for row in rows})):
            if task["deadline_id"] is not None:
                continue  # an overdue task the sweep gave earlier: not the work the procedure waits for
            tasks.setdefault(task["dossier_id"], []).append(task)
        directory = UnitDirectory(rulebook.regimes, repo.all_units())
        alerting = _Alerting(repo, rulebook, directory, now)
        for row in rows:
            counts[alerting.advance(row, tasks.get(row["dossier_id"], []))] += 1
        alerting.write()
    return AlertBatch(len(rows), dict(counts))


def sweep_alerts(
    db: Database, rulebook: Rulebook, now: datetime, *, batch_size: int = 200, max_batches: int | None = None
) -> Counter[str]:
    """Batches until nothing is due (or ``max_batches``); the stages reached, counted."""
    total: Counter[str] = Counter()
    batches = 0
    while max_batches is None or batches < max_batches:
        batch = alert_batch(db, rulebook, now, batch_size=batch_size)
        batches += 1
        total.update(batch.counts)
        if batch.examined < batch_size:
            break
    return total


class _Alerting:
    def __init__(self, repo: Repository, rulebook: Rulebook, directory: UnitDirectory, now: datetime) -> None:
        self.repo, self.rulebook, self.directory, self.now = repo, rulebook, directory, now
        self.posting = Posting(repo, rulebook, directory, now)
        self.texts = notice_texts()
        self.policy = rulebook.alerts
        # What the batch writes besides the stage moves, kept for one statement each at its end.
        self.new_tasks: list[Record] = []
        self.drafts: list[Draft] = []

    def write(self) -> None:
        self.repo.alerts.insert_tasks(self.new_tasks)
        self.posting.post_many(self.drafts)

    def advance(self, row: Record, tasks: list[Record]) -> str:
        stage: Stage = row["alert_stage"]
        if self._finished(row):
            self.repo.alerts.advance_alert(row["id"], from_stage=stage, to_stage="off", next_at=None)
            return "off"
        due_at: datetime = row["due_at"]
        overdue_at = self.policy.overdue_at(due_at, self.rulebook.calendar)
        if self.now >= overdue_at and stage in ("none", "warned", "due"):
            target: Stage = "escalated"
        elif self.now >= due_at and stage in ("none", "warned"):
            target = "due"
        elif stage == "none":
            target = "warned"
        else:
            # Woken early (the due time moved after the stage was scheduled): look again when it is due.
            next_at = self.policy.next_alert(
                stage, warn_at=row["warn_at"], due_at=due_at, calendar=self.rulebook.calendar
            )
            self.repo.alerts.advance_alert(row["id"], from_stage=stage, to_stage=stage, next_at=next_at)
            return "rescheduled"
        if not self.repo.alerts.advance_alert(
            row["id"], from_stage=stage, to_stage=target, next_at=self._next(target, row)
        ):
            return "taken"
        responsible = self._responsible(row, tasks)
        context = self._context(row, tasks, overdue_at)
        if target == "escalated":
            self._escalate(row, responsible, tasks, context)
        else:
            kind = "deadline_warning" if target == "warned" else "deadline_due"
            for unit_code, role in responsible:
                self.drafts.append(
                    Draft(
                        key=f"deadline:{row['id']}:{target}:{unit_code}:{role}",
                        kind=kind,
                        unit_code=unit_code,
                        role=role,
                        title=self.texts.render(kind, "title", **context),
                        body=self.texts.render(kind, "body", **context),
                        source={"deadline_id": row["id"], "rule_id": row["rule_id"], "stage": target},
                        dossier_id=row["dossier_id"],
                    )
                )
        return target

    def _next(self, stage: Stage, row: Record) -> datetime | None:
        return self.policy.next_alert(
            stage, warn_at=row["warn_at"], due_at=row["due_at"], calendar=self.rulebook.calendar
        )

    def _finished(self, row: Record) -> bool:
        if row["status"] == "open":
            return False
        if row["status"] == "expired":
            # The expiry event moved the dossier on: the law's consequence applied, nobody is late any more.
            return bool(row["closing_from"] != row["closing_to"])
        return True

    def _responsible(self, row: Record, tasks: list[Record]) -> list[tuple[str, str]]:
        on = self.now.astimezone(VN_TZ).date()
        found: list[tuple[str, str]] = []
        for task in tasks:
            for holder in sorted(self.rulebook.regimes.resolve(task["role"], on)):
                units = [task["unit_code"]] if task["unit_code"] else self.directory.units_for(holder, row, on)
                for unit_code in units:
                    if (unit_code, holder) not in found:
                        found.append((unit_code, holder))
        return found

    def _context(self, row: Record, tasks: list[Record], overdue_at: datetime) -> dict[str, Any]:
        definition = self.rulebook.pinned(row["procedure_code"], row["procedure_version"]).definition
        return {
            "deadline": row["title"],
            "procedure": definition.title_vi,
            "person": row["full_name"],
            "place": place_words(row["commune_code"]),
            "share": f"{round(self.policy.warning_share * 100)} %",
            "due": local_time(row["due_at"]),
            "overdue": local_time(overdue_at),
            "now": local_time(self.now),
            "explanation": deadline_sentence(definition, row, self.rulebook.calendar),
            "tasks": "; ".join(task["title"] for task in tasks) or "không còn việc nào đang mở",
        }

    def _escalate(
        self, row: Record, responsible: list[tuple[str, str]], tasks: list[Record], context: dict[str, Any]
    ) -> None:
        on = self.now.astimezone(VN_TZ).date()
        new_tasks = []
        for unit_code, role in responsible:
            waiting = [task["title"] for task in tasks if role in self.rulebook.regimes.resolve(task["role"], on)]
            new_tasks.append(
                {
                    "dossier_id": row["dossier_id"],
                    "state": row["state"],
                    "role": role,
                    "holder_roles": [role],
                    "unit_code": unit_code,
                    "title": self.texts.render(
                        "deadline_overdue_task", "title", deadline=row["title"], task="; ".join(waiting)
                    )[:500],
                    "status": "open",
                    "opened_at": self.now,
                    "opened_seq": row["version"],
                    "deadline_id": row["id"],
                }
            )
        self.new_tasks += new_tasks
        for unit_code in dict.fromkeys(unit for unit, _ in responsible):
            unit = self.directory.unit(unit_code)
            head = self.policy.heads.get(str(unit["kind"])) if unit else None
            self.drafts.append(
                Draft(
                    key=f"deadline:{row['id']}:escalated:{unit_code}",
                    kind="deadline_escalation",
                    unit_code=unit_code,
                    role=head,
                    title=self.texts.render("deadline_escalation", "title", **context),
                    body=self.texts.render(
                        "deadline_escalation", "body", **{**context, "unit": unit["name"] if unit else unit_code}
                    ),
                    source={"deadline_id": row["id"], "rule_id": row["rule_id"], "stage": "escalated"},
                    dossier_id=row["dossier_id"],
                )
            )
