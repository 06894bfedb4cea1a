"""Shared fixtures: a migrated database on SQLite and (when configured) PostgreSQL, and a small world of
units and officers around Phường Hoàn Kiếm (00070), Hà Nội."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url

from config import CONFIG_DIR
from states import accounts
from states.accounts import actor_by_username, create_unit, create_user
from states.actors import Actor
from states.clock import FixedClock
from states.engine import DossierEngine, FireResult, SubjectInput
from states.procedures import Rulebook, load_rulebook
from states.store.database import Database
from states.store.migrate import fresh_database, upgrade
from states.store.tables import metadata
from states.sweep import SweepOutcome, sweep_due_deadlines
from states.views import dossier_view
from tests.factories import SubjectFactory

POSTGRES_URL = os.environ.get("HOSO_TEST_POSTGRES_URL")
# Commands run in-process by the tests issue documents and make keys: never into the checkout's var/.
_SCRATCH = Path(tempfile.mkdtemp(prefix="hoso-tests-"))
os.environ.setdefault("HOSO_DOCUMENTS_DIR", str(_SCRATCH / "documents"))
os.environ.setdefault("HOSO_SIGNING_KEYS_DIR", str(_SCRATCH / "pki"))
os.environ.setdefault("HOSO_SIGNING_TRUST_ROOTS", json.dumps([str(_SCRATCH / "pki" / "ca.cert.pem")]))
os.environ.setdefault("HOSO_CHECKPOINT_KEY_FILE", str(_SCRATCH / "pki" / "history-checkpoint.key.pem"))
BACKENDS = ("sqlite", "postgresql")
PASSWORD = "mat-khau-thu-nghiem"


@contextmanager
def as_administrator(world: World) -> Iterator[Connection]:
    """A connection as the database's owner would use it to forge: on PostgreSQL with the append-only triggers
    set aside (superuser), on SQLite simply the file."""
    with world.db.engine.begin() as conn:
        if world.db.backend == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        yield conn


def empty_all_tables(conn: Connection) -> None:
    """Empty every table of the schema between tests, as the database's owner would: the append-only guards of
    history, task events and checkpoints are set aside for this cleanup only (superuser-only setting)."""
    names = ", ".join(table.name for table in metadata.sorted_tables)
    conn.execute(text("SET LOCAL session_replication_role = replica"))
    conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


UNITS: tuple[dict[str, Any], ...] = (
    {"code": "HT", "name": "Hệ thống", "kind": "national"},
    {"code": "CAX-00070", "name": "Công an phường Hoàn Kiếm", "kind": "commune_police", "commune_code": "00070"},
    {"code": "UBX-00070", "name": "UBND phường Hoàn Kiếm", "kind": "commune_committee", "commune_code": "00070"},
    {"code": "CAX-00004", "name": "Công an phường Ba Đình", "kind": "commune_police", "commune_code": "00004"},
    {"code": "CAT-01", "name": "Công an thành phố Hà Nội", "kind": "provincial_police", "province_code": "01"},
    {"code": "YT-01-01", "name": "Cơ sở y tế số 1", "kind": "health_facility", "province_code": "01"},
    {"code": "YT-01-02", "name": "Cơ sở y tế số 2", "kind": "health_facility", "province_code": "01"},
    {"code": "YT-79-01", "name": "Cơ sở y tế TP.HCM", "kind": "health_facility", "province_code": "79"},
)
OTHER_COMMITTEE = {
    "code": "UBX-00004",
    "name": "UBND phường Ba Đình",
    "kind": "commune_committee",
    "commune_code": "00004",
}
"""The People's Committee of the commune next door (a person moves there)."""
OFFICERS = {
    "police": ("commune_police", "CAX-00070"),
    "chief": ("custody_officer", "CAX-00070"),
    "chair": ("commune_chair", "UBX-00070"),
    "other_police": ("commune_police", "CAX-00004"),
    "pc04": ("police_unit", "CAT-01"),
    "clerk": ("health_facility", "YT-01-01"),
    "doctor": ("physician", "YT-01-01"),
    "head": ("facility_head", "YT-01-01"),
    "other_clerk": ("health_facility", "YT-01-02"),
    "hcm_clerk": ("health_facility", "YT-79-01"),
    "system": ("system", "HT"),
    "admin": ("admin", "HT"),
}


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2 at production cost would dominate the suite; the verification logic is the same."""
    original = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    accounts._hasher = original


@pytest.fixture(scope="session")
def rulebook() -> Rulebook:
    return load_rulebook(CONFIG_DIR)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


def worker_database(url: str) -> str:
    """The database of this pytest-xdist worker: ``<name>_gw0``… beside the one configured, created on first
    use, so parallel workers never truncate each other's tables. Without xdist, the configured one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    configured = make_url(url)
    name = f"{configured.database}_{worker}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first()
            if exists is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return configured.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_migrated() -> str:
    if not POSTGRES_URL:
        pytest.skip("HOSO_TEST_POSTGRES_URL is not set")
    url = worker_database(POSTGRES_URL)
    fresh_database(url).dispose()
    return url


@pytest.fixture
def sqlite_db(sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty SQLite database (for large scenario tables that need not run on both backends)."""
    path = tmp_path / "hoso.sqlite3"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "hoso.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        database = Database(f"sqlite:///{path}")
    else:
        url = request.getfixturevalue("postgres_migrated")
        database = Database(url, pool_size=20, max_overflow=10)
        with database.engine.begin() as conn:
            empty_all_tables(conn)
    yield database
    database.dispose()


@dataclass
class World:
    db: Database
    rulebook: Rulebook
    clock: FixedClock
    actors: dict[str, Actor] = field(default_factory=dict)

    @property
    def engine(self) -> DossierEngine:
        # A new engine every time: nothing about a dossier may survive in memory between steps.
        return DossierEngine(self.rulebook, self.db, self.clock)

    def at(self, moment: str) -> None:
        self.clock.set(datetime.fromisoformat(moment))

    def open(
        self,
        opener: str = "police",
        procedure: str = "addiction_determination",
        *,
        occurred_on: date | None = None,
        idempotency_key: str | None = None,
        **subject: Any,
    ) -> Dossier:
        made: SubjectInput = SubjectFactory(**subject)
        dossier_id = self.engine.open_dossier(
            self.actors[opener], procedure, made, occurred_on=occurred_on, idempotency_key=idempotency_key
        )
        return Dossier(self, dossier_id)

    def sweep(self) -> list[SweepOutcome]:
        """Run the deadline sweep as the ``system`` officer and record, from the database, what it fired."""
        outcomes = sweep_due_deadlines(self.engine, self.actors["system"])
        for dossier_id in {outcome.dossier_id for outcome in outcomes if outcome.fired}:
            Dossier(self, dossier_id).record_history()
        return outcomes


@dataclass
class Dossier:
    world: World
    id: str

    def view(self, who: str = "police") -> dict[str, Any]:
        with self.world.db.reading() as repo:
            return dossier_view(repo, self.world.rulebook, self.id, self.world.actors[who], self.world.clock.now())

    def saved(self) -> dict[str, Any]:
        """The dossier as stored, read by the ``system`` identity (which sees confidential dossiers too)."""
        return self.view(INSPECTOR)

    def fire(self, who: str, event: str, payload: dict[str, Any] | None = None) -> FireResult:
        """Fire on the version stored in the database, then reload and check what was saved."""
        before = self.saved()
        result = self.world.engine.fire(self.world.actors[who], self.id, event, payload or {}, before["version"])
        after = self.saved()
        assert after["version"] == before["version"] + 1 == result.version
        assert after["state"] == result.state
        last = after["history"][-1]
        assert (last["event"], last["seq"], last["to_state"]) == (event, result.version, result.state)
        record_transition(after, last)
        preview_documents(self.world, self.id, {result.version})
        return result

    def record_history(self) -> None:
        """Record every step of the stored history (for steps fired outside ``fire``, e.g. by the sweep)."""
        saved = self.saved()
        for entry in saved["history"][1:]:
            record_transition(saved, entry)
        preview_documents(self.world, self.id, {entry["seq"] for entry in saved["history"]})

    @property
    def state(self) -> str:
        return str(self.saved()["state"])

    def open_tasks(self) -> list[tuple[str, str]]:
        return [(t["role"], t["state"]) for t in self.saved()["tasks"] if t["status"] == "open"]

    def deadlines(self, status: str | None = None) -> dict[str, dict[str, Any]]:
        return {d["rule_id"]: d for d in self.saved()["deadlines"] if status is None or d["status"] == status}

    def outbox(self) -> list[dict[str, Any]]:
        with self.world.db.reading() as repo:
            return repo.outbox(self.id)


def build_world(db: Database, rulebook: Rulebook, at: datetime) -> World:
    return add_officers(World(db=db, rulebook=rulebook, clock=FixedClock(at)), OFFICERS, units=UNITS)


def add_officers(
    world: World,
    officers: Mapping[str, tuple[str, str]],
    *,
    units: Iterable[Mapping[str, Any]] = (),
    historical_units: Iterable[Mapping[str, Any]] = (),
    at: datetime | None = None,
) -> World:
    """Units and officers (username → role, unit) added to the world, all with the test password.

    ``historical_units`` are units of kinds abolished by the 2025 reforms (district police, courts,
    procuracies, labour offices), which ``create_unit`` refuses to create anew: they are stored as they
    existed, in province 01 unless said otherwise."""
    with world.db.transaction() as repo:
        for unit in units:
            create_unit(repo, world.rulebook.regimes, **unit)
        for unit in historical_units:
            repo.insert_unit(**{"commune_code": None, "province_code": "01", **unit})
        for username, (role, unit_code) in officers.items():
            create_user(
                repo,
                world.rulebook.regimes,
                username=username,
                password=PASSWORD,
                full_name=username,
                role=role,
                unit_code=unit_code,
                now=at or world.clock.now(),
            )
    with world.db.reading() as repo:
        world.actors.update({username: actor_by_username(repo, username) for username in officers})
    return world


WORLD_START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
"""Monday 02/03/2026, 08:00 in Hà Nội."""


@pytest.fixture
def world(db: Database, rulebook: Rulebook) -> World:
    return build_world(db, rulebook, WORLD_START)


@pytest.fixture
def sqlite_world(sqlite_db: Database, rulebook: Rulebook) -> World:
    """The same world on SQLite only."""
    return build_world(sqlite_db, rulebook, WORLD_START)


# -- transition coverage -----------------------------------------------------------------------------------
#
# Every successful step fired through ``Dossier.fire`` (or recorded from the stored history after a sweep)
# is collected here, read back from the database. When the whole scenario suite ran, the session fails if
# an edge of a loaded procedure version was never fired.

Edge = tuple[str, str, str, str, str]
"""(procedure code, procedure version, from state, event, to state)."""

FIRED: set[Edge] = set()
INSPECTOR = "system"
COVERAGE_FILES = (
    "tests/states/test_addiction_determination.py",
    "tests/states/test_transition_coverage.py",
)


def record_transition(saved: dict[str, Any], entry: dict[str, Any]) -> None:
    FIRED.add((saved["procedure"], saved["procedure_version"], entry["from_state"], entry["event"], entry["to_state"]))


def all_edges(rulebook: Rulebook) -> set[Edge]:
    return {
        (compiled.definition.code, compiled.definition.version, source, transition.event, dest)
        for compiled in rulebook.all_versions()
        for source, dest, transition in compiled.definition.edges()
    }


def _whole_suite_ran(session: pytest.Session) -> bool:
    option = session.config.option
    if getattr(option, "keyword", "") or getattr(option, "markexpr", "") or getattr(option, "lf", False):
        return False
    if session.shouldstop or session.shouldfail or getattr(option, "deselect", None):
        return False
    if any("::" in str(arg) for arg in session.config.args):
        return False
    collected = {item.nodeid.split("::", 1)[0] for item in session.items}
    return all(path in collected for path in COVERAGE_FILES)


# -- form coverage -----------------------------------------------------------------------------------------
#
# The first time a step of any test requests a form, the document it asks for is rendered (as a preview:
# no number, nothing written) from that test's dossier and read back against the NĐ 30 checklist. When the
# whole suite ran, the session fails if a form of the catalogue was never rendered this way.
# HOSO_TEST_DOCUMENT_DUMP=<dir> also writes each preview there as <form>.docx and <form>.txt.

RENDERED: set[str] = set()


def preview_documents(world: World, dossier_id: str, seqs: set[int]) -> None:
    from documents.issue import Issuer
    from tests.documents.readback import read_back

    with world.db.reading() as repo:
        requests = [
            row
            for row in repo.outbox(dossier_id)
            if row["kind"] == "document" and row["history_seq"] in seqs and row["payload"]["form"] not in RENDERED
        ]
        if not requests:
            return
        dossier = repo.dossier(dossier_id)
        assert dossier is not None
        person = repo.person(dossier["person_id"])
    issuer = Issuer.create(world.db, world.rulebook, Path("/nonexistent-preview-only"))
    dump = os.environ.get("HOSO_TEST_DOCUMENT_DUMP")
    for row in requests:
        form_code = row["payload"]["form"]
        data = issuer.preview(row["id"])
        citizen = issuer.rules.kind_of(world.rulebook.forms.forms[form_code].title_vi).citizen
        if dump:
            Path(dump).mkdir(parents=True, exist_ok=True)
            (Path(dump) / f"{form_code}.docx").write_bytes(data)
        read_back(data, citizen=citizen, person_name=str(person["full_name"]))
        RENDERED.add(form_code)


# Under pytest-xdist each worker runs part of the suite: it hands what it fired (and whether it collected the
# whole suite) to the controller, which checks the union.
_WORKERS_WHOLE: list[bool] = []


def pytest_testnodedown(node: Any, error: Any) -> None:
    output = getattr(node, "workeroutput", {})
    FIRED.update(tuple(edge) for edge in output.get("fired", []))
    RENDERED.update(output.get("rendered", []))
    _WORKERS_WHOLE.append(bool(output.get("whole_suite")) and error is None)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["fired"] = sorted(FIRED)
        workeroutput["rendered"] = sorted(RENDERED)
        workeroutput["whole_suite"] = _whole_suite_ran(session)
        return
    if _WORKERS_WHOLE:
        if not all(_WORKERS_WHOLE) or session.shouldstop or session.shouldfail:
            return
    elif not _whole_suite_ran(session):
        return
    rulebook = load_rulebook(CONFIG_DIR)
    missing = sorted(all_edges(rulebook) - FIRED)
    unrendered = sorted(set(rulebook.forms.forms) - RENDERED)
    if not missing and not unrendered:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"TRANSITION COVERAGE: {len(missing)} transition(s) never fired by a test:"] if missing else []
    lines += [f"  {code} {version}: {source} --{event}--> {dest}" for code, version, source, event, dest in missing]
    if unrendered:
        lines.append(f"FORM COVERAGE: {len(unrendered)} form(s) never rendered from a test's dossier:")
        lines += [f"  {code}" for code in unrendered]
    if reporter is not None:
        reporter.ensure_newline()
    for line in lines:
        if reporter is not None:
            reporter.write_line(line, red=True)
        else:
            print(line)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
