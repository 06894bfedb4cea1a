"""A worker process for the crash and concurrency tests: runs the jobs the scheduled flows run (deadline
sweep, outbox drain, notice delivery) in a loop, as a separate process the test can kill with SIGKILL.

It stops by itself once a whole round found nothing to do and nothing is left pending (or after --timeout).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta

from config import CONFIG_DIR
from config.settings import Settings
from states.accounts import actor_by_username
from states.clock import Clock, SystemClock
from states.engine import DossierEngine
from states.procedures import load_rulebook
from states.store.database import Database
from workflows.channels import channels_from_settings
from workflows.jobs import Runtime, deliver, drain, sweep_deadlines


class RunningClock:
    """Starts at a given instant and runs at real speed (leases must run out while deadlines stay due)."""

    def __init__(self, start: datetime) -> None:
        self._start, self._started = start, time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._started)


def runtime(arguments: argparse.Namespace) -> Runtime:
    settings = Settings(
        database_url=arguments.database_url,
        smtp_host="127.0.0.1" if arguments.smtp_port else None,
        smtp_port=arguments.smtp_port or 25,
        sms_adapter="none",
    )
    loaded = load_rulebook(CONFIG_DIR)
    delivery = loaded.alerts.delivery.model_copy(
        update={"lease_seconds": arguments.lease_seconds, "retry_seconds": 1, "batch_size": arguments.batch_size}
    )
    rulebook = replace(loaded, alerts=loaded.alerts.model_copy(update={"delivery": delivery}))
    db = Database(settings.database_url)
    clock: Clock = RunningClock(datetime.fromisoformat(arguments.at)) if arguments.at else SystemClock()
    with db.reading() as repo:
        system = actor_by_username(repo, "system")
    engine = DossierEngine(rulebook, db, clock)
    return Runtime(db, rulebook, engine, system, channels_from_settings(settings), clock, worker=arguments.name)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--jobs", default="sweep,drain,deliver")
    parser.add_argument("--smtp-port", type=int, default=0)
    parser.add_argument("--lease-seconds", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=25)
    parser.add_argument("--at", default="")
    parser.add_argument("--name", default="worker")
    parser.add_argument("--timeout", type=float, default=120)
    arguments = parser.parse_args()
    jobs = arguments.jobs.split(",")
    work = runtime(arguments)
    print("ready", flush=True)
    ends = time.monotonic() + arguments.timeout
    while time.monotonic() < ends:
        done = 0
        if "sweep" in jobs:
            report = sweep_deadlines(work, batch_size=arguments.batch_size)
            done += report.expired + sum(report.alerts.values()) + report.ack_escalations
        if "drain" in jobs:
            done += len(drain(work, batch_size=arguments.batch_size))
        if "deliver" in jobs:
            done += sum(deliver(work, batch_size=arguments.batch_size).values())
        if done == 0:
            if not pending(work, jobs):
                return 0
            time.sleep(0.2)  # rows held by a dead worker's lease: wait for it to run out
    return 1


def pending(work: Runtime, jobs: list[str]) -> bool:
    """Rows of this worker's queues still waiting, claimed by a worker that may have died."""
    with work.db.reading() as repo:
        outbox, deliveries = repo.queues.pending_work()
    return ("drain" in jobs and outbox) or ("deliver" in jobs and deliveries)


if __name__ == "__main__":
    sys.exit(main())
