"""The three scheduled flows, run through Prefect (one temporary Prefect server for the session) on a database
with a passed deadline, a notice waiting in the outbox and deliveries to send; and their retries, which
repeat a chunk after a transient database failure and only then."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from prefect.testing.utilities import prefect_test_harness
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from documents.setup import DocumentSetup
from states.delivery import Channel, OutgoingMessage
from states.outbox_drain import DrainOutcome
from states.targets import TargetImport, import_targets
from tests.conftest import Dossier, World
from tests.states.test_custody import concluded_in_custody
from tests.states.test_targets import GOOD, _csv
from workflows import flows
from workflows.jobs import Runtime, outbox_chunk

AFTER_CUSTODY = "2026-03-02T21:00:00+07:00"
"""Half an hour after the 12-hour administrative custody of ``concluded_in_custody`` ran out."""


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    # The temporary server's telemetry would write to its database while it starts (and reach the network).
    analytics = os.environ.get("PREFECT_SERVER_ANALYTICS_ENABLED")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    try:
        with prefect_test_harness(server_startup_timeout=180):
            yield
    finally:
        if analytics is None:
            del os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"]
        else:
            os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = analytics


class RecordingChannel:
    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []

    def send(self, message: OutgoingMessage) -> None:
        self.sent.append(message)


def runtime(world: World, channels: Mapping[str, Channel] | None = None, documents: Path | None = None) -> Runtime:
    return Runtime(
        world.db,
        world.rulebook,
        world.engine,
        world.actors["system"],
        channels or {},
        world.clock,
        worker="kiem-thu-flow",
        documents=DocumentSetup(documents) if documents is not None else None,
    )


def waiting_work(world: World) -> Dossier:
    """A concluded dossier whose custody has run out, with its result notice in the outbox, for commune
    police officers who have an email address and a phone number."""
    with world.db.transaction() as repo:
        repo._conn.execute(
            text("UPDATE users SET email = 'canbo@congan.hanoi.vn', phone = '0912345678' WHERE username = 'police'")
        )
    dossier = concluded_in_custody(world)
    world.at(AFTER_CUSTODY)
    return dossier


def notices(dossier: Dossier) -> list[dict[str, Any]]:
    with dossier.world.db.reading() as repo:
        rows = repo.alerts.notices_of_dossier(dossier.id)
        for row in rows:
            row["deliveries"] = repo.queues.deliveries([row["id"]])
    return rows


def test_each_flow_does_its_part_once(world: World, prefect_api: None, tmp_path: Path) -> None:
    dossier = waiting_work(world)
    email, sms = RecordingChannel(), RecordingChannel()
    work = runtime(world, {"email": email, "sms": sms}, tmp_path / "van-ban")

    with flows.using_runtime(work):
        swept = flows.deadline_sweep()
    assert (swept["expired"], swept["refused"]) == (1, 0)
    dossier.record_history()
    last = dossier.saved()["history"][-1]
    assert (last["event"], last["actor"]) == ("custody_limit_reached", "system")

    with flows.using_runtime(work):
        drained = flows.outbox_drain()
    assert drained["outcomes"].get("posted", 0) >= 1
    requested = [row for row in dossier.outbox() if row["kind"] == "document"]
    assert drained["outcomes"]["document_issued"] == len(requested) > 0
    assert {row["status"] for row in dossier.outbox() if row["kind"] == "document"} == {"done"}
    (result,) = [n for n in notices(dossier) if n["title"].startswith("Trả phiếu kết quả")]
    assert (result["unit_code"], result["role"]) == ("CAX-00070", "commune_police")
    assert sorted((d["channel"], d["status"]) for d in result["deliveries"]) == [
        ("email", "pending"),
        ("sms", "pending"),
    ]

    with flows.using_runtime(work):
        delivered = flows.notice_delivery()
    assert delivered["sent"] >= 2
    assert delivered["failed"] == delivered["retry"] == 0
    (result,) = [n for n in notices(dossier) if n["id"] == result["id"]]
    assert [d["status"] for d in result["deliveries"]] == ["sent", "sent"]
    ours = {d["message_id"] for d in result["deliveries"]}
    assert sorted((m.channel, m.address) for m in [*email.sent, *sms.sent] if m.message_id in ours) == [
        ("email", "canbo@congan.hanoi.vn"),
        ("sms", "0912345678"),
    ]

    # Nothing is left: a second round does nothing.
    with flows.using_runtime(work):
        assert flows.deadline_sweep()["expired"] == 0
        assert flows.outbox_drain()["handled"] == 0
        assert flows.notice_delivery()["sent"] == 0
    sent = [m.message_id for m in [*email.sent, *sms.sent]]
    assert len(sent) == len(set(sent)) == delivered["sent"]


def flaky_outbox(calls: list[int], error: Exception) -> Any:
    def chunk(work: Runtime, *, batch_size: int) -> list[DrainOutcome]:
        calls.append(batch_size)
        if len(calls) == 1:
            raise error
        return outbox_chunk(work, batch_size=batch_size)

    return chunk


def test_a_chunk_that_met_a_transient_database_error_is_tried_again(
    world: World, prefect_api: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    dossier = waiting_work(world)
    calls: list[int] = []
    locked = OperationalError("UPDATE outbox", {}, Exception("database is locked"))
    monkeypatch.setattr(flows, "outbox_chunk", flaky_outbox(calls, locked))
    monkeypatch.setattr(flows, "drain_outbox_chunk", flows.drain_outbox_chunk.with_options(retry_delay_seconds=0))
    with flows.using_runtime(runtime(world)):
        drained = flows.outbox_drain()
    assert len(calls) == 2
    assert drained["outcomes"] == {"posted": 1}
    assert [n["title"] for n in notices(dossier)] == [
        "Trả phiếu kết quả xác định tình trạng nghiện cho cơ quan đề nghị"
    ]


def test_any_other_failure_fails_the_run_at_once(
    world: World, prefect_api: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    dossier = waiting_work(world)
    calls: list[int] = []
    clash = IntegrityError("INSERT INTO notices", {}, Exception("duplicate key"))
    monkeypatch.setattr(flows, "outbox_chunk", flaky_outbox(calls, clash))
    monkeypatch.setattr(flows, "drain_outbox_chunk", flows.drain_outbox_chunk.with_options(retry_delay_seconds=0))
    with flows.using_runtime(runtime(world)), pytest.raises(IntegrityError):
        flows.outbox_drain()
    assert calls == [flows.BATCH_SIZE]
    assert notices(dossier) == []


def test_the_periodic_reports_flow_produces_what_is_due(world: World, prefect_api: None, tmp_path: Path) -> None:
    request = TargetImport("rehab_plan", 2026, "Kế hoạch số 45/KH-UBND", "t.csv", _csv(GOOD))
    import_targets(world.db, world.rulebook, world.actors["pc04"], request, world.clock.now())
    world.at("2026-06-08T09:00:00+07:00")
    work = runtime(world, documents=tmp_path / "van-ban")
    with flows.using_runtime(work):
        first = flows.periodic_reports()
        second = flows.periodic_reports()
    assert first["produced"] >= 2 and first["failed"] == 0  # the late May report and the six-month report
    assert second == {"produced": 0, "failed": 0}
    with world.db.reading() as repo:
        half = next(r for r in repo.reports.of_province("01", 2026) if r["period"] == "2026-H1")
    assert half["number_symbol"] and (tmp_path / "van-ban" / half["docx_name"]).is_file()
