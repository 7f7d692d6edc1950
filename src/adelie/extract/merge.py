"""Collecting what the answers gave for one text, merging duplicates, and building the result records."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from adelie.extract.grounding import Grounder
from adelie.extract.records import (
    ArgumentRecord,
    CellRecord,
    EventRecord,
    ExtractionResult,
    RelationRecord,
    SpanRecord,
    TableRecord,
    TripleRecord,
)
from adelie.tasks.formats import normalise

R = TypeVar("R")


@dataclass
class Found:
    """Everything one text gave, before duplicates are merged."""

    text: str
    entities: list[SpanRecord] = field(default_factory=list)
    relations: list[RelationRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    arguments: list[ArgumentRecord] = field(default_factory=list)
    triples: list[TripleRecord] = field(default_factory=list)
    tables: list[TableRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def table_record(table: Any, grounder: Grounder, shift: int, score: float) -> TableRecord:
    """A parsed `Table` (None: an NA answer) with every non-empty cell grounded; offsets shifted by `shift`."""
    if table is None:
        return TableRecord(columns=[], rows=[], score=score)
    rows = []
    for row in table.rows:
        cells = []
        for cell in row:
            if not cell.strip():
                cells.append(CellRecord(text=cell, start=None, end=None, alignment="not_found"))
                continue
            g = grounder.ground(cell)
            cells.append(CellRecord(
                text=g.text, start=None if g.start is None else g.start + shift,
                end=None if g.end is None else g.end + shift, alignment=g.alignment,
                answer=None if g.text == cell else cell,
            ))
        rows.append(cells)
    return TableRecord(columns=list(table.header), rows=rows, score=score)


def _span_key(s: SpanRecord) -> Hashable:
    return (s.start, s.end) if s.start is not None else ("not_found", normalise(s.text))


def _said(s: SpanRecord) -> str:
    """What the model wrote for a span, in comparison form."""
    return normalise(s.answer if s.answer is not None else s.text)


def argument_key(a: ArgumentRecord) -> Hashable:
    """What makes two arguments the same: role and offsets (the text when not found)."""
    return a.role, _span_key(a)


def merge(
    records: list[R],
    key: Callable[[R], Hashable],
    said: Callable[[R], Hashable],
    spans: Callable[[R], list[SpanRecord]],
) -> list[R]:
    """Records without duplicates: those with the same `key` (label and offsets) become the first of them with
    the highest score, and a record with a part not found in its chunk is dropped when the same answer (`said`)
    was found in full in another chunk."""
    def complete(r: R) -> bool:
        return all(s.start is not None for s in spans(r))

    found = {said(r) for r in records if complete(r)}
    kept: dict[Hashable, R] = {}
    for r in records:
        if not complete(r) and said(r) in found:
            continue
        k = key(r)
        if k not in kept or r.score > kept[k].score:  # type: ignore[attr-defined]
            kept[k] = r
    order = dict.fromkeys(key(r) for r in records)
    return [kept[k] for k in order if k in kept]


def merge_arguments(arguments: list[ArgumentRecord]) -> list[ArgumentRecord]:
    """Arguments without duplicates (see `merge`)."""
    return merge(arguments, argument_key, lambda a: (a.role, _said(a)), lambda a: [a])


def merge_all(acc: Found) -> None:
    """Merge the duplicates of every list of `acc` (see `merge`)."""
    acc.entities = merge(acc.entities, lambda s: (s.label, _span_key(s)), lambda s: (s.label, _said(s)),
                         lambda s: [s])
    acc.relations = merge(acc.relations, lambda r: (r.label, _span_key(r.head), _span_key(r.tail)),
                          lambda r: (r.label, _said(r.head), _said(r.tail)), lambda r: [r.head, r.tail])
    acc.events = merge(acc.events, lambda e: (e.type, _span_key(e.trigger)), lambda e: (e.type, _said(e.trigger)),
                       lambda e: [e.trigger])
    acc.arguments = merge_arguments(acc.arguments)
    acc.triples = merge(
        acc.triples,
        lambda t: (_span_key(t.subject), _span_key(t.predicate), tuple(_span_key(o) for o in t.objects)),
        lambda t: (_said(t.subject), _said(t.predicate), tuple(_said(o) for o in t.objects)),
        lambda t: [t.subject, t.predicate, *t.objects],
    )


def merge_tables(tables: list[TableRecord]) -> TableRecord | None:
    """One table from the chunks' tables: the union of their columns (matched ignoring case), their rows
    without repeats, the mean score."""
    if not tables:
        return None
    if len(tables) == 1:
        return tables[0]
    columns: dict[str, str] = {}
    for t in tables:
        for c in t.columns:
            columns.setdefault(normalise(c), c)
    order = list(columns)
    rows, seen = [], set()
    for t in tables:
        where = {normalise(c): i for i, c in enumerate(t.columns)}
        for row in t.rows:
            cells = [row[where[k]] if k in where and where[k] < len(row) else
                     CellRecord(text="", start=None, end=None, alignment="not_found") for k in order]
            key = tuple((c.text, c.start) for c in cells)
            if key not in seen:
                seen.add(key)
                rows.append(cells)
    return TableRecord(columns=[columns[k] for k in order], rows=rows,
                       score=sum(t.score for t in tables) / len(tables))


def type_relation_spans(acc: Found) -> None:
    """Heads and tails get the entity type of the entity at the same offsets (else with the same text)."""
    at = {(e.start, e.end): e.label for e in acc.entities if e.start is not None}
    named = {normalise(e.text): e.label for e in acc.entities}
    for r in acc.relations:
        for s in (r.head, r.tail):
            s.label = at.get((s.start, s.end)) or named.get(normalise(s.text), "")


def result_of(task: str, acc: Found) -> ExtractionResult:
    """The result record of one text (tables of several chunks merged, warnings without repeats)."""
    return ExtractionResult(
        text=acc.text, task=task, entities=acc.entities, relations=acc.relations, events=acc.events,  # type: ignore[arg-type]
        arguments=acc.arguments, triples=acc.triples, table=merge_tables(acc.tables),
        warnings=list(dict.fromkeys(acc.warnings)),
    )
