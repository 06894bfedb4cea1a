"""Statements of the engine's hot path, built once with bind parameters.

Building a Core statement with literal values on every call costs more than running it on SQLite; these
are compiled once per dialect and reused with new parameters.
"""

from __future__ import annotations

from sqlalchemy import and_, bindparam, case, func, insert, select, update

from states.store.tables import deadlines, dossiers, history, outbox, persons, tasks, units

# One round trip: the dossier (repeated once per open deadline), its subject's birth date, the hash of its
# last history row, and its open and paused deadlines.
load_dossier = (
    select(
        dossiers,
        persons.c.date_of_birth,
        history.c.hash.label("head_hash"),
        history.c.occurred_at.label("head_occurred_at"),
        deadlines.c.id.label("deadline_id"),
        deadlines.c.rule_id.label("deadline_rule_id"),
        deadlines.c.due_at.label("deadline_due_at"),
        deadlines.c.status.label("deadline_status"),
    )
    .join(persons, persons.c.id == dossiers.c.person_id)
    .outerjoin(history, and_(history.c.dossier_id == dossiers.c.id, history.c.seq == dossiers.c.version))
    .outerjoin(deadlines, and_(deadlines.c.dossier_id == dossiers.c.id, deadlines.c.status.in_(("open", "paused"))))
    .where(dossiers.c.id == bindparam("dossier_id"))
    .order_by(deadlines.c.id)
)

advance_dossier = (
    update(dossiers)
    .where(dossiers.c.id == bindparam("b_id"), dossiers.c.version == bindparam("b_expected"))
    .values(
        state=bindparam("state"),
        version=bindparam("version"),
        facts=bindparam("facts"),
        parties=bindparam("parties"),
        commune_code=bindparam("commune_code"),
        province_code=bindparam("province_code"),
        updated_at=bindparam("updated_at"),
        closed_at=bindparam("closed_at"),
    )
)

insert_history = insert(history)

close_open_tasks = (
    update(tasks)
    .where(tasks.c.dossier_id == bindparam("b_dossier"), tasks.c.status == "open")
    .values(
        status="closed",
        closed_at=bindparam("closed_at"),
        closed_seq=bindparam("closed_seq"),
        closed_by=bindparam("closed_by"),
    )
)

insert_tasks = insert(tasks)

close_deadline = (
    update(deadlines)
    .where(deadlines.c.id == bindparam("b_id"))
    .values(
        status=bindparam("status"),
        closed_at=bindparam("closed_at"),
        closed_seq=bindparam("closed_seq"),
        # A deadline met or superseded says nothing more; one that expired unmet is still escalated.
        next_alert_at=case((bindparam("status") == "expired", deadlines.c.next_alert_at), else_=None),
    )
)

insert_deadlines = insert(deadlines)

insert_outbox = insert(outbox)

# Each open task of a dossier carries the dossier's earliest open time limit.
refresh_task_due = (
    update(tasks)
    .where(tasks.c.dossier_id == bindparam("b_dossier"), tasks.c.status == "open")
    .values(
        due_at=select(func.min(deadlines.c.due_at))
        .where(deadlines.c.dossier_id == bindparam("b_dossier"), deadlines.c.status == "open")
        .scalar_subquery()
    )
)

# Up to two units of a kind in a commune / in a province (one means: the task goes to that unit).
units_of_kind_in_commune = (
    select(units.c.code)
    .where(units.c.kind == bindparam("b_kind"), units.c.commune_code == bindparam("b_place"))
    .limit(2)
)
units_of_kind_in_province = (
    select(units.c.code)
    .where(units.c.kind == bindparam("b_kind"), units.c.province_code == bindparam("b_place"))
    .limit(2)
)
