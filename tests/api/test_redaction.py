"""Health data in a dossier is shown to the roles that need it to act, and hidden from the others who may see
the dossier: a commune chair and the system administrator read that a value is hidden, not the value."""

from __future__ import annotations

from fastapi.testclient import TestClient

from states.redaction import redaction_rules
from tests.api.test_api import client, login
from tests.conftest import World
from tests.states.test_custody import POSITIVE

__all__ = ["client"]
HIDDEN = "[đã ẩn: dữ liệu sức khỏe]"


def test_the_rules_name_only_roles_that_exist(world: World) -> None:
    rules = redaction_rules()
    rules.check(world.rulebook.regimes)
    assert "substances" in rules.hidden_fields("commune_chair")
    assert rules.hidden_fields("physician") == {}


def test_health_data_is_hidden_from_roles_that_do_not_need_it(client: TestClient, world: World) -> None:
    dossier = world.open()
    dossier.fire("police", "test_positive", {**POSITIVE, "substances": "Heroin"})
    payload_of = {}
    for who in ("police", "chair", "admin"):
        view = client.get(f"/api/v1/dossiers/{dossier.id}", headers=login(client, who))
        assert view.status_code == 200, view.text
        (step,) = [row for row in view.json()["history"] if row["event"] == "test_positive"]
        payload_of[who] = step["payload"]
    assert payload_of["police"]["substances"] == "Heroin" and payload_of["police"]["sample_type"] == "urine"
    for who in ("chair", "admin"):
        assert payload_of[who]["substances"] == HIDDEN and payload_of[who]["sample_type"] == HIDDEN
        assert payload_of[who]["tested_at"] == payload_of["police"]["tested_at"]  # not health data
        assert "Heroin" not in str(payload_of[who])
    verified = client.get(f"/api/v1/dossiers/{dossier.id}/history/verify", headers=login(client, "chair"))
    assert verified.json()["valid"] is True  # the stored history is whole; only the answer hides values
