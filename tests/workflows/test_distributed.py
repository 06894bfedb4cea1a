"""The distributed installation of docs/deploy.md, in small: a Prefect server, the deployments of
``prefect.yaml`` registered with ``prefect deploy --all`` into a process work pool, one worker on the hoso
database, and one run of each deployment triggered with ``prefect deployment run``."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import World
from tests.states.test_custody import concluded_in_custody
from tests.workflows.test_embedded import RESULT_NOTICE, free_port, healthy

ROOT = Path(__file__).resolve().parents[2]
PREFECT = Path(sys.executable).with_name("prefect")
DEPLOYMENTS = ("deadline-sweep/hoso", "outbox-drain/hoso", "notice-delivery/hoso")
START_SECONDS = 90
RUN_SECONDS = 120


class Installation:
    def __init__(self, home: Path) -> None:
        self.port = free_port()
        self.api = f"http://127.0.0.1:{self.port}/api"
        self.env = {key: value for key, value in os.environ.items() if not key.startswith(("HOSO_", "PREFECT_"))}
        self.env.update(PREFECT_HOME=str(home), PREFECT_API_URL=self.api, PREFECT_SERVER_ANALYTICS_ENABLED="false")
        self.home = home
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, *arguments: str, **env: str) -> None:
        with (self.home / f"{name}.log").open("ab") as log:
            self.processes.append(
                subprocess.Popen(
                    [str(PREFECT), *arguments],
                    env={**self.env, **env},
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def prefect(self, *arguments: str, **env: str) -> None:
        done = subprocess.run(
            [str(PREFECT), "--no-prompt", *arguments],
            env={**self.env, **env},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def runs(self) -> dict[str, list[str]]:
        """Flow name → the states of its runs."""
        flows = {f["id"]: f["name"] for f in httpx.post(f"{self.api}/flows/filter", json={}, timeout=10).json()}
        found: dict[str, list[str]] = {}
        for run in httpx.post(f"{self.api}/flow_runs/filter", json={"limit": 200}, timeout=10).json():
            found.setdefault(flows[run["flow_id"]], []).append(run["state_type"])
        return found

    def log(self, name: str) -> str:
        return "\n".join((self.home / f"{name}.log").read_text(errors="replace").splitlines()[-30:])

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def installation(tmp_path: Path) -> Iterator[Installation]:
    prefect = Installation(tmp_path / "prefect")
    prefect.home.mkdir()
    try:
        yield prefect
    finally:
        prefect.stop()


def stored_notices(world: World, dossier_id: str) -> list[dict[str, Any]]:
    with world.db.reading() as repo:
        return repo.alerts.notices_of_dossier(dossier_id)


def test_workers_run_the_deployments_of_prefect_yaml(sqlite_world: World, installation: Installation) -> None:
    dossier = concluded_in_custody(sqlite_world)  # in March 2026: its custody has long run out
    installation.start("server", "server", "start", "--host", "127.0.0.1", "--port", str(installation.port))
    ends = time.monotonic() + START_SECONDS
    while not healthy(f"{installation.api}/health"):
        assert time.monotonic() < ends, installation.log("server")
        time.sleep(0.5)

    installation.prefect("work-pool", "create", "hoso-pool", "--type", "process")
    installation.prefect("deploy", "--all", HOSO_HOME=str(ROOT))
    installation.start(
        "worker",
        "worker",
        "start",
        "--pool",
        "hoso-pool",
        HOSO_DATABASE_URL=sqlite_world.db.url,
        HOSO_DOCUMENTS_DIR=str(installation.home / "documents"),
        HOSO_SIGNING_KEYS_DIR=str(installation.home / "pki"),
        # PDF conversion is tested in tests/documents; here documents stay .docx so the runs stay quick.
        HOSO_SOFFICE=str(installation.home / "khong-co-soffice"),
        HOSO_SMS_ADAPTER="none",
        PREFECT_WORKER_QUERY_SECONDS="2",
    )
    for deployment in DEPLOYMENTS:
        installation.prefect("deployment", "run", deployment)

    ends = time.monotonic() + RUN_SECONDS
    while True:
        runs = installation.runs()
        assert not {"FAILED", "CRASHED"} & {state for states in runs.values() for state in states}, runs
        if all("COMPLETED" in runs.get(name.split("/")[0], []) for name in DEPLOYMENTS):
            break
        assert time.monotonic() < ends, f"{runs}\n{installation.log('worker')}"
        time.sleep(1)

    last = dossier.saved()["history"][-1]
    assert (last["event"], last["actor"]) == ("custody_limit_reached", "system")
    dossier.record_history()
    assert RESULT_NOTICE in {notice["title"] for notice in stored_notices(sqlite_world, dossier.id)}
