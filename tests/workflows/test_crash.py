"""Workers die and workers run side by side (PostgreSQL): a worker killed with SIGKILL in the middle of a
sweep, of an outbox batch or of an SMTP delivery is restarted, and every due item is then handled exactly
once — expiry events fired once, one notice per recipient, each email received once by a real SMTP server.
Two workers on the same schedules never do one item twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import insert, select, text

from states.store import tables
from states.store.database import Database
from tests.conftest import POSTGRES_URL, World, add_officers, build_world, empty_all_tables
from tests.states.test_custody import concluded_in_custody
from tests.workflows.test_channels import free_port

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="HOSO_TEST_POSTGRES_URL is not set")

ROOT = Path(__file__).resolve().parents[2]
SWEEP_AT = "2026-03-06T09:00:00+07:00"
"""Friday: both deadlines of every dossier are past their escalation point."""
COPIES = 100


class Mailbox:
    """A real SMTP server's handler: counts what it accepted; can kill a worker in the middle of a send."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.lock = threading.Lock()
        self.kill_at: int | None = None
        self.victim: subprocess.Popen[bytes] | None = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            if self.kill_at is not None and len(self.received) + 1 == self.kill_at and self.victim is not None:
                # The worker dies while the server holds its message, before accepting it: not delivered.
                self.victim.send_signal(signal.SIGKILL)
                self.victim.wait()
                self.kill_at = None
                return "451 Máy chủ tạm thời không nhận"
            content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
            self.received.append(str(message_from_bytes(content)["Message-ID"]))
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    handler = Mailbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def pg(postgres_migrated: str) -> Iterator[Database]:
    database = Database(postgres_migrated)
    with database.engine.begin() as conn:
        empty_all_tables(conn)
    yield database
    database.dispose()


def many_dossiers(pg: Database, rulebook: Any, copies: int) -> World:
    """One dossier concluded in custody through the engine, then copied ``copies`` times row for row (with
    its history, tasks, deadlines and its pending outbox notice), so every copy is due for the same work."""
    from tests.conftest import WORLD_START

    world = build_world(pg, rulebook, WORLD_START)
    add_officers(
        world, {"police_mail": ("commune_police", "CAX-00070"), "chief_mail": ("custody_officer", "CAX-00070")}
    )
    with pg.engine.begin() as conn:
        conn.execute(text("UPDATE users SET email = username || '@congan.hanoi.vn' WHERE username LIKE '%_mail'"))
    original = concluded_in_custody(world).id
    new_ids = [str(uuid.uuid4()) for _ in range(copies)]
    with pg.engine.begin() as conn:
        for table in (tables.dossiers, tables.history, tables.tasks, tables.deadlines, tables.outbox):
            column = table.c.id if table is tables.dossiers else table.c.dossier_id
            rows = [dict(row) for row in conn.execute(select(table).where(column == original)).mappings()]
            copied = []
            for new_id in new_ids:
                for row in rows:
                    copy = {key: value for key, value in row.items() if key != "id"}
                    copy["id" if table is tables.dossiers else "dossier_id"] = new_id
                    if table is tables.outbox:
                        copy["idempotency_key"] = str(row["idempotency_key"]).replace(original, new_id)
                    copied.append(copy)
            if copied:
                conn.execute(insert(table), copied)
    return world


def start_worker(database_url: str, *, jobs: str, name: str, smtp_port: int = 0) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        str(ROOT / "tests" / "workflows" / "crash_worker.py"),
        "--database-url",
        database_url,
        "--jobs",
        jobs,
        "--name",
        name,
        "--at",
        SWEEP_AT,
        "--smtp-port",
        str(smtp_port),
    ]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def kill_when(worker: subprocess.Popen[bytes], reached: Callable[[], bool], *, timeout: float = 60) -> None:
    """SIGKILL the worker as soon as ``reached()`` holds (polled), while it is still working."""
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        if worker.poll() is not None:
            pytest.fail(f"the worker ended before it could be killed: {worker.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        if reached():
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            return
        time.sleep(0.02)
    pytest.fail("the worker never reached the point where it is to be killed")


def finish(worker: subprocess.Popen[bytes], timeout: float = 180) -> None:
    _, errors = worker.communicate(timeout=timeout)
    assert worker.returncode == 0, errors.decode()[-3000:]


def count(pg: Database, sql: str) -> int:
    with pg.engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def assert_everything_done_once(pg: Database, copies: int) -> None:
    dossiers = copies + 1
    with pg.engine.connect() as conn:
        fired = Counter(
            (row.dossier_id, row.event)
            for row in conn.execute(
                text(
                    "SELECT dossier_id, event FROM history"
                    " WHERE event IN ('custody_limit_reached', 'service_target_missed')"
                )
            )
        )
        notices = Counter(str(row.key) for row in conn.execute(text("SELECT key FROM notices")))
        stages = Counter(
            str(row.alert_stage)
            for row in conn.execute(text("SELECT alert_stage FROM deadlines WHERE status <> 'met'"))
        )
        outbox = Counter(
            str(row.status) for row in conn.execute(text("SELECT status FROM outbox WHERE kind = 'notice'"))
        )
    assert len(fired) == 2 * dossiers and set(fired.values()) == {1}
    assert set(notices.values()) == {1}
    kinds = Counter(
        key.split(":")[0] + ":" + key.split(":")[2] if key.startswith("deadline") else key.split(":")[0]
        for key in notices
    )
    # Per dossier: the result notice and the missed-target notice (steps), and two escalations (the sweep).
    assert kinds == {"outbox": 2 * dossiers, "deadline:escalated": 2 * dossiers}
    assert stages == {"escalated": 2 * dossiers}
    assert outbox == {"done": 2 * dossiers}
    overdue_tasks = count(pg, "SELECT count(*) FROM tasks WHERE deadline_id IS NOT NULL")
    assert overdue_tasks == 2 * dossiers


def test_a_worker_killed_in_the_middle_of_a_sweep_and_of_an_outbox_batch_leaves_nothing_undone_or_doubled(
    pg: Database, rulebook: Any
) -> None:
    many_dossiers(pg, rulebook, COPIES)
    url = pg.engine.url.render_as_string(hide_password=False)
    worker = start_worker(url, jobs="sweep", name="first")
    kill_when(
        worker, lambda: count(pg, "SELECT count(*) FROM history WHERE event = 'custody_limit_reached'") >= COPIES // 3
    )
    assert count(pg, "SELECT count(*) FROM history WHERE event = 'service_target_missed'") < COPIES
    finish(start_worker(url, jobs="sweep", name="second"))
    worker = start_worker(url, jobs="drain", name="third")
    kill_when(worker, lambda: count(pg, "SELECT count(*) FROM notices WHERE key LIKE 'outbox:%'") >= COPIES // 3)
    assert count(pg, "SELECT count(*) FROM outbox WHERE status = 'pending' AND claimed_by = 'third'") > 0
    finish(start_worker(url, jobs="drain", name="fourth"))
    assert_everything_done_once(pg, COPIES)


def test_a_worker_killed_during_an_smtp_send_is_replaced_and_each_email_arrives_once(
    pg: Database, rulebook: Any, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    many_dossiers(pg, rulebook, COPIES // 4)
    url = pg.engine.url.render_as_string(hide_password=False)
    finish(start_worker(url, jobs="sweep,drain", name="sweeper"))
    expected = count(pg, "SELECT count(*) FROM notice_deliveries WHERE channel = 'email'")
    assert expected > 100
    worker = start_worker(url, jobs="deliver", name="first", smtp_port=port)
    handler.victim, handler.kill_at = worker, expected // 2
    worker.wait(timeout=120)
    assert worker.returncode == -signal.SIGKILL
    assert count(pg, "SELECT count(*) FROM notice_deliveries WHERE status = 'pending' AND claimed_by = 'first'") > 0
    finish(start_worker(url, jobs="deliver", name="second", smtp_port=port))
    assert len(handler.received) == expected
    assert Counter(handler.received).most_common(1)[0][1] == 1
    assert count(pg, "SELECT count(*) FROM notice_deliveries WHERE status = 'sent'") == expected


def test_two_workers_on_the_same_schedules_never_do_one_item_twice(
    pg: Database, rulebook: Any, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    many_dossiers(pg, rulebook, COPIES)
    url = pg.engine.url.render_as_string(hide_password=False)
    workers = [start_worker(url, jobs="sweep,drain,deliver", name=name, smtp_port=port) for name in ("a", "b")]
    for worker in workers:
        finish(worker)
    assert_everything_done_once(pg, COPIES)
    expected = count(pg, "SELECT count(*) FROM notice_deliveries WHERE channel = 'email'")
    assert expected > 0 and len(handler.received) == expected
    assert Counter(handler.received).most_common(1)[0][1] == 1
    with pg.engine.connect() as conn:
        by_worker: dict[str, int] = dict(
            conn.execute(text("SELECT claimed_by, count(*) FROM notice_deliveries GROUP BY claimed_by")).all()
        )
    assert set(by_worker) == {"a", "b"}, by_worker  # both took part
