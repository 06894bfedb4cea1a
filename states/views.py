"""What an officer sees of a dossier: state, what they may do now, tasks, deadlines and history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from states.actors import Actor
from states.engine import require_dossier_id
from states.errors import NotFoundError
from states.history import verify_chain
from states.legal_time import VN_TZ
from states.permissions import holders, require_jurisdiction
from states.places import commune
from states.procedures import CompiledProcedure, Rulebook
from states.store.repository import Record, Repository


def _dossier_row(repo: Repository, dossier_id: str) -> Record:
    row = repo.dossier(require_dossier_id(dossier_id))
    if row is None:
        raise NotFoundError(f"Không tìm thấy hồ sơ {dossier_id}", dossier_id=dossier_id)
    return row


def actions_for(rulebook: Rulebook, compiled: CompiledProcedure, state: str, actor: Actor, on: date) -> list[Any]:
    """Events this officer may fire now (role and jurisdiction; guards depend on the payload sent)."""
    definition = compiled.definition
    result = []
    for event in compiled.events_from(state):
        roles = [role for t in compiled.candidates(state, event) for role in t.roles]
        if actor.role not in holders(rulebook.regimes, roles, on):
            continue
        spec = definition.events[event]
        result.append(
            {
                "event": event,
                "title": spec.title_vi,
                "payload": {
                    name: {
                        "type": field.type,
                        "title": field.title_vi,
                        "required": field.required,
                        **({"choices": field.choices} if field.choices else {}),
                    }
                    for name, field in spec.payload.items()
                },
            }
        )
    return result


def dossier_view(repo: Repository, rulebook: Rulebook, dossier_id: str, actor: Actor, now: datetime) -> dict[str, Any]:
    row = _dossier_row(repo, dossier_id)
    dossier_id = row["id"]
    require_jurisdiction(rulebook.regimes, actor, row)
    today = now.astimezone(VN_TZ).date()
    compiled = rulebook.pinned(row["procedure_code"], row["procedure_version"])
    definition = compiled.definition
    person = repo.person(row["person_id"])
    place = commune(row["commune_code"])
    task_rows = repo.tasks(dossier_id)
    deadline_rows = repo.deadlines(dossier_id)
    history_rows = repo.history(dossier_id)
    return {
        "id": row["id"],
        "procedure": row["procedure_code"],
        "procedure_title": definition.title_vi,
        "procedure_version": row["procedure_version"],
        "state": row["state"],
        "state_title": definition.states[row["state"]].title_vi,
        "final": row["state"] in definition.final_states,
        "version": row["version"],
        "regime": rulebook.regimes.regime_at(today).key,
        "subject": {
            "full_name": person["full_name"],
            "date_of_birth": person["date_of_birth"].isoformat(),
            "id_number": person["id_number"],
            "sex": person["sex"],
        },
        "commune_code": row["commune_code"],
        "commune_name": place.name,
        "province_code": row["province_code"],
        "province_name": place.province_name,
        "facts": row["facts"],
        "parties": row["parties"],
        "opened_at": row["opened_at"].isoformat(),
        "closed_at": row["closed_at"].isoformat() if row["closed_at"] else None,
        "actions": actions_for(rulebook, compiled, row["state"], actor, today),
        "tasks": [
            {
                "id": task["id"],
                "state": task["state"],
                "role": task["role"],
                # An open task is held by whoever holds its role today (NQ 190/2025: the successor body
                # carries on pending matters); a closed one keeps the holders of the day it was opened.
                "holder_roles": (
                    sorted(rulebook.regimes.resolve(task["role"], today))
                    if task["status"] == "open"
                    else task["holder_roles"]
                ),
                "unit_code": task["unit_code"],
                "title": task["title"],
                "status": task["status"],
                "opened_at": task["opened_at"].isoformat(),
                "closed_at": task["closed_at"].isoformat() if task["closed_at"] else None,
            }
            for task in task_rows
        ],
        "deadlines": [
            {
                "id": deadline["id"],
                "rule_id": deadline["rule_id"],
                "kind": deadline["kind"],
                "title": deadline["title"],
                "status": deadline["status"],
                "due_at": deadline["due_at"].isoformat(),
                "due_at_local": deadline["due_at"].astimezone(VN_TZ).isoformat(),
                "expiry_event": deadline["expiry_event"],
                "explanation": deadline["explanation"],
            }
            for deadline in deadline_rows
        ],
        "history": [
            {
                "seq": entry["seq"],
                "event": entry["event"],
                "from_state": entry["from_state"],
                "to_state": entry["to_state"],
                "actor": entry["actor_username"],
                "actor_role": entry["actor_role"],
                "actor_unit": entry["actor_unit"],
                "regime": entry["regime"],
                "occurred_at": entry["occurred_at"].isoformat(),
                "payload": entry["payload"],
                "hash": entry["hash"],
            }
            for entry in history_rows
        ],
    }


def verify_history(repo: Repository, rulebook: Rulebook, dossier_id: str, actor: Actor) -> dict[str, Any]:
    row = _dossier_row(repo, dossier_id)
    require_jurisdiction(rulebook.regimes, actor, row)
    rows = repo.history(row["id"])
    result = verify_chain(rows)
    if result["valid"] and (not rows or rows[-1]["seq"] != row["version"]):
        result = {"valid": False, "rows": result["rows"], "reason": "version_mismatch"}
    return {"dossier_id": row["id"], **result}
