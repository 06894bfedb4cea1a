"""The catalogue of official forms (``config/forms.yaml``) that steps request."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from states.errors import DefinitionError
from states.yaml_loading import load_model


class Form(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title_vi: str
    source: str
    status: Literal["verified", "unverified", "engine"]


class FormCatalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    forms: dict[str, Form]


def load_forms(config_dir: Path) -> FormCatalogue:
    """``forms.yaml`` plus one fragment per procedure in ``forms.d/`` (a code defined twice is an error)."""
    forms = dict(load_model(config_dir / "forms.yaml", FormCatalogue).forms)
    for path in sorted((config_dir / "forms.d").glob("*.yaml")):
        for code, form in load_model(path, FormCatalogue).forms.items():
            if code in forms:
                raise DefinitionError(f"{path}: mẫu văn bản {code} đã được khai báo", path=str(path))
            forms[code] = form
    return FormCatalogue(forms=forms)
