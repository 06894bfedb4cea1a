"""Administrative units and competence as data (``config/units/*.yaml``).

- which Tòa án nhân dân khu vực, and (by the assumption recorded in the file) which Viện kiểm sát nhân dân khu
  vực, serves each commune from 01/07/2025 (NQ 81/2025/UBTVQH15, NQ 84/2025/UBTVQH15);
- public rehab facilities and the police unit that manages them; health facilities qualified to determine
  addiction;
- the provinces, districts and communes before the 2025 reform and today's ones they became, so that an old
  address still resolves to today's province, commune(s) and competent court.

Every entry carries its ``source``; what was inferred rather than read is ``verified: false`` with a note
saying "(chưa kiểm chứng)". The files are checked when loaded: each commune must be a current commune of the
unit's province (vietnam-provinces), no commune may be served by two units of one kind, codes are unique and
follow their scheme; errors are Vietnamese and name the file and the entry.

Looking up the competent unit of a commune is a dictionary read on data loaded once per process
(``default_units``): it is on the hot path of every jurisdiction check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from vietnam_provinces import Province

from config import CONFIG_DIR
from states.accounts import create_unit
from states.errors import DefinitionError, HosoError, InvalidInputError
from states.places import Commune, commune, communes_of, province_name
from states.regimes import RegimeTable
from states.store.repository import Repository
from states.texts import name_key, normalize_name
from states.yaml_loading import read_yaml

UNITS_DIR = CONFIG_DIR / "units"
COURTS_FILE = "regional_courts.yaml"
REHAB_FILE = "rehab_facilities.yaml"
HEALTH_FILE = "health_facilities.yaml"
LEGACY_FILE = "legacy_districts.yaml"
DATA_FILES = (COURTS_FILE, REHAB_FILE, HEALTH_FILE, LEGACY_FILE)
UNVERIFIED = "chưa kiểm chứng"

COURT_NAME = "Tòa án nhân dân khu vực"
PROCURACY_NAME = "Viện kiểm sát nhân dân khu vực"
COURT_PREFIX = "TAKV-"
PROCURACY_PREFIX = "VKSKV-"
_CODE_SCHEMES = {
    "court": re.compile(r"^TAKV-(\d{2})-(\d{2})$"),
    "rehab": re.compile(r"^CSCN-(\d{2})-\d{2}$"),
    "police": re.compile(r"^CAT-(\d{2})$"),
    "health": re.compile(r"^CSYT-(\d{2})-\d{2}$"),
}


# -- file models -----------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Sourced(_Strict):
    source: str = Field(min_length=1)
    verified: bool = True
    note: str | None = None

    @model_validator(mode="after")
    def _unverified_says_so(self) -> _Sourced:
        if not self.verified and (self.note is None or UNVERIFIED not in self.note):
            raise ValueError(f"mục có verified: false phải có ghi chú (note) nêu rõ '({UNVERIFIED})'")
        return self


class CommuneRef(_Strict):
    code: str
    name: str
    verified: bool = True
    note: str | None = None

    @model_validator(mode="after")
    def _unverified_says_so(self) -> CommuneRef:
        if not self.verified and (self.note is None or UNVERIFIED not in self.note):
            raise ValueError(f"xã, phường có verified: false phải có ghi chú (note) nêu rõ '({UNVERIFIED})'")
        return self


class _Court(_Sourced):
    code: str
    name: str
    province_code: str
    seat: str | None = None
    successor_of: tuple[str, ...] = ()
    complete: bool
    communes: tuple[CommuneRef, ...] = ()


class _ProcuracyMirror(_Sourced):
    unit_kind: str


class _CourtsFile(_Strict):
    unit_kind: str
    in_force_from: date
    procuracies: _ProcuracyMirror
    courts: tuple[_Court, ...]


class _PoliceUnit(_Strict):
    code: str
    name: str
    division: str | None = None


class _RehabFacility(_Sourced):
    code: str
    name: str
    province_code: str
    commune_code: str | None = None
    address_before_2025_07: str | None = None
    managed_by: _PoliceUnit
    former_manager: str | None = None


class _RehabFile(_Strict):
    unit_kind: str
    police_unit_kind: str
    police_since: date
    facilities: tuple[_RehabFacility, ...]


class _HealthFacility(_Sourced):
    code: str
    name: str
    province_code: str
    commune_code: str | None = None


class _HealthFile(_Strict):
    unit_kind: str
    facilities: tuple[_HealthFacility, ...]


class _LegacyProvince(_Sourced):
    province_code: str
    former: tuple[str, ...] = Field(min_length=1)
    aliases: tuple[str, ...] = ()


class _LegacyDistrict(_Sourced):
    name: str
    former_province: str
    communes: tuple[CommuneRef, ...] = ()
    complete: bool


class _LegacyCommune(_Sourced):
    name: str
    district: str
    former_province: str
    to: tuple[CommuneRef, ...] = Field(min_length=1)
    split: bool
    complete: bool


class _LegacyFile(_Strict):
    provinces: tuple[_LegacyProvince, ...]
    districts: tuple[_LegacyDistrict, ...] = ()
    communes: tuple[_LegacyCommune, ...] = ()


# -- what the rest of hoso sees --------------------------------------------------------------------------


@dataclass(frozen=True)
class DataUnit:
    """A unit described by the data files (loaded into the ``units`` table by ``hoso units load``)."""

    code: str
    name: str
    kind: str
    province_code: str
    file: str
    source: str
    verified: bool = True
    note: str | None = None
    commune_code: str | None = None
    communes: tuple[str, ...] = ()
    """For a unit with competence by area: the communes it serves (codes)."""
    complete: bool = True
    """For a unit with competence by area: whether ``communes`` is its whole territory."""
    successor_of: tuple[str, ...] = ()
    """For a regional court or procuracy: the former districts whose court or procuracy it took over."""
    managed_by: str | None = None
    """For a rehab facility: the code of the police unit that manages it."""


@dataclass(frozen=True)
class Competence:
    """Who is competent for a commune on a date.

    Before 01/07/2025 (regimes VN2021, VN2025A) it was the district court and procuracy, which the data does
    not hold: ``regime == "district"`` and no unit. From then on, the regional court and procuracy the data
    gives for the commune; when it gives none, ``court`` is None and any regional unit of the province acts
    (``from_data`` is False: not verified from data)."""

    commune: Commune
    on: date
    regime: Literal["district", "regional"]
    court: DataUnit | None
    procuracy: DataUnit | None

    @property
    def from_data(self) -> bool:
        return self.court is not None


@dataclass(frozen=True)
class LegacyAddress:
    """An address given with the units before 01/07/2025, as it reads today."""

    province_code: str
    province_name: str
    district: str
    former_province: str | None
    former_commune: str | None
    communes: tuple[Commune, ...]
    """Today's commune(s) the address lies in (several when the data cannot tell which one)."""
    exact: bool
    """One commune, known for certain from the data."""
    court: DataUnit | None
    court_basis: Literal["commune", "district_successor"] | None
    """``commune``: the court competent for the commune(s); ``district_successor``: the regional court that took
    over the former district court's work (NQ 81/2025), when the commune does not decide it."""
    verified: bool
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class FormerCommune:
    """A commune before 01/07/2025 and what it became."""

    name: str
    successors: tuple[CommuneRef, ...]
    split: bool
    """Divided among several of today's communes (``successors`` lists those the data knows)."""
    complete: bool
    """Whether ``successors`` are all the communes its territory went to."""
    verified: bool
    note: str | None = None


@dataclass(frozen=True)
class SyncReport:
    created: tuple[str, ...] = ()
    renamed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()


@dataclass(frozen=True)
class _District:
    name: str
    former_province: str
    province_code: str
    communes: tuple[CommuneRef, ...]
    complete: bool
    verified: bool
    note: str | None
    successor: str | None = None


@dataclass
class UnitsData:
    """The loaded, checked data files, with the indexes the lookups use."""

    in_force_from: date
    units: tuple[DataUnit, ...]
    court_kind: str
    procuracy_kind: str
    provinces: tuple[_LegacyProvince, ...]
    districts: tuple[_District, ...]
    communes: tuple[_LegacyCommune, ...]
    _competent: dict[str, dict[str, str]] = field(default_factory=dict)

    @cached_property
    def by_code(self) -> dict[str, DataUnit]:
        return {unit.code: unit for unit in self.units}

    @property
    def regional_kinds(self) -> frozenset[str]:
        return frozenset(self._competent)

    @cached_property
    def provinces_with_data(self) -> frozenset[str]:
        return frozenset(unit.province_code for unit in self.units if unit.kind == self.court_kind and unit.communes)

    def unit(self, code: str) -> DataUnit | None:
        return self.by_code.get(code)

    def served_communes(self, kind: str) -> Mapping[str, str]:
        """Commune code → code of the unit of ``kind`` the data makes competent for it (empty: no data)."""
        return self._competent.get(kind, {})

    def competent_unit(self, kind: str, commune_code: str) -> str | None:
        """The code of the unit of ``kind`` the data gives for the commune, or None when it gives none."""
        table = self._competent.get(kind)
        return None if table is None else table.get(commune_code)

    def competence(self, commune_code: str, on: date) -> Competence:
        place = commune(commune_code)
        if on < self.in_force_from:
            return Competence(commune=place, on=on, regime="district", court=None, procuracy=None)
        court = self.competent_unit(self.court_kind, place.code)
        procuracy = self.competent_unit(self.procuracy_kind, place.code)
        return Competence(
            commune=place,
            on=on,
            regime="regional",
            court=self.by_code[court] if court else None,
            procuracy=self.by_code[procuracy] if procuracy else None,
        )

    def check_unit_kinds(self, regimes: RegimeTable) -> None:
        """Refuse data whose unit kinds the role catalogue does not know, or whose regional units are of a kind
        that is not decided by area (``competence: regional``), and the reverse."""
        problems: list[str] = []
        for kind in sorted({unit.kind for unit in self.units}):
            if kind not in regimes.unit_kinds:
                files = sorted({unit.file for unit in self.units if unit.kind == kind})
                problems.append(f"{', '.join(files)}: loại đơn vị '{kind}' không có trong danh mục (config/roles*)")
        for kind in (self.court_kind, self.procuracy_kind):
            known = regimes.unit_kinds.get(kind)
            if known is not None and known.competence != "regional":
                problems.append(
                    f"{COURTS_FILE}: loại đơn vị '{kind}' phải có 'competence: regional' trong danh mục vai trò"
                )
        for kind, definition in sorted(regimes.unit_kinds.items()):
            if definition.competence == "regional" and kind not in self._competent:
                problems.append(f"loại đơn vị '{kind}' có thẩm quyền theo khu vực nhưng không có tệp dữ liệu nào")
        if problems:
            raise DefinitionError("Dữ liệu đơn vị không hợp lệ:\n" + "\n".join(problems))

    # -- old addresses -----------------------------------------------------------------------------------

    def resolve_legacy_address(self, province: str, district: str, commune_name: str | None = None) -> LegacyAddress:
        province_code, former_province = self._province(province)
        found = self._district(province_code, former_province, district, province)
        notes: list[str] = []
        verified = found.verified
        candidates: tuple[CommuneRef, ...] = found.communes
        complete = found.complete
        exact = False
        former_commune: str | None = None
        if commune_name is not None:
            entry = self._former_commune(found, commune_name)
            if entry is not None:
                former_commune = entry.name
                candidates, complete = entry.to, entry.complete
                exact = not entry.split and len(entry.to) == 1
                verified = entry.verified and all(ref.verified for ref in entry.to)
                if entry.note:
                    notes.append(entry.note)
            else:
                current = self._current_commune(province_code, commune_name)
                if current is not None:
                    candidates, complete, exact = (CommuneRef(code=current.code, name=current.name),), True, True
                    verified = False
                    notes.append(
                        f"Chưa có dữ liệu về xã, phường cũ '{commune_name}'; trùng tên với {current.name} hiện nay "
                        f"nên coi là {current.name} ({UNVERIFIED})"
                    )
                else:
                    notes.append(
                        f"Chưa có dữ liệu về xã, phường cũ '{commune_name}' của {found.name}; "
                        "kết quả theo dữ liệu cấp quận, huyện"
                    )
        if (commune_name is None or (former_commune is None and not exact)) and found.note:
            notes.append(found.note)
        places = tuple(commune(ref.code) for ref in candidates)
        court, basis = self._court_for(places, complete, found)
        if court is not None and not court.verified:
            verified = False
        if basis == "district_successor":
            notes.append(
                f"Tòa án nhân dân khu vực kế thừa Tòa án nhân dân {found.name[:1].lower()}{found.name[1:]}; "
                "hồ sơ mới thuộc tòa có thẩm quyền đối với xã, phường hiện nay của người đó"
            )
        return LegacyAddress(
            province_code=province_code,
            province_name=province_name(province_code),
            district=found.name,
            former_province=former_province,
            former_commune=former_commune,
            communes=places,
            exact=exact,
            court=court,
            court_basis=basis,
            verified=verified,
            notes=tuple(notes),
        )

    def _court_for(
        self, places: Sequence[Commune], complete: bool, district: _District
    ) -> tuple[DataUnit | None, Literal["commune", "district_successor"] | None]:
        if places and complete:
            courts = {self.competent_unit(self.court_kind, place.code) for place in places}
            if len(courts) == 1 and None not in courts:
                (code,) = courts
                assert code is not None
                return self.by_code[code], "commune"
        if district.successor is not None:
            return self.by_code[district.successor], "district_successor"
        return None, None

    def _province(self, text: str) -> tuple[str, str | None]:
        key = _place_key(text, _PROVINCE_PREFIX)
        for entry in self.provinces:
            for name in entry.former:
                if _place_key(name, _PROVINCE_PREFIX) == key:
                    return entry.province_code, name
            if any(_place_key(alias, _PROVINCE_PREFIX) == key for alias in entry.aliases):
                return entry.province_code, None
        for current in Province.iter_all():
            if _place_key(current.name, _PROVINCE_PREFIX) == key:
                return f"{int(current.code):02d}", None
        raise InvalidInputError(
            f"Không tìm thấy tỉnh, thành phố '{text}' (tên trước hoặc sau ngày 01/07/2025)", field="province"
        )

    def _district(self, province_code: str, former_province: str | None, text: str, province: str) -> _District:
        key = _place_key(text, _DISTRICT_PREFIX)
        matches = [
            district
            for district in self.districts
            if district.province_code == province_code
            and (former_province is None or district.former_province == former_province)
            and _place_key(district.name, _DISTRICT_PREFIX) == key
        ]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            names = ", ".join(f"{d.name} ({d.former_province})" for d in matches)
            raise InvalidInputError(
                f"'{text}' ứng với nhiều quận, huyện cũ: {names}; hãy ghi rõ tỉnh cũ", field="district"
            )
        raise InvalidInputError(
            f"Chưa có dữ liệu về quận, huyện '{text}' của {province} trước ngày 01/07/2025", field="district"
        )

    def _former_commune(self, district: _District, text: str) -> _LegacyCommune | None:
        key = _place_key(text, _COMMUNE_PREFIX)
        for entry in self.communes:
            if (
                entry.district == district.name
                and entry.former_province == district.former_province
                and _place_key(entry.name, _COMMUNE_PREFIX) == key
            ):
                return entry
        return None

    def commune_named(self, province_code: str, text: str) -> Commune | None:
        """Today's commune of the province written ``text`` ("Phường Hoàn Kiếm", "hoan kiem")."""
        return self._current_commune(province_code, text)

    def former_commune_named(self, province_code: str, text: str) -> tuple[CommuneRef, ...]:
        """Today's communes a former commune of that name, now in the province, became; empty if none is known."""
        found = self.former_commune(province_code, text)
        return found.successors if found is not None else ()

    def former_commune(self, province_code: str, text: str) -> FormerCommune | None:
        """The former commune of that name whose territory is now (at least partly) in the province."""
        key = _place_key(text, _COMMUNE_PREFIX)
        own = set(_communes_of(province_code))
        for entry in self.communes:
            if _place_key(entry.name, _COMMUNE_PREFIX) == key and any(ref.code in own for ref in entry.to):
                return FormerCommune(
                    name=entry.name,
                    successors=entry.to,
                    split=entry.split,
                    complete=entry.complete,
                    verified=entry.verified and all(ref.verified for ref in entry.to),
                    note=entry.note,
                )
        return None

    @staticmethod
    def _current_commune(province_code: str, text: str) -> Commune | None:
        key = _place_key(text, _COMMUNE_PREFIX)
        for code in _communes_of(province_code):
            place = commune(code)
            if _place_key(place.name, _COMMUNE_PREFIX) == key:
                return place
        return None


# -- names as people write them ----------------------------------------------------------------------------

_PROVINCE_PREFIX = re.compile(r"^(?:tinh|thanh pho)\s+|^tp\.?\s*")
_DISTRICT_PREFIX = re.compile(r"^(?:quan|huyen|thi xa|thanh pho|tp|tx)\s+|^(?:tp|tx|q|h)\.\s*|^q\s*(?=\d)")
_COMMUNE_PREFIX = re.compile(r"^(?:phuong|xa|thi tran|dac khu|tt)\s+|^(?:p|x|tt)\.\s*")


def _place_key(text: str, prefix: re.Pattern[str]) -> str:
    """Compared without case, diacritics or the kind of unit ("Quận Hoàn Kiếm", "hoan kiem", "Q.1" = "Quận 1")."""
    return prefix.sub("", name_key(text)).strip()


@lru_cache(maxsize=64)
def _communes_of(province_code: str) -> tuple[str, ...]:
    return communes_of(province_code)


# -- loading and checking --------------------------------------------------------------------------------

ModelT = TypeVar("ModelT", bound=BaseModel)

_PYDANTIC_MESSAGES = {
    "missing": "thiếu trường bắt buộc",
    "extra_forbidden": "trường không được phép",
    "string_type": "phải là chuỗi ký tự (đặt trong dấu nháy nếu là mã số)",
    "string_too_short": "không được để trống",
    "bool_type": "phải là true hoặc false",
    "bool_parsing": "phải là true hoặc false",
    "date_type": "phải là ngày dạng YYYY-MM-DD",
    "date_from_datetime_parsing": "phải là ngày dạng YYYY-MM-DD",
    "date_parsing": "phải là ngày dạng YYYY-MM-DD",
    "tuple_type": "phải là danh sách",
    "list_type": "phải là danh sách",
    "too_short": "không được để trống",
    "model_type": "phải là một mục dạng khóa: giá trị",
    "model_attributes_type": "phải là một mục dạng khóa: giá trị",
    "dict_type": "phải là một mục dạng khóa: giá trị",
}


def _entry_label(raw: Any, loc: Sequence[int | str]) -> str:
    """Where in a file: ``courts[4] TAKV-01-04 › communes[2] 00637``, naming entries by their code or name."""
    parts: list[str] = []
    node = raw
    for step in loc:
        if isinstance(step, int):
            label = f"[{step + 1}]"
            item = node[step] if isinstance(node, list) and step < len(node) else None
            if isinstance(item, Mapping):
                named = item.get("code") or item.get("name") or item.get("province_code")
                if named is not None:
                    label += f" {named}"
            parts[-1:] = [(parts[-1] if parts else "") + label]
            node = item
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, Mapping) else None
    return " › ".join(parts)


def _read(path: Path, model: type[ModelT]) -> ModelT:
    raw = read_yaml(path)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = error["loc"]
            message = _PYDANTIC_MESSAGES.get(error["type"])
            if message is None:
                message = str(error["msg"]).removeprefix("Value error, ")
            where = _entry_label(raw, loc)
            problems.append(f"{path.name}: {where}: {message}" if where else f"{path.name}: {message}")
        raise DefinitionError("Dữ liệu đơn vị không hợp lệ:\n" + "\n".join(problems), path=str(path)) from None


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, file: str, entry: str, message: str) -> None:
        self.items.append(f"{file}: {entry}: {message}")

    def place(self, file: str, entry: str, code: str, name: str | None, province_code: str | None) -> Commune | None:
        """The commune, checked: it exists, its name is the one written, it lies in the province."""
        try:
            place = commune(code)
        except InvalidInputError as error:
            self.add(file, entry, error.message)
            return None
        if name is not None and normalize_name(name) != place.name:
            self.add(file, entry, f"xã, phường '{code}' là '{place.name}', không phải '{name}'")
        if province_code is not None and place.province_code != province_code:
            self.add(file, entry, f"xã, phường '{code}' ({place.name}) không thuộc tỉnh mã {province_code}")
        return place

    def province(self, file: str, entry: str, code: str) -> bool:
        try:
            province_name(code)
        except InvalidInputError as error:
            self.add(file, entry, error.message)
            return False
        return True

    def scheme(self, file: str, entry: str, code: str, scheme: str, province_code: str) -> None:
        match = _CODE_SCHEMES[scheme].match(code)
        if match is None:
            self.add(file, entry, f"mã '{code}' không theo quy ước {_CODE_SCHEMES[scheme].pattern}")
        elif match.group(1) != province_code:
            self.add(file, entry, f"mã '{code}' không khớp mã tỉnh {province_code}")


def load_units(folder: Path = UNITS_DIR, regimes: RegimeTable | None = None) -> UnitsData:
    """Read and check the four data files; with ``regimes``, also check the unit kinds they use."""
    courts_file = _read(folder / COURTS_FILE, _CourtsFile)
    rehab_file = _read(folder / REHAB_FILE, _RehabFile)
    health_file = _read(folder / HEALTH_FILE, _HealthFile)
    legacy_file = _read(folder / LEGACY_FILE, _LegacyFile)
    problems = _Problems()
    units: list[DataUnit] = []
    competent: dict[str, dict[str, str]] = {courts_file.unit_kind: {}, courts_file.procuracies.unit_kind: {}}
    if courts_file.unit_kind == courts_file.procuracies.unit_kind:
        problems.add(COURTS_FILE, "procuracies", "loại đơn vị của viện kiểm sát phải khác loại đơn vị của tòa án")
    for court in courts_file.courts:
        units += _court_units(court, courts_file, problems, competent)
    mirror = courts_file.procuracies
    procuracy_note = mirror.note if not mirror.verified else None
    for unit in list(units):
        if unit.kind == courts_file.unit_kind:
            units.append(
                DataUnit(
                    code=PROCURACY_PREFIX + unit.code.removeprefix(COURT_PREFIX),
                    name=PROCURACY_NAME + unit.name.removeprefix(COURT_NAME),
                    kind=mirror.unit_kind,
                    province_code=unit.province_code,
                    file=COURTS_FILE,
                    source=mirror.source,
                    verified=mirror.verified and unit.verified,
                    note=procuracy_note or unit.note,
                    communes=unit.communes,
                    complete=unit.complete,
                    successor_of=unit.successor_of,
                )
            )
            for code in unit.communes:
                competent[mirror.unit_kind][code] = units[-1].code
    units += _rehab_units(rehab_file, problems)
    units += _health_units(health_file, problems)
    _check_unique_codes(units, problems)
    districts = _legacy(legacy_file, units, courts_file.unit_kind, problems)
    if problems.items:
        shown = problems.items[:30]
        if len(problems.items) > len(shown):
            shown.append(f"… và {len(problems.items) - len(shown)} lỗi khác")
        raise DefinitionError("Dữ liệu đơn vị không hợp lệ:\n" + "\n".join(shown), path=str(folder))
    data = UnitsData(
        in_force_from=courts_file.in_force_from,
        units=tuple(units),
        court_kind=courts_file.unit_kind,
        procuracy_kind=mirror.unit_kind,
        provinces=legacy_file.provinces,
        districts=districts,
        communes=legacy_file.communes,
        _competent=competent,
    )
    if regimes is not None:
        data.check_unit_kinds(regimes)
    return data


def _court_units(
    court: _Court, courts_file: _CourtsFile, problems: _Problems, competent: dict[str, dict[str, str]]
) -> list[DataUnit]:
    entry = f"courts › {court.code}"
    if not problems.province(COURTS_FILE, entry, court.province_code):
        return []
    problems.scheme(COURTS_FILE, entry, court.code, "court", court.province_code)
    match = _CODE_SCHEMES["court"].match(court.code)
    if match is not None and not court.name.startswith(f"{COURT_NAME} {int(match.group(2))} - "):
        problems.add(COURTS_FILE, entry, f"tên phải bắt đầu bằng '{COURT_NAME} {int(match.group(2))} - '")
    served = competent[courts_file.unit_kind]
    codes: list[str] = []
    for ref in court.communes:
        place = problems.place(COURTS_FILE, f"{entry} › {ref.code}", ref.code, ref.name, court.province_code)
        if place is None:
            continue
        other = served.get(place.code)
        if other is not None:
            problems.add(COURTS_FILE, f"{entry} › {ref.code}", f"{place.name} đã thuộc phạm vi của {other}")
            continue
        served[place.code] = court.code
        codes.append(place.code)
    verified = court.verified and all(ref.verified for ref in court.communes)
    note = court.note
    if note is None and not verified:
        note = next(ref.note for ref in court.communes if not ref.verified)
    return [
        DataUnit(
            code=court.code,
            name=court.name,
            kind=courts_file.unit_kind,
            province_code=court.province_code,
            file=COURTS_FILE,
            source=court.source,
            verified=verified,
            note=note,
            communes=tuple(codes),
            complete=court.complete,
            successor_of=court.successor_of,
        )
    ]


def _rehab_units(rehab_file: _RehabFile, problems: _Problems) -> list[DataUnit]:
    units: list[DataUnit] = []
    police: dict[str, DataUnit] = {}
    for facility in rehab_file.facilities:
        entry = f"facilities › {facility.code}"
        if not problems.province(REHAB_FILE, entry, facility.province_code):
            continue
        problems.scheme(REHAB_FILE, entry, facility.code, "rehab", facility.province_code)
        if facility.commune_code is not None:
            problems.place(REHAB_FILE, entry, facility.commune_code, None, facility.province_code)
        manager = facility.managed_by
        province_of_manager = manager.code.removeprefix("CAT-")
        problems.scheme(REHAB_FILE, f"{entry} › managed_by", manager.code, "police", province_of_manager)
        if province_of_manager != facility.province_code:
            problems.add(
                REHAB_FILE, entry, f"đơn vị quản lý {manager.code} không thuộc tỉnh mã {facility.province_code}"
            )
        known = police.get(manager.code)
        if known is not None and known.name != manager.name:
            problems.add(
                REHAB_FILE, entry, f"{manager.code} đã được ghi với tên '{known.name}', không phải '{manager.name}'"
            )
        elif known is None:
            police[manager.code] = DataUnit(
                code=manager.code,
                name=manager.name,
                kind=rehab_file.police_unit_kind,
                province_code=province_of_manager,
                file=REHAB_FILE,
                source=facility.source,
                note=f"Quản lý cơ sở cai nghiện qua {manager.division}" if manager.division else None,
            )
        units.append(
            DataUnit(
                code=facility.code,
                name=facility.name,
                kind=rehab_file.unit_kind,
                province_code=facility.province_code,
                file=REHAB_FILE,
                source=facility.source,
                verified=facility.verified,
                note=facility.note,
                commune_code=facility.commune_code,
                managed_by=manager.code,
            )
        )
    return [*police.values(), *units]


def _health_units(health_file: _HealthFile, problems: _Problems) -> list[DataUnit]:
    units: list[DataUnit] = []
    for facility in health_file.facilities:
        entry = f"facilities › {facility.code}"
        if not problems.province(HEALTH_FILE, entry, facility.province_code):
            continue
        problems.scheme(HEALTH_FILE, entry, facility.code, "health", facility.province_code)
        if facility.commune_code is not None:
            problems.place(HEALTH_FILE, entry, facility.commune_code, None, facility.province_code)
        units.append(
            DataUnit(
                code=facility.code,
                name=facility.name,
                kind=health_file.unit_kind,
                province_code=facility.province_code,
                file=HEALTH_FILE,
                source=facility.source,
                verified=facility.verified,
                note=facility.note,
                commune_code=facility.commune_code,
            )
        )
    return units


def _check_unique_codes(units: Iterable[DataUnit], problems: _Problems) -> None:
    seen: dict[str, DataUnit] = {}
    for unit in units:
        earlier = seen.get(unit.code)
        if earlier is not None:
            problems.add(unit.file, unit.code, f"mã đơn vị trùng với một đơn vị trong {earlier.file} ({earlier.name})")
        seen[unit.code] = unit


def _legacy(
    legacy_file: _LegacyFile, units: Sequence[DataUnit], court_kind: str, problems: _Problems
) -> tuple[_District, ...]:
    former_to_code: dict[str, str] = {}
    for province in legacy_file.provinces:
        label = f"provinces › {province.province_code}"
        problems.province(LEGACY_FILE, label, province.province_code)
        for name in province.former:
            former_key = _place_key(name, _PROVINCE_PREFIX)
            if former_key in former_to_code:
                problems.add(
                    LEGACY_FILE, label, f"tỉnh cũ '{name}' đã được ghi cho tỉnh mã {former_to_code[former_key]}"
                )
            former_to_code[former_key] = province.province_code
    successors: dict[tuple[str, str], tuple[str, str]] = {}
    for unit in units:
        if unit.kind != court_kind:
            continue
        for name in unit.successor_of:
            key = (unit.province_code, _place_key(name, _DISTRICT_PREFIX))
            if key in successors:
                problems.add(COURTS_FILE, f"courts › {unit.code}", f"'{name}' đã được {successors[key][0]} kế thừa")
            successors[key] = (unit.code, name)
    districts: list[_District] = []
    seen: set[tuple[str, str]] = set()
    for entry in legacy_file.districts:
        label = f"districts › {entry.name}"
        province_code = former_to_code.get(_place_key(entry.former_province, _PROVINCE_PREFIX))
        if province_code is None:
            problems.add(LEGACY_FILE, label, f"tỉnh cũ '{entry.former_province}' không có trong mục provinces")
            continue
        district_key = _place_key(entry.name, _DISTRICT_PREFIX)
        if (entry.former_province, district_key) in seen:
            problems.add(LEGACY_FILE, label, "quận, huyện được ghi hai lần")
        seen.add((entry.former_province, district_key))
        for ref in entry.communes:
            problems.place(LEGACY_FILE, f"{label} › {ref.code}", ref.code, ref.name, province_code)
        districts.append(
            _District(
                name=entry.name,
                former_province=entry.former_province,
                province_code=province_code,
                communes=entry.communes,
                complete=entry.complete,
                verified=entry.verified and all(ref.verified for ref in entry.communes),
                note=entry.note,
                successor=successors.pop((province_code, district_key), ("", ""))[0] or None,
            )
        )
    for court, name in sorted(successors.values()):
        problems.add(COURTS_FILE, f"courts › {court}", f"quận, huyện được kế thừa '{name}' chưa có trong {LEGACY_FILE}")
    by_district = {(d.former_province, d.name): d for d in districts}
    for former in legacy_file.communes:
        label = f"communes › {former.name} ({former.district})"
        district = by_district.get((former.former_province, former.district))
        if district is None:
            problems.add(LEGACY_FILE, label, f"quận, huyện '{former.district}' không có trong mục districts")
            continue
        for ref in former.to:
            problems.place(LEGACY_FILE, f"{label} › {ref.code}", ref.code, ref.name, district.province_code)
        if not former.split and len(former.to) != 1:
            problems.add(
                LEGACY_FILE, label, "xã, phường cũ không bị chia (split: false) phải vào đúng một xã, phường mới"
            )
    return tuple(districts)


# -- the process-wide data and the lookups on it ---------------------------------------------------------


@lru_cache(maxsize=1)
def default_units() -> UnitsData:
    """The data files of ``config/units``, loaded and checked once per process."""
    return load_units(UNITS_DIR)


def competent_unit(kind: str, commune_code: str) -> str | None:
    """The code of the unit of ``kind`` that the data makes competent for the commune (None: no data)."""
    return default_units().competent_unit(kind, commune_code)


def competent_court(commune_code: str, on: date) -> str | None:
    """The regional court competent for the commune on that date; None before 01/07/2025 (the district court
    decided then, see ``competence``) or when the data does not cover the commune."""
    court = default_units().competence(commune_code, on).court
    return court.code if court else None


def competent_procuracy(commune_code: str, on: date) -> str | None:
    procuracy = default_units().competence(commune_code, on).procuracy
    return procuracy.code if procuracy else None


def resolve_legacy_address(province: str, district: str, commune_name: str | None = None) -> LegacyAddress:
    """Today's province, commune(s) and competent court for an address written with the pre-2025 units."""
    return default_units().resolve_legacy_address(province, district, commune_name)


def sync_units(
    repo: Repository, regimes: RegimeTable, data: UnitsData, *, files: Iterable[str] | None = None
) -> SyncReport:
    """Load the data-file units into the ``units`` table: create those missing, rename those whose name
    changed, never delete. A stored unit of another kind or province is reported, not touched."""
    wanted = set(files) if files is not None else None
    created: list[str] = []
    renamed: list[str] = []
    unchanged: list[str] = []
    conflicts: list[str] = []
    for unit in data.units:
        if wanted is not None and unit.file not in wanted:
            continue
        stored = repo.unit(unit.code)
        if stored is None:
            try:
                create_unit(
                    repo, regimes, code=unit.code, name=unit.name, kind=unit.kind, province_code=unit.province_code
                )
            except HosoError as error:
                conflicts.append(f"{unit.code}: {error.message}")
                continue
            created.append(unit.code)
        elif stored["kind"] != unit.kind or stored["province_code"] != unit.province_code:
            conflicts.append(
                f"{unit.code}: đã có trong cơ sở dữ liệu với loại {stored['kind']}, tỉnh {stored['province_code']}; "
                f"dữ liệu ghi loại {unit.kind}, tỉnh {unit.province_code} — không thay đổi"
            )
        elif stored["name"] != unit.name:
            repo.update_unit_name(unit.code, unit.name)
            renamed.append(unit.code)
        else:
            unchanged.append(unit.code)
    return SyncReport(
        created=tuple(created), renamed=tuple(renamed), unchanged=tuple(unchanged), conflicts=tuple(conflicts)
    )
