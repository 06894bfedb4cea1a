"""Draining the outbox: each row a step wrote (a notice to another unit, a hand-off to a service outside
hoso, a follow-up procedure) is carried out once, in the transaction that marks it done.

Rows are claimed in batches with a lease (``QueueStore.claim_outbox``): a worker killed mid-batch leaves
its rows to the next claim once the lease runs out, and because handling a row and marking it done commit
together, a row handled before the kill is never handled again. A row that cannot be handled yet (its
procedure is not defined, a unit is missing) waits with the reason and is tried again later, backing off.
Document rows wait for the document generator, which drains them itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from states.actors import Actor
from states.engine import DossierEngine
from states.errors import HosoError, PermissionDeniedError
from states.legal_time import VN_TZ
from states.notice_texts import local_time, notice_texts
from states.notices import Posting, place_words
from states.recipients import UnitDirectory

DRAINED_KINDS = ("start_procedure", "notice", "handoff")


@dataclass(frozen=True)
class DrainOutcome:
    outbox_id: int
    kind: str
    outcome: str
    """``opened`` / ``linked`` / ``refused`` / ``skipped`` (follow-ups), ``posted`` (notices), ``retry``."""
    dossier_id: str | None
    detail: str


def claim_batch(engine: DossierEngine, *, worker: str, batch_size: int) -> list[int]:
    now = engine.clock.now()
    lease = timedelta(seconds=engine.rulebook.alerts.delivery.lease_seconds)
    with engine.db.transaction() as repo:
        return repo.queues.claim_outbox(
            DRAINED_KINDS, now=now, worker=worker, lease_until=now + lease, limit=batch_size
        )


def drain_claimed(engine: DossierEngine, system: Actor, outbox_ids: list[int]) -> list[DrainOutcome]:
    if system.role != "system":
        raise PermissionDeniedError("Chỉ tài khoản có vai trò 'system' xử lý hàng đợi")
    outcomes = []
    for outbox_id in outbox_ids:
        try:
            outcomes.append(_handle(engine, system, outbox_id))
        except HosoError as error:
            outcomes.append(_retry_later(engine, outbox_id, error.message))
    return outcomes


def drain_outbox(engine: DossierEngine, system: Actor, *, worker: str, batch_size: int = 200) -> list[DrainOutcome]:
    """One batch: claim, then handle each row in its own transaction."""
    return drain_claimed(engine, system, claim_batch(engine, worker=worker, batch_size=batch_size))


def _handle(engine: DossierEngine, system: Actor, outbox_id: int) -> DrainOutcome:
    with engine.db.reading() as repo:
        item = repo.outbox_item(outbox_id)
    if item is None or item["status"] != "pending":
        return DrainOutcome(outbox_id, item["kind"] if item else "?", "skipped", None, "Đã được xử lý")
    if item["kind"] == "start_procedure":
        followup = engine.open_followup(system, outbox_id)
        if followup.outcome == "waiting":
            return _retry_later(engine, outbox_id, followup.detail, counted=True)
        return DrainOutcome(outbox_id, item["kind"], followup.outcome, followup.dossier_id, followup.detail)
    return post_outbox_notices(engine, outbox_id)


def _retry_later(engine: DossierEngine, outbox_id: int, reason: str, *, counted: bool = False) -> DrainOutcome:
    policy = engine.rulebook.alerts.delivery
    now = engine.clock.now()
    with engine.db.transaction() as repo:
        item = repo.outbox_item(outbox_id)
        attempts = (item["attempts"] if item else 0) + (0 if counted else 1)
        repo.queues.retry_outbox_later(
            outbox_id, error=reason, next_attempt_at=now + timedelta(seconds=policy.backoff_seconds(attempts))
        )
    return DrainOutcome(outbox_id, item["kind"] if item else "?", "retry", None, reason)


def post_outbox_notices(engine: DossierEngine, outbox_id: int) -> DrainOutcome:
    """Turn a ``notice`` or ``handoff`` row into one notice per receiving unit, and mark the row done."""
    rulebook, now = engine.rulebook, engine.clock.now()
    texts = notice_texts()
    with engine.db.transaction() as repo:
        item = repo.outbox_item(outbox_id)
        if item is None or item["status"] != "pending":
            return DrainOutcome(outbox_id, "notice", "skipped", None, "Đã được xử lý")
        payload = item["payload"]
        dossier = repo.dossier(item["dossier_id"])
        step = repo.alerts.history_row(item["dossier_id"], item["history_seq"])
        assert dossier is not None and step is not None
        person = repo.person(dossier["person_id"])
        definition = rulebook.pinned(dossier["procedure_code"], dossier["procedure_version"]).definition
        directory = UnitDirectory(rulebook.regimes, repo.all_units())
        posting = Posting(repo, rulebook, directory, now)
        sender = directory.unit(step["actor_unit"])
        kind = "dossier_notice" if item["kind"] == "notice" else "handoff"
        title = payload.get("title_vi") or payload.get("reason_vi") or definition.title_vi
        on = step["occurred_at"].astimezone(VN_TZ).date()
        context = {
            "title": title,
            "procedure": definition.title_vi,
            "person": person["full_name"],
            "place": place_words(dossier["commune_code"]),
            "step": definition.events[step["event"]].title_vi if step["event"] in definition.events else step["event"],
            "at": local_time(step["occurred_at"]),
            "actor": repo.alerts.user_names([step["actor_user_id"]]).get(step["actor_user_id"], step["actor_username"]),
            "actor_unit": sender["name"] if sender else step["actor_unit"],
            "reason": payload.get("reason_vi") or "",
            "ack_due": local_time(rulebook.alerts.ack_due(now, rulebook.calendar)),
        }
        reached: list[str] = []
        missing: list[str] = []
        for role in payload.get("to_roles", []):
            units = directory.units_for(role, dossier, on)
            if not units:
                missing.append(rulebook.regimes.roles[role].title_vi if role in rulebook.regimes.roles else role)
            for unit_code in units:
                unit = directory.unit(unit_code)
                # A step's notice to the unit that took it, or one the system sent, is a reminder inside the
                # unit: nobody acknowledges it. Between agencies it must be acknowledged (proof of service).
                internal = kind == "dossier_notice" and (
                    step["actor_role"] == "system" or step["actor_unit"] == unit_code
                )
                posting.post(
                    key=f"outbox:{outbox_id}:{unit_code}:{role}",
                    kind="step_reminder" if internal else kind,
                    unit_code=unit_code,
                    role=role,
                    title=texts.render("step_reminder" if internal else kind, "title", **context),
                    body=texts.render(
                        "step_reminder" if internal else kind,
                        "body",
                        **{**context, "unit": unit["name"] if unit else unit_code},
                    ),
                    source={"outbox_id": outbox_id, "event": step["event"], "seq": step["seq"]},
                    dossier_id=dossier["id"],
                    paper_context={
                        "sender_unit": step["actor_unit"],
                        "procedure": definition.title_vi,
                        "person": person["full_name"],
                    },
                )
                reached.append(unit_code)
        if missing and sender is not None:
            # Nobody in hoso can receive it: the sending unit serves it on paper.
            paper = {"title": title, "unit": ", ".join(missing), "procedure": definition.title_vi}
            posting.post(
                key=f"outbox:{outbox_id}:paper",
                kind="paper_required",
                unit_code=step["actor_unit"],
                role=None,
                title=texts.render("paper_required", "title", **paper),
                body=texts.render("paper_required", "body", **paper, person=person["full_name"]),
                source={"outbox_id": outbox_id, "missing": missing},
                dossier_id=dossier["id"],
            )
        detail = f"Đã gửi {len(reached)} đơn vị" + (f"; không tìm thấy đơn vị: {', '.join(missing)}" if missing else "")
        repo.finish_outbox(outbox_id, status="done", at=now, error="; ".join(missing) or None)
    return DrainOutcome(outbox_id, item["kind"], "posted", dossier["id"], detail)
