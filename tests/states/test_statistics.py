"""Indicators computed from the dossiers: the catalogue is checked against the procedures, periods are bounded
by their rule, and on any population the communes add up to the province and the provinces to the country, each
person counted once — checked against counts computed here from the population itself."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config import CONFIG_DIR
from states.errors import DefinitionError, InvalidInputError, PermissionDeniedError
from states.indicators import IndicatorCatalogue, load_indicators
from states.procedures import Rulebook
from states.reporting_periods import Period, parse_period, sub_periods
from states.statistics import DrillDown, area_of, count, figure_dossiers, indicator_report
from states.store.statistics import Area
from tests.conftest import World, add_officers
from tests.states.population import DossierSpec, PersonSpec, Step, at, clear_population, write_population

HANOI = ("01", ("00070", "00004"))
HCMC = ("79", ("26506", "26526"))
PLACES = [(HANOI[0], c) for c in HANOI[1]] + [(HCMC[0], c) for c in HCMC[1]]

# Steps a dossier may take in the tests, per procedure: (event, state it leads to).
MOVES = {
    "drug_user_management": [
        ("accepted", "awaiting_decision"),
        ("decision_issued", "under_management"),
        ("use_detected", "determination_pending"),
        ("term_expired", "completed"),
        ("died", "terminated_death_or_missing"),
    ],
    "post_rehab_supervision": [
        ("facility_papers_received", "awaiting_decision"),
        ("decision_issued", "under_management"),
        ("decision_issued_one_year", "under_management"),
        ("use_detected", "suspected_relapse"),
        ("addicted", "relapse_confirmed"),
        ("term_expired", "completed"),
    ],
}
INITIAL = {"drug_user_management": "detected", "post_rehab_supervision": "post_rehab_pending"}


@pytest.fixture
def catalogue() -> IndicatorCatalogue:
    return load_indicators()


def _procedures(rulebook: Rulebook) -> dict[str, list[tuple[set[str], set[str]]]]:
    return {
        code: [(set(v.definition.states), set(v.definition.events)) for v in versions]
        for code, versions in rulebook.procedures.items()
    }


def test_every_indicator_names_states_and_events_its_procedures_have(
    catalogue: IndicatorCatalogue, rulebook: Rulebook
) -> None:
    assert catalogue.check(_procedures(rulebook)) == []
    assert len(catalogue.indicators) >= 15
    measures = Counter(i.versions[-1].measure for i in catalogue.indicators.values())
    assert set(measures) == {"stock", "flow", "ratio", "deadline_on_time", "per_staff"}
    for indicator in catalogue.indicators.values():
        assert indicator.source and indicator.title_vi


def test_a_broken_indicator_is_refused_on_load_with_its_problem(tmp_path: Path, rulebook: Rulebook) -> None:
    directory = tmp_path / "indicators"
    directory.mkdir()
    for name in ("periods.yaml", "age_groups.yaml"):
        (directory / name).write_text((CONFIG_DIR / "indicators" / name).read_text(encoding="utf-8"), encoding="utf-8")
    (directory / "bad.yaml").write_text(
        "code: bad\ntitle_vi: Sai\nunit_vi: người\nsource: thử\nversions:\n"
        "  - effective_from: 2022-01-01\n    measure: stock\n    population:\n"
        "      - procedure: drug_user_management\n        states: [no_such_state]\n",
        encoding="utf-8",
    )
    problems = load_indicators(directory).check(_procedures(rulebook))
    assert problems == ["bad (2022-01-01): thủ tục drug_user_management không có trạng thái 'no_such_state'"]
    (directory / "bad.yaml").write_text(
        "code: bad\ntitle_vi: Sai\nunit_vi: người\nsource: thử\nversions:\n"
        "  - effective_from: 2022-01-01\n    measure: flow\n    population:\n"
        "      - procedure: drug_user_management\n        states: [under_management]\n",
        encoding="utf-8",
    )
    load_indicators.cache_clear()
    with pytest.raises(DefinitionError, match="cần events"):
        load_indicators(directory)
    load_indicators.cache_clear()


def test_periods_close_on_the_14th_or_follow_the_calendar(catalogue: IndicatorCatalogue) -> None:
    closed = catalogue.periods.rules["nd09_2019"]
    calendar = catalogue.periods.rules["calendar"]
    assert (parse_period("2026", closed).first_day, parse_period("2026", closed).last_day) == (
        date(2025, 12, 15),
        date(2026, 12, 14),
    )
    half = parse_period("2026-H1", closed)
    assert (half.first_day, half.last_day) == (date(2025, 12, 15), date(2026, 6, 14))
    assert parse_period("2026-02", calendar).last_day == date(2026, 2, 28)
    assert parse_period("2024-02", calendar).last_day == date(2024, 2, 29)
    quarter = parse_period("2026-Q3", closed)
    months = sub_periods(quarter, "month", closed)
    assert [m.label for m in months] == ["2026-07", "2026-08", "2026-09"]
    assert months[0].first_day == quarter.first_day and months[-1].last_day == quarter.last_day
    assert quarter.start.isoformat() == "2026-06-15T00:00:00+07:00"
    for bad in ("2026-13", "2026-Q5", "26", "2026-H3", "1899", "2026-7", ""):
        with pytest.raises(InvalidInputError, match=r"Kỳ báo cáo|Năm của kỳ"):
            parse_period(bad, closed)


def test_a_commune_officer_sees_only_their_commune_and_a_province_officer_their_province(world: World) -> None:
    police, pc04, admin = (world.actors[name] for name in ("police", "pc04", "admin"))
    assert area_of(world.rulebook, police, None, None) == Area("01", "00070")
    with pytest.raises(PermissionDeniedError):
        area_of(world.rulebook, police, None, "00004")
    assert area_of(world.rulebook, pc04, None, "00004") == Area("01", "00004")
    with pytest.raises(PermissionDeniedError):
        area_of(world.rulebook, pc04, "79", None)
    assert area_of(world.rulebook, admin, None, "26506") == Area("79", "26506")
    with pytest.raises(InvalidInputError, match="không thuộc tỉnh"):
        area_of(world.rulebook, admin, "01", "26506")


# -- golden: a hand-made population and its counts -----------------------------------------------------------

GOLDEN_PEOPLE = [
    PersonSpec("male", date(1990, 1, 1)),
    PersonSpec("female", date(2009, 6, 1)),
    PersonSpec("male", date(1985, 3, 3)),
    PersonSpec(None, date(2000, 1, 1)),
]
# Q1/2026 under the closing rule runs 15/12/2025 – 14/03/2026: day -17 to day 72 from 01/01/2026.
GOLDEN_FILES = [
    # Person 0: under management from day 10 in Hoàn Kiếm, still at the end of Q1.
    DossierSpec(
        0,
        "drug_user_management",
        "00070",
        "01",
        0,
        "detected",
        (Step(5, "accepted", "awaiting_decision"), Step(10, "decision_issued", "under_management")),
    ),
    # Person 0 again, a second dossier in Ba Đình opened later: he is counted once, in Ba Đình (latest step).
    DossierSpec(
        0,
        "drug_user_management",
        "00004",
        "01",
        20,
        "detected",
        (Step(21, "accepted", "awaiting_decision"), Step(30, "decision_issued", "under_management")),
    ),
    # Person 1: under management, then completed on day 60 — not standing at the end of Q1.
    DossierSpec(
        1,
        "drug_user_management",
        "00070",
        "01",
        1,
        "detected",
        (Step(2, "decision_issued", "under_management"), Step(60, "term_expired", "completed")),
    ),
    # Person 2: decision only after Q1 ends (day 80): not counted in Q1, counted in the year.
    DossierSpec(
        2, "drug_user_management", "26506", "79", 3, "detected", (Step(80, "decision_issued", "under_management"),)
    ),
    # Person 3: post-rehab placement on day 40 in Hồ Chí Minh City.
    DossierSpec(
        3,
        "post_rehab_supervision",
        "26526",
        "79",
        30,
        "post_rehab_pending",
        (Step(35, "facility_papers_received", "awaiting_decision"), Step(40, "decision_issued", "under_management")),
        deadline_statuses=((40, "met"), (41, "met_late"), (42, "expired"), (43, "superseded")),
    ),
]


def _figures(world: World, catalogue: IndicatorCatalogue, code: str, period: str, area: Area) -> dict[str, int]:
    indicator = catalogue.get(code)
    with world.db.reading() as repo:
        counted = count(repo, indicator, parse_period(period, catalogue.periods.rules[indicator.period_rule]), area)
    return dict(Counter(u.commune_code for u in counted.counted))


def test_golden_population_counts(world: World, catalogue: IndicatorCatalogue) -> None:
    write_population(world.db, GOLDEN_PEOPLE, GOLDEN_FILES, world.actors["police"].user_id)
    country = Area()
    assert _figures(world, catalogue, "drug_users_under_management", "2026-Q1", country) == {"00004": 1}
    assert _figures(world, catalogue, "drug_users_under_management", "2026-01", country) == {"00070": 2}
    assert _figures(world, catalogue, "drug_users_under_management", "2026-Q2", country) == {"00004": 1, "26506": 1}
    assert _figures(world, catalogue, "post_rehab_placements", "2026-Q1", country) == {"26526": 1}
    assert _figures(world, catalogue, "post_rehab_placements", "2026-Q2", country) == {}
    with world.db.reading() as repo:
        admin = world.actors["admin"]
        report = indicator_report(repo, world.rulebook, catalogue, admin, "drug_users_under_management", "2026-01")
        on_time = indicator_report(repo, world.rulebook, catalogue, admin, "deadlines_on_time", "2026-Q1")
        share = indicator_report(
            repo, world.rulebook, catalogue, admin, "completers_placed_under_post_rehab", "2026-Q1"
        )
    assert report["value"] == 2
    assert {g["key"]: g["value"] for g in report["breakdowns"]["sex"]} == {"male": 1, "female": 1}
    assert {g["key"]: g["value"] for g in report["breakdowns"]["age_group"]} == {
        "16–17": 1,
        "from 31".replace("from", "từ"): 1,
    }
    assert {g["key"]: g["title"] for g in report["breakdowns"]["province"]} == {"01": "Thành phố Hà Nội"}
    # Three time limits closed in Q1 (the superseded one does not count); one met in time.
    assert (on_time["value"], on_time["met"], on_time["closed"]) == (33.3, 1, 3)
    # One placement, no completion recorded in Q1: the share has no denominator.
    assert (share["value"], share["numerator"], share["denominator"]) == (None, 1, 0)


def test_the_dossiers_behind_a_figure_are_listed_within_the_officers_sight(
    world: World, catalogue: IndicatorCatalogue
) -> None:
    ids = write_population(world.db, GOLDEN_PEOPLE, GOLDEN_FILES, world.actors["police"].user_id)
    with world.db.reading() as repo:
        province = figure_dossiers(
            repo, world.rulebook, catalogue, world.actors["pc04"], DrillDown("drug_users_under_management", "2026-01")
        )
        commune = figure_dossiers(
            repo,
            world.rulebook,
            catalogue,
            world.actors["other_police"],
            DrillDown("drug_users_under_management", "2026-Q1", breakdown="commune", key="00004"),
        )
    assert province["counted"] == 2 and province["not_visible"] == 0
    assert sorted(item["id"] for item in province["items"]) == sorted([ids[0], ids[2]])
    assert [item["id"] for item in commune["items"]] == [ids[1]]
    minor = next(item for item in province["items"] if item["id"] == ids[2])
    assert minor["person"]["full_name"] == "Người Thứ 1"  # the police act in a minor's case: shown whole


# -- properties: any population ------------------------------------------------------------------------------

steps = st.lists(st.tuples(st.integers(0, 200), st.integers(0, 5)), max_size=5)
dossier_specs = st.tuples(
    st.integers(0, 5),  # person
    st.sampled_from(sorted(MOVES)),
    st.sampled_from(PLACES),
    st.integers(-40, 150),  # opened on
    steps,
)
populations = st.tuples(
    st.lists(
        st.tuples(st.sampled_from(["male", "female", None]), st.dates(date(1960, 1, 1), date(2013, 12, 31))),
        min_size=6,
        max_size=6,
    ),
    st.lists(dossier_specs, min_size=1, max_size=12),
)
INDICATORS = ["drug_users_under_management", "under_post_rehab_management", "post_rehab_placements", "relapses"]
PERIODS = ["2026-01", "2026-Q1", "2026-Q2", "2026-H1", "2026"]


RawDossier = tuple[int, str, tuple[str, str], int, list[tuple[int, int]]]


def _specs(raw: list[RawDossier]) -> list[DossierSpec]:
    files = []
    for person, procedure, (province, commune), opened, moves in raw:
        chosen = sorted((opened + 1 + offset, MOVES[procedure][pick % len(MOVES[procedure])]) for offset, pick in moves)
        files.append(
            DossierSpec(
                person,
                procedure,
                commune,
                province,
                opened,
                INITIAL[procedure],
                tuple(Step(day, event, state) for day, (event, state) in chosen),
            )
        )
    return files


def _expected_persons(catalogue: IndicatorCatalogue, code: str, period: Period, files: list[DossierSpec]) -> set[int]:
    """The persons the indicator should count, from the population alone."""
    version = catalogue.get(code).version_on(period.last_day)
    found = set()
    for part in version.population:
        for spec in files:
            if spec.procedure != part.procedure:
                continue
            if version.measure == "stock":
                if spec.state_before(period.end) in part.states:
                    found.add(spec.person)
            elif any(
                s.event in part.events
                and (not part.states or s.to_state in part.states)
                and period.start <= at(s.day) < period.end
                for s in spec.steps
            ):
                found.add(spec.person)
    return found


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(population=populations, code=st.sampled_from(INDICATORS), label=st.sampled_from(PERIODS))
def test_communes_add_up_to_provinces_and_provinces_to_the_country_each_person_once(
    world: World,
    catalogue: IndicatorCatalogue,
    population: tuple[list[tuple[str | None, date]], list[RawDossier]],
    code: str,
    label: str,
) -> None:
    people, raw = population
    files = _specs(raw)
    clear_population(world.db)
    write_population(world.db, [PersonSpec(sex, born) for sex, born in people], files, world.actors["police"].user_id)
    indicator = catalogue.get(code)
    period = parse_period(label, catalogue.periods.rules[indicator.period_rule])
    with world.db.reading() as repo:
        country = count(repo, indicator, period, Area())
        provinces = {p: count(repo, indicator, period, Area(p)) for p in (HANOI[0], HCMC[0])}
        communes = {c: count(repo, indicator, period, Area(p, c)) for p, c in PLACES}
    keys = [u.key for u in country.counted]
    assert len(keys) == len(set(keys)), "a person counted twice"
    expected = _expected_persons(catalogue, code, period, files)
    assert len(country.counted) == len(expected)
    # Each province's own figure is the country's figure for it and the sum of its communes' figures.
    by_province = Counter(u.province_code for u in country.counted)
    for province, figures in provinces.items():
        assert len(figures.counted) == by_province.get(province, 0)
        own_communes = [c for p, c in PLACES if p == province]
        assert sum(len(communes[c].counted) for c in own_communes) == len(figures.counted)
    assert sum(by_province.values()) == len(country.counted)
    by_commune = Counter(u.commune_code for u in country.counted)
    assert all(len(communes[c].counted) == by_commune.get(c, 0) for _, c in PLACES)


def test_figures_break_down_by_the_substance_recorded(world: World, catalogue: IndicatorCatalogue) -> None:
    people = [PersonSpec("male", date(1990, 1, 1)) for _ in range(3)]
    managed = (Step(2, "decision_issued", "under_management"),)
    files = [
        DossierSpec(0, "drug_user_management", "00070", "01", 1, "detected", managed, facts={"substances": "Heroin"}),
        DossierSpec(1, "drug_user_management", "00070", "01", 1, "detected", managed, facts={"substances": "heroin "}),
        DossierSpec(2, "drug_user_management", "00004", "01", 1, "detected", managed),
    ]
    write_population(world.db, people, files, world.actors["police"].user_id)
    with world.db.reading() as repo:
        report = indicator_report(
            repo, world.rulebook, catalogue, world.actors["pc04"], "drug_users_under_management", "2026-Q1"
        )
    shown = {g["key"]: (g["title"], g["value"]) for g in report["breakdowns"]["substance"]}
    assert shown == {"heroin": ("Heroin", 2), "": ("Không ghi chất ma túy", 1)}


def test_residents_per_officer_are_measured_against_the_norm(world: World, catalogue: IndicatorCatalogue) -> None:
    add_officers(
        world,
        {"cb1": ("rehab_facility_officer", "CSCN-A"), "cb2": ("rehab_facility_director", "CSCN-A")},
        units=[
            {"code": "CSCN-A", "name": "Cơ sở A", "kind": "rehab_facility", "province_code": "01"},
            {"code": "CSCN-B", "name": "Cơ sở B", "kind": "rehab_facility", "province_code": "01"},
        ],
    )
    people = [PersonSpec("male", date(1990, 1, 1)) for _ in range(16)]
    serving = (Step(3, "handed_over", "serving"),)
    files = [
        DossierSpec(
            n,
            "compulsory_rehab_execution",
            "00070",
            "01",
            1,
            "awaiting_transfer",
            serving,
            parties={"rehab_facility": "CSCN-A" if n < 15 else "CSCN-B"},
        )
        for n in range(16)
    ]
    write_population(world.db, people, files, world.actors["police"].user_id)
    with world.db.reading() as repo:
        report = indicator_report(
            repo, world.rulebook, catalogue, world.actors["pc04"], "residents_per_staff", "2026-Q1"
        )
    groups = {
        g["key"]: (g["value"], g["numerator"], g["denominator"], g["over_norm"])
        for g in report["breakdowns"]["facility"]
    }
    # A: 15 residents for 2 officers (7.5 > 7); B: one resident and nobody to look after them.
    assert groups == {"CSCN-A": (7.5, 15, 2, True), "CSCN-B": (None, 1, 0, True)}
    assert (report["value"], report["numerator"], report["denominator"], report["norm"]) == (8.0, 16, 2, 7)
