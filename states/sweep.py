"""Firing the expiry events of legal deadlines that have passed, as the ``system`` officer.

Each due deadline is handled on its own: one that fails (the dossier moved meanwhile, a guard refuses)
is reported and the others still run.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from states.actors import Actor
from states.engine import DossierEngine
from states.errors import HosoError, PermissionDeniedError
from states.store.tables import deadlines, dossiers


@dataclass(frozen=True)
class SweepOutcome:
    dossier_id: str
    rule_id: str
    event: str
    fired: bool
    detail: str


def sweep_due_deadlines(engine: DossierEngine, system: Actor, *, limit: int = 500) -> list[SweepOutcome]:
    if system.role != "system":
        raise PermissionDeniedError("Chỉ tài khoản có vai trò 'system' được thực hiện các bước tự động khi hết hạn")
    now = engine.clock.now()
    with engine.db.connect() as conn:
        due = conn.execute(
            select(deadlines.c.dossier_id, deadlines.c.rule_id, deadlines.c.expiry_event, dossiers.c.version)
            .join(dossiers, dossiers.c.id == deadlines.c.dossier_id)
            .where(deadlines.c.status == "open", deadlines.c.kind == "legal", deadlines.c.due_at <= now)
            .order_by(deadlines.c.due_at)
            .limit(limit)
        ).all()
    outcomes = []
    for dossier_id, rule_id, event, version in due:
        try:
            result = engine.fire(system, dossier_id, event, {}, version)
        except HosoError as error:
            outcomes.append(SweepOutcome(dossier_id, rule_id, event, False, error.message))
        else:
            outcomes.append(SweepOutcome(dossier_id, rule_id, event, True, result.state))
    return outcomes
