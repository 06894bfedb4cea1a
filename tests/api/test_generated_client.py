"""The contract is good enough to build on: a client generated from the served `/openapi.json` (with
openapi-python-client, installed by `make test` in its own virtual environment) logs in, opens a dossier,
fires a step with a typed payload, and gets a 409 and a 422 back as typed problem details; the receiving
unit reads the step's notice in its inbox and acknowledges it."""

from __future__ import annotations

import importlib
import io
import json
import os
import pkgutil
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import uvicorn

from api.app import create_app
from config.settings import Settings
from documents.issue import Issuer, issue_batch
from states.outbox_drain import drain_outbox
from states.procedures import Rulebook
from states.store.database import Database
from states.store.migrate import upgrade
from tests.api.test_api import POSITIVE, subject
from tests.conftest import PASSWORD, World, build_world
from tests.states.test_targets import GOOD as TARGET_TABLE
from tests.states.test_targets import _csv as target_csv

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / ".venv-openapi-client" / "bin" / "openapi-python-client"
PACKAGE = "hoso_generated_client"


@dataclass(frozen=True)
class Served:
    url: str
    world: World
    documents_dir: Path


@pytest.fixture
def server(tmp_path: Path, rulebook: Rulebook) -> Iterator[Served]:
    """The real app under uvicorn on a free localhost port, on a migrated SQLite file."""
    url = f"sqlite:///{tmp_path / 'hoso.sqlite3'}"
    upgrade(url)
    db = Database(url)
    world = build_world(db, rulebook, datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    settings = Settings(
        environment="test",
        secret_key="test-secret-key-of-at-least-thirty-two-chars",
        documents_dir=tmp_path / "van-ban",
    )
    app = create_app(settings, clock=world.clock, db=db, rulebook=rulebook)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    uvicorn_server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=uvicorn_server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uvicorn_server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        assert thread.is_alive(), "uvicorn stopped"
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", world, settings.documents_dir)
    finally:
        uvicorn_server.should_exit = True
        thread.join(timeout=20)
        sock.close()
        db.dispose()


def _generate(base_url: str, workdir: Path) -> ModuleType:
    if not GENERATOR.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{GENERATOR} is missing: `make test` installs it (target client-generator)")
        pytest.skip("openapi-python-client is not installed: run `make client-generator`")
    document = workdir / "openapi.json"
    document.write_text(json.dumps(httpx.get(f"{base_url}/openapi.json", timeout=10).json()), encoding="utf-8")
    config = workdir / "generator.json"
    # A .docx, .xlsx or .pdf download, or a chart, is plain bytes to a generated client.
    binary = {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "application/octet-stream",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "application/octet-stream",
        "image/svg+xml": "application/octet-stream",
        "image/png": "application/octet-stream",
        "application/pdf": "application/octet-stream",
    }
    settings = {"package_name_override": PACKAGE, "post_hooks": [], "content_type_overrides": binary}
    config.write_text(json.dumps(settings), encoding="utf-8")
    output = workdir / "generated" / PACKAGE
    command = [str(GENERATOR), "generate", "--path", str(document), "--meta", "none"]
    command += ["--output-path", str(output), "--config", str(config), "--fail-on-warning"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]
    sys.path.insert(0, str(output.parent))
    importlib.invalidate_caches()
    return importlib.import_module(PACKAGE)


def _operation(package: ModuleType, operation_id: str) -> Any:
    """The module of an operation (the generator groups them in packages named after the tags)."""
    api = importlib.import_module(f"{package.__name__}.api")
    for group in pkgutil.iter_modules(api.__path__):
        for module in pkgutil.iter_modules([str(Path(api.__path__[0]) / group.name)]):
            if module.name == operation_id:
                return importlib.import_module(f"{api.__name__}.{group.name}.{module.name}")
    raise AssertionError(f"no generated module for {operation_id}")


def test_a_generated_client_logs_in_opens_fires_and_reads_problems(server: Served, tmp_path: Path) -> None:
    client_package = _generate(server.url, tmp_path)
    try:
        dossier_id = _exercise(client_package, server.url)
        _exercise_notices(client_package, server, dossier_id)
        _exercise_documents(client_package, server, dossier_id)
        _exercise_targets(client_package, server)
    finally:
        sys.path.remove(str(tmp_path / "generated"))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]
    shutil.rmtree(tmp_path / "generated", ignore_errors=True)


def _exercise(package: ModuleType, base_url: str) -> str:
    models = importlib.import_module(f"{package.__name__}.models")
    login = _operation(package, "login")
    open_dossier = _operation(package, "open_dossier")
    fire_event = _operation(package, "fire_event")

    anonymous = package.Client(base_url=base_url, raise_on_unexpected_status=True)
    refused = login.sync(client=anonymous, body=models.BodyLogin(username="police", password="sai-mat-khau"))
    assert isinstance(refused, models.ProblemDetails)
    assert (refused.status, refused.code) == (401, "authentication")

    token = login.sync(client=anonymous, body=models.BodyLogin(username="police", password=PASSWORD))
    assert isinstance(token, models.TokenOut)
    client = package.AuthenticatedClient(base_url=base_url, token=token.access_token, raise_on_unexpected_status=True)

    body = models.DossierCreate(procedure="addiction_determination", subject=models.SubjectIn.from_dict(subject()))
    opened = open_dossier.sync_detailed(client=client, body=body)
    assert opened.status_code == 201, opened.content
    dossier = opened.parsed
    assert isinstance(dossier, models.DossierOut)
    assert dossier.version == 1

    action = next(action for action in dossier.actions if action.event == "test_positive")
    payload_type = getattr(models, str(action.payload_schema))
    assert sorted(action.required) == sorted(POSITIVE)
    payload = payload_type.from_dict(POSITIVE)
    assert isinstance(payload.tested_at, datetime)
    fired = fire_event.sync(
        client=client,
        dossier_id=dossier.id,
        body=models.EventIn(event="test_positive", expected_version=1, payload=payload),
    )
    assert isinstance(fired, models.DossierOut), fired
    assert (fired.state, fired.version) == ("user_confirmed", 2)

    stale = fire_event.sync(
        client=client,
        dossier_id=dossier.id,
        body=models.EventIn(event="test_positive", expected_version=1, payload=payload),
    )
    assert isinstance(stale, models.ConflictProblem), stale
    assert (stale.status, stale.code, stale.current_version) == (409, "stale_version", 2)

    step = next(action for action in fired.actions if action.required)
    empty = models.EmptyPayload()
    bad = fire_event.sync(
        client=client,
        dossier_id=dossier.id,
        body=models.EventIn(event=step.event, expected_version=2, payload=empty),
    )
    assert isinstance(bad, models.ProblemDetails), bad
    assert (bad.status, bad.code) == (422, "payload")
    assert {problem.field for problem in bad.problems} == {f"payload.{name}" for name in step.required}
    return str(dossier.id)


def _login(package: ModuleType, base_url: str, username: str) -> Any:
    models = importlib.import_module(f"{package.__name__}.models")
    anonymous = package.Client(base_url=base_url, raise_on_unexpected_status=True)
    token = _operation(package, "login").sync(
        client=anonymous, body=models.BodyLogin(username=username, password=PASSWORD)
    )
    assert isinstance(token, models.TokenOut)
    return package.AuthenticatedClient(base_url=base_url, token=token.access_token, raise_on_unexpected_status=True)


def _exercise_notices(package: ModuleType, served: Served, dossier_id: str) -> None:
    """The police hand the user to management: the commune chair reads the notice and acknowledges it."""
    models = importlib.import_module(f"{package.__name__}.models")
    fire_event = _operation(package, "fire_event")
    list_notices = _operation(package, "list_notices")
    acknowledge_notice = _operation(package, "acknowledge_notice")
    police = _login(package, served.url, "police")
    payload_type = models.AddictionDetermination20220101StatusCheckedPayload
    payload = payload_type.from_dict({"art27_case": "none", "penal_256a_window": "none"})
    body = models.EventIn(event="status_checked", expected_version=2, payload=payload)
    fired = fire_event.sync(client=police, dossier_id=dossier_id, body=body)
    assert isinstance(fired, models.DossierOut), fired
    world = served.world
    drain_outbox(world.engine, world.actors["system"], worker="generated-client")

    chair = _login(package, served.url, "chair")
    [notice] = list_notices.sync(client=chair, unacknowledged=True)
    assert isinstance(notice, models.NoticeOut)
    assert (notice.kind, notice.dossier_id, notice.acknowledged_at) == ("dossier_notice", dossier_id, None)
    acknowledged = acknowledge_notice.sync(client=chair, notice_id=notice.id)
    assert isinstance(acknowledged, models.NoticeOut), acknowledged
    assert (acknowledged.acknowledged_by, acknowledged.acknowledged_at) == ("chair", world.clock.now().isoformat())
    assert list_notices.sync(client=chair, unacknowledged=True) == []

    foreign = acknowledge_notice.sync(client=police, notice_id=notice.id)
    assert isinstance(foreign, models.ProblemDetails), foreign
    assert (foreign.status, foreign.code) == (404, "not_found")
    too_many = list_notices.sync(client=chair, limit=10000)
    assert isinstance(too_many, models.ProblemDetails), too_many
    assert (too_many.status, too_many.field) == (422, "limit")


def _exercise_documents(package: ModuleType, served: Served, dossier_id: str) -> None:
    """The test result issued by the flow: listed and its slip read by the police, checked by anyone by its
    code; its PDF is not made yet, which the client is told in a problem."""
    models = importlib.import_module(f"{package.__name__}.models")
    world = served.world
    issuer = Issuer.create(world.db, world.rulebook, served.documents_dir)
    issued = issue_batch(issuer, worker="generated-client", now=world.clock.now(), batch_size=20)
    assert issued and {outcome.outcome for outcome in issued} == {"issued"}
    police = _login(package, served.url, "police")
    listed = _operation(package, "list_dossier_documents").sync(client=police, dossier_id=dossier_id)
    assert isinstance(listed, list) and listed and isinstance(listed[0], models.DocumentOut), listed
    result = next(document for document in listed if document.form_code == "nd105.m03")
    assert result.pdf_status == models.DocumentOutPdfStatus.PENDING and result.number_symbol == "01/KQ-CAX"
    slip = _operation(package, "download_control_slip").sync_detailed(client=police, dossier_id=dossier_id)
    assert slip.status_code == 200 and slip.content.startswith(b"PK")
    pdf = _operation(package, "download_document_pdf").sync(client=police, document_id=result.id)
    assert isinstance(pdf, models.ProblemDetails) and pdf.status == 409 and "PDF" in pdf.detail
    anonymous = package.Client(base_url=served.url, raise_on_unexpected_status=True)
    checked = _operation(package, "verify_document_code").sync(client=anonymous, code=result.verification_code)
    assert isinstance(checked, models.DocumentVerificationOut) and checked.valid is True
    assert checked.document is not None and checked.document.number_symbol == "01/KQ-CAX"


def _exercise_targets(package: ModuleType, server: Served) -> None:
    """A province checks a target table through the generated client: the file goes as a file part, and the
    answer lists each problem with its cell; the indicators and the plan report are read back."""
    models = importlib.import_module(f"{package.__name__}.models")
    types = importlib.import_module(f"{package.__name__}.types")
    client = _login(package, server.url, "pc04")
    table = [row[:] for row in TARGET_TABLE]
    table[3][5] = "51"
    body = models.BodyImportTargets(
        file=types.File(payload=io.BytesIO(target_csv(table)), file_name="chi-tieu.csv", mime_type="text/csv"),
        year=2026,
        source="Kế hoạch số 45/KH-UBND",
        dry_run=True,
    )
    checked = _operation(package, "import_targets").sync(client=client, body=body)
    assert isinstance(checked, models.TargetImportOut), checked
    assert checked.saved is False and {p.cell for p in checked.problems} >= {"F4"}
    indicators = _operation(package, "list_indicators").sync(client=client)
    assert isinstance(indicators, list) and any(i.code == "drug_users_under_management" for i in indicators)
    missing = _operation(package, "get_plan_report").sync(client=client, period="2026")
    assert isinstance(missing, models.ProblemDetails) and missing.status == 404
