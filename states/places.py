"""Administrative units after the 2025 reform (34 provinces, 3,321 communes), from ``vietnam-provinces``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from vietnam_provinces import Province, ProvinceCode, Ward, WardCode

from states.errors import InvalidInputError


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    province_code: str
    province_name: str


@lru_cache(maxsize=4096)
def commune(code: str) -> Commune:
    """The commune with this 5-digit official code, or an InvalidInputError."""
    if len(code) != 5 or not code.isdigit():
        raise InvalidInputError(f"Mã xã, phường '{code}' phải gồm đúng 5 chữ số", field="commune_code")
    try:
        ward = Ward.from_code(WardCode(int(code)))
    except ValueError:
        raise InvalidInputError(f"Không có xã, phường mang mã '{code}'", field="commune_code") from None
    province = Province.from_code(ward.province_code)
    return Commune(
        code=code,
        name=ward.name,
        province_code=f"{int(ward.province_code):02d}",
        province_name=province.name,
    )


@lru_cache(maxsize=64)
def province_name(code: str) -> str:
    if len(code) != 2 or not code.isdigit():
        raise InvalidInputError(f"Mã tỉnh '{code}' phải gồm đúng 2 chữ số", field="province_code")
    try:
        return str(Province.from_code(ProvinceCode(int(code))).name)
    except ValueError:
        raise InvalidInputError(f"Không có tỉnh, thành phố mang mã '{code}'", field="province_code") from None


def communes_of(province_code: str) -> tuple[str, ...]:
    """The codes of today's communes of a province."""
    return tuple(f"{int(ward.code):05d}" for ward in Ward.iter_by_province(ProvinceCode(int(province_code))))
