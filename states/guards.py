"""Named legal conditions that a procedure's transitions may require (``guards:`` in the YAML).

A guard reads the step's payload, the dossier's recorded facts, the subject and the date of the act. It
returns ``None`` when the condition holds and otherwise the reason, in Vietnamese, why it does not.
The procedure loader refuses a YAML file naming a guard that is not registered here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from states.definitions import ProcedureDefinition


@dataclass(frozen=True)
class GuardContext:
    definition: ProcedureDefinition
    payload: Mapping[str, Any]
    facts: Mapping[str, Any]
    subject_birth_date: date
    act_date: date
    open_deadlines: frozenset[str]

    def value(self, name: str) -> Any:
        """A value from this step's payload, else from the facts recorded by earlier steps."""
        if name in self.payload:
            return self.payload[name]
        return self.facts.get(name)

    def parameter(self, name: str) -> Any:
        return self.definition.parameters[name].value

    @property
    def age_years(self) -> int:
        born, on = self.subject_birth_date, self.act_date
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


Guard = Callable[[GuardContext], str | None]
GUARDS: dict[str, Guard] = {}


def guard(name: str) -> Callable[[Guard], Guard]:
    def register(function: Guard) -> Guard:
        if name in GUARDS:
            raise ValueError(f"guard {name} registered twice")
        GUARDS[name] = function
        return function

    return register


_ART27_CASES = {"a", "b", "c", "d"}


@guard("art27_case_applies")
def _art27_case_applies(ctx: GuardContext) -> str | None:
    if ctx.value("art27_case") in _ART27_CASES:
        return None
    return "Người sử dụng không thuộc trường hợp a–d Điều 27 khoản 1 Luật PCMT nên không đề nghị xác định"


@guard("art27_case_none")
def _art27_case_none(ctx: GuardContext) -> str | None:
    if ctx.value("art27_case") == "none":
        return None
    return "Người sử dụng thuộc trường hợp phải xác định tình trạng nghiện (Điều 27 khoản 1 a–d)"


def _penal_code_256a_in_force(ctx: GuardContext) -> bool:
    in_force_from = ctx.parameter("penal_code_256a_from")
    return bool(ctx.act_date >= in_force_from)


@guard("penal_code_256a_checked")
def _penal_code_256a_checked(ctx: GuardContext) -> str | None:
    if not _penal_code_256a_in_force(ctx):
        return None
    window = ctx.payload.get("penal_256a_window")
    if window is None:
        return "Từ 01/07/2025 phải ghi kết quả kiểm tra dấu hiệu tội phạm Điều 256a BLHS (penal_256a_window)"
    if window != "none":
        return "Người sử dụng thuộc trường hợp của Điều 256a BLHS: phải chuyển cơ quan điều tra (criminal_route)"
    return None


@guard("penal_code_256a_applies")
def _penal_code_256a_applies(ctx: GuardContext) -> str | None:
    if not _penal_code_256a_in_force(ctx):
        return "Điều 256a BLHS chỉ áp dụng với hành vi sử dụng từ ngày 01/07/2025"
    if ctx.payload.get("penal_256a_window") in (None, "none"):
        return "Chưa xác định trường hợp nào của Điều 256a BLHS"
    return None


@guard("custody_deadline_open")
def _custody_deadline_open(ctx: GuardContext) -> str | None:
    if ctx.open_deadlines & {"custody_base", "custody_for_determination"}:
        return None
    return "Người được đề nghị không đang bị tạm giữ"


def _criteria(ctx: GuardContext) -> tuple[int, bool]:
    met = int(ctx.payload.get("criteria_met", -1))
    total = int(ctx.parameter("criteria_total"))
    if not 0 <= met <= total:
        raise ValueError(f"criteria_met ngoài khoảng 0–{total}")
    return met, bool(ctx.payload.get("criterion_6_met"))


def _classify(ctx: GuardContext) -> str:
    """TT 18/2021/TT-BYT Điều 4 bước 3: addicted, not addicted, or observation goes on."""
    try:
        met, has_sixth = _criteria(ctx)
    except ValueError as exc:
        return f"invalid:{exc}"
    if met >= int(ctx.parameter("min_criteria")):
        return "addicted"
    if met <= 1 or (met == 2 and has_sixth):
        return "not_addicted"
    return "inconclusive"


_CLASS_TITLES = {
    "addicted": "có nghiện (từ 3 tiêu chuẩn)",
    "not_addicted": "không nghiện (1 tiêu chuẩn, hoặc 2 tiêu chuẩn có tiêu chuẩn 6)",
    "inconclusive": "chưa đủ căn cứ (2 tiêu chuẩn không có tiêu chuẩn 6) — phải tiếp tục theo dõi",
}


def _expect_class(ctx: GuardContext, expected: str) -> str | None:
    found = _classify(ctx)
    if found == expected:
        return None
    if found.startswith("invalid:"):
        return f"Số tiêu chuẩn không hợp lệ: {found.removeprefix('invalid:')}"
    return f"Theo TT 18/2021/TT-BYT Điều 4, số tiêu chuẩn đã ghi cho kết luận {_CLASS_TITLES[found]}"


@guard("criteria_addicted")
def _criteria_addicted(ctx: GuardContext) -> str | None:
    return _expect_class(ctx, "addicted")


@guard("criteria_not_addicted")
def _criteria_not_addicted(ctx: GuardContext) -> str | None:
    return _expect_class(ctx, "not_addicted")


@guard("criteria_inconclusive")
def _criteria_inconclusive(ctx: GuardContext) -> str | None:
    return _expect_class(ctx, "inconclusive")


@guard("case_a_b_c")
def _case_a_b_c(ctx: GuardContext) -> str | None:
    if ctx.value("art27_case") in {"a", "b", "c"}:
        return None
    return "Chỉ áp dụng cho trường hợp a, b, c Điều 27 khoản 1"


@guard("case_d_adult")
def _case_d_adult(ctx: GuardContext) -> str | None:
    if ctx.value("art27_case") != "d":
        return "Chỉ áp dụng cho trường hợp d (đang quản lý sau cai nghiện)"
    if ctx.age_years < 18:
        return "Người được xác định chưa đủ 18 tuổi"
    return None


@guard("case_d_minor")
def _case_d_minor(ctx: GuardContext) -> str | None:
    if ctx.value("art27_case") != "d":
        return "Chỉ áp dụng cho trường hợp d (đang quản lý sau cai nghiện)"
    if not 12 <= ctx.age_years < 18:
        return "Chỉ áp dụng cho người từ đủ 12 đến dưới 18 tuổi"
    return None
