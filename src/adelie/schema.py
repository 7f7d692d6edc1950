"""The data model: every IE record is an `Example` whose annotations point into `Example.text`.

Character offsets (end exclusive) are the single source of truth. `text[start:end] == span.text` is checked
when an `Example` is constructed, here and nowhere else, so any record that exists is consistent.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Task(StrEnum):
    """The IE tasks adelie knows. A dataset may serve several (CoNLL04: NER and relation extraction)."""

    NER = "ner"
    RELATION_CLASSIFICATION = "relation_classification"  # label the relation between a given head and tail
    RELATION_EXTRACTION = "relation_extraction"  # extract (head; relation; tail) triples
    EVENT_DETECTION = "event_detection"  # trigger + event type
    EVENT_ARGUMENTS = "event_arguments"  # arguments + roles for a given trigger
    EVENT_RELATION = "event_relation"  # label the relation between two given event triggers
    OPEN_IE = "open_ie"  # (predicate; arguments...) tuples, no schema
    ON_DEMAND = "on_demand"  # a table built from a free-form instruction


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Span(_Frozen):
    """A mention: `text == source[start:end]`. `label` is an entity type when one applies; `id` groups
    coreferent mentions of one entity (document-level datasets)."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    label: str | None = None
    id: str | None = None

    @model_validator(mode="after")
    def _check_length(self) -> Span:
        if self.end < self.start:
            raise ValueError(f"span end {self.end} is before its start {self.start}")
        if self.end - self.start != len(self.text):
            raise ValueError(
                f"span [{self.start}, {self.end}) covers {self.end - self.start} characters "
                f"but its text {self.text!r} has {len(self.text)}"
            )
        return self


class Relation(_Frozen):
    """A directed relation `label(head, tail)`. No-relation instances keep the dataset's own label
    (SemEval's `Other`); the registry says which label means "none"."""

    head: Span
    tail: Span
    label: str


class Argument(Span):
    """An event argument: a mention filling `role`."""

    role: str


class Event(_Frozen):
    """An event: its trigger mention, its type, and its arguments."""

    trigger: Span
    type: str
    arguments: tuple[Argument, ...] = ()
    id: str | None = None


class EventRelation(_Frozen):
    """A relation between two event triggers (MATRES: BEFORE / AFTER / EQUAL / VAGUE)."""

    head: Span
    tail: Span
    label: str


class OpenTuple(_Frozen):
    """An open IE tuple. Strings are the truth (gold tuples may reorder words); spans, when the source
    aligns them, locate the same strings in the text."""

    predicate: str
    arguments: tuple[str, ...]
    predicate_span: Span | None = None
    argument_spans: tuple[Span | None, ...] = ()

    @model_validator(mode="after")
    def _check_alignment(self) -> OpenTuple:
        if self.argument_spans and len(self.argument_spans) != len(self.arguments):
            raise ValueError(
                f"{len(self.argument_spans)} argument spans for {len(self.arguments)} arguments"
            )
        return self


class Table(_Frozen):
    """An on-demand IE answer: a header and rows of the same width."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...] = ()

    @model_validator(mode="after")
    def _check_width(self) -> Table:
        for i, row in enumerate(self.rows):
            if len(row) != len(self.header):
                raise ValueError(f"table row {i} has {len(row)} cells, the header has {len(self.header)}")
        return self


class Example(_Frozen):
    """One unit of IE data: a text (a sentence, a passage or a document) and its gold annotations."""

    id: str
    dataset: str
    split: str
    text: str
    doc_id: str | None = None
    sentences: tuple[tuple[int, int], ...] = ()  # sentence boundaries as character offsets
    entities: tuple[Span, ...] = ()
    relations: tuple[Relation, ...] = ()
    events: tuple[Event, ...] = ()
    event_relations: tuple[EventRelation, ...] = ()
    tuples: tuple[OpenTuple, ...] = ()
    instruction: str | None = None  # on-demand IE: what the table should hold
    table: Table | None = None
    meta: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_offsets(self) -> Example:
        for where, span in self.iter_spans():
            check_span(self.text, span, where)
        n = len(self.text)
        for i, (s, e) in enumerate(self.sentences):
            if not 0 <= s <= e <= n:
                raise ValueError(f"sentence {i} boundaries ({s}, {e}) fall outside the text (length {n})")
        return self

    def iter_spans(self) -> list[tuple[str, Span]]:
        """Every span in the record with a readable location (`relations[2].tail`)."""
        out: list[tuple[str, Span]] = [(f"entities[{i}]", s) for i, s in enumerate(self.entities)]
        for i, r in enumerate(self.relations):
            out += [(f"relations[{i}].head", r.head), (f"relations[{i}].tail", r.tail)]
        for i, ev in enumerate(self.events):
            out.append((f"events[{i}].trigger", ev.trigger))
            out += [(f"events[{i}].arguments[{j}]", a) for j, a in enumerate(ev.arguments)]
        for i, r in enumerate(self.event_relations):
            out += [(f"event_relations[{i}].head", r.head), (f"event_relations[{i}].tail", r.tail)]
        for i, t in enumerate(self.tuples):
            if t.predicate_span is not None:
                out.append((f"tuples[{i}].predicate_span", t.predicate_span))
            out += [(f"tuples[{i}].argument_spans[{j}]", a) for j, a in enumerate(t.argument_spans) if a]
        return out

    def sentence_texts(self) -> list[str]:
        """The text of each sentence, or the whole text when the source gives no boundaries."""
        if not self.sentences:
            return [self.text]
        return [self.text[s:e] for s, e in self.sentences]


def check_span(text: str, span: Span, where: str = "span") -> None:
    """Raise ValueError unless `span` lies inside `text` and `text[start:end] == span.text`."""
    if span.end > len(text):
        raise ValueError(f"{where} [{span.start}, {span.end}) runs past the end of the text ({len(text)} chars)")
    found = text[span.start : span.end]
    if found != span.text:
        raise ValueError(f"{where} says {span.text!r} but text[{span.start}:{span.end}] is {found!r}")


def make_span(text: str, start: int, end: int, label: str | None = None, id: str | None = None) -> Span:
    """A span over `text[start:end]`: the one way readers turn offsets into mentions."""
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"offsets [{start}, {end}) fall outside the text (length {len(text)})")
    return Span(start=start, end=end, text=text[start:end], label=label, id=id)


def make_argument(text: str, start: int, end: int, role: str, label: str | None = None) -> Argument:
    """An event argument over `text[start:end]` filling `role`."""
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"offsets [{start}, {end}) fall outside the text (length {len(text)})")
    return Argument(start=start, end=end, text=text[start:end], role=role, label=label)
