"""A person's case: every dossier of theirs that the officer may see, linked parent to child, and the
answer to "where is this person now, under which measure, until when, and who acts next"."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from states.actors import Actor
from states.errors import NotFoundError
from states.legal_text import deadline_sentence
from states.legal_time import VN_TZ
from states.permissions import covers
from states.procedures import Rulebook
from states.redaction import is_minors_case, shown_identity
from states.store.repository import Repository


def case_view(repo: Repository, rulebook: Rulebook, actor: Actor, id_number: str, now: datetime) -> dict[str, Any]:
    person = repo.person_by_id_number(id_number)
    visible = (
        []
        if person is None
        else [d for d in repo.dossiers_of_person(person["id"]) if covers(rulebook.regimes, actor, d)]
    )
    if person is None or not visible:
        # The same answer whether the person is unknown or only followed elsewhere.
        raise NotFoundError("Không tìm thấy hồ sơ nào của người này thuộc thẩm quyền của đơn vị", field="id_number")
    today = now.astimezone(VN_TZ).date()
    dossiers = []
    for row in visible:
        definition = rulebook.pinned(row["procedure_code"], row["procedure_version"]).definition
        open_deadlines = [d for d in repo.deadlines(row["id"]) if d["status"] in ("open", "paused")]
        open_tasks = [t for t in repo.tasks(row["id"]) if t["status"] == "open"]
        dossiers.append(
            {
                "id": row["id"],
                "parent_id": row["parent_id"],
                "procedure": row["procedure_code"],
                "procedure_title": definition.title_vi,
                "procedure_version": row["procedure_version"],
                "state": row["state"],
                "state_title": definition.states[row["state"]].title_vi,
                "open": row["closed_at"] is None,
                "opened_at": row["opened_at"].isoformat(),
                "closed_at": row["closed_at"].isoformat() if row["closed_at"] else None,
                "until": [
                    {
                        "rule_id": d["rule_id"],
                        "title": d["title"],
                        "status": d["status"],
                        "due_at_local": d["due_at"].astimezone(VN_TZ).isoformat(),
                        "nature": d["explanation"].get("nature", "time_limit"),
                        "explanation_vi": deadline_sentence(definition, d, rulebook.calendar),
                    }
                    for d in sorted(open_deadlines, key=lambda d: d["due_at"])
                ],
                "next": [
                    {
                        "title": t["title"],
                        "holder_roles": sorted(rulebook.regimes.resolve(t["role"], today)),
                        "unit_code": t["unit_code"],
                    }
                    for t in open_tasks
                ],
            }
        )
    current = [d for d in dossiers if d["open"]]
    minor = is_minors_case([d["procedure"] for d in dossiers], person["date_of_birth"], today)
    return {
        # The identity number is the one the officer asked with; a minor's name and birth date may be hidden.
        **shown_identity(
            actor.role, minor, person["full_name"], person["date_of_birth"].isoformat(), person["id_number"]
        ),
        "id_number": person["id_number"],
        "now": current,
        "dossiers": dossiers,
    }
