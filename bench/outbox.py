"""Notices delivered per second: through the ``notice-delivery`` flow, and through a bare loop over the same rows.

Notices are written by ``states.notices.Posting`` to a unit with one officer who has an email address, so
each notice queues exactly one email delivery. The flow (``workflows.flows.notice_delivery``, run by Prefect
in this process: one task per chunk) drains them through ``states.delivery`` (claim with a lease, render the
Vietnamese texts, send through ``workflows.channels.SmtpChannel``, record each outcome in its own
transaction). The bare loop selects the
pending rows with plain SQL, sends each with ``smtplib`` on one connection and marks it sent with a plain
UPDATE, one commit per row. Both send to the same SMTP server (aiosmtpd, in a thread of this process),
which counts what it receives; the two sides take turns on fresh notices each round.

Backends: SQLite (a temporary file) and, with ``--postgres-url`` or HOSO_BENCH_POSTGRES_URL, PostgreSQL
(its schema is dropped and recreated: point it at a scratch database).

    python bench/outbox.py [--notices N] [--rounds R] [--postgres-url URL]

Prints `RESULT <name> <value> <unit>` lines.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and bench/transitions.py would hide the
# `transitions` library that the engine imports.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import os

# The flow runs on Prefect's temporary in-process server: quiet, and without its usage analytics.
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
import smtplib
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import text

from bench.scaffold import add_postgres_option
from config import CONFIG_DIR
from states.accounts import create_unit, create_user
from states.actors import Actor
from states.clock import FixedClock
from states.engine import DossierEngine
from states.notices import Posting
from states.procedures import Rulebook, load_rulebook
from states.recipients import UnitDirectory
from states.store.database import Database
from states.store.migrate import fresh_database
from workflows.channels import SmtpChannel
from workflows.flows import notice_delivery, using_runtime
from workflows.jobs import Runtime

SENDER = "hoso@hoso.example.vn"
UNIT = {"code": "UBX-00070", "name": "UBND phường Hoàn Kiếm", "kind": "commune_committee", "commune_code": "00070"}
POSTED_AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
DELIVERED_AT = POSTED_AT + timedelta(minutes=5)
POST_CHUNK = 500
SYSTEM = Actor(0, "system", "Hệ thống hoso", "system", "HT", "national", None, None)
"""The flow's service identity; delivering notices never acts on a dossier, so no account row is needed."""


class Counting:
    """An aiosmtpd handler that only counts the messages it accepts."""

    def __init__(self) -> None:
        self.accepted = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._lock:
            self.accepted += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare(url: str, rulebook: Rulebook) -> Database:
    db = fresh_database(url)
    with db.transaction() as repo:
        create_unit(repo, rulebook.regimes, **UNIT)
        create_user(
            repo,
            rulebook.regimes,
            username="chutich",
            password="benchmark-password",
            full_name="Chủ tịch",
            role="commune_chair",
            unit_code=UNIT["code"],
            now=POSTED_AT,
            email="chutich@ubx00070.example.vn",
        )
    return db


def post_notices(db: Database, rulebook: Rulebook, count: int, prefix: str) -> None:
    for start in range(0, count, POST_CHUNK):
        with db.transaction() as repo:
            posting = Posting(repo, rulebook, UnitDirectory(rulebook.regimes, repo.all_units()), POSTED_AT)
            for n in range(start, min(count, start + POST_CHUNK)):
                posting.post(
                    key=f"{prefix}:{n}",
                    kind="dossier_notice",
                    unit_code=UNIT["code"],
                    role=None,
                    title=f"Đề nghị tiếp nhận hồ sơ xác định tình trạng nghiện ma túy số {n}",
                    body="Nội dung chỉ xem trong hệ thống.",
                    source={"bench": prefix},
                    dossier_id=None,
                )


def run_flow(db: Database, rulebook: Rulebook, port: int, batch_size: int) -> int:
    """The ``notice-delivery`` Prefect flow, one task per chunk of ``batch_size`` deliveries."""
    clock = FixedClock(DELIVERED_AT)
    with SmtpChannel(host="127.0.0.1", port=port, sender=SENDER, clock=clock.now) as channel:
        runtime = Runtime(db, rulebook, DossierEngine(rulebook, db, clock), SYSTEM, {"email": channel}, clock, "bench")
        with using_runtime(runtime):
            result = notice_delivery(batch_size=batch_size, max_chunks=1_000_000)
    if result["retry"] or result["failed"]:
        raise RuntimeError(f"delivery refused: {result}")
    return int(result["sent"])


BARE_SELECT = text(
    "SELECT d.id, d.address, d.message_id, n.id AS notice_id, n.title, u.name AS unit_name "
    "FROM notice_deliveries d JOIN notices n ON n.id = d.notice_id JOIN units u ON u.code = n.unit_code "
    "WHERE d.status = 'pending' AND d.next_attempt_at <= :now ORDER BY d.id LIMIT :limit"
)
BARE_UPDATE = text(
    "UPDATE notice_deliveries SET status = 'sent', sent_at = :now, delivered_at = :now, "
    "attempts = attempts + 1 WHERE id = :id AND status = 'pending'"
)


def run_bare(db: Database, port: int, batch_size: int) -> int:
    """The least any implementation does per notice: read it, send it, mark it sent."""
    sent = 0
    naive = DELIVERED_AT.replace(tzinfo=None)
    date = format_datetime(DELIVERED_AT)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        while True:
            with db.engine.connect() as conn:
                rows = conn.execute(BARE_SELECT, {"now": naive, "limit": batch_size}).mappings().all()
            if not rows:
                return sent
            for row in rows:
                email = EmailMessage()
                email["From"] = SENDER
                email["To"] = row["address"]
                email["Subject"] = f"[hoso] {row['title']}"
                email["Date"] = date
                email["Message-ID"] = row["message_id"]
                email.set_content(
                    f"Kính gửi {row['unit_name']},\n\nhoso có thông báo mới: «{row['title']}» (số {row['notice_id']}).",
                    charset="utf-8",
                    cte="quoted-printable",
                )
                smtp.send_message(email, from_addr=SENDER, to_addrs=[row["address"]])
                with db.engine.begin() as conn:
                    conn.execute(BARE_UPDATE, {"now": naive, "id": row["id"]})
                sent += 1


def timed(work: Callable[[], int]) -> tuple[int, float]:
    started = time.perf_counter()
    count = work()
    return count, time.perf_counter() - started


def measure(label: str, url: str, rulebook: Rulebook, notices: int, rounds: int, batch_size: int) -> None:
    counter = Counting()
    server = Controller(counter, hostname="127.0.0.1", port=free_port(), server_hostname="bench.local")
    server.start()
    try:
        db = prepare(url, rulebook)
        sides: dict[str, Callable[[], int]] = {
            "outbox": lambda: run_flow(db, rulebook, server.port, batch_size),
            "bare": lambda: run_bare(db, server.port, batch_size),
        }
        for side, work in sides.items():  # warm-up
            post_notices(db, rulebook, 20, f"warm-{side}")
            work()
        per_round = max(1, notices // rounds)
        totals: dict[str, tuple[int, float]] = {"outbox": (0, 0.0), "bare": (0, 0.0)}
        for round_number in range(rounds):
            order = ["outbox", "bare"] if round_number % 2 == 0 else ["bare", "outbox"]
            for side in order:
                post_notices(db, rulebook, per_round, f"{side}-{round_number}")
                before = counter.accepted
                count, seconds = timed(sides[side])
                if count != per_round or counter.accepted - before != per_round:
                    raise RuntimeError(f"{side}: {count} recorded, {counter.accepted - before} received")
                totals[side] = (totals[side][0] + count, totals[side][1] + seconds)
        with db.engine.connect() as conn:
            pending = conn.execute(text("SELECT count(*) FROM notice_deliveries WHERE status <> 'sent'")).scalar()
        if pending:
            raise RuntimeError(f"{pending} deliveries left unsent")
        db.dispose()
    finally:
        server.stop()
    outbox_rate = totals["outbox"][0] / totals["outbox"][1]
    bare_rate = totals["bare"][0] / totals["bare"][1]
    print(f"RESULT {label}_outbox_notices_per_second {outbox_rate:.1f} notices/s")
    print(f"RESULT {label}_bare_outbox_notices_per_second {bare_rate:.1f} notices/s")
    print(f"RESULT {label}_outbox_to_bare_ratio {outbox_rate / bare_rate:.3f} ratio")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--notices", type=int, default=10_000, help="notices per side (one email each)")
    parser.add_argument("--rounds", type=int, default=4, help="turns taken by the delivery path and the bare loop")
    parser.add_argument("--batch-size", type=int, default=None, help="rows claimed at once (default: alerts.yaml)")
    add_postgres_option(parser)
    args: Any = parser.parse_args(argv)
    rulebook = load_rulebook(CONFIG_DIR)
    batch_size = args.batch_size or rulebook.alerts.delivery.batch_size
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'outbox.sqlite3'}"
        measure("sqlite", url, rulebook, args.notices, args.rounds, batch_size)
    if args.postgres_url:
        measure("postgresql", args.postgres_url, rulebook, args.notices, args.rounds, batch_size)


if __name__ == "__main__":
    main()
