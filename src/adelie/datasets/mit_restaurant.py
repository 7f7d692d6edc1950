"""MIT Restaurant (test) in UniversalNER's question format.

The file is a JSON list of conversations, one per (sentence, entity type): human `Text: <sentence>`, an
acknowledgement, human `What describes <Type> in the text?`, and gpt answering with a JSON list of strings.
Consecutive conversations about the same sentence (one per type, all eight types) make one Example.

Answers carry no offsets, so each string is grounded in the text: longer answers first, each at its first
occurrence that starts and ends on word boundaries and overlaps no answer placed so far (falling back to
overlapping, then to any substring). Repeated answers of one type thus take successive occurrences, and a
short answer ("taco") does not land inside a longer one ("taco truck"). An answer not in the text is
reported through `ctx.fail` and its sentence dropped. `meta["ambiguous"]` lists answers that occur on word
boundaries more than once, whose placement may be a guess.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from adelie.datasets.reading import ReadContext, read_json
from adelie.datasets.registry import DatasetSpec, SplitSpec
from adelie.errors import UnknownDatasetError
from adelie.schema import Example, Span, Task, make_span

FILE = "uniner_mit-restaurant_test.json"
LABELS = {"Amenity": "amenity", "Cuisine": "cuisine", "Dish": "dish", "Hours": "hours", "Location": "location",
          "Price": "price", "Rating": "rating", "Restaurant Name": "restaurant name"}
_QUESTION = re.compile(r"What describes (.+) in the text\?")

Question = tuple[str, str, str, list[str]]  # (conversation id, text, entity type, answer strings)


def _parse(record: Any, i: int) -> Question:
    """One conversation; ValueError saying what was expected."""
    turns = record.get("conversations") if isinstance(record, dict) else None
    if not isinstance(turns, list) or len(turns) != 4 or not all(
        isinstance(t, dict) and isinstance(t.get("value"), str) for t in turns
    ):
        raise ValueError(f"expected 'conversations' with 4 turns holding a string 'value', got {turns!r:.80}")
    text, question, answer = turns[0]["value"], turns[2]["value"], turns[3]["value"]
    if not text.startswith("Text: ") or not text[6:]:
        raise ValueError(f"expected the first turn to be 'Text: <sentence>', got {text!r:.80}")
    m = _QUESTION.fullmatch(question)
    if not m or m.group(1) not in LABELS:
        raise ValueError(f"expected 'What describes <one of {', '.join(LABELS)}> in the text?', got {question!r}")
    try:
        answers = json.loads(answer)
    except json.JSONDecodeError:
        answers = None
    if not isinstance(answers, list) or not all(isinstance(a, str) and a for a in answers):
        raise ValueError(f"expected the last turn to be a JSON list of non-empty strings, got {answer!r:.80}")
    return str(record.get("id", i)), text[6:], m.group(1), answers


def _occurrences(text: str, answer: str) -> list[int]:
    starts, i = [], text.find(answer)
    while i != -1:
        starts.append(i)
        i = text.find(answer, i + 1)
    return starts


def _on_word_boundaries(text: str, start: int, end: int) -> bool:
    return (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum())


def _overlaps(spans: list[Span], start: int, end: int) -> bool:
    return any(start < o.end and o.start < end for o in spans)


def ground(text: str, answers: list[tuple[str, str]]) -> tuple[list[Span], list[str]]:
    """Spans for (type, answer) pairs as the module doc describes, and the ambiguous answers.
    ValueError names an answer that is not in the text."""
    spans: list[Span] = []
    ambiguous: list[str] = []
    for label, answer in sorted(answers, key=lambda pair: -len(pair[1])):  # stable: a type's repeats keep order
        starts = _occurrences(text, answer)
        if not starts:
            raise ValueError(f"expected the {label} answer {answer!r} to occur in the text {text!r}")
        n = len(answer)
        if sum(_on_word_boundaries(text, s, s + n) for s in starts) > 1 and answer not in ambiguous:
            ambiguous.append(answer)
        start = min(starts, key=lambda s: (not _on_word_boundaries(text, s, s + n), _overlaps(spans, s, s + n), s))
        spans.append(make_span(text, start, start + n, label))
    return sorted(spans, key=lambda s: (s.start, s.end)), ambiguous


def _sentences(path: Path, records: list[Any], ctx: ReadContext) -> Iterator[list[Question]]:
    """Runs of consecutive well-formed conversations about the same text."""
    run: list[Question] = []
    for i, record in enumerate(records):
        try:
            question = _parse(record, i)
        except ValueError as exc:
            ctx.fail(path, str(record.get("id", i) if isinstance(record, dict) else i), str(exc))
            continue
        if run and run[-1][1] != question[1]:
            yield run
            run = []
        run.append(question)
    if run:
        yield run


def read_mit_restaurant(folder: Path, split: str, ctx: ReadContext) -> Iterator[Example]:
    """One Example per test sentence with its grounded entities; `meta["source_ids"]` names its conversations."""
    if split != "test":
        raise UnknownDatasetError(f"dataset 'mit_restaurant' has no split {split!r}; its only split is: test")
    path = folder / FILE
    records = read_json(path, ctx)
    if not isinstance(records, list):
        ctx.fail(path, None, f"expected a JSON list of conversations, got {type(records).__name__}")
        return
    for index, run in enumerate(_sentences(path, records, ctx)):
        ids, text, types = [q[0] for q in run], run[0][1], [q[2] for q in run]
        where = f"{ids[0]}..{ids[-1]}" if len(ids) > 1 else ids[0]
        if sorted(types) != sorted(LABELS):
            ctx.fail(path, where, f"expected one question for each of the {len(LABELS)} types, got {types}")
            continue
        try:
            entities, ambiguous = ground(text, [(q[2], a) for q in run for a in q[3]])
        except ValueError as exc:
            ctx.fail(path, where, str(exc))
            continue
        example = ctx.example(
            path, where, id=f"mit_restaurant-test-{index}", dataset="mit_restaurant", split="test", text=text,
            entities=tuple(entities), meta={"source_ids": ids, "ambiguous": ambiguous},
        )
        if example is not None:
            yield example


SPECS: list[DatasetSpec] = [
    DatasetSpec(
        name="mit_restaurant", folder="mit_restaurant", tasks=(Task.NER,),
        splits=(SplitSpec("test", "held-out", 1520,
                          "README says 1521 sentences x 8 types, but the file's 12160 conversations are 1520 "
                          "distinct sentences x 8 (the original test set has 1521)"),),
        licence_class="non-commercial", reader=read_mit_restaurant, entity_labels=LABELS,
        description="MIT Restaurant test queries (UniversalNER question format; offsets grounded from strings).",
    ),
]
