"""Roles resolve through the dated regime table: a step done after a reform belongs to the successor."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import insert

from config import CONFIG_DIR
from states.accounts import actor_by_username, create_unit, create_user
from states.errors import InvalidInputError, PermissionDeniedError
from states.procedures import Rulebook, load_rulebook
from states.store.database import Database
from states.store.tables import units
from tests.conftest import PASSWORD, World, build_world

SOURCE = CONFIG_DIR / "procedures" / "addiction_determination" / "2022-01-01.yaml"


@pytest.mark.parametrize(
    ("role", "on", "holders"),
    [
        ("district_police", date(2025, 2, 28), {"district_police"}),
        ("district_police", date(2025, 3, 1), {"commune_police", "police_unit"}),
        ("district_court", date(2025, 6, 30), {"district_court"}),
        ("district_court", date(2025, 7, 1), {"regional_court"}),
        ("district_chair", date(2025, 7, 1), {"provincial_chair", "provincial_police_director"}),
        ("district_procuracy", date(2026, 7, 1), {"regional_procuracy"}),
        ("medical_examiner", date(2024, 1, 1), {"health_facility"}),
    ],
)
def test_role_successors(rulebook: Rulebook, role: str, on: date, holders: set[str]) -> None:
    assert rulebook.regimes.resolve(role, on) == holders


def test_regime_by_date(rulebook: Rulebook) -> None:
    keys = [rulebook.regimes.regime_at(day).key for day in (date(2022, 1, 1), date(2025, 3, 1), date(2025, 7, 1))]
    assert keys == ["VN2021", "VN2025A", "VN2025B"]
    assert rulebook.regimes.regime_at(date(2026, 11, 25)).key == "VN2026"
    with pytest.raises(InvalidInputError):
        rulebook.regimes.regime_at(date(2021, 12, 31))


def test_no_new_district_units(world: World) -> None:
    with pytest.raises(InvalidInputError, match="huyện"), world.db.transaction() as repo:
        create_unit(repo, world.rulebook.regimes, code="CAH-1", name="x", kind="district_police")


@pytest.fixture
def district_rulebook(tmp_path: Path) -> Rulebook:
    """The real procedure, with the test step reserved to the (2021) district police."""
    data = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    for transition in data["transitions"]:
        if transition["event"] == "test_positive":
            transition["roles"] = ["district_police"]
    data["states"]["opened"]["tasks"][0]["role"] = "district_police"
    target = tmp_path / "addiction_determination"
    target.mkdir()
    (target / "2022-01-01.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    shutil.copy(CONFIG_DIR / "procedures" / "addiction_determination" / "2026-07-01.yaml", target)
    return load_rulebook(CONFIG_DIR, procedures_dir=tmp_path)


def test_a_step_after_the_reform_is_owned_by_the_successor(db: Database, district_rulebook: Rulebook) -> None:
    world = build_world(db, district_rulebook, datetime(2025, 2, 20, 2, 0, tzinfo=UTC))
    with db.engine.begin() as conn:  # a unit that existed until 28/02/2025
        conn.execute(
            insert(units).values(
                code="CAH-001-01", name="Công an quận Hoàn Kiếm", kind="district_police", province_code="01"
            )
        )
    with db.transaction() as repo:
        create_user(
            repo,
            district_rulebook.regimes,
            username="district",
            password=PASSWORD,
            full_name="Cán bộ Công an quận",
            role="district_police",
            unit_code="CAH-001-01",
            now=world.clock.now(),
        )
    with db.reading() as repo:
        world.actors["district"] = actor_by_username(repo, "district")
    payload = {"tested_at": "2025-02-20T08:00:00+07:00", "test_ground": "drug_traces", "sample_type": "urine"}
    pending = world.open()
    assert pending.view()["tasks"][0]["holder_roles"] == ["district_police"]
    before = world.open()
    with pytest.raises(PermissionDeniedError, match="Công an cấp huyện"):
        before.fire("police", "test_positive", {**payload, "substances": "Heroin"})
    before.fire("district", "test_positive", {**payload, "substances": "Heroin"})

    world.at("2025-03-03T09:00:00+07:00")  # VN2025A: district police abolished on 01/03/2025
    # The task opened in February passes to the successors; the closed one keeps its historical holder.
    assert pending.view()["tasks"][0]["holder_roles"] == ["commune_police", "police_unit"]
    assert before.view()["tasks"][0]["holder_roles"] == ["district_police"]
    pending.fire("police", "test_positive", {**payload, "substances": "Heroin"})
    after = world.open()
    assert after.view()["procedure_version"] == "2022-01-01"
    assert "test_positive" in [action["event"] for action in after.view("police")["actions"]]
    with pytest.raises(PermissionDeniedError):
        after.fire("district", "test_positive", {**payload, "substances": "Heroin"})
    after.fire("police", "test_positive", {**payload, "tested_at": "2025-03-03T08:00:00+07:00", "substances": "Heroin"})
    assert after.view()["history"][-1]["regime"] == "VN2025A"
    # Who may record a step is decided on the day it is recorded; its regime by the day of the fact.
    assert pending.view()["history"][-1]["regime"] == "VN2021"
