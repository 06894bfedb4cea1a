"""Administrative custody is tracked until it ends in law: result served, custody ended, escape or limit.
Expiry events belong to time: nobody can fire them before their deadline is due."""

from __future__ import annotations

from typing import Any

import pytest

from states.errors import GuardFailedError, TransitionNotAllowedError
from tests.conftest import Dossier, World

POSITIVE = {"tested_at": "2026-03-02T08:00:00+07:00", "test_ground": "caught_using", "sample_type": "urine"}
CUSTODY = {
    "decision_number": "01/QĐ",
    "ordered_at": "2026-03-02T08:40:00+07:00",
    "custody_started_at": "2026-03-02T08:30:00+07:00",  # custody_base due at 20:30
    "custody_place": "Trụ sở",
}
RECEIVED = {"received_at": "2026-03-02T10:00:00+07:00", "assessment_place": "custody_place", "substance_class": "other"}
CONCLUSION = {"concluded_on": "2026-03-02", "criteria_met": 4, "criterion_6_met": False, "physician_name": "BS An"}


def held(world: World) -> Dossier:
    dossier = world.open()
    dossier.fire("police", "test_positive", {**POSITIVE, "substances": "Heroin"})
    dossier.fire("police", "status_checked", {"art27_case": "b", "penal_256a_window": "none"})
    world.at("2026-03-02T08:45:00+07:00")
    dossier.fire("chief", "custody_ordered", CUSTODY)
    return dossier


def concluded_in_custody(world: World) -> Dossier:
    dossier = held(world)
    dossier.fire("police", "request_sent", {"facility_unit": "YT-01-01", "request_number": "1"})
    world.at("2026-03-02T10:00:00+07:00")
    dossier.fire("clerk", "received", RECEIVED)
    world.at("2026-03-02T11:00:00+07:00")
    dossier.fire("head", "concluded_addicted", CONCLUSION)
    return dossier


def custody_base(dossier: Dossier) -> dict[str, Any]:
    return dossier.deadlines()["custody_base"]


def closed_by(dossier: Dossier, rule_id: str) -> str:
    """The event of the step that closed a deadline."""
    with dossier.world.db.reading() as repo:
        row = next(d for d in repo.deadlines(dossier.id) if d["rule_id"] == rule_id)
    saved = dossier.saved()
    return str(saved["history"][row["closed_seq"] - 1]["event"])


def test_custody_runs_on_after_the_conclusion_until_the_result_is_served(world: World) -> None:
    dossier = concluded_in_custody(world)
    assert dossier.state == "addicted"
    assert custody_base(dossier)["status"] == "open"
    world.at("2026-03-02T14:00:00+07:00")
    dossier.fire("police", "result_served", {"served_at": "2026-03-02T14:00:00+07:00"})
    assert (custody_base(dossier)["status"], closed_by(dossier, "custody_base")) == ("met", "result_served")


def test_a_result_served_after_the_limit_is_late_even_before_the_sweep(world: World) -> None:
    dossier = concluded_in_custody(world)
    world.at("2026-03-02T21:00:00+07:00")
    dossier.fire("police", "result_served", {"served_at": "2026-03-02T21:00:00+07:00"})
    assert custody_base(dossier)["status"] == "met_late"


def test_custody_ended_closes_the_custody_and_keeps_the_conclusion(world: World) -> None:
    dossier = concluded_in_custody(world)
    world.at("2026-03-02T12:00:00+07:00")
    dossier.fire("chief", "custody_ended", {"released_at": "2026-03-02T11:30:00+07:00", "reason": "Đã có kết luận"})
    assert dossier.state == "addicted"
    assert (custody_base(dossier)["status"], closed_by(dossier, "custody_base")) == ("met", "custody_ended")
    assert dossier.saved()["facts"]["released_at"] == "2026-03-02T11:30:00+07:00"
    assert [d["rule_id"] for d in dossier.saved()["deadlines"] if d["status"] == "open"] == ["result_service_target"]


def test_an_escape_ends_custody_as_escaped(world: World) -> None:
    dossier = held(world)
    world.at("2026-03-02T09:00:00+07:00")
    dossier.fire("police", "escaped", {"escaped_at": "2026-03-02T08:50:00+07:00"})
    assert (custody_base(dossier)["status"], closed_by(dossier, "custody_base")) == ("escaped", "escaped")


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("custody_extended", {"decision_number": "02/QĐ", "extended_at": "2026-03-02T20:29:00+07:00"}),
        ("custody_ended", {"released_at": "2026-03-02T20:29:00+07:00", "reason": "x"}),
    ],
    ids=["extended", "ended"],
)
def test_no_custody_decision_once_the_limit_has_passed_even_before_the_sweep(
    world: World, event: str, payload: dict[str, Any]
) -> None:
    dossier = held(world)
    world.at("2026-03-02T20:31:00+07:00")  # the limit (20:30) has passed; the sweep has not run
    before = dossier.saved()
    with pytest.raises(GuardFailedError, match="không còn trong thời hạn tạm giữ"):
        dossier.fire("chief", event, payload)
    after = dossier.saved()
    assert (after["version"], after["state"]) == (before["version"], "in_custody")
    assert custody_base(dossier)["status"] == "open"
    outcomes = world.sweep()
    assert [(o.rule_id, o.event, o.fired) for o in outcomes] == [("custody_base", "custody_limit_reached", True)]
    assert (dossier.state, custody_base(dossier)["status"]) == ("determination_required", "expired")


def expiry_refused(dossier: Dossier, event: str) -> None:
    before = dossier.saved()
    with pytest.raises(TransitionNotAllowedError, match="chỉ được ghi khi thời hạn tương ứng đã hết") as caught:
        dossier.fire("system", event)
    assert caught.value.details["current_version"] == before["version"]
    after = dossier.saved()
    assert (after["version"], after["state"], after["deadlines"]) == (
        before["version"],
        before["state"],
        before["deadlines"],
    )


def test_the_custody_limit_cannot_be_fired_before_it_is_due(world: World) -> None:
    dossier = held(world)
    world.at("2026-03-02T20:29:00+07:00")
    expiry_refused(dossier, "custody_limit_reached")
    world.at("2026-03-02T20:30:00+07:00")
    dossier.fire("system", "custody_limit_reached")
    assert (dossier.state, custody_base(dossier)["status"]) == ("determination_required", "expired")


def test_a_service_target_cannot_be_marked_missed_before_it_is_due(world: World) -> None:
    dossier = world.open()
    dossier.fire("police", "test_positive", {**POSITIVE, "substances": "Heroin"})
    world.at("2026-03-02T23:59:00+07:00")  # due at the end of the working day
    expiry_refused(dossier, "service_target_missed")
    assert dossier.deadlines()["status_check_target"]["status"] == "open"


def test_an_expiry_event_without_any_deadline_is_refused(world: World) -> None:
    dossier = world.open()
    dossier.fire("police", "test_positive", {**POSITIVE, "substances": "Heroin"})
    dossier.fire("police", "status_checked", {"art27_case": "b", "penal_256a_window": "none"})
    world.at("2026-03-10T09:00:00+07:00")
    with pytest.raises(TransitionNotAllowedError):
        dossier.fire("system", "service_target_missed")


def test_the_sweep_ends_custody_after_the_conclusion_and_keeps_the_state(world: World) -> None:
    dossier = concluded_in_custody(world)
    world.at("2026-03-02T20:29:00+07:00")
    assert world.sweep() == []
    world.at("2026-03-02T20:31:00+07:00")
    outcomes = world.sweep()
    assert [(o.rule_id, o.fired, o.detail) for o in outcomes] == [("custody_base", True, "addicted")]
    assert (dossier.state, custody_base(dossier)["status"]) == ("addicted", "expired")
    assert dossier.deadlines()["result_service_target"]["status"] == "open"


def test_a_resent_request_keeps_the_person_in_custody_while_custody_runs(world: World) -> None:
    dossier = held(world)
    dossier.fire("police", "request_sent", {"facility_unit": "YT-01-01", "request_number": "1"})
    world.at("2026-03-02T10:00:00+07:00")
    dossier.fire("clerk", "received", RECEIVED)
    dossier.fire("doctor", "refused_or_obstructed", {"description": "Không hợp tác"})
    assert custody_base(dossier)["status"] == "open"
    dossier.fire("police", "request_resent", {"request_number": "2"})
    assert dossier.state == "requested_in_custody"


def test_an_extension_decided_after_the_limit_is_refused_even_if_recorded_before(world: World) -> None:
    dossier = held(world)
    world.at("2026-03-02T20:28:00+07:00")
    with pytest.raises(GuardFailedError, match="không còn trong thời hạn tạm giữ"):
        extension = {"decision_number": "02/QĐ", "extended_at": "2026-03-02T20:32:00+07:00"}
        dossier.fire("chief", "custody_extended", extension)
