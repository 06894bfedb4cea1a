"""Reading YAML data files into pydantic models, turning every failure into a DefinitionError."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from states.errors import DefinitionError

ModelT = TypeVar("ModelT", bound=BaseModel)

# libyaml parses the procedure files about ten times faster than the pure-Python parser, with the same
# safe constructors; the pure-Python one remains for an interpreter built without it.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_SafeLoader)
    except (OSError, yaml.YAMLError) as exc:
        raise DefinitionError(f"Không đọc được tệp {path}: {exc}", path=str(path)) from exc


def load_model(path: Path, model: type[ModelT]) -> ModelT:
    try:
        return model.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise DefinitionError(f"Tệp {path} không hợp lệ:\n{exc}", path=str(path)) from exc


CodedT = TypeVar("CodedT", bound=BaseModel)


def load_coded_models(directory: Path, model: type[CodedT], *, skip: Collection[str] = ()) -> dict[str, CodedT]:
    """Every ``<code>.yaml`` of a directory (but the files named in ``skip``), keyed by the ``code`` it declares,
    which must be the file's name."""
    found: dict[str, CodedT] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name in skip:
            continue
        loaded = load_model(path, model)
        code = str(loaded.model_dump(include={"code"})["code"])
        if path.stem != code:
            raise DefinitionError(f"{path}: tên tệp phải là {code}.yaml", path=str(path))
        found[code] = loaded
    return found
