"""Sensitive values in a dossier (health data) shown only to the roles that need them to act
(``config/redaction.yaml``); others who may see the dossier read that the value is hidden, not the value."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from config import CONFIG_DIR
from states.errors import DefinitionError
from states.regimes import RegimeTable
from states.yaml_loading import load_model

REDACTION_FILE = CONFIG_DIR / "redaction.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SensitiveClass(_Strict):
    title_vi: str = Field(min_length=1)
    basis: str = Field(min_length=1)
    unverified: str | None = None
    fields: tuple[str, ...] = Field(min_length=1)
    roles: tuple[str, ...] = Field(min_length=1)


class RedactionRules(_Strict):
    classes: dict[str, SensitiveClass]

    def check(self, regimes: RegimeTable) -> None:
        for name, sensitive in self.classes.items():
            unknown = sorted(set(sensitive.roles) - set(regimes.roles))
            if unknown:
                raise DefinitionError(f"{REDACTION_FILE.name}: lớp '{name}' nêu vai trò không có: {', '.join(unknown)}")

    def hidden_fields(self, role: str) -> dict[str, str]:
        """Field → the note shown instead of its value, for an officer of ``role``."""
        return {
            field: f"[đã ẩn: {sensitive.title_vi}]"
            for sensitive in self.classes.values()
            if role not in sensitive.roles
            for field in sensitive.fields
        }


@lru_cache(maxsize=4)
def redaction_rules(path: Path = REDACTION_FILE) -> RedactionRules:
    return load_model(path, RedactionRules)


def redact(values: Mapping[str, Any], hidden: Mapping[str, str]) -> dict[str, Any]:
    return {key: hidden.get(key, value) for key, value in values.items()}
