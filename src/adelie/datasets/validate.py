"""Read every dataset split, check offsets (by constructing the records) and split sizes, count annotations,
and run the held-out overlap check on the way."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from adelie.datasets.overlap import OverlapReport, compare, sentence_keys
from adelie.datasets.reading import ReadContext
from adelie.datasets.registry import PROTECTED_ROLES, TRAINABLE_ROLES, all_specs, get, iter_examples
from adelie.errors import AdelieError


@dataclass
class SplitReport:
    """What reading one split found."""

    dataset: str
    split: str
    role: str
    expected: int
    examples: int = 0
    entities: int = 0
    relations: int = 0
    events: int = 0
    arguments: int = 0
    event_relations: int = 0
    tuples: int = 0
    tables: int = 0
    invalid: int = 0
    error: str | None = None
    first_invalid: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and self.invalid == 0 and self.examples == self.expected


@dataclass
class ValidationReport:
    """Every split's report plus the overlap check."""

    splits: list[SplitReport] = field(default_factory=list)
    overlap: OverlapReport | None = None

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.splits)


def validate_split(
    name: str, split: str, root: str | Path | None = None, skip_invalid: bool = False, keys: set[str] | None = None
) -> SplitReport:
    """Read one split fully. Without `skip_invalid` the first bad record stops the split (reported as its
    error); with it, bad records are counted. Sentence keys for the overlap check are added to `keys`."""
    spec = get(name)
    rep = SplitReport(name, split, spec.split(split).role, spec.split(split).expected)
    ctx = ReadContext(skip_invalid=skip_invalid)
    t0 = time.perf_counter()
    try:
        for ex in iter_examples(name, split, root, ctx):
            rep.examples += 1
            rep.entities += len(ex.entities)
            rep.relations += len(ex.relations)
            rep.events += len(ex.events)
            rep.arguments += sum(len(e.arguments) for e in ex.events)
            rep.event_relations += len(ex.event_relations)
            rep.tuples += len(ex.tuples)
            rep.tables += ex.table is not None
            if keys is not None:
                keys |= sentence_keys(ex)
    except AdelieError as exc:
        rep.error = str(exc)
    rep.invalid = len(ctx.skipped)
    if ctx.skipped:
        rep.first_invalid = str(ctx.skipped[0])
    rep.seconds = time.perf_counter() - t0
    return rep


def validate_all(
    names: Iterable[str] | None = None,
    root: str | Path | None = None,
    skip_invalid: bool = False,
    overlap: bool = True,
    on_split: Callable[[SplitReport], None] | None = None,
) -> ValidationReport:
    """Validate every split of the named datasets (default: all), then compare training splits with
    held-out and never-use splits."""
    report = ValidationReport()
    trained: dict[str, set[str]] = {}
    protected: dict[str, set[str]] = {}
    for name in names or list(all_specs()):
        spec = get(name)
        for s in spec.splits:
            keys: set[str] | None = None
            checked = s.role in TRAINABLE_ROLES or (s.role in PROTECTED_ROLES and not spec.duplicate_of)
            if overlap and checked:
                keys = set()
                (trained if s.role in TRAINABLE_ROLES else protected)[f"{name}/{s.name}"] = keys
            rep = validate_split(name, s.name, root, skip_invalid, keys)
            report.splits.append(rep)
            if on_split:
                on_split(rep)
    if overlap:
        report.overlap = compare(trained, protected)
    return report
