"""Who is acting: an authenticated officer with one role in one unit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    full_name: str
    role: str
    unit_code: str
    unit_kind: str
    province_code: str | None
    commune_code: str | None
