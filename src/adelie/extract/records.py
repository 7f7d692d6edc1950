"""Typed extraction results. `.model_dump()` of each model is the plain dict the API returns.

Every extracted string is a span: `start`/`end` are character offsets into the original text (end exclusive)
and `text == source[start:end]` whenever `alignment != "not_found"`; when the model wrote the string
differently (case, spacing, a typo), its own string is kept in `answer` (the key is left out otherwise). Scores
are probabilities in [0, 1] from the model's token log-probabilities (see `adelie.extract.scoring`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

Alignment = Literal["exact", "fuzzy", "not_found"]
TaskName = Literal["ner", "relations", "events", "arguments", "open_ie", "table"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_serializer(mode="wrap")
    def _drop_same_answer(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict) and "answer" in data and data["answer"] is None:
            del data["answer"]
        return data


class SpanRecord(_Record):
    """A located string: an entity (label = its type), an event trigger (label = the event type), a head or
    tail (label = its entity type, or "" when none was asked for), an open IE part (label = "subject",
    "predicate" or "object")."""

    start: int | None
    end: int | None
    text: str
    label: str
    score: float = Field(ge=0, le=1)
    alignment: Alignment
    answer: str | None = None


class ArgumentRecord(SpanRecord):
    """An event argument: a span (label = its role) filling `role`."""

    role: str


class RelationRecord(_Record):
    """A relation `label(head, tail)`."""

    head: SpanRecord
    tail: SpanRecord
    label: str
    score: float = Field(ge=0, le=1)


class EventRecord(_Record):
    """An event: its trigger, its type and (when roles were asked for) its arguments."""

    trigger: SpanRecord
    type: str
    score: float = Field(ge=0, le=1)
    arguments: list[ArgumentRecord] = Field(default_factory=list)


class TripleRecord(_Record):
    """An open IE tuple: subject, predicate and any further objects."""

    subject: SpanRecord
    predicate: SpanRecord
    objects: list[SpanRecord] = Field(default_factory=list)
    score: float = Field(ge=0, le=1)


class CellRecord(_Record):
    """A table cell, located in the text like a span (an empty cell is not_found)."""

    text: str
    start: int | None
    end: int | None
    alignment: Alignment
    answer: str | None = None


class TableRecord(_Record):
    """A table built from a free-form instruction."""

    columns: list[str]
    rows: list[list[CellRecord]]
    score: float = Field(ge=0, le=1)


class ExtractionResult(_Record):
    """What one text gave for one task; the lists of the other tasks are empty (`table` None)."""

    text: str
    task: TaskName
    entities: list[SpanRecord] = Field(default_factory=list)
    relations: list[RelationRecord] = Field(default_factory=list)
    events: list[EventRecord] = Field(default_factory=list)
    arguments: list[ArgumentRecord] = Field(default_factory=list)
    triples: list[TripleRecord] = Field(default_factory=list)
    table: TableRecord | None = None
    warnings: list[str] = Field(default_factory=list)
    decoding: Literal["constrained", "free"] = "free"  # how the answers were decoded
