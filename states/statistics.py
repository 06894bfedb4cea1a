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
from fractions import Fraction
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
    """The units counted for a stock, flow, during or deadline indicator (a ratio is counted by its two parts, a
    per-staff indicator by its groups of residents)."""
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
    parts = [Part(p.procedure, p.states, p.events, p.facility_party, p.entered_states) for p in version.population]
    if version.measure == "stock":
        rows = stats.standing(parts, period.end, among)
    elif version.measure == "flow":
        rows = stats.stepped(parts, period.start, period.end, among)
    elif version.measure == "during":
        # In one of the states at the start, or stepped into one during the period: the latest row places them.
        standing = [p for p in parts if p.states]
        rows = stats.standing(standing, period.start, among) if standing else []
        rows += stats.entered(parts, period.start, period.end, among)
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
    """Residents of each facility (every group's, each counted by its indicator) per active officer, and the
    officers the groups' norms call for: the facilities of every group's kind in the province, and any other
    facility with residents."""
    version = indicator.version_on(period.last_day)
    residents: dict[str, Counter[str]] = {}
    facilities: set[str] = set()
    for group in version.residents:
        counted = catalogue.get(group.indicator)
        figures = count(repo, counted, period, area, memo)
        residents[group.indicator] = Counter(u.facility for u in figures.counted if u.facility)
        facilities |= set(residents[group.indicator])
        for kind in sorted(
            {p.facility_party for p in counted.version_on(period.last_day).population if p.facility_party}
        ):
            facilities |= set(repo.statistics.units_of_kind(kind, area.province_code))
    staff = repo.statistics.staff_of(sorted(facilities), version.staff_roles)
    norms = {g.indicator: g.norm for g in version.residents}
    rows = []
    for code in sorted(facilities):
        here = {name: residents[name][code] for name in norms}
        rows.append(
            {
                "key": code,
                "title": _group_title(repo, "facility", code),
                **_staffing(here, staff.get(code, 0), norms),
            }
        )
    whole = {name: sum(counter.values()) for name, counter in residents.items()}
    needed = sum((_staff_needed(r["residents"], norms) for r in rows), Fraction(0))
    total_staff = sum(staff.values())
    return {
        **_header(indicator, version, period, area),
        "value": _per(sum(whole.values()), total_staff),
        "numerator": sum(whole.values()),
        "denominator": total_staff,
        "residents": whole,
        "norms": norms,
        "staff_needed": round(float(needed), RATIO_DIGITS),
        "over_norm": needed > total_staff,
        "breakdowns": {"facility": rows},
    }


def _staffing(residents: dict[str, int], staff: int, norms: dict[str, int]) -> Record:
    """One facility's residents per group and in all, its officers, residents per officer, the officers the
    norms call for (Σ residents of a group / its norm) and whether it has fewer (any resident and no officer is
    over the norm). Over the norm is decided on the exact number, not the one shown to a decimal."""
    total = sum(residents.values())
    needed = _staff_needed(residents, norms)
    return {
        "value": _per(total, staff),
        "numerator": total,
        "denominator": staff,
        "residents": residents,
        "staff_needed": round(float(needed), RATIO_DIGITS),
        "over_norm": needed > staff,
    }


def _staff_needed(residents: dict[str, int], norms: dict[str, int]) -> Fraction:
    return sum((Fraction(n, norms[name]) for name, n in residents.items()), Fraction(0))


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
        units = count(repo, catalogue.get(counted_code), period, area).counted
    elif version.measure == "per_staff":
        # The residents of every group (a person in two groups is behind both figures).
        memo = Memo()
        units = [
            u for g in version.residents for u in count(repo, catalogue.get(g.indicator), period, area, memo).counted
        ]
    else:
        units = count(repo, indicator, period, area).counted
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
