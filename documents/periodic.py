"""Producing the periodic reports that are due (``config/reports.yaml``): for each province, its plan report for
the period as xlsx and docx, stored with their SHA-256, and a notice to the recipient unit (in its inbox, and
by e-mail and SMS through the delivery queue) — in one transaction with the report's row, so a report is either
produced and announced or still waiting. The .docx is issued as a document: numbered in the reporting unit's
sequence of reports, with a verification code and QR, and signed as PDF by the documents stage. A report that
fails (no plan table yet, a file that cannot be written) records why, is retried with growing waits, and is late
once its due date passes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from documents.files import FileStore
from documents.report_files import report_docx, report_heading, report_xlsx
from documents.report_issue import issue_report
from states.actors import Actor
from states.errors import HosoError, NotFoundError
from states.indicators import load_indicators
from states.legal_time import VN_TZ
from states.notice_texts import notice_texts
from states.notices import Posting
from states.periodic_reports import ReportPlan, planned_reports, report_plan, retry_after
from states.plan_progress import plan_progress
from states.procedures import Rulebook
from states.recipients import UnitDirectory
from states.statistics import area_report
from states.store.database import Database

LEASE = timedelta(minutes=10)
BATCH = 20


@dataclass(frozen=True)
class ReportOutcome:
    report_id: int
    outcome: str
    """``produced`` or ``failed``."""
    detail: str


def produce_due_reports(
    db: Database,
    rulebook: Rulebook,
    store: FileStore,
    system: Actor,
    now: datetime,
    *,
    worker: str,
    public_url: str = "http://127.0.0.1:8000",
    plan: ReportPlan | None = None,
) -> list[ReportOutcome]:
    """Plan the reports due by now, claim a batch and produce each (``public_url``: where the QR code of each
    issued report leads)."""
    plan = plan or report_plan()
    catalogue = load_indicators()
    rule = catalogue.periods.rules[plan.period_rule]
    with db.transaction() as repo:
        kinds = {r.unit_kind for r in plan.recipients}
        recipients: dict[str, dict[str, str]] = {}
        for unit in repo.all_units():
            if unit["kind"] in kinds and unit["province_code"]:
                recipients.setdefault(str(unit["kind"]), {})[str(unit["province_code"])] = str(unit["code"])
        repo.reports.ensure(
            [
                {
                    "schedule": p.schedule.code,
                    "province_code": p.province_code,
                    "period": p.period.label,
                    "layout": plan.layout,
                    "recipient_unit": p.recipient_unit,
                    "due_at": p.due_at,
                    "status": "pending",
                    "attempts": 0,
                    "created_at": now,
                }
                for p in planned_reports(plan, rule, recipients, now)
            ]
        )
        claimed = repo.reports.claim(now, worker, now + LEASE, BATCH)
    return [_produce(db, rulebook, store, system, plan, row, now, public_url) for row in claimed]


def _produce(
    db: Database,
    rulebook: Rulebook,
    store: FileStore,
    system: Actor,
    plan: ReportPlan,
    row: dict[str, Any],
    now: datetime,
    public_url: str,
) -> ReportOutcome:
    report_id = int(row["id"])
    schedule = next(s for s in plan.schedules if s.code == row["schedule"])
    try:
        catalogue = load_indicators()
        with db.reading() as repo:
            progress = plan_progress(
                repo, rulebook, catalogue, system, row["period"], row["layout"], row["province_code"]
            )
            figures = area_report(repo, rulebook, catalogue, system, row["period"], row["province_code"])
            unit = repo.unit(row["recipient_unit"])
            if unit is None:
                raise NotFoundError(f"Không còn đơn vị nhận báo cáo {row['recipient_unit']}")
        heading = report_heading(unit, row["province_code"])
        # Each attempt writes under names of its own: files of an attempt that failed later stay unreferenced.
        stem = f"reports/{row['province_code']}/{row['period']}-{row['schedule']}-{secrets.token_hex(4)}"
        xlsx = report_xlsx(progress, figures)
        names = {"xlsx": store.write(f"{stem}.xlsx", xlsx)}
        digests = {"xlsx": hashlib.sha256(xlsx).hexdigest()}
        late = now > row["due_at"]
        with db.transaction() as repo:
            issued = issue_report(
                repo,
                store,
                unit,
                heading,
                f"{stem}.docx",
                title=f"{schedule.title_vi} kỳ {row['period']}: {progress['title']}",
                issued_by=system,
                render=lambda mark: report_docx(
                    progress, figures, heading, on=now.astimezone(VN_TZ).date(), issued=mark
                ),
                data={"plan": progress, "figures": figures},
                public_url=public_url,
                now=now,
            )
            names["docx"], digests["docx"] = issued.file_path, issued.sha256
            directory = UnitDirectory(rulebook.regimes, repo.all_units())
            texts = notice_texts()
            context = {
                "report": schedule.title_vi,
                "period": row["period"],
                "late": late,
                "area": progress["area"]["name"],
                "source": progress["target_set"]["source_document"],
                "due": f"{row['due_at'].astimezone(VN_TZ) - timedelta(days=1):%d/%m/%Y}",
                "number": issued.number_symbol,
                "xlsx": digests["xlsx"],
                "docx": digests["docx"],
            }
            notice_id = Posting(repo, rulebook, directory, now).post(
                key=f"periodic-report:{report_id}",
                kind="periodic_report",
                unit_code=row["recipient_unit"],
                role=None,
                title=texts.render("periodic_report", "title", **context),
                body=texts.render("periodic_report", "body", **context),
                source={"report_id": report_id, "period": row["period"], "schedule": row["schedule"]},
                dossier_id=None,
            )
            repo.reports.mark_produced(
                report_id,
                produced_at=now,
                xlsx_name=names["xlsx"],
                xlsx_sha256=digests["xlsx"],
                docx_name=names["docx"],
                docx_sha256=digests["docx"],
                notice_id=notice_id,
                document_id=issued.document_id,
            )
    except (HosoError, OSError, ValueError) as error:
        return _failed(db, row, error.message if isinstance(error, HosoError) else str(error), now)
    return ReportOutcome(
        report_id, "produced", f"{row['province_code']} {row['period']} ({row['schedule']}): {issued.number_symbol}"
    )


def _failed(db: Database, row: dict[str, Any], reason: str, now: datetime) -> ReportOutcome:
    attempts = int(row["attempts"]) + 1
    with db.transaction() as repo:
        repo.reports.mark_failed(int(row["id"]), reason, attempts, now + retry_after(attempts))
    return ReportOutcome(int(row["id"]), "failed", reason)
