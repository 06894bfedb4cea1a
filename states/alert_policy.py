"""When running deadlines are brought to officers' attention, and whom an escalation reaches.

Read from ``config/alerts.yaml``. A deadline that alerts moves through stages, each reached at a stored
instant (``next_alert_at``) the sweep looks for:

    none --(warn_at: share of the allowed time)--> warned --(due_at)--> due --(due_at + escalate_after)--> escalated

Terms (the length of a measure) never alert: nobody has to act before they end.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from states.legal_time import TimeUnit, WorkCalendar, compute_due
from states.yaml_loading import load_model

Stage = Literal["none", "warned", "due", "escalated", "off"]
STAGES: tuple[Stage, ...] = ("none", "warned", "due", "escalated")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Span(_Strict):
    count: int = Field(ge=0)
    unit: TimeUnit


class DeliveryPolicy(_Strict):
    max_attempts: int = Field(default=6, ge=1)
    retry_seconds: int = Field(default=30, ge=1)
    lease_seconds: int = Field(default=120, ge=1)
    batch_size: int = Field(default=200, ge=1, le=10_000)

    def backoff_seconds(self, attempts: int) -> int:
        """Wait before the next attempt after ``attempts`` failed ones (doubling, capped at a day)."""
        return int(min(self.retry_seconds * 2 ** max(attempts - 1, 0), 86_400))


class AlertPolicy(_Strict):
    warning_share: float = Field(default=0.8, gt=0, lt=1)
    escalate_after: Span = Span(count=1, unit=TimeUnit.WORKING_DAYS)
    notice_ack: Span = Span(count=1, unit=TimeUnit.WORKING_DAYS)
    delivery: DeliveryPolicy = DeliveryPolicy()
    heads: dict[str, str] = Field(default_factory=dict)
    """Unit kind → the role that heads such a unit (receives escalations)."""

    def warn_at(self, start: datetime, due_at: datetime) -> datetime:
        if due_at <= start:
            return due_at
        return start + (due_at - start) * self.warning_share

    def overdue_at(self, due_at: datetime, calendar: WorkCalendar) -> datetime:
        return compute_due(due_at, self.escalate_after.count, self.escalate_after.unit, calendar)[0]

    def ack_due(self, sent_at: datetime, calendar: WorkCalendar) -> datetime:
        return compute_due(sent_at, self.notice_ack.count, self.notice_ack.unit, calendar)[0]

    def next_alert(
        self, stage: Stage, *, warn_at: datetime | None, due_at: datetime, calendar: WorkCalendar
    ) -> datetime | None:
        """When the sweep should next look at a deadline in ``stage``; None when nothing remains to say."""
        if stage == "none":
            return warn_at if warn_at is not None and warn_at < due_at else due_at
        if stage == "warned":
            return due_at
        if stage == "due":
            return self.overdue_at(due_at, calendar)
        return None


def load_alert_policy(path: Path) -> AlertPolicy:
    return load_model(path, AlertPolicy) if path.exists() else AlertPolicy()
