"""Label descriptions and synonyms for the readable label names of the train-role datasets.

`descriptions.yaml` gives one sentence per label, `synonyms.yaml` two to five paraphrases (for label-name
perturbation). Both are keyed by kind of label, then by the readable name used in the dataset registry.
Lookup ignores case, surrounding space and underscores-for-spaces. Held-out label sets are deliberately absent.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Literal, TypeVar

import yaml

from adelie.errors import DataFormatError
from adelie.schema import Task

Kind = Literal["entity", "relation", "event", "role"]
KINDS: tuple[Kind, ...] = ("entity", "relation", "event", "role")
# Which DatasetSpec label map holds labels of which kind.
KIND_OF_MAP: dict[str, Kind] = {
    "entity_labels": "entity", "relation_labels": "relation", "event_types": "event", "roles": "role",
}

V = TypeVar("V")
Table = dict[Kind, dict[str, tuple[str, V]]]  # kind -> normalised name -> (name as written, value)

# The kind of label each task offers as options. Pass it to `description`/`synonyms`: some names are labels of
# two kinds ("location" is an entity type and a DocRED relation). Event relations (temporal) have no entries.
TASK_KIND: dict[Task, Kind] = {
    Task.NER: "entity", Task.RELATION_CLASSIFICATION: "relation", Task.RELATION_EXTRACTION: "relation",
    Task.EVENT_DETECTION: "event", Task.EVENT_ARGUMENTS: "role",
}

_DIR = Path(__file__).resolve().parent
DESCRIPTIONS_PATH = _DIR / "descriptions.yaml"
SYNONYMS_PATH = _DIR / "synonyms.yaml"


def normalise(name: str) -> str:
    """The lookup key of a label name: case-folded, underscores read as spaces, runs of space collapsed."""
    return " ".join(name.replace("_", " ").split()).casefold()


def description(name: str, kind: Kind | None = None) -> str | None:
    """The one-sentence description of label `name` (of `kind`, or the first kind that has it), or None."""
    return _lookup(_descriptions(), name, kind)


def synonyms(name: str, kind: Kind | None = None) -> tuple[str, ...]:
    """Paraphrases of label `name` (of `kind`, or the first kind that has it); () when none are known."""
    return _lookup(_synonyms(), name, kind) or ()


def names(kind: Kind) -> tuple[str, ...]:
    """Every label name of `kind` that has a description, as written in descriptions.yaml."""
    return tuple(name for name, _ in _descriptions()[kind].values())


def _lookup(table: Table[V], name: str, kind: Kind | None) -> V | None:
    key = normalise(name)
    for k in (kind,) if kind is not None else KINDS:
        if k not in table:
            raise ValueError(f"label kind must be one of {KINDS}, not {k!r}")
        if key in table[k]:
            return table[k][key][1]
    return None


@cache
def _descriptions() -> Table[str]:
    def check(path: Path, where: str, value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise DataFormatError(path, where, "expected a non-empty one-sentence description")
        return value.strip()

    return _load(DESCRIPTIONS_PATH, check)


@cache
def _synonyms() -> Table[tuple[str, ...]]:
    def check(path: Path, where: str, value: object) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise DataFormatError(path, where, "expected a list of non-empty synonym strings")
        return tuple(v.strip() for v in value)

    return _load(SYNONYMS_PATH, check)


def _load(path: Path, check: Callable[[Path, str, object], V]) -> Table[V]:
    """The table of a file laid out by kind, each value passed through `check`."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataFormatError(path, None, f"expected a readable YAML file; got {exc}") from exc
    if not isinstance(data, dict) or set(data) != set(KINDS):
        raise DataFormatError(path, None, f"expected a mapping with exactly the sections {list(KINDS)}")
    out: Table[V] = {}
    for kind in KINDS:
        section = data[kind]
        if not isinstance(section, dict):
            raise DataFormatError(path, kind, "expected a mapping from label name to value")
        table: dict[str, tuple[str, V]] = {}
        for name, value in section.items():
            where = f"{kind}/{name}"
            if not isinstance(name, str):
                raise DataFormatError(path, where, "expected a label name (a string)")
            key = normalise(name)
            if key in table:
                raise DataFormatError(path, where, f"duplicates {table[key][0]!r} (names are compared ignoring case)")
            table[key] = (name, check(path, where, value))
        out[kind] = table
    return out
