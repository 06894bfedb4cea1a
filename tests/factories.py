"""factory_boy factories for the inputs the engine takes."""

from __future__ import annotations

from datetime import date
from typing import Any

import factory

from states.engine import SubjectInput
from states.identity import make_id_number


class SubjectFactory(factory.Factory):  # type: ignore[misc]  # factory_boy is untyped
    class Meta:
        model = SubjectInput

    full_name = factory.Sequence(lambda n: f"Nguyễn Văn Thử {n}")
    date_of_birth = date(1990, 6, 15)
    sex = "male"
    commune_code = "00070"
    address = "Số 1 phố Tràng Tiền"

    @factory.lazy_attribute_sequence  # type: ignore[untyped-decorator]
    def id_number(self, n: int) -> Any:
        return make_id_number("001", self.date_of_birth, self.sex, 100000 + n)
