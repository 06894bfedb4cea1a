"""Indicators as dated data (``config/indicators/*.yaml``): what each counts, broken down how, on which legal or
plan source, over which reporting periods — validated on load and checked against the procedures they count.

An indicator counts **persons** (each once per period, however many dossiers they have):

- ``stock``: persons with a dossier of the named procedures standing in one of the named states at the end of
  the period (its state then, from the history — not today's);
- ``flow``: persons with a step of one of the named events (optionally only into the named states) during the
  period;
- ``during``: persons with a dossier of the named procedures that stood in one of the named states at any instant
  of the period — in it at the start, or stepped into it during the period, whatever the step (a state listed
  under ``entered_states`` counts only when stepped into during the period: a final state, in which a dossier
  stays for good once it ended there);
- ``ratio``: one indicator over another, in per cent, both over the same period and place;
- ``deadline_on_time``: time limits of the named procedures that closed during the period, and the share of
  them met in time (counted per time limit, not per person);
- ``per_staff``: at each facility, the residents counted by one or more indicators broken down by facility
  (groups, each with its own norm: at most so many residents of the group per officer) per active officer of the
  named roles, the officers the norms call for (Σ residents of a group / its norm) and whether the facility has
  fewer.

Each indicator has dated versions: the one in force on the last day of a period counts it, so a population that
changed with the law (new states, new procedure versions) keeps one series.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from config import CONFIG_DIR
from states.errors import DefinitionError, InvalidInputError
from states.yaml_loading import load_coded_models, load_model

INDICATORS_DIR = CONFIG_DIR / "indicators"
PERIODS_FILE = "periods.yaml"

Measure = Literal["stock", "flow", "during", "ratio", "deadline_on_time", "per_staff"]
Breakdown = Literal["commune", "province", "sex", "age_group", "facility", "substance"]
PeriodKind = Literal["month", "quarter", "half_year", "year"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PopulationPart(_Strict):
    """One procedure's share of a population."""

    procedure: str = Field(min_length=1)
    states: tuple[str, ...] = ()
    """``stock``: the states counted at the end of the period; ``flow``: if given, only steps into them;
    ``during``: the states counted at any instant of the period."""
    entered_states: tuple[str, ...] = ()
    """``during``: states counted only when a step leads into them during the period, not when the dossier
    already stood in them at its start (a final state such as a hand-over, in which a dossier stays for good)."""
    events: tuple[str, ...] = ()
    """``flow``: the steps counted during the period."""
    facility_party: str | None = None
    """The party of the dossier naming the facility (``facility`` breakdown), e.g. ``rehab_facility``."""


class ResidentGroup(_Strict):
    """``per_staff``: one group of residents, counted by an indicator broken down by facility, and the norm of
    the group: at most this many of its residents per officer."""

    indicator: str = Field(min_length=1)
    norm: int = Field(ge=1)


class IndicatorVersion(_Strict):
    effective_from: date
    measure: Measure
    population: tuple[PopulationPart, ...] = ()
    numerator: str | None = None
    denominator: str | None = None
    residents: tuple[ResidentGroup, ...] = ()
    """``per_staff``: the groups of residents of a facility, each with its norm."""
    staff_roles: tuple[str, ...] = ()
    """``per_staff``: the roles whose active officers at a facility are its staff."""

    @model_validator(mode="after")
    def _shape(self) -> IndicatorVersion:
        if self.measure == "per_staff":
            if not self.residents or not self.staff_roles or self.numerator or self.denominator or self.population:
                raise ValueError(
                    "chỉ tiêu theo cán bộ cần residents (các nhóm học viên, mỗi nhóm một định mức) và staff_roles, "
                    "không có numerator, denominator, population"
                )
            groups = [g.indicator for g in self.residents]
            if len(set(groups)) != len(groups):
                raise ValueError("mỗi nhóm học viên (residents) chỉ được nêu một lần")
            return self
        if self.staff_roles or self.residents:
            raise ValueError("staff_roles và residents chỉ dành cho chỉ tiêu theo cán bộ (measure: per_staff)")
        if self.measure == "ratio":
            if not self.numerator or not self.denominator or self.population:
                raise ValueError("chỉ tiêu tỷ lệ cần numerator và denominator, không có population")
            return self
        if self.numerator or self.denominator:
            raise ValueError("numerator/denominator chỉ dành cho chỉ tiêu tỷ lệ (measure: ratio)")
        if not self.population:
            raise ValueError("cần ít nhất một phần population")
        for part in self.population:
            if part.entered_states and self.measure != "during":
                raise ValueError(f"{part.procedure}: entered_states chỉ dành cho chỉ tiêu trong kỳ (measure: during)")
            if self.measure == "stock" and (not part.states or part.events):
                raise ValueError(f"{part.procedure}: chỉ tiêu tồn (stock) đếm theo states, không theo events")
            if self.measure == "during" and (not (part.states or part.entered_states) or part.events):
                raise ValueError(
                    f"{part.procedure}: chỉ tiêu trong kỳ (during) đếm theo states (hoặc entered_states), "
                    "không theo events"
                )
            if self.measure == "flow" and not part.events:
                raise ValueError(f"{part.procedure}: chỉ tiêu phát sinh (flow) cần events")
            if self.measure == "deadline_on_time" and (part.events or part.states):
                raise ValueError(f"{part.procedure}: chỉ tiêu đúng hạn đếm mọi thời hạn của thủ tục")
        return self


class Indicator(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title_vi: str = Field(min_length=1)
    unit_vi: str = Field(min_length=1)
    """What a figure counts, in Vietnamese: ``người``, ``%``, ``thời hạn``."""
    source: str = Field(min_length=1)
    """The legal or plan text that asks for the figure."""
    unverified: str | None = None
    breakdowns: tuple[Breakdown, ...] = ("commune", "province")
    periods: tuple[PeriodKind, ...] = ("month", "quarter", "half_year", "year")
    period_rule: str = "nd09_2019"
    versions: tuple[IndicatorVersion, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _dated(self) -> Indicator:
        days = [v.effective_from for v in self.versions]
        if days != sorted(days) or len(set(days)) != len(days):
            raise ValueError("các phiên bản phải theo thứ tự ngày hiệu lực tăng dần, không trùng ngày")
        return self

    def version_on(self, day: date) -> IndicatorVersion:
        """The version in force on ``day`` (the last day of the period counted)."""
        chosen = [v for v in self.versions if v.effective_from <= day]
        if not chosen:
            raise InvalidInputError(f"Chỉ tiêu '{self.code}' chưa có hiệu lực vào ngày {day:%d/%m/%Y}", field="period")
        return chosen[-1]


class PeriodRule(_Strict):
    """Where a reporting period starts and ends: ``cutoff_day`` 0 for calendar periods, or the day of the month
    on which the figures are closed (NĐ 09/2019/NĐ-CP Điều 12: from the 15th of the month before to the 14th)."""

    title_vi: str = Field(min_length=1)
    basis: str = Field(min_length=1)
    unverified: str | None = None
    cutoff_day: int = Field(ge=0, le=28)
    due_days_after: dict[PeriodKind, int] = Field(default_factory=dict)
    """Working days after the end of a period by which its report is due (where the source gives one)."""


class PeriodRules(_Strict):
    rules: dict[str, PeriodRule]


class AgeGroups(_Strict):
    """Age groups of the ``age_group`` breakdown: lower bounds, in years, on the last day of the period."""

    basis: str = Field(min_length=1)
    lower_bounds: tuple[int, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ascending(self) -> AgeGroups:
        if list(self.lower_bounds) != sorted(set(self.lower_bounds)):
            raise ValueError("lower_bounds phải tăng dần, không trùng")
        return self

    def label(self, age: int) -> str:
        below = [b for b in self.lower_bounds if b <= age]
        if not below:
            return f"dưới {self.lower_bounds[0]}"
        start = below[-1]
        later = [b for b in self.lower_bounds if b > start]
        return f"{start}–{later[0] - 1}" if later else f"từ {start}"


class IndicatorCatalogue(_Strict):
    indicators: dict[str, Indicator]
    periods: PeriodRules
    age_groups: AgeGroups

    def get(self, code: str) -> Indicator:
        if code not in self.indicators:
            raise InvalidInputError(f"Không có chỉ tiêu '{code}'", field="indicator")
        return self.indicators[code]

    def check(self, procedures: Mapping[str, Iterable[tuple[set[str], set[str]]]]) -> list[str]:
        """Problems of the catalogue against the procedures: ``procedures`` maps each code to the (states,
        events) of its versions. A state or event must exist in at least one version."""
        problems = []
        for code, indicator in self.indicators.items():
            if indicator.period_rule not in self.periods.rules:
                problems.append(f"{code}: không có quy tắc kỳ báo cáo '{indicator.period_rule}'")
            for version in indicator.versions:
                where = f"{code} ({version.effective_from})"
                for name in (version.numerator, version.denominator):
                    if name is not None and name not in self.indicators:
                        problems.append(f"{where}: tỷ lệ nêu chỉ tiêu không có '{name}'")
                    elif name is not None and self.indicators[name].versions[0].measure in ("ratio", "per_staff"):
                        problems.append(f"{where}: tỷ lệ của tỷ lệ '{name}' không được hỗ trợ")
                problems += self._check_residents(where, version)
                for part in version.population:
                    if part.procedure not in procedures:
                        problems.append(f"{where}: không có thủ tục '{part.procedure}'")
                        continue
                    versions = list(procedures[part.procedure])
                    known_states = set().union(*(states for states, _ in versions))
                    known_events = set().union(*(events for _, events in versions))
                    for state in sorted(set(part.states + part.entered_states) - known_states):
                        problems.append(f"{where}: thủ tục {part.procedure} không có trạng thái '{state}'")
                    for event in sorted(set(part.events) - known_events):
                        problems.append(f"{where}: thủ tục {part.procedure} không có sự kiện '{event}'")
        return problems

    def _check_residents(self, where: str, version: IndicatorVersion) -> list[str]:
        """Each group of a ``per_staff`` version is an indicator counting persons by facility."""
        problems = []
        for group in version.residents:
            name = group.indicator
            if name not in self.indicators:
                problems.append(f"{where}: nhóm học viên nêu chỉ tiêu không có '{name}'")
                continue
            counted = self.indicators[name]
            if any(v.measure not in ("stock", "flow", "during") for v in counted.versions):
                problems.append(f"{where}: nhóm học viên '{name}' phải là chỉ tiêu đếm người (stock, flow, during)")
            elif "facility" not in counted.breakdowns:
                problems.append(f"{where}: '{name}' không chia theo cơ sở (facility)")
            elif any(not any(p.facility_party for p in v.population) for v in counted.versions):
                problems.append(f"{where}: '{name}' không nêu bên chỉ cơ sở (facility_party)")
        return problems


@lru_cache(maxsize=4)
def load_indicators(directory: Path = INDICATORS_DIR) -> IndicatorCatalogue:
    """Every ``<code>.yaml`` of the directory, its ``periods.yaml`` and ``age_groups.yaml``."""
    indicators = load_coded_models(directory, Indicator, skip=(PERIODS_FILE, "age_groups.yaml"))
    if not indicators:
        raise DefinitionError(f"Thư mục {directory} không có chỉ tiêu nào", path=str(directory))
    return IndicatorCatalogue(
        indicators=indicators,
        periods=load_model(directory / PERIODS_FILE, PeriodRules),
        age_groups=load_model(directory / "age_groups.yaml", AgeGroups),
    )
