"""The user API: grounded extraction with an aligned model.

`Extractor` runs a task over texts and returns spans located in the source text (character offsets, end
exclusive) with confidence scores; `grounding` locates strings, `chunking` cuts long texts, `records` holds the
typed results whose `.model_dump()` are the dicts the API returns.
"""

from __future__ import annotations

from adelie.extract.errors import ExtractionError, ExtractionWarning
from adelie.extract.extractor import Extractor
from adelie.extract.grounding import Grounder, Grounding, ground, ground_all
from adelie.extract.options import TASKS
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

__all__ = [
    "TASKS", "ArgumentRecord", "CellRecord", "EventRecord", "ExtractionError", "ExtractionResult",
    "ExtractionWarning", "Extractor", "Grounder", "Grounding", "RelationRecord", "SpanRecord", "TableRecord",
    "TripleRecord", "ground", "ground_all",
]
