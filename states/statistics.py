"""Figures of an indicator over a period and an area, computed from the dossiers themselves, each traceable to
the dossiers behind it.

A person counts once per indicator and period: of the dossiers that make them count, the one whose counting
step is the latest (then the highest dossier id) places them in a commune, a facility and the other
breakdowns, so the communes of a province add up to the province and the provinces to the country. Time limits
(``deadline_on_time``) count once each.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, TypeVar

from states.actors import Actor
from states.errors import InvalidInputError, PermissionDeniedError
from states.indicators import Breakdown, Indicator, IndicatorCatalogue, IndicatorVersion
from states.permissions import sight_of
from states.places import commune, province_name
from states.procedures import Rulebook
from states.redaction import age_on, is_minors_case, shown_identity
from states.reporting_periods import Period, parse_period
from states.store.repository import Record, Repository
from states.store.statistics import Area, Part, Population
from states.texts import name_key

T = TypeVar("T")
SEX_TITLES = {"male": "Nam", "female": "Nữ", None: "Không rõ"}
NO_FACILITY = "(không qua cơ sở)"
RATIO_DIGITS = 1


@dataclass(frozen=True)
class Counted:
    """One counted unit (a person, or a time limit) and where it is counted."""

    key: str
    person_id: int
    dossier_id: str
    commune_code: str
    province_code: str
    sex: str | None
    date_of_birth: date | None
    facility: str | None
    met: bool | None = None
    substance: str | None = None


@dataclass
class Figures:
    """The counted units of one indicator, period and area."""

    indicator: Indicator
    version: IndicatorVersion
    period: Period
    area: Area
    counted: list[Counted] = field(default_factory=list)


def _latest_per_person(rows: Iterable[Record]) -> list[Counted]:
    chosen: dict[int, Record] = {}
    for row in rows:
        person = int(row["person_id"])
        held = chosen.get(person)
        if held is None or (row["at"], row["dossier_id"]) > (held["at"], held["dossier_id"]):
            chosen[person] = row
    return [_counted(str(person), row) for person, row in sorted(chosen.items())]


def _counted(key: str, row: Record, met: bool | None = None) -> Counted:
    return Counted(
        key=key,
        person_id=int(row["person_id"]),
        dossier_id=str(row["dossier_id"]),
        commune_code=str(row["commune_code"]),
        province_code=str(row["province_code"]),
        sex=None,
        date_of_birth=None,
        facility=row["facility"],
        met=met,
        substance=row.get("substance"),
    )


def _with_details(repo: Repository, counted: list[Counted], known: dict[int, Record]) -> list[Counted]:
    """The counted units with their person's sex and birth date (read once per person and report)."""
    missing = sorted({u.person_id for u in counted} - set(known))
    known.update(repo.statistics.person_details(missing))
    return [
        replace(u, sex=known[u.person_id]["sex"], date_of_birth=known[u.person_id]["date_of_birth"]) for u in counted
    ]


@dataclass
class Memo:
    """What one report has already read: figures (a ratio's parts are often indicators of their own) and the
    persons counted."""

    figures: dict[tuple[str, Period, Area], Figures] = field(default_factory=dict)
    persons: dict[int, Record] = field(default_factory=dict)
    populations: dict[Area, Population] = field(default_factory=dict)

    def population(self, repo: Repository, area: Area) -> Population:
        if area not in self.populations:
            self.populations[area] = Population(area, repo.statistics.elsewhere(area))
        return self.populations[area]


def count(repo: Repository, indicator: Indicator, period: Period, area: Area, memo: Memo | None = None) -> Figures:
    """The units counted for a stock, flow or deadline indicator (a ratio is counted by its two parts)."""
    memo = memo if memo is not None else Memo()
    key = (indicator.code, period, area)
    if key not in memo.figures:
        memo.figures[key] = _count(repo, indicator, period, memo.population(repo, area), memo.persons)
    return memo.figures[key]


def _count(
    repo: Repository, indicator: Indicator, period: Period, among: Population, persons: dict[int, Record]
) -> Figures:
    area = among.area
    version = indicator.version_on(period.last_day)
    if version.measure in ("ratio", "per_staff"):
        raise InvalidInputError(f"Chỉ tiêu '{indicator.code}' là tỷ lệ: đếm tử số và mẫu số", field="indicator")
    stats = repo.statistics
    parts = [Part(p.procedure, p.states, p.events, p.facility_party) for p in version.population]
    if version.measure == "stock":
        rows = stats.standing(parts, period.end, among)
    elif version.measure == "flow":
        rows = stats.stepped(parts, period.start, period.end, among)
    else:
        rows = stats.closed_deadlines(parts, period.start, period.end, area)
    if version.measure == "deadline_on_time":
        counted = [
            _counted(f"deadline:{row['deadline_id']}", row, met=row["status"] == "met")
            for row in sorted(rows, key=lambda r: int(r["deadline_id"]))
        ]
    else:
        # Placed among all their dossiers, a person counts in the area only if the placing dossier lies in it.
        counted = [u for u in _latest_per_person(rows) if area.holds(u.province_code, u.commune_code)]
    return Figures(indicator, version, period, area, _with_details(repo, counted, persons))


def _group_key(catalogue: IndicatorCatalogue, breakdown: Breakdown, unit: Counted, last_day: date) -> str:
    if breakdown == "commune":
        return unit.commune_code
    if breakdown == "province":
        return unit.province_code
    if breakdown == "sex":
        return unit.sex or ""
    if breakdown == "facility":
        return unit.facility or ""
    if breakdown == "substance":
        return name_key(unit.substance) if unit.substance else ""
    if unit.date_of_birth is None:
        return ""
    return catalogue.age_groups.label(age_on(unit.date_of_birth, last_day))


def _group_title(repo: Repository, breakdown: Breakdown, key: str) -> str:
    if breakdown == "commune":
        return commune(key).name
    if breakdown == "province":
        return province_name(key)
    if breakdown == "sex":
        return SEX_TITLES.get(key or None, key)
    if breakdown == "facility":
        if not key:
            return NO_FACILITY
        unit = repo.unit(key)
        return str(unit["name"]) if unit is not None else key
    if breakdown == "substance":
        return key.capitalize() if key else "Không ghi chất ma túy"
    return key or "Không rõ"


def _value(units: Sequence[Counted], measure: str) -> dict[str, Any]:
    if measure != "deadline_on_time":
        return {"value": len(units)}
    met = sum(1 for u in units if u.met)
    return {"value": percent(met, len(units)), "met": met, "closed": len(units)}


def headline(figures: Figures) -> int | float | None:
    """The figure of the whole area: persons counted, or the share of time limits met."""
    value: int | float | None = _value(figures.counted, figures.version.measure)["value"]
    return value


def percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100 * part / whole, RATIO_DIGITS)


def figures_answer(repo: Repository, catalogue: IndicatorCatalogue, figures: Figures) -> Record:
    """The figure of the area and its breakdowns, as the API answers them."""
    measure = figures.version.measure
    breakdowns: dict[str, list[Record]] = {}
    for breakdown in figures.indicator.breakdowns:
        groups: dict[str, list[Counted]] = {}
        for unit in figures.counted:
            groups.setdefault(_group_key(catalogue, breakdown, unit, figures.period.last_day), []).append(unit)
        breakdowns[breakdown] = [
            {"key": key, "title": _group_title(repo, breakdown, key), **_value(units, measure)}
            for key, units in sorted(groups.items())
        ]
    return {
        **_header(figures.indicator, figures.version, figures.period, figures.area),
        **_value(figures.counted, measure),
        "breakdowns": breakdowns,
    }


def _header(indicator: Indicator, version: IndicatorVersion, period: Period, area: Area) -> Record:
    return {
        "indicator": indicator.code,
        "title": indicator.title_vi,
        "unit": indicator.unit_vi,
        "measure": version.measure,
        "version": version.effective_from.isoformat(),
        "source": indicator.source,
        "unverified": indicator.unverified,
        "period": {
            "label": period.label,
            "kind": period.kind,
            "first_day": period.first_day.isoformat(),
            "last_day": period.last_day.isoformat(),
            "title": period.title_vi,
        },
        "area": {"province_code": area.province_code, "commune_code": area.commune_code},
    }


def ratio_answer(
    repo: Repository,
    catalogue: IndicatorCatalogue,
    indicator: Indicator,
    period: Period,
    area: Area,
    memo: Memo | None = None,
) -> Record:
    """A ratio indicator: numerator and denominator counted over the same period and area, per breakdown."""
    version = indicator.version_on(period.last_day)
    assert version.numerator is not None and version.denominator is not None  # checked on load
    top = count(repo, catalogue.get(version.numerator), period, area, memo)
    bottom = count(repo, catalogue.get(version.denominator), period, area, memo)
    breakdowns: dict[str, list[Record]] = {}
    for breakdown in indicator.breakdowns:
        tops = Counter(_group_key(catalogue, breakdown, u, period.last_day) for u in top.counted)
        bottoms = Counter(_group_key(catalogue, breakdown, u, period.last_day) for u in bottom.counted)
        breakdowns[breakdown] = [
            {
                "key": key,
                "title": _group_title(repo, breakdown, key),
                "value": percent(tops[key], bottoms[key]),
                "numerator": tops[key],
                "denominator": bottoms[key],
            }
            for key in sorted(set(tops) | set(bottoms))
        ]
    return {
        **_header(indicator, version, period, area),
        "value": percent(len(top.counted), len(bottom.counted)),
        "numerator": len(top.counted),
        "denominator": len(bottom.counted),
        "breakdowns": breakdowns,
    }


def area_of(rulebook: Rulebook, actor: Actor, province_code: str | None, commune_code: str | None) -> Area:
    """The area asked for, within the officer's: a commune unit counts its commune, a province-level unit its
    province, a national unit anywhere."""
    sight = sight_of(rulebook.regimes, actor)
    if province_code is not None:
        _known(province_name, province_code, "province")
    if commune_code is not None:
        place = _known(commune, commune_code, "commune")
        if province_code is not None and province_code != place.province_code:
            raise InvalidInputError("Xã/phường không thuộc tỉnh/thành phố đã chọn", field="commune")
        province_code = place.province_code
    if sight.territory == "all":
        return Area(province_code, commune_code)
    own_province = sight.province_code
    if sight.territory == "commune":
        if commune_code not in (None, sight.commune_code) or province_code not in (None, own_province):
            raise PermissionDeniedError("Chỉ xem được số liệu của xã/phường thuộc đơn vị mình", field="commune")
        return Area(own_province, sight.commune_code)
    if province_code not in (None, own_province):
        raise PermissionDeniedError("Chỉ xem được số liệu của tỉnh/thành phố thuộc đơn vị mình", field="province")
    return Area(own_province, commune_code)


def _known(lookup: Callable[[str], T], code: str, field: str) -> T:
    """A place looked up by code, an unknown one refused as the query field the officer filled in."""
    try:
        return lookup(code)
    except InvalidInputError as exc:
        raise InvalidInputError(exc.message, field=field) from None


def indicator_report(
    repo: Repository,
    rulebook: Rulebook,
    catalogue: IndicatorCatalogue,
    actor: Actor,
    code: str,
    period_label: str,
    province_code: str | None = None,
    commune_code: str | None = None,
) -> Record:
    indicator = catalogue.get(code)
    period = parse_period(period_label, catalogue.periods.rules[indicator.period_rule])
    if period.kind not in indicator.periods:
        raise InvalidInputError(f"Chỉ tiêu '{code}' không báo cáo theo kỳ {period.kind}", field="period")
    return _indicator_answer(repo, catalogue, indicator, period, area_of(rulebook, actor, province_code, commune_code))


def per_staff_answer(
    repo: Repository,
    catalogue: IndicatorCatalogue,
    indicator: Indicator,
    period: Period,
    area: Area,
    memo: Memo | None = None,
) -> Record:
    """Persons counted by the numerator indicator per active officer of each facility, against the norm."""
    version = indicator.version_on(period.last_day)
    assert version.numerator is not None and version.norm is not None  # checked on load
    counted = catalogue.get(version.numerator)
    figures = count(repo, counted, period, area, memo)
    parties = [p.facility_party for p in counted.version_on(period.last_day).population if p.facility_party]
    facilities = set(repo.statistics.units_of_kind(parties[0], area.province_code)) if parties else set()
    residents = Counter(u.facility for u in figures.counted if u.facility)
    facilities |= set(residents)
    staff = repo.statistics.staff_of(sorted(facilities), version.staff_roles)
    groups = [
        {
            "key": code,
            "title": _group_title(repo, "facility", code),
            "value": _per(residents[code], staff.get(code, 0)),
            "numerator": residents[code],
            "denominator": staff.get(code, 0),
            "over_norm": _over_norm(residents[code], staff.get(code, 0), version.norm),
        }
        for code in sorted(facilities)
    ]
    total_residents, total_staff = sum(residents.values()), sum(staff.values())
    return {
        **_header(indicator, version, period, area),
        "value": _per(total_residents, total_staff),
        "numerator": total_residents,
        "denominator": total_staff,
        "norm": version.norm,
        "breakdowns": {"facility": groups},
    }


def _over_norm(counted: int, staff: int, norm: int) -> bool:
    """More counted than the norm allows for the staff (any counted at a facility with no officer)."""
    return counted > norm * staff if staff else counted > 0


def _per(part: int, staff: int) -> float | None:
    return None if staff == 0 else round(part / staff, RATIO_DIGITS)


def _indicator_answer(
    repo: Repository,
    catalogue: IndicatorCatalogue,
    indicator: Indicator,
    period: Period,
    area: Area,
    memo: Memo | None = None,
) -> Record:
    measure = indicator.version_on(period.last_day).measure
    if measure == "ratio":
        return ratio_answer(repo, catalogue, indicator, period, area, memo)
    if measure == "per_staff":
        return per_staff_answer(repo, catalogue, indicator, period, area, memo)
    return figures_answer(repo, catalogue, count(repo, indicator, period, area, memo))


def area_report(
    repo: Repository,
    rulebook: Rulebook,
    catalogue: IndicatorCatalogue,
    actor: Actor,
    period_label: str,
    province_code: str | None = None,
    commune_code: str | None = None,
) -> list[Record]:
    """Every indicator given for the kind of ``period_label``, over one area: the periodic report's figures."""
    area = area_of(rulebook, actor, province_code, commune_code)
    memo = Memo()
    answers = []
    for indicator in catalogue.indicators.values():
        period = parse_period(period_label, catalogue.periods.rules[indicator.period_rule])
        if period.kind in indicator.periods and indicator.versions[0].effective_from <= period.last_day:
            answers.append(_indicator_answer(repo, catalogue, indicator, period, area, memo))
    return answers


DRILL_CHUNK = 500


def figure_dossiers(
    repo: Repository,
    rulebook: Rulebook,
    catalogue: IndicatorCatalogue,
    actor: Actor,
    request: DrillDown,
) -> Record:
    """The dossiers behind a figure (the whole area's, or one group of a breakdown), as far as the officer may
    see them: one dossier per person counted (the one that placed them), one per time limit counted."""
    indicator = catalogue.get(request.code)
    period = parse_period(request.period, catalogue.periods.rules[indicator.period_rule])
    area = area_of(rulebook, actor, request.province_code, request.commune_code)
    version = indicator.version_on(period.last_day)
    if version.measure == "ratio":
        if request.part not in ("numerator", "denominator"):
            raise InvalidInputError("Chỉ tiêu tỷ lệ: chọn part=numerator hoặc part=denominator", field="part")
        counted_code = version.numerator if request.part == "numerator" else version.denominator
        assert counted_code is not None  # checked on load
        figures = count(repo, catalogue.get(counted_code), period, area)
    elif version.measure == "per_staff":
        assert version.numerator is not None  # checked on load
        figures = count(repo, catalogue.get(version.numerator), period, area)
    else:
        figures = count(repo, indicator, period, area)
    units = figures.counted
    if request.breakdown is not None:
        if request.breakdown not in indicator.breakdowns:
            raise InvalidInputError(
                f"Chỉ tiêu '{indicator.code}' không chia theo '{request.breakdown}'", field="breakdown"
            )
        units = [
            u for u in units if _group_key(catalogue, request.breakdown, u, period.last_day) == (request.key or "")
        ]
    ids = sorted({u.dossier_id for u in units})
    after = [i for i in ids if request.cursor is None or i > request.cursor]
    sight = sight_of(rulebook.regimes, actor)
    rows: list[Record] = []
    for start in range(0, len(after), DRILL_CHUNK):
        rows += repo.statistics.visible_dossiers(sight, after[start : start + DRILL_CHUNK])
        if len(rows) >= request.limit:
            break
    rows = sorted(rows, key=lambda r: str(r["id"]))[: request.limit]
    visible_total = repo.statistics.count_visible(sight, ids)
    today = period.last_day
    return {
        **_header(indicator, version, period, area),
        "breakdown": request.breakdown,
        "key": request.key,
        "counted": len(units),
        "dossiers": len(ids),
        "not_visible": len(ids) - visible_total,
        "items": [_drilled(rulebook, actor, row, today) for row in rows],
        "next_cursor": str(rows[-1]["id"]) if len(rows) == request.limit else None,
    }


def _drilled(rulebook: Rulebook, actor: Actor, row: Record, today: date) -> Record:
    definition = rulebook.pinned(row["procedure_code"], row["procedure_version"]).definition
    minor = is_minors_case([row["procedure_code"]], row["date_of_birth"], today)
    return {
        "id": row["id"],
        "procedure": row["procedure_code"],
        "procedure_title": definition.title_vi,
        "state": row["state"],
        "state_title": definition.states[row["state"]].title_vi,
        "commune_code": row["commune_code"],
        "commune_name": commune(row["commune_code"]).name,
        "opened_at": row["opened_at"].isoformat(),
        "person": shown_identity(
            actor.role, minor, row["full_name"], row["date_of_birth"].isoformat(), row["id_number"]
        ),
    }


@dataclass(frozen=True)
class DrillDown:
    code: str
    period: str
    province_code: str | None = None
    commune_code: str | None = None
    breakdown: Breakdown | None = None
    key: str | None = None
    part: str | None = None
    cursor: str | None = None
    limit: int = 50
