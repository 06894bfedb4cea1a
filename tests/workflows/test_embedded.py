"""``hoso serve`` as ``make demo`` runs it: the API with its own Prefect server and the three flows on short
intervals, on a fresh demo database. A conclusion recorded through the API reaches the requesting commune
police as a notice without anyone running a command; SIGTERM stops the server and every process it started."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from typer.testing import CliRunner

from api.cli import app
from api.demo import DEMO_PASSWORD
from api.embedded import EmbeddedFlowsError, start_embedded_flows
from config.settings import Settings, get_settings
from states.legal_time import VN_TZ
from states.store.database import Database

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads the process tree from /proc")

HOSO = Path(sys.executable).with_name("hoso")
RESULT_NOTICE = "Trả phiếu kết quả xác định tình trạng nghiện cho cơ quan đề nghị"
WAITING = "Mai Thị Quyên"
"""A demo person whose determination the health facility has received and not yet concluded."""
START_SECONDS = 90
NOTICE_SECONDS = 60
Found = TypeVar("Found")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    waiting = [pid]
    while waiting:
        for child in children.get(waiting.pop(), []):
            found.add(child)
            waiting.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def poll(what: str, seconds: float, probe: Callable[[], Found | None], output: list[str]) -> Found:
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        found = probe()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"{what}: nothing after {seconds} s; hoso serve said:\n" + "".join(output[-40:]))


class Served:
    def __init__(self, process: subprocess.Popen[str], api: str, prefect_port: int) -> None:
        self.process, self.api, self.prefect_port = process, api, prefect_port
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)

    def said(self, pattern: str) -> str | None:
        return next((m.group(0) for line in list(self.output) if (m := re.search(pattern, line))), None)

    @contextmanager
    def login(self, username: str) -> Iterator[httpx.Client]:
        with httpx.Client(base_url=self.api, timeout=30) as client:
            answer = client.post("/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD})
            assert answer.status_code == 200, answer.text
            client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
            yield client


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Served, Database]]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HOSO_", "PREFECT_"))}
    url = f"sqlite:///{tmp_path / 'hoso.sqlite3'}"
    env.update(
        HOSO_DATABASE_URL=url,
        HOSO_PREFECT_HOME=str(tmp_path / "prefect"),
        HOSO_SMS_RECORDING_PATH=str(tmp_path / "sms.jsonl"),
        HOSO_SWEEP_INTERVAL_SECONDS="5",
        HOSO_OUTBOX_INTERVAL_SECONDS="3",
        HOSO_DELIVERY_INTERVAL_SECONDS="3",
        HOSO_DOCUMENTS_DIR=str(tmp_path / "documents"),
        HOSO_SIGNING_KEYS_DIR=str(tmp_path / "pki"),
        # PDF conversion is tested in tests/documents; here the documents stay .docx so the flows stay quick.
        HOSO_SOFFICE=str(tmp_path / "khong-co-soffice"),
    )
    for command in (["db", "upgrade"], ["demo", "seed", "--no-documents"]):
        subprocess.run([str(HOSO), *command], env=env, check=True, capture_output=True, timeout=300)
    api_port, prefect_port = free_port(), free_port()
    process = subprocess.Popen(
        [str(HOSO), "serve", "--port", str(api_port), "--prefect-port", str(prefect_port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    database = Database(url)
    try:
        yield Served(process, f"http://127.0.0.1:{api_port}", prefect_port), database
    finally:
        database.dispose()
        if process.poll() is None:
            for pid in descendants(process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            process.kill()
            process.wait()


def healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def conclude(served: Served) -> str:
    """The health facility concludes the waiting determination; the step owes the requesting police a notice."""
    with served.login("yte.giamdoc") as facility:
        (person,) = facility.get("/api/v1/persons", params={"name": WAITING}).json()["items"]
        (dossier,) = [d for d in person["dossiers"] if d["state"] == "under_observation"]
        version = facility.get(f"/api/v1/dossiers/{dossier['id']}").json()["version"]
        today = datetime.now(VN_TZ).date().isoformat()
        payload = {"concluded_on": today, "criteria_met": 4, "criterion_6_met": True, "physician_name": "Đỗ Văn Hải"}
        answer = facility.post(
            f"/api/v1/dossiers/{dossier['id']}/events",
            json={"event": "concluded_addicted", "expected_version": version, "payload": payload},
        )
    assert answer.status_code == 200, answer.text
    return str(dossier["id"])


def stored_notice(database: Database, dossier_id: str) -> dict[str, Any] | None:
    with database.reading() as repo:
        rows = repo.alerts.notices_of_dossier(dossier_id)
    return next((row for row in rows if row["title"] == RESULT_NOTICE), None)


def test_hoso_serve_runs_the_flows_and_stops_with_them(served: tuple[Served, Database]) -> None:
    server, database = served
    address = f"http://127.0.0.1:{server.prefect_port}"
    printed = poll("Prefect UI address", START_SECONDS, lambda: server.said(r"Giao diện Prefect: \S+"), server.output)
    assert printed == f"Giao diện Prefect: {address}"
    poll("API", START_SECONDS, lambda: healthy(f"{server.api}/healthz"), server.output)
    assert healthy(address)  # the Prefect UI

    dossier_id = conclude(server)
    assert stored_notice(database, dossier_id) is None
    notice = poll("notice", NOTICE_SECONDS, lambda: stored_notice(database, dossier_id), server.output)
    assert (notice["unit_code"], notice["role"], notice["kind"]) == ("CAX-00070", "commune_police", "dossier_notice")
    with server.login("canbo.hoankiem") as police:
        inbox = police.get("/api/v1/notices").json()
    assert notice["id"] in {item["id"] for item in inbox if item["dossier_id"] == dossier_id}

    family = descendants(server.process.pid)
    assert len(family) >= 2  # the Prefect server and the process serving the flows (and their runs)
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=30) == 128 + signal.SIGTERM
    time.sleep(0.5)
    assert {pid for pid in family if alive(pid)} == set()
    assert not healthy(address)


@pytest.fixture
def settings_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """``hoso serve`` in this process, with uvicorn and the start of the flows replaced by recorders."""
    calls: list[str] = []
    monkeypatch.setenv("HOSO_DATABASE_URL", f"sqlite:///{tmp_path / 'hoso.sqlite3'}")
    monkeypatch.setenv("HOSO_ENVIRONMENT", "development")
    monkeypatch.delenv("HOSO_SECRET_KEY", raising=False)
    monkeypatch.delenv("HOSO_FLOWS", raising=False)
    monkeypatch.setattr("uvicorn.run", lambda application, **options: calls.append("api"))
    monkeypatch.setattr("api.embedded.exit_on_signals", lambda: None)

    def start(settings: Settings, port: int) -> None:
        calls.append(f"flows:{port}")
        raise EmbeddedFlowsError("Máy chủ Prefect chưa sẵn sàng")

    monkeypatch.setattr("api.embedded.start_embedded_flows", start)
    get_settings.cache_clear()
    yield calls
    get_settings.cache_clear()


@pytest.mark.parametrize(("flows_setting", "options"), [(None, ["--no-flows"]), ("off", []), ("on", ["--no-flows"])])
def test_without_flows_only_the_api_runs(
    settings_env: list[str], monkeypatch: pytest.MonkeyPatch, flows_setting: str | None, options: list[str]
) -> None:
    if flows_setting:
        monkeypatch.setenv("HOSO_FLOWS", flows_setting)
    result = CliRunner().invoke(app, ["serve", "--port", str(free_port()), *options])
    assert result.exit_code == 0, result.output
    assert settings_env == ["api"]


def test_flows_that_cannot_start_stop_hoso_serve_before_the_api(
    settings_env: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOSO_FLOWS", "off")
    monkeypatch.setenv("HOSO_PREFECT_PORT", "4999")
    result = CliRunner().invoke(app, ["serve", "--port", str(free_port()), "--flows"])
    assert result.exit_code == 1
    assert settings_env == ["flows:4999"]
    assert "Lỗi: Máy chủ Prefect chưa sẵn sàng" in result.output


def test_a_busy_prefect_port_is_refused_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        with pytest.raises(EmbeddedFlowsError, match=f"Cổng {port} trên 127.0.0.1 đã có chương trình khác dùng"):
            start_embedded_flows(Settings(prefect_home=tmp_path / "prefect"), port)
    assert not (tmp_path / "prefect").exists()
