"""Role × jurisdiction: may this officer act on, or read, this dossier at this date?"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from states.actors import Actor
from states.errors import PermissionDeniedError, dossier_not_found
from states.regimes import RegimeTable
from states.units_data import competent_unit


def holders(regimes: RegimeTable, declared_roles: Iterable[str], on: date) -> frozenset[str]:
    """The roles that hold the declared (possibly abolished) roles on that date."""
    result: set[str] = set()
    for role in declared_roles:
        result |= regimes.resolve(role, on)
    return frozenset(result)


CONFIDENTIAL_PARTY = "confidential"
"""Key in a dossier's parties naming the only unit that may see it (need to know, e.g. a voluntary
application received by a health facility); the ``system`` service identity still acts on it."""


def covers(regimes: RegimeTable, actor: Actor, dossier: Mapping[Any, Any]) -> bool:
    """Whether the officer's unit has jurisdiction over the dossier."""
    confidential_to = dossier["parties"].get(CONFIDENTIAL_PARTY)
    if confidential_to is not None and actor.unit_code != confidential_to and actor.role != "system":
        return False
    designated = dossier["parties"].get(actor.unit_kind)
    if designated is not None:
        return bool(designated == actor.unit_code)
    kind = regimes.unit_kinds[actor.unit_kind]
    if kind.designated_only:
        return False
    scope = kind.scope
    if scope == "national":
        return True
    if scope in ("province", "district"):
        # Districts ended on 30/06/2025 and their communes are not in the current unit data; a historical
        # district unit is held to its province until the old-to-new unit mapping is loaded.
        if actor.province_code != dossier["province_code"]:
            return False
        if kind.competence == "regional":
            # A regional court or procuracy serves the communes the unit data gives it (NQ 81/2025, NQ 84/2025);
            # in a commune the data does not cover yet, any unit of the kind in the province.
            competent = competent_unit(actor.unit_kind, dossier["commune_code"])
            return competent is None or competent == actor.unit_code
        return True
    if scope == "commune":
        return bool(actor.commune_code == dossier["commune_code"])
    return False


def require_jurisdiction(regimes: RegimeTable, actor: Actor, dossier: Mapping[Any, Any]) -> None:
    if not covers(regimes, actor, dossier):
        # The answer names neither the dossier's place nor the units that may see it.
        raise PermissionDeniedError(f"Đơn vị {actor.unit_code} không có thẩm quyền đối với hồ sơ này")


def require_sight(regimes: RegimeTable, actor: Actor, dossier: Mapping[Any, Any]) -> None:
    """An existing dossier outside the officer's jurisdiction answers exactly as an unknown one."""
    if not covers(regimes, actor, dossier):
        raise dossier_not_found(str(dossier["id"]))


def require_role(regimes: RegimeTable, actor: Actor, declared_roles: Iterable[str], on: date, what: str) -> None:
    allowed = holders(regimes, declared_roles, on)
    if actor.role not in allowed:
        titles = ", ".join(sorted(regimes.roles[role].title_vi for role in allowed)) or "không ai"
        raise PermissionDeniedError(
            f"Vai trò '{regimes.roles[actor.role].title_vi}' không được {what} vào ngày {on.isoformat()}; "
            f"người có thẩm quyền: {titles}",
            allowed_roles=sorted(allowed),
        )
