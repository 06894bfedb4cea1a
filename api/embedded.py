"""The scheduled flows of ``hoso serve`` on one machine: a Prefect server of its own (bound to 127.0.0.1, its
SQLite database under ``HOSO_PREFECT_HOME``) and a process serving the three flows (``workflows.serve``).

Both run as child processes, each in its own process group, so that stopping ``hoso serve`` stops them with
every flow run they started; on Linux they are also stopped by the kernel if ``hoso serve`` itself is killed.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from config.settings import Settings

HOST = "127.0.0.1"
STOP_SECONDS = 10.0
_PR_SET_PDEATHSIG = 1


class EmbeddedFlowsError(Exception):
    """The flows could not be started; the message is for the operator."""


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: ask the kernel for SIGTERM when hoso serve goes away.
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers themselves bind: a port left in TIME_WAIT by a previous run is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    stopping: bool = False

    def stop(self) -> None:
        """SIGTERM to the child, which ends its own runs; after ``STOP_SECONDS``, or once it is gone, SIGKILL to
        whatever is left in its process group."""
        self.stopping = True
        if self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=STOP_SECONDS)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@dataclass
class EmbeddedFlows:
    prefect_url: str
    """The Prefect UI (the API is under ``/api``)."""
    log_dir: Path
    children: list[Child] = field(default_factory=list)

    def start(self, name: str, command: list[str], env: dict[str, str]) -> Child:
        log = self.log_dir / f"{name}.log"
        with log.open("ab") as output:
            process = subprocess.Popen(
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        child = Child(name, process, log)
        self.children.append(child)
        return child

    def watch(self, say: Callable[[str], None]) -> None:
        """Say so when a child stops on its own (the API keeps running without the flows)."""

        def wait(child: Child) -> None:
            code = child.process.wait()
            if not child.stopping:
                say(f"Tiến trình {child.name} đã dừng (mã {code}); xem nhật ký {child.log}")

        for child in self.children:
            threading.Thread(target=wait, args=(child,), daemon=True, name=f"watch-{child.name}").start()

    def stop(self) -> None:
        # The flows first: their runs report to the server until the end.
        for child in reversed(self.children):
            child.stop()


def _server_env(settings: Settings, port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    home = settings.prefect_home.resolve()
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_API_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        PREFECT_SERVER_API_HOST=HOST,
        PREFECT_SERVER_API_PORT=str(port),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_UI_ENABLED="true",
    )
    return env


def _flows_env(settings: Settings, port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(settings.prefect_home.resolve()),
        PREFECT_API_URL=f"http://{HOST}:{port}/api",
        # Flow runs log their summaries in Vietnamese; the console of this process is a file.
        PYTHONIOENCODING="utf-8",
    )
    return env


def start_embedded_flows(settings: Settings, port: int) -> EmbeddedFlows:
    """The Prefect server, healthy, and the process serving the flows; raises ``EmbeddedFlowsError``."""
    if not port_free(HOST, port):
        raise EmbeddedFlowsError(
            f"Cổng {port} trên {HOST} đã có chương trình khác dùng (có thể là một máy chủ Prefect khác): "
            "đặt HOSO_PREFECT_PORT hoặc --prefect-port, hoặc chạy với --no-flows (HOSO_FLOWS=off)"
        )
    settings.prefect_home.mkdir(parents=True, exist_ok=True)
    embedded = EmbeddedFlows(f"http://{HOST}:{port}", settings.prefect_home.resolve())
    try:
        server = embedded.start(
            "prefect-server",
            [sys.executable, "-m", "prefect", "server", "start", "--host", HOST, "--port", str(port)],
            _server_env(settings, port),
        )
        _wait_until_healthy(server, f"{embedded.prefect_url}/api/health", settings.prefect_start_timeout_seconds)
        embedded.start("flows", [sys.executable, "-m", "workflows.serve"], _flows_env(settings, port))
    except BaseException:
        embedded.stop()
        raise
    return embedded


def _wait_until_healthy(server: Child, health_url: str, timeout: float) -> None:
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        if server.process.poll() is not None:
            raise EmbeddedFlowsError(
                f"Máy chủ Prefect đã dừng khi khởi động (mã {server.process.returncode}). "
                f"Nhật ký {server.log}:\n{_tail(server.log)}"
            )
        if _healthy(health_url):
            return
        time.sleep(0.5)
    raise EmbeddedFlowsError(
        f"Máy chủ Prefect chưa sẵn sàng sau {timeout:g} giây ({health_url} không trả lời). Xem nhật ký "
        f"{server.log}; có thể tăng HOSO_PREFECT_START_TIMEOUT_SECONDS, hoặc chạy API không kèm các luồng "
        "tự động với --no-flows (HOSO_FLOWS=off)"
    )


def exit_on_signals() -> None:
    """SIGTERM and SIGHUP raise ``SystemExit`` (as Ctrl-C raises ``KeyboardInterrupt``), so that the caller's
    ``finally`` stops the children, while starting them as well as afterwards: uvicorn answers these signals
    by shutting down, then raises the signal again with the handler it found, this one."""

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)
