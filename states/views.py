"""What an officer sees of a dossier: state, what they may do now, tasks, deadlines and history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from states.actors import Actor
from states.engine import require_dossier_id
from states.errors import dossier_not_found
from states.guards import fields_required_by
from states.history import verify_chain
from states.history_seal import HistoryKeys
from states.legal_text import deadline_sentence
from states.legal_time import VN_TZ
from states.permissions import covers, holders, require_sight
from states.places import commune
from states.procedures import CompiledProcedure, Rulebook
from states.redaction import is_minors_case, redact, redaction_rules, shown_identity
from states.store.repository import Record, Repository


def _open_deadlines(row: Record) -> list[Record]:
    return [d for d in row["deadlines"] if d["status"] == "open"]


def _dossier_row(repo: Repository, dossier_id: str) -> Record:
    row = repo.dossier(require_dossier_id(dossier_id))
    if row is None:
        raise dossier_not_found(dossier_id)
    return row


def actions_for(
    rulebook: Rulebook, compiled: CompiledProcedure, row: Record, actor: Actor, on: date, now: datetime
) -> list[Any]:
    """Events this officer may fire now (role and jurisdiction), with exactly the fields they must send:
    those the procedure requires, plus those every way the step can go requires for this dossier today
    (e.g. the Penal Code art. 256a answer for a use on or after its entry into force). Expiry events are
    listed only once one of their deadlines is due."""
    definition = compiled.definition
    state = row["state"]
    due_events = {d["expiry_event"] for d in _open_deadlines(row) if d["due_at"] <= now}
    result = []
    for event in compiled.events_from(state):
        candidates = compiled.candidates(state, event)
        mine = [t for t in candidates if actor.role in holders(rulebook.regimes, t.roles, on)]
        if not mine or (event in definition.expiry_events and event not in due_events):
            continue
        conditional = set.intersection(*(fields_required_by(definition, t, row["facts"], on) for t in mine))
        spec = definition.events[event]
        result.append(
            {
                "event": event,
                "title": spec.title_vi,
                "payload": {
                    name: {
                        "type": field.type,
                        "title": field.title_vi,
                        "required": field.required or name in conditional,
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
    require_sight(rulebook.regimes, actor, row)
    today = now.astimezone(VN_TZ).date()
    compiled = rulebook.pinned(row["procedure_code"], row["procedure_version"])
    person = repo.person(row["person_id"])
    task_rows = repo.tasks(dossier_id)
    deadline_rows = repo.deadlines(dossier_id)
    history_rows = repo.history(dossier_id)
    # Health data, and a minor's identity, are shown only to the roles that need them (config/redaction.yaml).
    minor = is_minors_case([row["procedure_code"]], person["date_of_birth"], today)
    hidden = redaction_rules().hidden_fields(actor.role, minor)
    subject = row["subject"] or {}
    return {
        **dossier_header(rulebook, row, today),
        # The details as given when this dossier was opened (they may differ from those first recorded for
        # the same identity number; the difference is then under review).
        "subject": {
            **shown_identity(
                actor.role,
                minor,
                str(subject.get("full_name", person["full_name"])),
                str(subject.get("date_of_birth", person["date_of_birth"].isoformat())),
                str(person["id_number"]),
            ),
            "sex": subject.get("sex", person["sex"]),
        },
        "facts": redact(row["facts"], hidden),
        "parties": row["parties"],
        "opened_at": row["opened_at"].isoformat(),
        "closed_at": row["closed_at"].isoformat() if row["closed_at"] else None,
        "actions": actions_for(rulebook, compiled, {**row, "deadlines": deadline_rows}, actor, today, now),
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
                "explanation_vi": deadline_sentence(compiled.definition, deadline, rulebook.calendar),
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
                "payload": redact(entry["payload"], hidden),
                "hash": entry["hash"],
            }
            for entry in history_rows
        ],
    }


def dossier_header(rulebook: Rulebook, row: Record, today: date) -> dict[str, Any]:
    """Where a dossier stands and where it is: what any answer about it starts with."""
    definition = rulebook.pinned(row["procedure_code"], row["procedure_version"]).definition
    place = commune(row["commune_code"])
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
        "commune_code": row["commune_code"],
        "commune_name": place.name,
        "province_code": row["province_code"],
        "province_name": place.province_name,
    }


def step_answer(repo: Repository, rulebook: Rulebook, dossier_id: str, actor: Actor, now: datetime) -> dict[str, Any]:
    """What the officer who just saved a step may still see: the whole dossier, or — when the step took
    it out of their jurisdiction (change of residence) or ended their part in it — its new version, state
    and the place it went to. A saved step is never answered as a refusal."""
    row = _dossier_row(repo, dossier_id)
    if covers(rulebook.regimes, actor, row):
        return dossier_view(repo, rulebook, dossier_id, actor, now)
    return {
        **dossier_header(rulebook, row, now.astimezone(VN_TZ).date()),
        "visible": False,
        "subject": None,
        "facts": {},
        "parties": {},
        "opened_at": row["opened_at"].isoformat(),
        "closed_at": row["closed_at"].isoformat() if row["closed_at"] else None,
        "actions": [],
        "tasks": [],
        "deadlines": [],
        "history": [],
    }


def verify_history(
    repo: Repository, rulebook: Rulebook, dossier_id: str, actor: Actor, keys: HistoryKeys | None = None
) -> dict[str, Any]:
    row = _dossier_row(repo, dossier_id)
    require_sight(rulebook.regimes, actor, row)
    rows = repo.history(row["id"])
    result = verify_chain(rows, keys)
    if result["valid"] and (not rows or rows[-1]["seq"] != row["version"]):
        result = {"valid": False, "rows": result["rows"], "reason": "version_mismatch"}
    return {"dossier_id": row["id"], **result}
