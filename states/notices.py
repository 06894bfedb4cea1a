"""Notices between units, with proof of service.

A notice is addressed to a unit (and optionally one role in it): it appears in that unit's in-app inbox the
moment it is written, and a delivery row per officer and channel (email, SMS) is queued in the same
transaction for the delivery flow. A notice between agencies carries an acknowledgement deadline; one not
acknowledged by then is escalated once to the head of the receiving unit. A unit with no officer in hoso
cannot be reached through it: the sending side is told to serve it on paper.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from states.actors import Actor
from states.errors import ConflictError, HosoError, NotFoundError
from states.notice_texts import NoticeTexts, local_time, notice_texts
from states.places import commune
from states.procedures import Rulebook
from states.recipients import UnitDirectory
from states.store.database import Database
from states.store.repository import Record, Repository

ACK_KINDS = frozenset({"dossier_notice", "handoff"})
"""Kinds sent between agencies, which the receiving unit must acknowledge."""


@dataclass(frozen=True)
class Draft:
    """A notice to write (``Posting.post_many``); the fields of ``Posting.post``."""

    key: str
    kind: str
    unit_code: str
    role: str | None
    title: str
    body: str
    source: dict[str, Any]
    dossier_id: str | None
    paper_context: Mapping[str, str] | None = None


@dataclass
class Posting:
    """Writes notices and queues their deliveries inside the caller's transaction.

    A unit's officers are read once for the life of the posting (the caller's transaction)."""

    repo: Repository
    rulebook: Rulebook
    directory: UnitDirectory
    now: datetime
    texts: NoticeTexts = field(default_factory=notice_texts)
    email_domain: str = "hoso.local"
    _staff: dict[str, list[Record]] = field(default_factory=dict, init=False, repr=False)

    def post(
        self,
        *,
        key: str,
        kind: str,
        unit_code: str,
        role: str | None,
        title: str,
        body: str,
        source: dict[str, Any],
        dossier_id: str | None,
        paper_context: Mapping[str, str] | None = None,
    ) -> int | None:
        """The new notice's id; None when it was written before (same key) — posting is idempotent."""
        draft = Draft(key, kind, unit_code, role, title, body, source, dossier_id, paper_context)
        return self.post_many([draft])[0]

    def post_many(self, drafts: Sequence[Draft]) -> list[int | None]:
        """``post`` for each draft, in order, with one statement for the notices and one for their deliveries."""
        if not drafts:
            return []
        self._read_staff({draft.unit_code for draft in drafts})
        acknowledged = any(draft.kind in ACK_KINDS for draft in drafts)
        ack_due = self.rulebook.alerts.ack_due(self.now, self.rulebook.calendar) if acknowledged else None
        rows = []
        for draft in drafts:
            reachable = bool(self._readers(draft))
            rows.append(
                {
                    "key": draft.key,
                    "dossier_id": draft.dossier_id,
                    "kind": draft.kind,
                    "unit_code": draft.unit_code,
                    "role": draft.role,
                    "title": draft.title[:500],
                    "body": draft.body,
                    "source": {**draft.source, "reachable": reachable},
                    "created_at": self.now,
                    "ack_due_at": ack_due if reachable and draft.kind in ACK_KINDS else None,
                }
            )
        notice_ids = self.repo.alerts.insert_notices(rows)
        deliveries = []
        papers: list[Draft] = []
        for draft, notice_id in zip(drafts, notice_ids, strict=True):
            if notice_id is None:
                continue
            readers = self._readers(draft)
            for officer in readers:
                for channel, address in (("email", officer["email"]), ("sms", officer["phone"])):
                    if address:
                        deliveries.append(
                            {
                                "notice_id": notice_id,
                                "channel": channel,
                                "address": address,
                                "user_id": officer["id"],
                                "message_id": f"<notice-{notice_id}-{channel}-{officer['id']}@{self.email_domain}>",
                                "status": "pending",
                                "attempts": 0,
                                "next_attempt_at": self.now,
                                "created_at": self.now,
                            }
                        )
            context = draft.paper_context
            if not readers and context is not None and context.get("sender_unit"):
                papers.append(self._paper(draft, context, notice_id))
        self.repo.queues.insert_deliveries(deliveries)
        self.post_many(papers)
        return notice_ids

    def _readers(self, draft: Draft) -> list[Record]:
        """The officers who see the notice in their inbox: the unit's, or those of the role it is for."""
        return [o for o in self._staff[draft.unit_code] if draft.role is None or o["role"] == draft.role]

    def _read_staff(self, unit_codes: set[str]) -> None:
        missing = sorted(unit_codes - self._staff.keys())
        if not missing:
            return
        for unit_code in missing:
            self._staff[unit_code] = []
        for officer in self.repo.alerts.officers_of(missing):
            self._staff[officer["unit_code"]].append(officer)

    def _paper(self, draft: Draft, context: Mapping[str, str], notice_id: int) -> Draft:
        """The notice telling the sending unit to serve on paper what nobody in hoso can receive."""
        unit = self.directory.unit(draft.unit_code)
        return Draft(
            key=f"paper:{notice_id}",
            kind="paper_required",
            unit_code=context["sender_unit"],
            role=None,
            title=self.texts.render("paper_required", "title", title=draft.title),
            body=self.texts.render(
                "paper_required",
                "body",
                title=draft.title,
                unit=unit["name"] if unit else draft.unit_code,
                procedure=context.get("procedure", ""),
                person=context.get("person", ""),
            ),
            source={"notice_id": notice_id},
            dossier_id=draft.dossier_id,
        )


def place_words(commune_code: str) -> str:
    try:
        place = commune(commune_code)
    except HosoError:
        return commune_code
    return f"{place.name}, {place.province_name}"


# -- reading and acknowledging ---------------------------------------------------------------------------


def inbox(
    db: Database, actor: Actor, *, limit: int = 50, before_id: int | None = None, unacknowledged: bool = False
) -> list[Record]:
    """The officer's unit inbox (to the unit, or to the officer's role in it), newest first, with deliveries."""
    with db.reading() as repo:
        rows = repo.alerts.notices_for(
            actor.unit_code, actor.role, limit=limit, before_id=before_id, unacknowledged=unacknowledged
        )
        return _shown(repo, rows)


def _shown(repo: Repository, rows: list[Record]) -> list[Record]:
    """Notices with their deliveries and the name of the officer who acknowledged them."""
    deliveries = repo.queues.deliveries([row["id"] for row in rows])
    names = repo.alerts.user_names([row["acknowledged_by"] for row in rows if row["acknowledged_by"]])
    by_notice: dict[int, list[Record]] = {}
    for delivery in deliveries:
        by_notice.setdefault(delivery["notice_id"], []).append(delivery)
    for row in rows:
        row["deliveries"] = by_notice.get(row["id"], [])
        row["acknowledged_by_name"] = names.get(row["acknowledged_by"]) if row["acknowledged_by"] else None
    return rows


def _require_addressed(notice: Record | None, actor: Actor, notice_id: int) -> Record:
    # Another unit's notice answers exactly as one that does not exist.
    if notice is None or notice["unit_code"] != actor.unit_code or notice["role"] not in (None, actor.role):
        raise NotFoundError(f"Không tìm thấy thông báo số {notice_id}", notice_id=notice_id)
    return notice


def acknowledge(db: Database, actor: Actor, notice_id: int, now: datetime) -> Record:
    """Record that the officer's unit received the notice; acknowledging twice keeps the first record. The
    notice comes back as the inbox shows it."""
    with db.transaction() as repo:
        notice = _require_addressed(repo.alerts.notice(notice_id), actor, notice_id)
        # Nobody may acknowledge a reminder, whatever their role: a clash with what the notice is, not a
        # missing permission.
        if notice["ack_due_at"] is None and notice["kind"] not in ACK_KINDS:
            raise ConflictError("Thông báo này là lời nhắc nội bộ, không cần xác nhận đã nhận")
        repo.alerts.acknowledge_notice(notice_id, user_id=actor.user_id, at=now)
        stored = repo.alerts.notice(notice_id)
        assert stored is not None
        return _shown(repo, [stored])[0]


@dataclass(frozen=True)
class AckEscalation:
    notice_id: int
    escalation_id: int | None
    unit_code: str


def escalate_unacknowledged(db: Database, rulebook: Rulebook, now: datetime, *, batch_size: int) -> list[AckEscalation]:
    """One batch of notices whose acknowledgement is late: each escalated once to the receiving unit's head."""
    texts = notice_texts()
    outcomes: list[AckEscalation] = []
    with db.transaction() as repo:
        late = repo.alerts.unacknowledged_past_due(now, batch_size)
        if not late:
            return []
        directory = UnitDirectory(rulebook.regimes, repo.all_units())
        posting = Posting(repo, rulebook, directory, now)
        for notice in late:
            if not repo.alerts.mark_escalated(notice["id"], now):
                continue
            unit = directory.unit(notice["unit_code"])
            unit_name = unit["name"] if unit else notice["unit_code"]
            head = rulebook.alerts.heads.get(str(unit["kind"])) if unit else None
            context = {
                "title": notice["title"],
                "unit": unit_name,
                "sent": local_time(notice["created_at"]),
                "ack_due": local_time(notice["ack_due_at"]),
                "now": local_time(now),
            }
            escalation_id = posting.post(
                key=f"ack:{notice['id']}",
                kind="ack_escalation",
                unit_code=notice["unit_code"],
                role=head,
                title=texts.render("ack_escalation", "title", **context),
                body=texts.render("ack_escalation", "body", **context),
                source={"notice_id": notice["id"]},
                dossier_id=notice["dossier_id"],
            )
            outcomes.append(AckEscalation(notice["id"], escalation_id, notice["unit_code"]))
    return outcomes


def notices_of_dossier(repo: Repository, dossier_id: str) -> Sequence[Record]:
    return repo.alerts.notices_of_dossier(dossier_id)
