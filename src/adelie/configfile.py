"""Reading YAML config files: one place for the errors every stage's config loader gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from adelie.errors import AdelieError


def read_yaml_mapping(path: str | Path, what: str = "config fields") -> dict[str, Any]:
    """The mapping in YAML file `path` (empty file: {}); AdelieError naming the file otherwise."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AdelieError(f"cannot read config {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise AdelieError(f"{path}: expected a YAML mapping of {what}; {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise AdelieError(f"{path}: expected a YAML mapping of {what}, got {type(data).__name__}")
    return data
