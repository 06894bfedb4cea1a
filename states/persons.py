"""Finding a person by name (with or without diacritics), identity number or date of birth.

An officer finds only the persons who have at least one dossier their unit may see, and only those
dossiers: the search reveals nothing about a person's dossiers elsewhere.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from states.actors import Actor
from states.errors import InvalidInputError
from states.permissions import covers
from states.procedures import Rulebook
from states.store.repository import Repository
from states.texts import name_key, text_problem

MAX_RESULTS = 50
_SCAN = 500


def find_persons(
    repo: Repository,
    rulebook: Rulebook,
    actor: Actor,
    *,
    name: str | None = None,
    id_number: str | None = None,
    date_of_birth: date | None = None,
) -> list[dict[str, Any]]:
    if name is None and id_number is None:
        raise InvalidInputError("Hãy nhập họ tên hoặc số định danh cá nhân để tìm", field="name")
    candidates: list[dict[str, Any]]
    if id_number is not None:
        found = repo.person_by_id_number(id_number)
        candidates = [found] if found is not None else []
    else:
        assert name is not None
        problem = text_problem(name)
        if problem is not None:
            raise InvalidInputError(f"Họ tên tìm kiếm {problem}", field="name")
        key = name_key(name)
        if len(key) < 2:
            raise InvalidInputError("Họ tên tìm kiếm phải có ít nhất 2 ký tự", field="name")
        candidates = repo.persons_by_name_key(key, _SCAN)
    if name is not None and id_number is not None:
        candidates = [person for person in candidates if name_key(name) in (person["name_key"] or "")]
    if date_of_birth is not None:
        candidates = [person for person in candidates if person["date_of_birth"] == date_of_birth]
    results = []
    for person in candidates:
        visible = [d for d in repo.dossiers_of_person(person["id"]) if covers(rulebook.regimes, actor, d)]
        if not visible:
            continue
        results.append(
            {
                "id_number": person["id_number"],
                "full_name": person["full_name"],
                "date_of_birth": person["date_of_birth"].isoformat(),
                "sex": person["sex"],
                "dossiers": [
                    {
                        "id": d["id"],
                        "procedure": d["procedure_code"],
                        "state": d["state"],
                        "opened_at": d["opened_at"].isoformat(),
                        "closed": d["closed_at"] is not None,
                    }
                    for d in visible
                ],
            }
        )
        if len(results) == MAX_RESULTS:
            break
    return results
