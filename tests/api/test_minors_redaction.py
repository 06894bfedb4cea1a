"""A minor's identity is read in full only by the roles that act in a minor's case; the others who may see the
dossier (the system administrator here) read initials, the birth year and the last digits of the identity
number, in every answer that names the person. A stored document holding data a role may not read (a minor's
case, or health data) is refused to that role: a signed file cannot be redacted."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from fastapi.testclient import TestClient

from config import CONFIG_DIR
from documents.bodies import form_bodies
from documents.issue import Issuer, pending_requests
from states.redaction import RedactionRules, redaction_rules
from tests.api.test_api import login
from tests.api.test_documents import client, documents_dir
from tests.conftest import World
from tests.states.test_custody import POSITIVE, held

__all__ = ["client", "documents_dir"]
PURPOSE = {"purpose": "Thụ lý hồ sơ số 12"}
NAME = "Trần Văn Nhỏ"


def _issue_all(world: World, documents_dir: Path) -> None:
    issuer = Issuer.create(world.db, world.rulebook, documents_dir)
    now = world.clock.now()
    for outbox_id in pending_requests(world.db, worker="thu-nghiem", now=now, lease_seconds=60, limit=50):
        assert issuer.issue(outbox_id, now).outcome == "issued"


def _documents(client: TestClient, dossier_id: str) -> dict[str, int]:
    listed = client.get(f"/api/v1/dossiers/{dossier_id}/documents", params=PURPOSE, headers=login(client, "police"))
    assert listed.status_code == 200, listed.text
    return {row["form_code"]: row["id"] for row in listed.json()}


def test_a_minors_identity_is_initials_for_a_role_that_does_not_act_in_the_case(
    client: TestClient, world: World, documents_dir: Path
) -> None:
    minor = world.open(full_name=NAME, date_of_birth=date(2010, 5, 1))
    minor.fire("police", "test_positive", {**POSITIVE, "substances": "Heroin"})
    _issue_all(world, documents_dir)
    police, admin = login(client, "police"), login(client, "admin")
    full = client.get(f"/api/v1/dossiers/{minor.id}", params=PURPOSE, headers=police).json()["subject"]
    assert full["full_name"] == NAME and full["date_of_birth"] == "2010-05-01"
    number = full["id_number"]

    masked = {"full_name": "T. V. N.", "date_of_birth": "2010", "id_number": "********" + number[-4:]}
    view = client.get(f"/api/v1/dossiers/{minor.id}", params=PURPOSE, headers=admin)
    assert view.status_code == 200, view.text
    assert {k: view.json()["subject"][k] for k in masked} == masked
    listed = client.get("/api/v1/dossiers", params=PURPOSE, headers=admin).json()["items"]
    assert [item["person"] for item in listed if item["id"] == minor.id] == [masked]
    found = client.get("/api/v1/persons", params={"name": "tran van nho", **PURPOSE}, headers=admin).json()["items"]
    assert [{k: p[k] for k in masked} for p in found] == [masked]
    case = client.get(f"/api/v1/persons/{number}/case", params=PURPOSE, headers=admin).json()
    assert (case["full_name"], case["date_of_birth"]) == ("T. V. N.", "2010")
    for answer in (view.text, str(listed), str(found), str(case)):
        assert NAME not in answer and "2010-05-01" not in answer

    slip = client.get(f"/api/v1/dossiers/{minor.id}/control-slip", params=PURPOSE, headers=admin)
    text = "\n".join(p.text for p in Document(io.BytesIO(slip.content)).paragraphs)
    tables = " ".join(cell.text for t in Document(io.BytesIO(slip.content)).tables for r in t.rows for cell in r.cells)
    assert "T. V. N." in text + tables and NAME not in text + tables

    (document_id,) = _documents(client, minor.id).values()
    assert client.get(f"/api/v1/documents/{document_id}/file", params=PURPOSE, headers=police).status_code == 200
    refused = client.get(f"/api/v1/documents/{document_id}/file", params=PURPOSE, headers=admin)
    assert refused.status_code == 403
    assert "thông tin nhận dạng người chưa thành niên" in refused.json()["detail"] and NAME not in refused.text
    reads = client.get("/api/v1/audit/reads", params={"dossier": minor.id}, headers=login(client, "chief")).json()
    assert not [r for r in reads if r["kind"] == "document" and r["username"] == "admin"]


def test_an_adults_identity_is_shown_whole_to_the_same_role(client: TestClient, world: World) -> None:
    adult = world.open()
    view = client.get(f"/api/v1/dossiers/{adult.id}", headers=login(client, "admin")).json()["subject"]
    assert "." not in view["full_name"] and len(view["date_of_birth"]) == 10 and "*" not in view["id_number"]


def test_a_document_holding_health_data_is_refused_to_a_role_that_may_not_read_it(
    client: TestClient, world: World, documents_dir: Path
) -> None:
    dossier = held(world)
    _issue_all(world, documents_dir)
    ids = _documents(client, dossier.id)
    chair, police = login(client, "chair"), login(client, "police")
    assert client.get(f"/api/v1/documents/{ids['nd105.m03']}/file", headers=police).status_code == 200
    refused = client.get(f"/api/v1/documents/{ids['nd105.m03']}/pdf", headers=chair)
    assert refused.status_code == 403 and "dữ liệu sức khỏe" in refused.json()["detail"]
    # The custody order holds no health data: the chair may read it.
    assert client.get(f"/api/v1/documents/{ids['xlvphc.tam_giu']}/file", headers=chair).status_code == 200


def test_the_task_lists_name_a_minor_by_initials_for_a_role_that_does_not_act(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    minor = world.open(full_name=NAME, date_of_birth=date(2010, 5, 1))
    police = login(client, "police")
    queue = client.get("/api/v1/tasks/queue", headers=police).json()["items"]
    assert {t["person_name"] for t in queue if t["dossier_id"] == minor.id} == {NAME}
    rules = redaction_rules().model_dump()
    minors = rules["classes"]["minor_identity"]
    minors["roles"] = tuple(role for role in minors["roles"] if role != "commune_police")
    narrowed = RedactionRules.model_validate(rules)
    monkeypatch.setattr("states.taskdesk.redaction_rules", lambda: narrowed)
    queue = client.get("/api/v1/tasks/queue", headers=police).json()["items"]
    assert {t["person_name"] for t in queue if t["dossier_id"] == minor.id} == {"T. V. N."}


def test_every_role_acting_in_a_procedure_a_minor_may_be_under_reads_the_minors_identity(world: World) -> None:
    allowed = set(redaction_rules().classes["minor_identity"].roles)
    adults_only = {"compulsory_rehab_adult"}
    acting = {
        role
        for code, versions in world.rulebook.procedures.items()
        if code not in adults_only
        for version in versions
        for transition in version.definition.transitions
        for role in transition.roles
    }
    assert acting - allowed == set()
    assert {"admin", "provincial_chair"}.isdisjoint(allowed)


def test_every_form_whose_text_reads_health_data_is_withheld_from_the_other_roles() -> None:
    health = redaction_rules().classes["health"]
    reading = set()
    for code, body in form_bodies(CONFIG_DIR).items():
        sources = {field.source.split(".", 1)[-1] for field in body.fields.values()}
        sources |= {name for _, text in body.texts() for name in re.findall(r"step\.(\w+)", text)}
        if sources & set(health.fields):
            reading.add(code)
    assert reading, "no form reads health data: the check would be empty"
    assert reading - set(health.forms) == set()
