"""Role × jurisdiction: may this officer act on, or read, this dossier at this date?"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from states.actors import Actor
from states.errors import PermissionDeniedError, dossier_not_found
from states.regimes import RegimeTable
from states.store.visibility import CONFIDENTIAL_KEY, Sight, Territory
from states.units_data import competent_unit, default_units


def holders(regimes: RegimeTable, declared_roles: Iterable[str], on: date) -> frozenset[str]:
    """The roles that hold the declared (possibly abolished) roles on that date."""
    result: set[str] = set()
    for role in declared_roles:
        result |= regimes.resolve(role, on)
    return frozenset(result)


CONFIDENTIAL_PARTY = CONFIDENTIAL_KEY
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


def sight_of(regimes: RegimeTable, actor: Actor) -> Sight:
    """What ``covers`` lets the officer see, for queries that list dossiers (``states.store.visibility``)."""
    return unit_sight(
        regimes,
        actor.unit_code,
        actor.unit_kind,
        actor.province_code,
        actor.commune_code,
        sees_confidential=actor.role == "system",
    )


def unit_sight(
    regimes: RegimeTable,
    unit_code: str,
    unit_kind: str,
    province_code: str | None,
    commune_code: str | None,
    *,
    sees_confidential: bool = False,
) -> Sight:
    """What a unit covers, as ``covers`` decides it for one dossier."""
    kind = regimes.unit_kinds[unit_kind]
    served_elsewhere: frozenset[str] = frozenset()
    territory: Territory
    if kind.designated_only:
        territory = "none"
    elif kind.scope == "national":
        territory = "all"
    elif kind.scope in ("province", "district"):
        territory = "province"
        if kind.competence == "regional":
            units = default_units()
            served_elsewhere = frozenset(
                code
                for code, unit_code_served in units.served_communes(unit_kind).items()
                if unit_code_served != unit_code
                and (unit := units.unit(unit_code_served)) is not None
                and unit.province_code == province_code
            )
    elif kind.scope == "commune":
        territory = "commune"
    else:
        territory = "none"
    return Sight(
        unit_code=unit_code,
        unit_kind=unit_kind,
        territory=territory,
        province_code=province_code,
        commune_code=commune_code,
        sees_confidential=sees_confidential,
        served_elsewhere=served_elsewhere,
    )


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
