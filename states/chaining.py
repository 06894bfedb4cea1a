"""Opening the follow-up procedures that steps asked for (outbox ``start_procedure`` rows).

Until the orchestration flows drain the outbox on a schedule, ``hoso outbox drain`` (and the demo) call
this. Each row is handled in its own transaction by ``DossierEngine.open_followup``: a follow-up opens at
most once, and one that cannot open yet (its procedure is not defined) stays pending with the reason.
"""

from __future__ import annotations

from states.actors import Actor
from states.engine import DossierEngine, FollowUp
from states.errors import HosoError, PermissionDeniedError


def open_followups(engine: DossierEngine, system: Actor, *, limit: int = 500) -> list[FollowUp]:
    if system.role != "system":
        raise PermissionDeniedError("Chỉ tài khoản có vai trò 'system' mở thủ tục tiếp theo từ hàng đợi")
    with engine.db.reading() as repo:
        pending = [row["id"] for row in repo.pending_outbox("start_procedure", limit)]
    outcomes = []
    for outbox_id in pending:
        try:
            outcomes.append(engine.open_followup(system, outbox_id))
        except HosoError as error:
            outcomes.append(FollowUp(outbox_id, "failed", None, error.message))
    return outcomes
