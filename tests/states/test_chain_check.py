"""The links between procedures are checked when the rulebook loads (``check_chains``): a follow-up names a
procedure of hoso or one declared external (run outside hoso: a hand-off, never a dossier), every inherited fact
is recorded by a procedure that can start the follow-up, and a window counts from a fact the follow-up inherits.

Each broken case is a copy of the procedures in force with one defect; the copy is refused with a Vietnamese
message naming the procedure, version and transition at fault. The procedures in force pass.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from config import CONFIG_DIR
from states.definitions import ProcedureDefinition, check_chains
from states.errors import DefinitionError
from states.procedures import load_rulebook

PROCEDURES = CONFIG_DIR / "procedures"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "procedures"
Mutation = Callable[[Path], None]


def edit(code: str, version: str, change: Callable[[dict[str, Any]], None]) -> Mutation:
    """A mutation of one procedure file of the copy (read, changed, written back as YAML)."""

    def mutate(root: Path) -> None:
        path = root / code / f"{version}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    return mutate


def transition(data: dict[str, Any], event: str, dest: str) -> dict[str, Any]:
    return next(t for t in data["transitions"] if t["event"] == event and t["dest"] == dest)


def substitution_therapy_not_external(data: dict[str, Any]) -> None:
    start = transition(data, "registered_substitution_therapy", "ost_registered")["start_procedures"][0]
    del start["external"], start["to_role"]


def misspelt_inherited_fact(data: dict[str, Any]) -> None:
    data["inherited_facts"] = ["decision_numbr", "term_months", "decision_effective_at"]


def window_from_a_fact_the_follow_up_does_not_inherit(data: dict[str, Any]) -> None:
    data["inherited_facts"] = []


def window_from_an_unrecorded_fact(data: dict[str, Any]) -> None:
    start = transition(data, "result_served", "closed_addicted")["start_procedures"][0]
    start["window"]["start_at_fact"] = "notified_at"


def hoso_procedure_declared_external(data: dict[str, Any]) -> None:
    start = transition(data, "status_checked", "handed_to_management")["start_procedures"][0]
    start.update({"external": True, "to_role": "commune_chair"})


def external_to_an_unknown_role(data: dict[str, Any]) -> None:
    start = transition(data, "registered_substitution_therapy", "ost_registered")["start_procedures"][0]
    start["to_role"] = "methadone_clinic"


def passes_a_fact_it_never_records(data: dict[str, Any]) -> None:
    start = transition(data, "compulsory_dossier_opened", "closed_relapse")["start_procedures"][0]
    start["passes"] = {"tested_at": "tested_on"}


def passes_a_fact_the_follow_up_does_not_inherit(data: dict[str, Any]) -> None:
    start = transition(data, "compulsory_dossier_opened", "closed_relapse")["start_procedures"][0]
    start["passes"] = {"relapse_used_at": "used_at"}


def inherits_without_a_parent(root: Path) -> None:
    """The engine tests' follow-up procedure, without the parent that opens it."""
    shutil.copytree(FIXTURES / "chain_child", root / "chain_child")


CASES: list[tuple[str, Mutation, list[str]]] = [
    (
        "unknown_follow_up",
        edit("voluntary_rehab", "2022-01-01", substitution_therapy_not_external),
        [
            "voluntary_rehab/2022-01-01: chuyển tiếp registered_substitution_therapy ['registration_open'] -> "
            "ost_registered: yêu cầu mở thủ tục 'substitution_therapy' không có trong hoso",
            "phải ghi external: true và to_role",
        ],
    ),
    (
        "inherited_fact_nobody_records",
        edit("compulsory_rehab_execution", "2026-07-01", misspelt_inherited_fact),
        [
            "compulsory_rehab_execution/2026-07-01: dữ kiện kế thừa 'decision_numbr' không được thủ tục nào mở nó "
            "ghi nhận",
            "compulsory_rehab_adult/2022-01-01 (handover_to_execution)",
            "compulsory_rehab_minor/2026-07-01 (window_expired)",
        ],
    ),
    (
        "window_fact_not_inherited",
        edit("voluntary_rehab", "2026-07-01", window_from_a_fact_the_follow_up_does_not_inherit),
        [
            "addiction_determination/2022-01-01: chuyển tiếp result_served ['addicted'] -> closed_addicted: thời "
            "hạn chuyển cho thủ tục voluntary_rehab tính từ dữ kiện 'served_at' nhưng voluntary_rehab/2026-07-01 "
            "không kế thừa dữ kiện này",
            "addiction_determination/2026-07-01: chuyển tiếp result_served ['addicted'] -> closed_addicted: thời "
            "hạn chuyển cho thủ tục voluntary_rehab",
        ],
    ),
    (
        "window_fact_unknown",
        edit("addiction_determination", "2026-07-01", window_from_an_unrecorded_fact),
        [
            "addiction_determination/2026-07-01: chuyển tiếp result_served ['addicted'] -> closed_addicted: thời hạn "
            "chuyển tiếp tính từ dữ kiện notified_at mà không bước nào ghi nhận",
            "addiction_determination/2026-07-01: chuyển tiếp result_served ['addicted'] -> closed_addicted: thời hạn "
            "chuyển cho thủ tục voluntary_rehab tính từ dữ kiện 'notified_at' nhưng voluntary_rehab/2022-01-01 không "
            "kế thừa dữ kiện này",
        ],
    ),
    (
        "hoso_procedure_declared_external",
        edit("addiction_determination", "2022-01-01", hoso_procedure_declared_external),
        [
            "addiction_determination/2022-01-01: chuyển tiếp status_checked ['user_confirmed'] -> "
            "handed_to_management: thủ tục 'drug_user_management' là thủ tục của hoso, không ghi là thủ tục ngoài "
            "hệ thống (external)"
        ],
    ),
    (
        "external_to_an_unknown_role",
        edit("voluntary_rehab", "2026-07-01", external_to_an_unknown_role),
        [
            "voluntary_rehab/2026-07-01: chuyển tiếp registered_substitution_therapy ['registration_open'] -> "
            "ost_registered: vai trò nhận bàn giao thủ tục substitution_therapy không có trong danh mục: "
            "methadone_clinic"
        ],
    ),
    (
        "passes_an_unrecorded_fact",
        edit("post_rehab_supervision", "2026-07-01", passes_a_fact_it_never_records),
        [
            "post_rehab_supervision/2026-07-01: chuyển tiếp compulsory_dossier_opened ['relapse_confirmed'] -> "
            "closed_relapse: chuyển dữ kiện 'tested_on' sang thủ tục compulsory_rehab_adult nhưng "
            "post_rehab_supervision/2026-07-01 không ghi nhận dữ kiện này"
        ],
    ),
    (
        "passes_a_fact_not_inherited",
        edit("post_rehab_supervision", "2026-07-01", passes_a_fact_the_follow_up_does_not_inherit),
        [
            "chuyển dữ kiện 'used_at' thành 'relapse_used_at' nhưng compulsory_rehab_adult/2022-01-01 không kế thừa "
            "'relapse_used_at'"
        ],
    ),
    (
        "inherits_without_a_parent",
        inherits_without_a_parent,
        ["chain_child/2022-01-01: kế thừa dữ kiện 'finished_at' nhưng không thủ tục nào mở tiếp thủ tục này"],
    ),
]


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    root = tmp_path / "procedures"
    shutil.copytree(PROCEDURES, root)
    return root


def test_the_procedures_in_force_pass() -> None:
    rulebook = load_rulebook(CONFIG_DIR, procedures_dir=PROCEDURES)
    assert rulebook.chain_problems == ()
    definitions: list[ProcedureDefinition] = [c.definition for c in rulebook.all_versions()]
    assert len(definitions) == 16
    assert check_chains(definitions) == []


def test_the_in_force_follow_ups_and_inherited_facts_are_linked() -> None:
    """The defects the check was written for stay fixed: substitution therapy is an external hand-off, and the
    execution inherits the court decision's number, term and effective date recorded by the adult procedure."""
    rulebook = load_rulebook(CONFIG_DIR)
    for compiled in rulebook.versions("voluntary_rehab"):
        starts = [s for t in compiled.definition.transitions for s in t.start_procedures]
        (therapy,) = [s for s in starts if s.procedure == "substitution_therapy"]
        assert (therapy.external, therapy.to_role) == (True, "substitution_therapy_facility")
    recorded = {
        name
        for compiled in rulebook.versions("compulsory_rehab_adult")
        for event in compiled.definition.events.values()
        for name, field in event.payload.items()
        if field.fact
    }
    for compiled in rulebook.versions("compulsory_rehab_execution"):
        inherited = set(compiled.definition.inherited_facts)
        assert inherited == {"decision_number", "term_months", "decision_effective_at"}
        assert inherited <= recorded


@pytest.mark.parametrize(("name", "mutate", "messages"), CASES, ids=[case[0] for case in CASES])
def test_a_broken_chain_is_refused_with_the_procedure_version_and_transition(
    copy: Path, name: str, mutate: Mutation, messages: list[str]
) -> None:
    mutate(copy)
    with pytest.raises(DefinitionError) as caught:
        load_rulebook(CONFIG_DIR, procedures_dir=copy, strict_chains=True)
    problems: list[str] = caught.value.details["problems"]
    for message in messages:
        assert any(message in problem for problem in problems), (name, message, problems)
    assert caught.value.message.startswith("Định nghĩa thủ tục không hợp lệ:")


def test_an_external_follow_up_without_its_recipient_is_refused(copy: Path) -> None:
    def no_recipient(data: dict[str, Any]) -> None:
        del transition(data, "registered_substitution_therapy", "ost_registered")["start_procedures"][0]["to_role"]

    edit("voluntary_rehab", "2022-01-01", no_recipient)(copy)
    with pytest.raises(DefinitionError, match="thủ tục ngoài hệ thống \\(external\\) phải ghi to_role"):
        load_rulebook(CONFIG_DIR, procedures_dir=copy)


def test_a_partial_set_keeps_its_chain_problems_on_the_rulebook(tmp_path: Path) -> None:
    """Another directory may hold a partial set (a fixture, a candidate replayed in a scratch copy): it loads,
    with its chain problems listed; asked to be strict, it is refused."""
    shutil.copytree(PROCEDURES / "addiction_determination", tmp_path / "addiction_determination")
    rulebook = load_rulebook(CONFIG_DIR, procedures_dir=tmp_path)
    assert rulebook.codes() == ["addiction_determination"]
    assert any(
        problem.startswith(
            "addiction_determination/2022-01-01: chuyển tiếp result_served ['addicted'] -> "
            "closed_addicted: yêu cầu mở thủ tục 'voluntary_rehab' không có trong hoso"
        )
        for problem in rulebook.chain_problems
    ), rulebook.chain_problems
    with pytest.raises(DefinitionError, match="yêu cầu mở thủ tục 'drug_user_management' không có trong hoso"):
        load_rulebook(CONFIG_DIR, procedures_dir=tmp_path, strict_chains=True)


def test_the_procedures_in_force_are_checked_strictly_by_default(tmp_path: Path) -> None:
    """Loading ``<config>/procedures`` — what ``hoso procedures check``, ``hoso serve`` and the CLI do — refuses a
    broken chain without being asked."""
    config = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, config, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    edit("voluntary_rehab", "2026-07-01", substitution_therapy_not_external)(config / "procedures")
    with pytest.raises(
        DefinitionError, match="voluntary_rehab/2026-07-01: chuyển tiếp registered_substitution_therapy"
    ):
        load_rulebook(config)
    assert load_rulebook(config, strict_chains=False).chain_problems
