"""The 12-digit citizen identity number (số định danh cá nhân / CCCD).

Structure (Thông tư 07/2016/TT-BCA, Điều 7, as amended by Thông tư 59/2021/TT-BCA): three digits for the
province where the birth was registered (codes of the 63 provinces before the 2025 mergers — numbers
issued then stay valid), one digit for century and sex, two digits for the year of birth, six random
digits.
"""

from __future__ import annotations

import re
from datetime import date

BIRTH_PROVINCE_CODES = frozenset(
    [
        "001",
        "002",
        "004",
        "006",
        "008",
        "010",
        "011",
        "012",
        "014",
        "015",
        "017",
        "019",
        "020",
        "022",
        "024",
        "025",
        "026",
        "027",
        "030",
        "031",
        "033",
        "034",
        "035",
        "036",
        "037",
        "038",
        "040",
        "042",
        "044",
        "045",
        "046",
        "048",
        "049",
        "051",
        "052",
        "054",
        "056",
        "058",
        "060",
        "062",
        "064",
        "066",
        "067",
        "068",
        "070",
        "072",
        "074",
        "075",
        "077",
        "079",
        "080",
        "082",
        "083",
        "084",
        "086",
        "087",
        "089",
        "091",
        "092",
        "093",
        "094",
        "095",
        "096",
    ]
)
_DIGITS = re.compile(r"[0-9]{12}")
_CENTURY_START = {0: 1900, 1: 1900, 2: 2000, 3: 2000, 4: 2100, 5: 2100, 6: 2200, 7: 2200, 8: 2300, 9: 2300}


def id_number_problem(id_number: str, date_of_birth: date) -> str | None:
    """Why ``id_number`` cannot be this person's number, or None when it is well-formed and consistent."""
    if not _DIGITS.fullmatch(id_number):
        return "Số định danh cá nhân phải gồm đúng 12 chữ số"
    if id_number[:3] not in BIRTH_PROVINCE_CODES:
        return f"Ba chữ số đầu '{id_number[:3]}' không phải mã tỉnh nơi đăng ký khai sinh"
    century_digit = int(id_number[3])
    year = _CENTURY_START[century_digit] + int(id_number[4:6])
    if year != date_of_birth.year:
        return f"Số định danh mã hóa năm sinh {year}, không khớp ngày sinh {date_of_birth.isoformat()}"
    return None


def sex_from_id_number(id_number: str) -> str:
    return "female" if int(id_number[3]) % 2 else "male"


def make_id_number(birth_province: str, date_of_birth: date, sex: str, serial: int) -> str:
    """A well-formed number for demo and test data."""
    century = (date_of_birth.year // 100 - 19) * 2 + (1 if sex == "female" else 0)
    return f"{birth_province}{century}{date_of_birth.year % 100:02d}{serial:06d}"
