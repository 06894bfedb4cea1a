"""The four scheduled flows: ``deadline-sweep``, ``outbox-drain``, ``notice-delivery`` and ``periodic-reports``.

Each flow repeats one Prefect task per chunk of work (a task run costs tens of milliseconds, so never one per
item) until a chunk comes back short. A task is retried with backoff when the database failed in a way
worth trying again (``is_transient``); anything else fails the run, and the next scheduled run starts over.
Every chunk can safely run twice: claims carry leases, steps carry the version they expect, notices and
deliveries carry idempotency keys. The flows only orchestrate: the work is in ``workflows.jobs``.

Outside a test the flows build their ``Runtime`` from the settings (``HOSO_DATABASE_URL``…) on each run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from prefect import Task, flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun
from prefect.tasks import exponential_backoff

from documents.issue import IssueOutcome
from documents.pdf_stage import PdfOutcome
from documents.periodic import ReportOutcome
from states.alerts import AlertBatch
from states.notices import AckEscalation
from states.outbox_drain import DrainOutcome
from states.store.database import is_transient
from states.sweep import SweepOutcome
from workflows.channels import SmtpChannel
from workflows.jobs import (
    Runtime,
    ack_chunk,
    alert_chunk,
    checkpoint_job,
    delivery_chunk,
    document_chunk,
    expiry_chunk,
    outbox_chunk,
    pdf_chunk,
    report_job,
)

P = ParamSpec("P")
R = TypeVar("R")

BATCH_SIZE = 200
MAX_CHUNKS = 50
PDF_BATCH_SIZE = 20
"""Documents converted per LibreOffice call: one start (about a second) shared by the batch, and a batch short
enough to finish well within the claim's lease."""
"""At most this many chunks per run; what is left waits for the next run."""

_runtimes: list[Runtime] = []


@contextmanager
def using_runtime(runtime: Runtime) -> Iterator[Runtime]:
    """Run the flows of this process on ``runtime`` (its database, clock and channels) instead of the
    settings' own."""
    _runtimes.append(runtime)
    try:
        yield runtime
    finally:
        _runtimes.remove(runtime)


@contextmanager
def _flow_runtime() -> Iterator[Runtime]:
    if _runtimes:
        yield _runtimes[-1]
        return
    with using_runtime(Runtime.from_settings()) as runtime:
        try:
            yield runtime
        finally:
            for channel in runtime.channels.values():
                if isinstance(channel, SmtpChannel):
                    channel.close()  # say QUIT rather than drop the connection
            runtime.db.dispose()


def _runtime() -> Runtime:
    # Tasks take only plain arguments: Prefect would otherwise walk the whole runtime to find futures in it.
    return _runtimes[-1]


def _transient(_task: Task[Any, Any], _run: TaskRun, state: State[Any]) -> bool:
    error = state.data
    return isinstance(error, BaseException) and is_transient(error)


def _chunk_task(fn: Callable[P, R]) -> Task[P, R]:
    decorate = task(
        retries=4,
        retry_delay_seconds=exponential_backoff(backoff_factor=2),
        retry_jitter_factor=0.5,
        retry_condition_fn=_transient,
        cache_policy=NO_CACHE,
        persist_result=False,
    )
    return decorate(fn)


@_chunk_task
def fire_expiries(batch_size: int) -> list[SweepOutcome]:
    return expiry_chunk(_runtime(), batch_size=batch_size)


@_chunk_task
def send_alerts(batch_size: int) -> AlertBatch:
    return alert_chunk(_runtime(), batch_size=batch_size)


@_chunk_task
def escalate_acknowledgements(batch_size: int) -> list[AckEscalation]:
    return ack_chunk(_runtime(), batch_size=batch_size)


@_chunk_task
def write_checkpoint() -> dict[str, Any] | None:
    return checkpoint_job(_runtime())


@_chunk_task
def drain_outbox_chunk(batch_size: int) -> list[DrainOutcome]:
    return outbox_chunk(_runtime(), batch_size=batch_size)


@_chunk_task
def issue_documents_chunk(batch_size: int) -> list[IssueOutcome]:
    return document_chunk(_runtime(), batch_size=batch_size)


@_chunk_task
def sign_documents_chunk(batch_size: int) -> list[PdfOutcome]:
    return pdf_chunk(_runtime(), batch_size=batch_size)


@_chunk_task
def deliver_chunk(batch_size: int) -> dict[str, int]:
    return dict(delivery_chunk(_runtime(), batch_size=batch_size))


@flow(name="deadline-sweep", description="Bước tự động khi hết thời hạn, nhắc thời hạn, báo thông báo chưa xác nhận")
def deadline_sweep(batch_size: int = BATCH_SIZE, max_chunks: int = MAX_CHUNKS) -> dict[str, Any]:
    logger = get_run_logger()
    with _flow_runtime():
        fired = refused = 0
        for _ in range(max_chunks):
            outcomes = fire_expiries(batch_size)
            for outcome in outcomes:
                if not outcome.fired:
                    logger.warning(
                        "Không thực hiện được bước %s của hồ sơ %s (thời hạn %s): %s",
                        outcome.event,
                        outcome.dossier_id,
                        outcome.rule_id,
                        outcome.detail,
                    )
            fired += sum(o.fired for o in outcomes)
            refused += sum(not o.fired for o in outcomes)
            # Refused deadlines stay due: a chunk that fired nothing would only find them again.
            if len(outcomes) < batch_size or not any(o.fired for o in outcomes):
                break
        stages: Counter[str] = Counter()
        for _ in range(max_chunks):
            batch = send_alerts(batch_size)
            stages.update(batch.counts)
            if batch.examined < batch_size:
                break
        escalated = 0
        for _ in range(max_chunks):
            late = escalate_acknowledgements(batch_size)
            escalated += len(late)
            if len(late) < batch_size:
                break
        checkpoint = write_checkpoint()
    if checkpoint is not None:
        logger.info("Điểm kiểm tra lịch sử %s: %d hồ sơ", checkpoint["digest"][:16], checkpoint["dossiers"])
    logger.info(
        "Quét thời hạn: %d bước tự động đã thực hiện, %d không thực hiện được; nhắc thời hạn: %d cảnh báo, "
        "%d đến hạn, %d quá hạn; %d thông báo quá hạn xác nhận đã báo thủ trưởng đơn vị",
        fired,
        refused,
        stages["warned"],
        stages["due"],
        stages["escalated"],
        escalated,
    )
    return {
        "expired": fired,
        "refused": refused,
        "alerts": dict(stages),
        "ack_escalations": escalated,
        "checkpoint": checkpoint["id"] if checkpoint is not None else None,
    }


@flow(
    name="outbox-drain", description="Mở thủ tục tiếp theo, gửi thông báo giữa các đơn vị, bàn giao, ban hành văn bản"
)
def outbox_drain(batch_size: int = BATCH_SIZE, max_chunks: int = MAX_CHUNKS) -> dict[str, Any]:
    logger = get_run_logger()
    outcomes: Counter[str] = Counter()
    with _flow_runtime():
        for _ in range(max_chunks):
            chunk = drain_outbox_chunk(batch_size)
            for outcome in chunk:
                if outcome.outcome in ("retry", "refused"):
                    logger.warning("Việc %d (%s) chưa xử lý được: %s", outcome.outbox_id, outcome.kind, outcome.detail)
            outcomes.update(outcome.outcome for outcome in chunk)
            if len(chunk) < batch_size:
                break
        for _ in range(max_chunks):
            issued = issue_documents_chunk(batch_size)
            for document in issued:
                if document.outcome == "retry":
                    logger.warning("Chưa ban hành được văn bản (việc %d): %s", document.outbox_id, document.detail)
            outcomes.update("document_" + document.outcome for document in issued)
            if len(issued) < batch_size:
                break
        for _ in range(max_chunks):
            pdfs = sign_documents_chunk(PDF_BATCH_SIZE)
            for pdf in pdfs:
                if pdf.outcome in ("retry", "unavailable"):
                    logger.warning("Bản PDF của văn bản %s: %s", pdf.document_id, pdf.detail)
            outcomes.update("pdf_" + pdf.outcome for pdf in pdfs)
            if len(pdfs) < PDF_BATCH_SIZE or all(pdf.outcome == "retry" for pdf in pdfs):
                break
    logger.info(
        "Hàng đợi: %d việc đã xử lý — %d thủ tục tiếp theo đã mở, %d thông báo đã gửi, %d văn bản đã ban hành, "
        "%d bản PDF đã ký số, %d chờ thử lại",
        sum(outcomes.values()),
        outcomes["opened"],
        outcomes["posted"],
        outcomes["document_issued"],
        outcomes["pdf_signed"],
        outcomes["retry"] + outcomes["document_retry"] + outcomes["pdf_retry"],
    )
    return {"handled": sum(outcomes.values()), "outcomes": dict(outcomes)}


@_chunk_task
def produce_reports() -> list[ReportOutcome]:
    return report_job(_runtime())


@flow(name="periodic-reports", description="Lập báo cáo định kỳ trước hạn nộp, lưu kèm SHA-256, báo đơn vị nhận")
def periodic_reports() -> dict[str, Any]:
    logger = get_run_logger()
    with _flow_runtime():
        outcomes = produce_reports()
    for outcome in outcomes:
        if outcome.outcome == "failed":
            logger.warning("Chưa lập được báo cáo định kỳ số %d: %s", outcome.report_id, outcome.detail)
    produced = sum(o.outcome == "produced" for o in outcomes)
    logger.info("Báo cáo định kỳ: %d đã lập, %d chưa lập được (sẽ thử lại)", produced, len(outcomes) - produced)
    return {"produced": produced, "failed": len(outcomes) - produced}


@flow(name="notice-delivery", description="Gửi thông báo qua thư điện tử và tin nhắn SMS")
def notice_delivery(batch_size: int | None = None, max_chunks: int = MAX_CHUNKS) -> dict[str, Any]:
    """``batch_size`` defaults to ``delivery.batch_size`` of config/alerts.yaml."""
    logger = get_run_logger()
    total: Counter[str] = Counter()
    with _flow_runtime() as runtime:
        size = batch_size or runtime.rulebook.alerts.delivery.batch_size
        for _ in range(max_chunks):
            chunk = deliver_chunk(size)
            total.update(chunk)
            if sum(chunk.values()) < size:
                break
    logger.info(
        "Gửi thông báo: %d đã gửi, %d chờ gửi lại, %d không gửi được sau số lần thử tối đa",
        total["sent"] + total["already_recorded"],
        total["retry"],
        total["failed"],
    )
    return {"sent": total["sent"], "retry": total["retry"], "failed": total["failed"], "outcomes": dict(total)}
