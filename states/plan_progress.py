"""How far an area is towards its plan's targets: each target of the province's current table for the year next
to the figure the dossiers give over the period (the year, or part of it: a six-month report measures the first
half against the year's target) — its indicator, the sum of its components, the ratio of its numbers — and the
share of the target reached. A commune is measured against its row, a province against the table's total row."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from states.actors import Actor
from states.errors import InvalidInputError, NotFoundError
from states.indicators import IndicatorCatalogue
from states.places import commune, province_name
from states.procedures import Rulebook
from states.reporting_periods import parse_period
from states.statistics import Memo, area_of, count, headline, ratio_answer
from states.store.repository import Record, Repository
from states.store.statistics import Area
from states.targets import TargetColumn, TargetLayout, layout_named

PERCENT_DIGITS = 1


@dataclass(frozen=True)
class PlanLine:
    key: str
    title: str
    kind: str
    indicator: str | None
    target: Decimal | None
    actual: Decimal | None

    @property
    def reached(self) -> Decimal | None:
        """Share of the target reached, in %."""
        if self.target is None or self.actual is None or self.target == 0:
            return None
        return (self.actual * 100 / self.target).quantize(Decimal(10) ** -PERCENT_DIGITS)


def plan_progress(
    repo: Repository,
    rulebook: Rulebook,
    catalogue: IndicatorCatalogue,
    actor: Actor,
    period_label: str,
    layout_code: str = "rehab_plan",
    province_code: str | None = None,
    commune_code: str | None = None,
) -> Record:
    layout = layout_named(layout_code)
    period = parse_period(period_label, catalogue.periods.rules["calendar"])
    year = period.first_day.year
    area = area_of(rulebook, actor, province_code, commune_code)
    if area.province_code is None:
        raise InvalidInputError("Chỉ tiêu kế hoạch tính theo tỉnh: hãy chọn tỉnh, thành phố", field="province")
    target_set = repo.targets.current_set(layout.code, area.province_code, year)
    if target_set is None:
        raise NotFoundError(
            f"Chưa có bảng chỉ tiêu '{layout.code}' năm {year} của {province_name(area.province_code)}: hãy nhập bảng "
            "(hoso targets import hoặc POST /api/v1/targets/imports)",
            field="year",
        )
    unit = area.commune_code or area.province_code
    targets = {
        v["column_key"]: Decimal(v["value"])
        for v in repo.targets.values(int(target_set["id"]))
        if v["unit_code"] == unit
    }
    actuals = _Actuals(repo, catalogue, layout, area, period.label)
    lines = [
        PlanLine(c.key, c.headers[0], c.kind, c.indicator, targets.get(c.key), actuals.of(c)) for c in layout.columns
    ]
    return {
        "layout": layout.code,
        "title": layout.title_vi,
        "basis": layout.basis,
        "year": year,
        "period": period.label,
        "area": {
            "province_code": area.province_code,
            "commune_code": area.commune_code,
            "name": commune(area.commune_code).name if area.commune_code else province_name(area.province_code),
        },
        "target_set": {
            "id": target_set["id"],
            "version": target_set["version"],
            "source_document": target_set["source_document"],
            "file_sha256": target_set["file_sha256"],
        },
        "lines": [
            {
                "key": line.key,
                "title": line.title,
                "kind": line.kind,
                "indicator": line.indicator,
                "target": _number(line.target),
                "actual": _number(line.actual),
                "reached_percent": _number(line.reached),
            }
            for line in lines
        ],
    }


class _Actuals:
    """The figure of each column over the year, computed once per indicator."""

    def __init__(self, repo: Repository, catalogue: IndicatorCatalogue, layout: TargetLayout, area: Area, period: str):
        self._repo, self._catalogue, self._layout, self._area, self._period = repo, catalogue, layout, area, period
        self._memo = Memo()
        self._seen: dict[str, Decimal | None] = {}

    def of(self, column: TargetColumn) -> Decimal | None:
        if column.key in self._seen:
            return self._seen[column.key]
        value: Decimal | None = None
        if column.indicator is not None:
            value = self._indicator(column.indicator)
        elif column.components:
            parts = [self.of(self._layout.column(c)) for c in column.components]
            value = None if any(p is None for p in parts) else sum((p for p in parts if p is not None), Decimal(0))
        elif column.numerator is not None and column.denominator is not None:
            top = self.of(self._layout.column(column.numerator))
            bottom = self.of(self._layout.column(column.denominator))
            if top is not None and bottom:
                value = (top * 100 / bottom).quantize(Decimal(10) ** -PERCENT_DIGITS)
        self._seen[column.key] = value
        return value

    def _indicator(self, code: str) -> Decimal | None:
        indicator = self._catalogue.get(code)
        period = parse_period(self._period, self._catalogue.periods.rules[indicator.period_rule])
        if indicator.version_on(period.last_day).measure == "ratio":
            answer = ratio_answer(self._repo, self._catalogue, indicator, period, self._area, self._memo)
            value = answer["value"]
        else:
            value = headline(count(self._repo, indicator, period, self._area, self._memo))
        return None if value is None else Decimal(str(value))


def _number(value: Decimal | None) -> Any:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)
