"""Sensitive data in a dossier shown only to the roles that need it to act (``config/redaction.yaml``): health
data in every dossier, and the identity of a minor in a minor's case. Others who may see the dossier read that
a value is hidden, not the value; a stored document holding hidden data is not handed to them (a signed file
cannot be redacted without breaking its signature)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from config import CONFIG_DIR
from states.errors import DefinitionError
from states.regimes import RegimeTable
from states.yaml_loading import load_model

REDACTION_FILE = CONFIG_DIR / "redaction.yaml"
ADULT_AGE = 18
MINORS_PROCEDURES = frozenset({"compulsory_rehab_minor"})
ID_SHOWN_DIGITS = 4


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SensitiveClass(_Strict):
    title_vi: str = Field(min_length=1)
    basis: str = Field(min_length=1)
    unverified: str | None = None
    applies: Literal["always", "minors"] = "always"
    """``minors``: only in a minor's case (see :func:`is_minors_case`)."""
    identity: bool = False
    """The person's name, birth date and identity number are hidden as well."""
    fields: tuple[str, ...] = Field(min_length=1)
    forms: tuple[str, ...] = ()
    """Forms whose stored documents hold this data (every form, for a class that hides the identity)."""
    roles: tuple[str, ...] = Field(min_length=1)

    def hides_from(self, role: str, minor: bool) -> bool:
        return role not in self.roles and (self.applies == "always" or minor)

    @property
    def note(self) -> str:
        return f"[đã ẩn: {self.title_vi}]"


class RedactionRules(_Strict):
    classes: dict[str, SensitiveClass]

    def check(self, regimes: RegimeTable, form_codes: Iterable[str] | None = None) -> None:
        known_forms = None if form_codes is None else set(form_codes)
        for name, sensitive in self.classes.items():
            unknown = sorted(set(sensitive.roles) - set(regimes.roles))
            if unknown:
                raise DefinitionError(f"{REDACTION_FILE.name}: lớp '{name}' nêu vai trò không có: {', '.join(unknown)}")
            if known_forms is not None and set(sensitive.forms) - known_forms:
                missing = ", ".join(sorted(set(sensitive.forms) - known_forms))
                raise DefinitionError(f"{REDACTION_FILE.name}: lớp '{name}' nêu mẫu không có: {missing}")

    def hidden_fields(self, role: str, minor: bool = False) -> dict[str, str]:
        """Field → the note shown instead of its value, for an officer of ``role``."""
        return {
            field: sensitive.note
            for sensitive in self.classes.values()
            if sensitive.hides_from(role, minor)
            for field in sensitive.fields
        }

    def hides_identity(self, role: str, minor: bool) -> bool:
        return any(s.identity and s.hides_from(role, minor) for s in self.classes.values())

    def withheld_document(self, role: str, form_code: str, minor: bool) -> list[SensitiveClass]:
        """The classes of data that keep a stored document of ``form_code`` from an officer of ``role``."""
        return [
            sensitive
            for sensitive in self.classes.values()
            if sensitive.hides_from(role, minor) and (sensitive.identity or form_code in sensitive.forms)
        ]


@lru_cache(maxsize=4)
def redaction_rules(path: Path = REDACTION_FILE) -> RedactionRules:
    return load_model(path, RedactionRules)


def redact(values: Mapping[str, Any], hidden: Mapping[str, str]) -> dict[str, Any]:
    return {key: hidden.get(key, value) for key, value in values.items()}


def age_on(date_of_birth: date, on: date) -> int:
    return on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))


def is_minors_case(procedure_codes: Iterable[str], date_of_birth: date | None, on: date) -> bool:
    """A minor's case: a dossier opened under the minors' procedure, or a person under 18 on the day of the read."""
    if any(code in MINORS_PROCEDURES for code in procedure_codes):
        return True
    return date_of_birth is not None and age_on(date_of_birth, on) < ADULT_AGE


def initials(full_name: str) -> str:
    """``Nguyễn Văn An`` → ``N. V. A.``: enough to tell two minors of one list apart, not to name them."""
    return " ".join(f"{word[0].upper()}." for word in full_name.split())


def masked_identity(full_name: str, date_of_birth: str, id_number: str) -> dict[str, str]:
    """What an officer who does not act on a minor's case reads of the minor: initials, birth year, last digits."""
    return {
        "full_name": initials(full_name),
        "date_of_birth": date_of_birth[:4],
        "id_number": "*" * (len(id_number) - ID_SHOWN_DIGITS) + id_number[-ID_SHOWN_DIGITS:],
    }


def shown_identity(role: str, minor: bool, full_name: str, date_of_birth: str, id_number: str) -> dict[str, str]:
    if redaction_rules().hides_identity(role, minor):
        return masked_identity(full_name, date_of_birth, id_number)
    return {"full_name": full_name, "date_of_birth": date_of_birth, "id_number": id_number}
