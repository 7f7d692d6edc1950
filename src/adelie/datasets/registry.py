"""The dataset registry: what each dataset is, where it lives, how to read it, and what it may be used for.

Roles are per split. `train` feeds IEInstruct and IEFeedback; `dev` may be used for validation and
demonstrations; `in-domain test` is the test split of a train dataset; `held-out` and `never` can never be
selected for training (`check_trainable` raises `HeldOutError`).
"""

from __future__ import annotations

import difflib
import importlib
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from adelie.datasets.reading import ReadContext
from adelie.errors import HeldOutError, MissingDataError, UnknownDatasetError
from adelie.schema import Example, Task

Role = Literal["train", "dev", "in-domain test", "held-out", "never"]
LicenceClass = Literal["open", "non-commercial", "research-only", "unstated"]
LabelKind = Literal["entity", "relation", "event", "role"]
Reader = Callable[[Path, str, ReadContext], Iterable[Example]]

TRAINABLE_ROLES: frozenset[str] = frozenset({"train"})
PROTECTED_ROLES: frozenset[str] = frozenset({"held-out", "never"})

# Reader modules, each defining SPECS: list[DatasetSpec]. Order is the order of `adelie data list`.
_MODULES = (
    "conll", "genia", "mit_restaurant",
    "fewrel", "semeval", "joint_re", "docred",
    "phee", "casie", "rams", "wikievents", "matres",
    "oie", "odie",
)


@dataclass(frozen=True)
class SplitSpec:
    """One split: its role and the number of examples the reader must return."""

    name: str
    role: Role
    expected: int
    note: str = ""


@dataclass(frozen=True)
class DatasetSpec:
    """Everything adelie knows about one dataset. Label maps go from the raw label to a readable name."""

    name: str
    folder: str  # relative to the data directory
    tasks: tuple[Task, ...]
    splits: tuple[SplitSpec, ...]
    licence_class: LicenceClass
    reader: Reader
    description: str = ""
    entity_labels: dict[str, str] = field(default_factory=dict)
    relation_labels: dict[str, str] = field(default_factory=dict)
    event_types: dict[str, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)  # argument roles
    event_roles: dict[str, tuple[str, ...]] = field(default_factory=dict)  # event type -> its roles
    coarse: dict[str, str] = field(default_factory=dict)  # fine label -> coarse label
    no_relation: str | None = None  # the label that means "no relation" (SemEval: Other)
    duplicate_of: str | None = None  # the same text as another registered dataset (left out of the overlap check)

    def split(self, name: str) -> SplitSpec:
        """The split called `name`, or UnknownDatasetError listing the splits there are."""
        for s in self.splits:
            if s.name == name:
                return s
        raise UnknownDatasetError(
            f"dataset {self.name!r} has no split {name!r}; its splits are: {', '.join(self.split_names)}"
        )

    @property
    def split_names(self) -> list[str]:
        return [s.name for s in self.splits]

    @property
    def roles_summary(self) -> str:
        """A one-line summary such as `train: train; test: in-domain test`."""
        return "; ".join(f"{s.name}: {s.role}" for s in self.splits)

    def label_name(self, raw: str, kind: LabelKind | None = None) -> str:
        """The readable name of a raw label (the raw label when none is defined). Give `kind` where one raw
        label names two things (ADE: `Adverse-Effect` is an entity type and a relation)."""
        tables = {"entity": self.entity_labels, "relation": self.relation_labels, "event": self.event_types,
                  "role": self.roles}
        for table in [tables[kind]] if kind else tables.values():
            if raw in table:
                return table[raw]
        return raw

    def coarse_name(self, coarse: str) -> str:
        """The readable name of a coarse type (a value of `coarse`), as prompts offer it: the label name it
        has; else, where the fine names read `coarse: fine` (RAMS, WikiEvents), the part before the colon
        shared by all its fine labels (`conflict.attack` -> `attack`); else the raw id made readable
        (`Vulnerability-related` -> `vulnerability-related`, `Conflict.Attack` -> `attack`)."""
        named = self.label_name(coarse)
        if named != coarse:
            return named
        if any(": " in self.label_name(fine) for fine in self.coarse):
            heads = {self.label_name(fine).split(": ", 1)[0] for fine, c in self.coarse.items() if c == coarse}
            if len(heads) == 1:
                return heads.pop()
        return readable_id(coarse)


def readable_id(raw: str) -> str:
    """A raw label id as words: its last dotted part, CamelCase and `_` split, lower case
    (`ArtifactExistence.DamageDestroy` -> `damage destroy`)."""
    last = raw.rsplit(".", 1)[-1]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", last).replace("_", " ")
    return " ".join(words.split()).lower() or raw


_SPECS: dict[str, DatasetSpec] | None = None


def all_specs() -> dict[str, DatasetSpec]:
    """Every registered dataset by name, in listing order."""
    global _SPECS
    if _SPECS is None:
        specs: dict[str, DatasetSpec] = {}
        for mod in _MODULES:
            for spec in importlib.import_module(f"adelie.datasets.{mod}").SPECS:
                if spec.name in specs:
                    raise RuntimeError(f"dataset {spec.name!r} is registered twice")
                specs[spec.name] = spec
        _SPECS = specs
    return _SPECS


def get(name: str) -> DatasetSpec:
    """The spec of dataset `name`; an unknown name raises UnknownDatasetError with close matches."""
    specs = all_specs()
    if name in specs:
        return specs[name]
    close = difflib.get_close_matches(name, specs, n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise UnknownDatasetError(f"unknown dataset {name!r}.{hint} `adelie data list` shows them all.")


def data_dir(explicit: str | Path | None = None) -> Path:
    """The IE data directory: `explicit`, else $ADELIE_DATA_DIR, else ../shared/datasets (from the working
    directory, then from the repository root)."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_dir():
            raise MissingDataError(f"data directory {path} does not exist")
        return path
    env = os.environ.get("ADELIE_DATA_DIR")
    if env:
        if not Path(env).is_dir():
            raise MissingDataError(f"ADELIE_DATA_DIR={env} is not a directory")
        return Path(env)
    repo_root = Path(__file__).resolve().parents[3]
    candidates = [Path.cwd() / ".." / "shared" / "datasets", repo_root / ".." / "shared" / "datasets"]
    for c in candidates:
        if c.is_dir():
            return c.resolve()
    tried = ", ".join(str(c) for c in candidates)
    raise MissingDataError(f"no data directory: set ADELIE_DATA_DIR or pass --data-dir (tried {tried})")


def dataset_dir(spec: DatasetSpec, root: str | Path | None = None) -> Path:
    """The folder of `spec` inside the data directory; MissingDataError when it is absent."""
    folder = data_dir(root) / spec.folder
    if not folder.is_dir():
        raise MissingDataError(f"dataset {spec.name!r}: folder {folder} is missing from the data directory")
    return folder


def licence_text(spec: DatasetSpec, root: str | Path | None = None) -> str:
    """The licence as the dataset's SOURCE.txt states it (`licence:` lines), or the registry's class."""
    try:
        source = dataset_dir(spec, root) / "SOURCE.txt"
        lines = source.read_text(encoding="utf-8").splitlines()
    except (MissingDataError, OSError):
        return f"({spec.licence_class}; SOURCE.txt not found)"
    found = [ln.split(":", 1)[1].strip() for ln in lines if ln.lower().startswith("licence:")]
    return " | ".join(dict.fromkeys(found)) if found else f"({spec.licence_class}; no licence line in SOURCE.txt)"


def iter_examples(
    name: str, split: str, root: str | Path | None = None, ctx: ReadContext | None = None
) -> Iterator[Example]:
    """Stream the examples of one split."""
    spec = get(name)
    spec.split(split)
    yield from spec.reader(dataset_dir(spec, root), split, ctx or ReadContext())


def load(name: str, split: str, root: str | Path | None = None, skip_invalid: bool = False) -> list[Example]:
    """All examples of one split (`skip_invalid` drops bad records instead of raising; see `iter_examples`
    with a `ReadContext` to get the skipped count)."""
    return list(iter_examples(name, split, root, ReadContext(skip_invalid=skip_invalid)))


def check_trainable(name: str, split: str) -> None:
    """Raise HeldOutError unless `split` of `name` may be trained on."""
    role = get(name).split(split).role
    if role not in TRAINABLE_ROLES:
        raise HeldOutError(
            f"{name}/{split} has role {role!r} and can never be used for training "
            f"(only {', '.join(sorted(TRAINABLE_ROLES))} splits can)"
        )


def select(
    task: Task | str | None = None,
    role: Role | None = None,
    licences: Iterable[str] | None = None,
    names: Iterable[str] | None = None,
) -> list[tuple[DatasetSpec, SplitSpec]]:
    """(dataset, split) pairs matching every filter given: task, role, licence classes, dataset names."""
    wanted_names = set(names) if names is not None else None
    allowed = set(licences) if licences is not None else None
    out = []
    for spec in all_specs().values():
        if task is not None and Task(task) not in spec.tasks:
            continue
        if allowed is not None and spec.licence_class not in allowed:
            continue
        if wanted_names is not None and spec.name not in wanted_names:
            continue
        out += [(spec, s) for s in spec.splits if role is None or s.role == role]
    return out


def training_pool(
    task: Task | str | None = None, licences: Iterable[str] | None = None, names: Iterable[str] | None = None
) -> list[tuple[DatasetSpec, SplitSpec]]:
    """The train-role splits usable for training; asking for a protected dataset by name raises."""
    if names is not None:
        for n in names:
            spec = get(n)
            if not any(s.role in TRAINABLE_ROLES for s in spec.splits):
                raise HeldOutError(f"{n} has no train-role split: it is {spec.roles_summary}")
    return select(task=task, role="train", licences=licences, names=names)
