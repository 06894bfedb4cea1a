"""Which units a notice for a role about a dossier reaches: the unit designated on the dossier for that kind
of unit, otherwise every unit of the kind whose jurisdiction covers the dossier (``permissions.covers``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from states.actors import Actor
from states.permissions import covers
from states.regimes import RegimeTable


class UnitDirectory:
    def __init__(self, regimes: RegimeTable, units: Iterable[Mapping[str, Any]]) -> None:
        self._regimes = regimes
        self._by_code = {str(unit["code"]): dict(unit) for unit in units}
        # Units by kind and by the place that bounds their scope, so a lookup reads a handful of rows.
        self._by_place: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
        for unit in self._by_code.values():
            self._by_place.setdefault((str(unit["kind"]), self._place(str(unit["kind"]), unit)), []).append(unit)

    def _place(self, kind: str, where: Mapping[str, Any]) -> str | None:
        scope = self._regimes.unit_kinds[kind].scope if kind in self._regimes.unit_kinds else "national"
        if scope == "commune":
            return str(where["commune_code"])
        if scope in ("province", "district"):
            return str(where["province_code"])
        return None

    def unit(self, code: str) -> dict[str, Any] | None:
        return self._by_code.get(code)

    def units_for(self, role: str, dossier: Mapping[str, Any], on: date) -> list[str]:
        """Codes of the units holding ``role`` (as resolved on ``on``) for this dossier."""
        found: list[str] = []
        for holder in sorted(self._regimes.resolve(self._regimes.canonical_role(role), on)):
            kind = self._regimes.roles[holder].unit_kind
            designated = dossier["parties"].get(kind)
            if designated is not None:
                candidates = [self._by_code[designated]] if designated in self._by_code else []
            else:
                candidates = self._by_place.get((kind, self._place(kind, dossier)), [])
            for unit in candidates:
                if unit["code"] not in found and covers(self._regimes, _as_member(holder, unit), dossier):
                    found.append(str(unit["code"]))
        return found


def _as_member(role: str, unit: Mapping[str, Any]) -> Actor:
    return Actor(
        user_id=0,
        username="",
        full_name="",
        role=role,
        unit_code=str(unit["code"]),
        unit_kind=str(unit["kind"]),
        province_code=unit["province_code"],
        commune_code=unit["commune_code"],
    )
