"""Evaluation suites: which (dataset, split, task) triples an evaluation run covers.

`heldout` is the paper's held-out set; `indomain` is every in-domain test split of the training datasets; any
other suite string is a comma-separated list of `dataset`, `dataset:split` or `dataset:split:task`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from adelie.datasets.registry import get, select
from adelie.errors import AdelieError
from adelie.schema import Task


@dataclass(frozen=True)
class EvalSet:
    """One scored unit of an evaluation run."""

    dataset: str
    split: str
    task: Task

    @property
    def name(self) -> str:
        return f"{self.dataset}/{self.split}/{self.task.value}"


HELDOUT: tuple[tuple[str, str, Task], ...] = (
    *((f"crossner_{d}", "test", Task.NER) for d in ("ai", "literature", "music", "politics", "science")),
    ("fewnerd_inter", "test", Task.NER),
    ("mit_restaurant", "test", Task.NER),
    ("semeval2010_task8", "test", Task.RELATION_CLASSIFICATION),
    ("fewrel", "val_pubmed", Task.RELATION_CLASSIFICATION),
    ("re_docred", "test", Task.RELATION_EXTRACTION),
    ("rams", "test", Task.EVENT_ARGUMENTS),
    ("wikievents", "test", Task.EVENT_DETECTION),
    ("wikievents", "test", Task.EVENT_ARGUMENTS),
    ("matres", "platinum", Task.EVENT_RELATION),
    ("carb", "test", Task.OPEN_IE),
    ("odie", "test", Task.ON_DEMAND),
)

# Task families as the paper groups them: closed IE, open IE, on-demand IE.
FAMILY: dict[Task, str] = {
    Task.NER: "closed", Task.RELATION_CLASSIFICATION: "closed", Task.RELATION_EXTRACTION: "closed",
    Task.EVENT_DETECTION: "closed", Task.EVENT_ARGUMENTS: "closed", Task.EVENT_RELATION: "closed",
    Task.OPEN_IE: "open", Task.ON_DEMAND: "on-demand",
}


class SuiteError(AdelieError):
    """An unknown suite, or a dataset entry that cannot be evaluated."""


def _indomain() -> list[EvalSet]:
    return [EvalSet(spec.name, split.name, t) for spec, split in select(role="in-domain test") for t in spec.tasks]


def _entry(entry: str) -> list[EvalSet]:
    parts = entry.split(":")
    if len(parts) > 3:
        raise SuiteError(f"suite entry {entry!r}: expected dataset, dataset:split or dataset:split:task")
    spec = get(parts[0])
    if len(parts) >= 2:
        splits = [spec.split(parts[1]).name]
    else:
        splits = [s.name for s in spec.splits if s.role in ("held-out", "in-domain test")]
        if not splits:
            raise SuiteError(f"dataset {spec.name!r} has no held-out or test split; name one as {spec.name}:SPLIT "
                             f"(its splits: {', '.join(spec.split_names)})")
    if len(parts) == 3:
        if Task(parts[2]) not in spec.tasks:
            raise SuiteError(f"dataset {spec.name!r} has no task {parts[2]!r} (it has "
                             f"{', '.join(t.value for t in spec.tasks)})")
        tasks = [Task(parts[2])]
    else:
        tasks = list(spec.tasks)
    return [EvalSet(spec.name, s, t) for s in splits for t in tasks]


def resolve_suite(suite: str, datasets: Iterable[str] | None = None) -> list[EvalSet]:
    """The evaluation sets of `suite` (`heldout`, `indomain` or a comma list), kept to `datasets` when given."""
    if suite == "heldout":
        sets = [EvalSet(d, s, t) for d, s, t in HELDOUT]
    elif suite == "indomain":
        sets = _indomain()
    else:
        entries = [e.strip() for e in suite.split(",") if e.strip()]
        if not entries:
            raise SuiteError("empty suite: give heldout, indomain or a comma-separated list of datasets")
        try:
            sets = [es for e in entries for es in _entry(e)]
        except ValueError as exc:
            raise SuiteError(f"suite {suite!r}: {exc}") from None
    if datasets is not None:
        wanted = set(datasets)
        unknown = wanted - {es.dataset for es in sets}
        if unknown:
            raise SuiteError(f"--datasets {', '.join(sorted(unknown))} not in suite {suite!r} "
                             f"(it has {', '.join(sorted({es.dataset for es in sets}))})")
        sets = [es for es in sets if es.dataset in wanted]
    return list(dict.fromkeys(sets))
