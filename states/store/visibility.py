"""Which dossiers an officer may see, as a condition of a query: the SQL form of ``states.permissions.covers``.

The domain layer describes what an officer's unit covers (``Sight``); this module turns it into a WHERE clause,
so that lists, counts and searches never fetch a row the officer may not see (and never page through rows
only to drop them). A test checks the clause against ``covers`` on every kind of unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, false, not_, or_, true

from states.store.tables import dossiers

Territory = Literal["all", "province", "commune", "none"]


@dataclass(frozen=True)
class Sight:
    """What one unit covers: the dossiers designated to it, else those of its territory; never a dossier kept
    confidential to another unit (unless ``sees_confidential``, the service identity)."""

    unit_code: str
    unit_kind: str
    territory: Territory
    province_code: str | None
    commune_code: str | None
    sees_confidential: bool = False
    served_elsewhere: frozenset[str] = frozenset()
    """For a regional court or procuracy: the communes of its province the data gives to another unit of its
    kind (a commune the data gives to no unit yet is seen by every unit of the kind in the province)."""


CONFIDENTIAL_KEY = "confidential"


def _party(key: str) -> Any:
    return dossiers.c.parties[key].as_string()


def visible_clause(sight: Sight) -> ColumnElement[bool]:
    designated = _party(sight.unit_kind)
    clause = or_(designated == sight.unit_code, and_(designated.is_(None), _territory(sight)))
    return and_(not_confidential_to_others(sight), clause)


def not_confidential_to_others(sight: Sight) -> ColumnElement[bool]:
    if sight.sees_confidential:
        return true()
    return or_(dossiers.c.confidential_to.is_(None), dossiers.c.confidential_to == sight.unit_code)


def confidential_to_others(sight: Sight) -> ColumnElement[bool]:
    if sight.sees_confidential:
        return false()
    return and_(dossiers.c.confidential_to.is_not(None), dossiers.c.confidential_to != sight.unit_code)


def _territory(sight: Sight) -> ColumnElement[bool]:
    if sight.territory == "all":
        return true()
    if sight.territory == "commune":
        if not sight.commune_code:
            return false()
        in_commune = dossiers.c.commune_code == sight.commune_code
        # The province is implied by the commune; naming it lets the (province, commune) index answer.
        return and_(dossiers.c.province_code == sight.province_code, in_commune) if sight.province_code else in_commune
    if sight.territory == "province":
        in_province = dossiers.c.province_code == sight.province_code if sight.province_code else false()
        if not sight.served_elsewhere:
            return in_province
        return and_(in_province, not_(dossiers.c.commune_code.in_(sorted(sight.served_elsewhere))))
    return false()
