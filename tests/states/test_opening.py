"""Opening a dossier: one person however the name is typed, no hidden characters, identity reviews instead
of refusals, idempotent retries, one open dossier per person where the officer can see it, confidentiality
of voluntary applications, the minimum age."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from states.errors import ConflictError, InvalidInputError, NotFoundError, PayloadError
from states.store.tables import dossiers, identity_reviews, persons
from states.texts import name_key
from states.worklists import PersonQuery, find_persons
from tests.conftest import Dossier, World
from tests.factories import SubjectFactory

NAME = "Nguyễn Văn An"
NEGATIVE = {"tested_at": "2026-03-02T08:00:00+07:00", "test_ground": "caught_using", "sample_type": "urine"}
KEY = "0b4f8a52-6f1e-4c3a-9d57-1a2b3c4d5e6f"


def counts(world: World) -> tuple[int, int, int]:
    with world.db.engine.connect() as conn:
        return (
            int(conn.scalar(select(func.count()).select_from(persons)) or 0),
            int(conn.scalar(select(func.count()).select_from(dossiers)) or 0),
            int(conn.scalar(select(func.count()).select_from(identity_reviews)) or 0),
        )


def person_of(world: World, dossier: Dossier) -> dict[str, Any]:
    with world.db.engine.connect() as conn:
        person_id = int(conn.scalar(select(dossiers.c.person_id).where(dossiers.c.id == dossier.id)) or 0)
    with world.db.reading() as repo:
        return repo.person(person_id)


def closed(dossier: Dossier) -> Dossier:
    dossier.fire("police", "test_negative", NEGATIVE)
    return dossier


def test_names_are_stored_in_nfc_with_whitespace_collapsed(world: World) -> None:
    decomposed = unicodedata.normalize("NFD", NAME)
    assert decomposed != NAME
    dossier = world.open(full_name=f"  {decomposed.replace(' ', '   ')} ")
    assert dossier.saved()["subject"]["full_name"] == NAME
    person = person_of(world, dossier)
    assert (person["full_name"], person["name_key"]) == (NAME, "nguyen van an")


@pytest.mark.parametrize(
    "spelling",
    [unicodedata.normalize("NFD", NAME), NAME.upper(), "nguyễn văn an", " Nguyễn  Văn An"],
    ids=["nfd", "upper", "lower", "spaces"],
)
def test_the_same_name_typed_differently_is_the_same_person_without_review(world: World, spelling: str) -> None:
    first = closed(world.open(full_name=NAME))
    number = first.saved()["subject"]["id_number"]
    second = world.open(full_name=spelling, id_number=number)
    assert person_of(world, second)["id"] == person_of(world, first)["id"]
    assert counts(world) == (1, 2, 0)


def test_other_details_for_a_known_number_open_the_dossier_as_given_and_a_review(world: World) -> None:
    first = closed(world.open(full_name=NAME))
    number = first.saved()["subject"]["id_number"]
    second = world.open(full_name="Nguyễn Văn Ân", id_number=number)  # "Ân" is not "An"
    assert second.saved()["subject"]["full_name"] == "Nguyễn Văn Ân"
    person = person_of(world, second)
    assert person["full_name"] == NAME  # the record keeps what was first seen
    with world.db.reading() as repo:
        reviews = repo.identity_reviews(person["id"])
    assert [(r["dossier_id"], r["given"]["full_name"], r["stored"]["full_name"], r["status"]) for r in reviews] == [
        (second.id, "Nguyễn Văn Ân", NAME, "open")
    ]
    assert reviews[0]["province_code"] == "01"
    assert counts(world) == (1, 2, 1)


HIDDEN = {"zero_width_space": "\u200b", "right_to_left_override": "\u202e", "bom": "\ufeff", "lone_surrogate": "\ud800"}


@pytest.mark.parametrize("character", HIDDEN.values(), ids=HIDDEN.keys())
def test_hidden_characters_are_refused_in_names_and_payload_text(world: World, character: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        world.open(full_name=f"Nguyễn Văn{character} An")
    assert caught.value.details["field"] == "full_name"
    assert re.search(r"ký tự (ẩn hoặc đổi hướng|mã hóa không hợp lệ)", caught.value.message)
    with pytest.raises(InvalidInputError):
        world.open(address=f"Số 1{character} Tràng Tiền")
    assert counts(world) == (0, 0, 0)
    dossier = world.open()
    complaint = {"complainant": "subject", "complaint_against": "result", "summary": f"Nội dung{character}"}
    with pytest.raises(PayloadError, match="'summary'"):
        dossier.fire("police", "complaint_filed", complaint)
    positive = {**NEGATIVE, "substances": f"Heroin{character}"}
    with pytest.raises(PayloadError, match="'substances'"):
        dossier.fire("police", "test_positive", positive)
    assert (dossier.saved()["version"], len(dossier.saved()["history"])) == (1, 1)


def test_a_name_is_found_without_diacritics(world: World) -> None:
    wanted = world.open(full_name=NAME)
    world.open(full_name="Nguyễn Văn Anh Tuấn")
    world.open(full_name="Đỗ Văn An")
    with world.db.reading() as repo:
        found = [p["full_name"] for p in repo.persons_by_name_key(name_key("nguyen van an"), 10)]
        assert found == [NAME, "Nguyễn Văn Anh Tuấn"]
        assert [p["full_name"] for p in repo.persons_by_name_key(name_key("DO VAN"), 10)] == ["Đỗ Văn An"]
        seen = find_persons(
            repo, world.rulebook, world.actors["police"], PersonQuery("NGUYEN VAN AN"), world.clock.now()
        )["items"]
        unseen = find_persons(
            repo, world.rulebook, world.actors["other_police"], PersonQuery("nguyen van an"), world.clock.now()
        )
    assert unseen == {"items": [], "total": 0, "next_cursor": None}
    assert [p["full_name"] for p in seen] == [NAME, "Nguyễn Văn Anh Tuấn"]
    assert [d["id"] for d in seen[0]["dossiers"]] == [wanted.id]


def test_the_same_idempotency_key_opens_one_dossier(world: World) -> None:
    subject = SubjectFactory()
    engine = world.engine
    first = engine.open_dossier(world.actors["police"], "addiction_determination", subject, idempotency_key=KEY)
    again = engine.open_dossier(world.actors["police"], "addiction_determination", subject, idempotency_key=KEY)
    assert again == first
    assert counts(world) == (1, 1, 0)
    other = SubjectFactory()
    with pytest.raises(ConflictError, match="Idempotency-Key"):
        engine.open_dossier(world.actors["police"], "addiction_determination", other, idempotency_key=KEY)
    # The key belongs to the officer: another officer's request with the same key is another request.
    elsewhere = engine.open_dossier(world.actors["pc04"], "addiction_determination", other, idempotency_key=KEY)
    assert elsewhere != first
    assert counts(world) == (2, 2, 0)
    with pytest.raises(InvalidInputError, match="Idempotency-Key"):
        engine.open_dossier(world.actors["police"], "addiction_determination", SubjectFactory(), idempotency_key="é")


def test_a_second_open_dossier_is_refused_where_the_first_is_seen(world: World) -> None:
    first = world.open(full_name=NAME)
    subject = first.saved()["subject"]
    same = {"full_name": NAME, "id_number": subject["id_number"]}
    for officer in ("police", "pc04"):
        with pytest.raises(ConflictError) as caught:
            world.open(officer, **same)
        assert caught.value.details["open_dossier_id"] == first.id
    assert counts(world) == (1, 1, 0)
    # Another commune's police do not see the first dossier: theirs opens, and nothing is revealed.
    elsewhere = world.open("other_police", **same, commune_code="00004")
    assert elsewhere.id != first.id
    assert counts(world) == (1, 2, 0)
    closed(first)
    again = world.open(**same)
    assert again.saved()["state"] == "opened"


def test_a_voluntary_application_is_seen_by_the_receiving_facility_only(world: World) -> None:
    voluntary = world.open("clerk", full_name=NAME)
    voluntary.fire("clerk", "application_filed", {"applied_on": "2026-03-02", "filed_by": "subject"})
    assert voluntary.view("clerk")["parties"] == {"health_facility": "YT-01-01", "confidential": "YT-01-01"}
    for officer in ("police", "pc04", "other_clerk", "other_police", "admin"):
        # Answered as an unknown dossier: neither its place nor the unit that may see it is named.
        with pytest.raises(NotFoundError) as caught:
            voluntary.view(officer)
        assert "xã" not in caught.value.message and "YT-01-01" not in caught.value.message
        with pytest.raises(NotFoundError):
            voluntary.fire(officer, "died", {"died_on": "2026-03-02", "evidence": "x"})
    assert voluntary.view("doctor")["state"] == "voluntary_applied"  # a physician of the same facility
    with world.db.reading() as repo:
        assert (
            find_persons(repo, world.rulebook, world.actors["police"], PersonQuery(NAME), world.clock.now())["total"]
            == 0
        )
    # The police may open their own dossier for the same person: the application is not revealed.
    number = voluntary.saved()["subject"]["id_number"]
    police = world.open(full_name=NAME, id_number=number)
    assert police.id != voluntary.id


@pytest.mark.parametrize(
    ("born", "opens"),
    [(date(2014, 3, 3), False), (date(2014, 3, 2), True), (date(2000, 1, 1), True)],
    ids=["eleven", "twelve_today", "adult"],
)
def test_the_subject_must_be_at_least_twelve(world: World, born: date, opens: bool) -> None:
    if opens:
        assert world.open(date_of_birth=born).saved()["state"] == "opened"
        return
    with pytest.raises(InvalidInputError, match=r"11 tuổi.*từ đủ 12 tuổi"):
        world.open(date_of_birth=born)
    assert counts(world) == (0, 0, 0)
