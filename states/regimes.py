"""Legal regimes by date, and the role vocabulary with its successors across regimes.

A step is owned by the role the procedure names, resolved at the date of the step: a role abolished by a
reform is replaced by its successors (e.g. ``district_police`` is done by ``commune_police`` or
``police_unit`` from 2025-03-01).
"""

from __future__ import annotations

import bisect
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from states.errors import DefinitionError, InvalidInputError
from states.yaml_loading import load_model

Scope = Literal["commune", "district", "province", "national"]
Competence = Literal["territory", "regional"]
"""How a unit's territory is decided: ``territory`` — its scope (the whole commune, province or country);
``regional`` — the communes the unit data (config/units/) gives it within its province, e.g. a Tòa án nhân
dân khu vực serves the communes listed for it in NQ 81/2025/UBTVQH15."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Regime(_Strict):
    key: str
    starts: date
    title_vi: str
    source: str


class UnitKind(_Strict):
    title_vi: str
    scope: Scope
    designated_only: bool = False
    competence: Competence = "territory"

    @model_validator(mode="after")
    def _check_competence(self) -> UnitKind:
        if self.competence == "regional" and (self.scope != "province" or self.designated_only):
            raise ValueError(
                f"loại đơn vị '{self.title_vi}': thẩm quyền theo khu vực (competence: regional) chỉ dành cho "
                "đơn vị cấp tỉnh không chỉ định riêng (scope: province, không designated_only)"
            )
        return self


class Role(_Strict):
    title_vi: str
    unit_kind: str
    exists_in: tuple[str, ...]
    successors: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    user_role: bool = True
    source: str | None = None
    note: str | None = None


class _RegimesFile(_Strict):
    regimes: tuple[Regime, ...]


class _RolesFile(_Strict):
    unit_kinds: dict[str, UnitKind] = Field(default_factory=dict)
    roles: dict[str, Role] = Field(default_factory=dict)


class RegimeTable(_Strict):
    """Regimes, unit kinds and roles, checked against each other when built."""

    regimes: tuple[Regime, ...]
    unit_kinds: dict[str, UnitKind]
    roles: dict[str, Role]

    @model_validator(mode="after")
    def _check(self) -> RegimeTable:
        starts = [regime.starts for regime in self.regimes]
        if starts != sorted(starts) or len(set(starts)) != len(starts):
            raise ValueError("các chế độ pháp lý phải xếp theo ngày bắt đầu tăng dần")
        keys = [regime.key for regime in self.regimes]
        for name, role in self.roles.items():
            if role.unit_kind not in self.unit_kinds:
                raise ValueError(f"vai trò {name}: loại đơn vị không tồn tại {role.unit_kind}")
            unknown = (set(role.exists_in) | set(role.successors)) - set(keys)
            if unknown:
                raise ValueError(f"vai trò {name}: chế độ pháp lý không tồn tại {sorted(unknown)}")
            for successors in role.successors.values():
                missing = set(successors) - set(self.roles)
                if missing:
                    raise ValueError(f"vai trò {name}: vai trò kế thừa không tồn tại {sorted(missing)}")
        for name in self.roles:
            first = min(keys.index(key) for key in self.roles[name].exists_in)
            for regime in keys[first:]:
                if not self._resolve_in(name, regime, depth=0):
                    raise ValueError(f"vai trò {name} không có ai đảm nhận trong chế độ {regime}")
        return self

    @cached_property
    def _regime_order(self) -> dict[str, int]:
        return {regime.key: index for index, regime in enumerate(self.regimes)}

    @cached_property
    def _alias_map(self) -> dict[str, str]:
        mapping = {name: name for name in self.roles}
        for name, role in self.roles.items():
            for alias in role.aliases:
                mapping[alias] = name
        return mapping

    @cached_property
    def _starts(self) -> list[date]:
        return [regime.starts for regime in self.regimes]

    @cached_property
    def _resolved(self) -> dict[tuple[str, str], frozenset[str]]:
        return {}

    def regime_at(self, on: date) -> Regime:
        index = bisect.bisect_right(self._starts, on) - 1
        if index < 0:
            raise InvalidInputError(
                f"Ngày {on.isoformat()} trước khung pháp lý đầu tiên ({self.regimes[0].starts.isoformat()})"
            )
        return self.regimes[index]

    def canonical_role(self, name: str) -> str:
        try:
            return self._alias_map[name]
        except KeyError:
            raise DefinitionError(f"Vai trò không có trong danh mục: {name}") from None

    def resolve(self, role: str, on: date) -> frozenset[str]:
        """The roles that hold ``role``'s steps on the given date."""
        key = (role, self.regime_at(on).key)
        if key not in self._resolved:
            self._resolved[key] = self._resolve_in(self.canonical_role(role), key[1], depth=0)
        return self._resolved[key]

    def _resolve_in(self, role: str, regime: str, depth: int) -> frozenset[str]:
        if depth > len(self.roles):
            raise DefinitionError(f"Chuỗi kế thừa vai trò lặp vô hạn tại {role}")
        definition = self.roles[role]
        if regime in definition.exists_in:
            return frozenset({role})
        order = self._regime_order
        earlier = [key for key in definition.successors if order[key] <= order[regime]]
        if not earlier:
            return frozenset()
        latest = max(earlier, key=order.__getitem__)
        holders: set[str] = set()
        for successor in definition.successors[latest]:
            holders |= self._resolve_in(successor, regime, depth + 1)
        return frozenset(holders)


def load_regime_table(config_dir: Path) -> RegimeTable:
    regimes = load_model(config_dir / "regimes.yaml", _RegimesFile)
    roles = load_model(config_dir / "roles.yaml", _RolesFile)
    unit_kinds, all_roles = dict(roles.unit_kinds), dict(roles.roles)
    # One fragment per procedure family in roles.d/ adds unit kinds and roles; none may be redefined.
    for path in sorted((config_dir / "roles.d").glob("*.yaml")):
        fragment = load_model(path, _RolesFile)
        for kind in fragment.unit_kinds:
            if kind in unit_kinds:
                raise DefinitionError(f"{path}: loại đơn vị {kind} đã được khai báo", path=str(path))
        for role in fragment.roles:
            if role in all_roles:
                raise DefinitionError(f"{path}: vai trò {role} đã được khai báo", path=str(path))
        unit_kinds.update(fragment.unit_kinds)
        all_roles.update(fragment.roles)
    try:
        return RegimeTable(regimes=regimes.regimes, unit_kinds=unit_kinds, roles=all_roles)
    except ValueError as exc:
        raise DefinitionError(f"Danh mục chế độ pháp lý / vai trò không hợp lệ: {exc}") from exc
