"""The work the scheduled flows do, as plain functions over a ``Runtime`` (the composition root).

Prefect flows (``workflows.flows``) run the ``*_chunk`` functions, one task per chunk, until a chunk comes
back short; the CLI and the tests call them directly. The engine stays the only writer of dossier state:
expiry events go through ``DossierEngine.fire`` as the ``system`` officer, follow-ups through
``open_followup``.
"""

from __future__ import annotations

import os
import socket
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config import CONFIG_DIR
from config.settings import Settings, get_settings
from documents.issue import IssueOutcome, issue_batch
from documents.pdf_stage import PdfOutcome, pdf_batch
from documents.periodic import ReportOutcome, produce_due_reports
from documents.setup import DocumentSetup
from states.accounts import actor_by_username
from states.actors import Actor
from states.alerts import AlertBatch, alert_batch, sweep_alerts
from states.audit import CheckpointKey, checkpoint_if_due
from states.clock import Clock, SystemClock
from states.delivery import Channel, deliver_batch
from states.engine import DossierEngine
from states.history_seal import keys_from_settings
from states.notices import AckEscalation, escalate_unacknowledged
from states.outbox_drain import DrainOutcome, claim_batch, drain_claimed
from states.procedures import Rulebook, load_rulebook
from states.store.database import Database
from states.sweep import SweepOutcome, sweep_due_deadlines


def worker_name() -> str:
    """Who holds a claim: host and process, so a lease left by a dead worker is recognisable."""
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


@dataclass
class Runtime:
    db: Database
    rulebook: Rulebook
    engine: DossierEngine
    system: Actor
    channels: Mapping[str, Channel]
    clock: Clock
    worker: str = field(default_factory=worker_name)
    documents: DocumentSetup | None = None
    """How documents are issued and signed; None: this runtime issues none (they wait in the outbox)."""
    checkpoint_key_file: Path | None = None
    """The key that signs the daily checkpoint of all dossiers' heads; None: this runtime writes none."""

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, system_user: str = "system") -> Runtime:
        from workflows.channels import channels_from_settings

        settings = settings or get_settings()
        rulebook = load_rulebook(
            CONFIG_DIR, procedures_dir=settings.procedures_dir, calendars_dir=settings.calendars_dir
        )
        db = Database(settings.database_url)
        clock = SystemClock()
        engine = DossierEngine(
            rulebook,
            db,
            clock,
            clock_skew=settings.clock_skew,
            history_keys=keys_from_settings(settings),
        )
        with db.reading() as repo:
            system = actor_by_username(repo, system_user)
        channels = channels_from_settings(settings)
        documents = DocumentSetup.from_settings(settings)
        return cls(
            db,
            rulebook,
            engine,
            system,
            channels,
            clock,
            documents=documents,
            checkpoint_key_file=settings.checkpoint_key_file,
        )


def report_job(runtime: Runtime) -> list[ReportOutcome]:
    """Produce the periodic reports that are due; none when this runtime writes no documents."""
    if runtime.documents is None:
        return []
    return produce_due_reports(
        runtime.db,
        runtime.rulebook,
        runtime.documents.files,
        runtime.system,
        runtime.clock.now(),
        worker=runtime.worker,
        public_url=runtime.documents.public_url,
    )


def checkpoint_job(runtime: Runtime) -> dict[str, Any] | None:
    """The signed checkpoint of all dossiers' heads, when a day has passed since the last one."""
    if runtime.checkpoint_key_file is None:
        return None
    return checkpoint_if_due(runtime.db, CheckpointKey.load_or_create(runtime.checkpoint_key_file), runtime.clock.now())


@dataclass(frozen=True)
class SweepReport:
    expired: int
    """Expiry events fired (the law's consequence of a passed deadline, or a recorded missed target)."""
    refused: int
    alerts: Mapping[str, int]
    ack_escalations: int


def sweep_deadlines(runtime: Runtime, *, batch_size: int = 200) -> SweepReport:
    """Fire the expiry events of passed deadlines, then the alerts, then escalate unacknowledged notices."""
    outcomes = sweep_due_deadlines(runtime.engine, runtime.system, limit=batch_size)
    now = runtime.clock.now()
    alerts = sweep_alerts(runtime.db, runtime.rulebook, now, batch_size=batch_size)
    escalated = 0
    while True:
        batch = escalate_unacknowledged(runtime.db, runtime.rulebook, now, batch_size=batch_size)
        escalated += len(batch)
        if len(batch) < batch_size:
            break
    return SweepReport(
        expired=sum(o.fired for o in outcomes),
        refused=sum(not o.fired for o in outcomes),
        alerts=dict(alerts),
        ack_escalations=escalated,
    )


# -- chunks: each one unit of work for a flow task, safe to run again after a failure -----------------------


def expiry_chunk(runtime: Runtime, *, batch_size: int) -> list[SweepOutcome]:
    """Expiry events of at most ``batch_size`` passed deadlines; a deadline another worker fired meanwhile is
    refused by its version check, so running this twice fires nothing twice."""
    return sweep_due_deadlines(runtime.engine, runtime.system, limit=batch_size)


def alert_chunk(runtime: Runtime, *, batch_size: int) -> AlertBatch:
    """One alert batch: a single transaction, rolled back whole if it fails."""
    return alert_batch(runtime.db, runtime.rulebook, runtime.clock.now(), batch_size=batch_size)


def ack_chunk(runtime: Runtime, *, batch_size: int) -> list[AckEscalation]:
    """One batch of late acknowledgements escalated (a single transaction; each notice escalated once)."""
    return escalate_unacknowledged(runtime.db, runtime.rulebook, runtime.clock.now(), batch_size=batch_size)


def outbox_chunk(runtime: Runtime, *, batch_size: int) -> list[DrainOutcome]:
    """Claim a batch of outbox rows under a lease and handle each. After a failure the rows already handled
    are done; the others stay leased to this worker and are claimed again once the lease ends."""
    claimed = claim_batch(runtime.engine, worker=runtime.worker, batch_size=batch_size)
    return drain_claimed(runtime.engine, runtime.system, claimed)


def document_chunk(runtime: Runtime, *, batch_size: int) -> list[IssueOutcome]:
    """Claim a batch of document requests under a lease and issue each (number, render, store, record in one
    transaction); a request issued before the failure is never issued again."""
    if runtime.documents is None:
        return []
    issuer = runtime.documents.issuer(runtime.db, runtime.rulebook)
    return issue_batch(issuer, worker=runtime.worker, now=runtime.clock.now(), batch_size=batch_size)


def pdf_chunk(runtime: Runtime, *, batch_size: int) -> list[PdfOutcome]:
    """Claim a batch of issued documents waiting for their PDF, convert them in one LibreOffice call and sign
    each with its unit's key; each PDF is recorded with its request's done mark in one transaction."""
    if runtime.documents is None:
        return []
    policy = runtime.rulebook.alerts.delivery
    return pdf_batch(
        runtime.documents.finisher(runtime.db),
        worker=runtime.worker,
        now=runtime.clock.now(),
        batch_size=batch_size,
        lease_seconds=policy.lease_seconds,
        retry_seconds=policy.retry_seconds,
    )


def delivery_chunk(runtime: Runtime, *, batch_size: int) -> Counter[str]:
    """Claim a batch of due deliveries under a lease and send each; a send already recorded is never
    repeated, the unsent rest waits for the lease to end."""
    return deliver_batch(
        runtime.db,
        runtime.rulebook,
        runtime.channels,
        worker=runtime.worker,
        clock=runtime.clock.now,
        batch_size=batch_size,
    )


# -- whole passes -------------------------------------------------------------------------------------------


def drain(runtime: Runtime, *, batch_size: int = 200, max_batches: int = 50) -> list[DrainOutcome]:
    """Outbox batches until none is claimable (or ``max_batches``)."""
    outcomes: list[DrainOutcome] = []
    for _ in range(max_batches):
        batch = outbox_chunk(runtime, batch_size=batch_size)
        outcomes += batch
        if len(batch) < batch_size:
            break
    return outcomes


def deliver(runtime: Runtime, *, batch_size: int | None = None, max_batches: int = 50) -> Counter[str]:
    size = batch_size or runtime.rulebook.alerts.delivery.batch_size
    total: Counter[str] = Counter()
    for _ in range(max_batches):
        batch = delivery_chunk(runtime, batch_size=size)
        total.update(batch)
        if sum(batch.values()) < size:
            break
    return total
