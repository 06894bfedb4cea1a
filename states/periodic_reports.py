"""Which periodic reports are due, for which province and period, and when each must be produced
(``config/reports.yaml``): a report is produced ``lead_days`` before its due date for every province with a unit
of the recipient kind, kept once (one row per schedule, province and period), retried while it fails, and late
if it was produced after its due date — or is still missing after it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from config import CONFIG_DIR
from states.actors import Actor
from states.errors import ConflictError, NotFoundError
from states.indicators import PeriodKind, PeriodRule
from states.legal_time import VN_TZ
from states.permissions import sight_of
from states.procedures import Rulebook
from states.reporting_periods import Period, parse_period
from states.store.repository import Record, Repository
from states.targets import readable_province
from states.yaml_loading import load_model

REPORTS_FILE = CONFIG_DIR / "reports.yaml"
RETRY_MINUTES = (5, 15, 60, 240)
"""Waits after the first, second, third and every later failure of a report."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Due(_Strict):
    """A number of days after the period's last day, or a fixed day of the period's year."""

    days_after_period: int | None = Field(default=None, ge=0, le=60)
    month: int | None = Field(default=None, ge=1, le=12)
    day: int | None = Field(default=None, ge=1, le=28)

    @model_validator(mode="after")
    def _one_rule(self) -> Due:
        fixed = self.month is not None and self.day is not None
        if fixed == (self.days_after_period is not None) or (self.month is None) != (self.day is None):
            raise ValueError("hạn nộp là days_after_period, hoặc month cùng day")
        return self

    def day_for(self, period: Period) -> date:
        if self.days_after_period is not None:
            return period.last_day + timedelta(days=self.days_after_period)
        assert self.month is not None and self.day is not None
        # The period's own year: under figures closed on the 14th, the first half starts on 15/12 of the year before.
        return date(int(period.label[:4]), self.month, self.day)


class Schedule(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title_vi: str = Field(min_length=1)
    period: PeriodKind
    due: Due
    only: tuple[int, ...] = ()
    """Only these periods of the year (e.g. ``[1]``: the first half only)."""
    unverified: str | None = None


class Recipient(_Strict):
    """The kind of unit a province's report goes to from a date (the reporting line moves with the law)."""

    effective_from: date
    unit_kind: str
    basis: str = Field(min_length=1)


class ReportPlan(_Strict):
    layout: str
    recipients: tuple[Recipient, ...] = Field(min_length=1)
    period_rule: str = "nd09_2019"
    """How the periods are bounded (config/indicators/periods.yaml)."""
    lead_days: int = Field(ge=0, le=30)
    catch_up_days: int = Field(default=60, ge=0, le=400)
    """How long after its due date a report never produced is still produced (late)."""
    schedules: tuple[Schedule, ...] = Field(min_length=1)


def recipient_kind_on(plan: ReportPlan, day: date) -> str | None:
    """The kind of unit reports due on ``day`` go to; None before the first reporting line."""
    kinds = [r.unit_kind for r in sorted(plan.recipients, key=lambda r: r.effective_from) if r.effective_from <= day]
    return kinds[-1] if kinds else None


@lru_cache(maxsize=4)
def report_plan(path: Path = REPORTS_FILE) -> ReportPlan:
    return load_model(path, ReportPlan)


@dataclass(frozen=True)
class Planned:
    schedule: Schedule
    province_code: str
    recipient_unit: str
    period: Period
    due_at: datetime
    """The end of the due day (Vietnam)."""
    produce_from: datetime


_COUNTS = {"month": 12, "quarter": 4, "half_year": 2, "year": 1}


def _labels(kind: PeriodKind, year: int, only: tuple[int, ...]) -> list[str]:
    numbers = [n for n in range(1, _COUNTS[kind] + 1) if not only or n in only]
    if kind == "year":
        return [f"{year}"]
    prefix = {"half_year": "H", "quarter": "Q", "month": ""}[kind]
    return [f"{year}-{prefix}{n:02d}" if kind == "month" else f"{year}-{prefix}{n}" for n in numbers]


def planned_reports(
    plan: ReportPlan, rule: PeriodRule, recipients: dict[str, dict[str, str]], now: datetime
) -> list[Planned]:
    """The reports whose production time has come and whose catch-up window has not passed, for each province
    with a unit of the kind the report goes to on its due date (``recipients``: unit kind → province code → the
    unit)."""
    today = now.astimezone(VN_TZ).date()
    found = []
    for schedule in plan.schedules:
        for year in (today.year - 1, today.year, today.year + 1):
            for label in _labels(schedule.period, year, schedule.only):
                period = parse_period(label, rule)
                due_day = schedule.due.day_for(period)
                due_at = datetime.combine(due_day + timedelta(days=1), time(0), VN_TZ)
                produce_from = datetime.combine(due_day - timedelta(days=plan.lead_days), time(0), VN_TZ)
                kind = recipient_kind_on(plan, due_day)
                if kind is not None and produce_from <= now <= due_at + timedelta(days=plan.catch_up_days):
                    found += [
                        Planned(schedule, province, unit, period, due_at, produce_from)
                        for province, unit in sorted(recipients.get(kind, {}).items())
                    ]
    return found


def retry_after(attempts: int) -> timedelta:
    return timedelta(minutes=RETRY_MINUTES[min(attempts, len(RETRY_MINUTES)) - 1])


# -- reading ---------------------------------------------------------------------------------------------------


def _answer(row: Record, plan: ReportPlan, now: datetime) -> Record:
    schedule = next((s for s in plan.schedules if s.code == row["schedule"]), None)
    produced_at = row["produced_at"]
    late = produced_at > row["due_at"] if produced_at is not None else now > row["due_at"]
    return {
        "id": row["id"],
        "schedule": row["schedule"],
        "title": schedule.title_vi if schedule is not None else row["schedule"],
        "province_code": row["province_code"],
        "period": row["period"],
        "layout": row["layout"],
        "recipient_unit": row["recipient_unit"],
        "due_on": (row["due_at"].astimezone(VN_TZ) - timedelta(days=1)).date().isoformat(),
        "status": row["status"],
        "late": late,
        "attempts": row["attempts"],
        "last_error": row["last_error"],
        "next_attempt_at": row["next_attempt_at"].isoformat() if row["next_attempt_at"] else None,
        "produced_at": produced_at.isoformat() if produced_at is not None else None,
        "xlsx_sha256": row["xlsx_sha256"],
        "docx_sha256": row["docx_sha256"],
        "document_id": row["document_id"],
        "number_symbol": row["number_symbol"],
        "verification_code": row["verification_code"],
        "pdf_status": row["pdf_status"],
        "pdf_note": row["pdf_note"],
        "signer_subject": row["signer_subject"],
    }


def periodic_reports(
    repo: Repository, rulebook: Rulebook, actor: Actor, province: str | None, year: int | None, now: datetime
) -> list[Record]:
    plan = report_plan()
    return [
        _answer(row, plan, now) for row in repo.reports.of_province(readable_province(rulebook, actor, province), year)
    ]


def periodic_report_file(
    repo: Repository, rulebook: Rulebook, actor: Actor, report_id: int, kind: str, read: Callable[[str], bytes]
) -> tuple[str, bytes]:
    """The stored file (``xlsx``, ``docx`` or the signed ``pdf``) of a produced report of the officer's province,
    only while it hashes to what was recorded."""
    row = repo.reports.report(report_id)
    sight = sight_of(rulebook.regimes, actor)
    if row is None or (sight.territory != "all" and row["province_code"] != sight.province_code):
        raise NotFoundError(f"Không có báo cáo định kỳ số {report_id}", field="report_id")
    name, digest = (
        (row["pdf_path"], row["pdf_sha256"]) if kind == "pdf" else (row[f"{kind}_name"], row[f"{kind}_sha256"])
    )
    if row["status"] != "produced" or row["docx_name"] is None:
        raise ConflictError(f"Báo cáo định kỳ số {report_id} chưa được lập: {row['last_error'] or 'đang chờ đến lượt'}")
    if name is None:
        waiting = row["pdf_note"] or "đang chờ chuyển đổi và ký số"
        if row["document_id"] is None:
            waiting = "báo cáo được lập trước khi báo cáo định kỳ được ban hành thành văn bản có số và ký số"
        raise ConflictError(
            f"Báo cáo định kỳ số {report_id} chưa có bản PDF ký số: {waiting}", pdf_status=row["pdf_status"]
        )
    try:
        content = read(str(name))
    except OSError:
        raise ConflictError("Không đọc được tệp lưu trữ của báo cáo") from None
    if hashlib.sha256(content).hexdigest() != digest:
        raise ConflictError("Tệp lưu trữ của báo cáo đã bị thay đổi sau khi lập: không còn khớp với mã SHA-256 đã ghi")
    return f"bao-cao-{row['province_code']}-{row['period']}-{row['schedule']}.{kind}", content
