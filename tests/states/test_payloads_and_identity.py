"""Payload fields are typed and checked; identity numbers are checked against the birth date."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from states.definitions import EventDefinition
from states.errors import InvalidInputError, PayloadError
from states.identity import id_number_problem, make_id_number, sex_from_id_number
from states.legal_time import VN_TZ
from states.payloads import facts_from, validate_payload
from states.places import commune, province_name

EVENT = EventDefinition.model_validate(
    {
        "title_vi": "Bước thử",
        "payload": {
            "name": {"type": "string", "title_vi": "Tên"},
            "note": {"type": "text", "title_vi": "Ghi chú", "required": False},
            "count": {"type": "integer", "title_vi": "Số"},
            "flag": {"type": "boolean", "title_vi": "Cờ"},
            "on": {"type": "date", "title_vi": "Ngày"},
            "at": {"type": "datetime", "title_vi": "Lúc", "fact": True},
            "kind": {"type": "enum", "title_vi": "Loại", "choices": {"x": "X", "y": "Y"}},
        },
    }
)
GOOD = {"name": " An ", "count": 2, "flag": True, "on": "2026-03-02", "at": "2026-03-02T08:00:00", "kind": "x"}


def test_valid_payload_is_typed_and_stored_as_json() -> None:
    typed, stored = validate_payload("step", EVENT, {**GOOD, "note": "dòng 1\ndòng 2"})
    assert typed["name"] == "An"
    assert typed["on"] == date(2026, 3, 2)
    assert typed["at"] == datetime(2026, 3, 2, 8, 0, tzinfo=VN_TZ)  # a time without offset is Vietnamese time
    assert stored["at"] == "2026-03-02T08:00:00+07:00"
    assert facts_from(EVENT, stored) == {"at": "2026-03-02T08:00:00+07:00"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"count": True}, "'count' (Số) phải là số nguyên"),
        ({"count": "2"}, "phải là số nguyên"),
        ({"flag": "true"}, "phải là true hoặc false"),
        ({"on": "02/03/2026"}, "YYYY-MM-DD"),
        ({"at": "sáng nay"}, "ISO 8601"),
        ({"at": "9999-12-31T23:00:00+00:00"}, "1900-01-01 – 2100-12-31"),
        ({"on": "0001-01-01"}, "1900-01-01 – 2100-12-31"),
        ({"kind": "z"}, "một trong: x, y"),
        ({"name": "   "}, "không rỗng"),
        ({"name": "a" * 501}, "dài quá 500"),
        ({"name": "a\tb"}, "ký tự điều khiển"),
        ({"unknown": 1}, "'unknown' không thuộc bước này"),
        ({"name": None}, "thiếu trường bắt buộc 'name'"),
    ],
)
def test_invalid_payloads_are_refused_with_every_reason(change: dict[str, object], message: str) -> None:
    with pytest.raises(PayloadError, match=re.escape(message)):
        validate_payload("step", EVENT, {**GOOD, **change})


def test_id_numbers() -> None:
    born = date(2004, 2, 29)
    number = make_id_number("079", born, "female", 42)
    assert number == "079304000042"
    assert id_number_problem(number, born) is None
    assert sex_from_id_number(number) == "female"
    assert "năm sinh 2004" in (id_number_problem(number, date(1904, 2, 29)) or "")
    assert "12 chữ số" in (id_number_problem("07930400004", born) or "")
    assert "mã tỉnh" in (id_number_problem("003304000042", born) or "")


def test_current_administrative_units() -> None:
    hoan_kiem = commune("00070")
    assert (hoan_kiem.name, hoan_kiem.province_code, hoan_kiem.province_name) == (
        "Phường Hoàn Kiếm",
        "01",
        "Thành phố Hà Nội",
    )
    assert province_name("79") == "Thành phố Hồ Chí Minh"
    for bad in ("0070", "abcde", "99999"):
        with pytest.raises(InvalidInputError):
            commune(bad)
