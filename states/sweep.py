"""Firing the expiry events of deadlines that have passed, as the ``system`` officer.

Each due deadline is handled on its own: one that fails (the dossier moved meanwhile, a guard refuses)
is reported and the others still run.
"""

from __future__ import annotations

from dataclasses import dataclass

from states.actors import Actor
from states.engine import DossierEngine
from states.errors import HosoError, PermissionDeniedError


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
    with engine.db.reading() as repo:
        due = repo.due_deadlines(engine.clock.now(), limit)
    outcomes = []
    for deadline in due:
        dossier_id, rule_id, event = deadline["dossier_id"], deadline["rule_id"], deadline["expiry_event"]
        try:
            result = engine.fire(system, dossier_id, event, {}, deadline["version"])
        except HosoError as error:
            outcomes.append(SweepOutcome(dossier_id, rule_id, event, False, error.message))
        else:
            outcomes.append(SweepOutcome(dossier_id, rule_id, event, True, result.state))
    return outcomes
