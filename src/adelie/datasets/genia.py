"""GENIA nested NER in the W2NER JSON format.

`<split>.json` is a list of sentences `{"sentence": [tokens], "ner": [{"index": [token ids], "type": T}]}`.
Entities may nest; each is a contiguous run of token indices. Texts are detokenized (`detok.detokenize`) and
each entity spans its first to last token. Record locations in errors are 0-based list positions.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from adelie.datasets.conll import GENIA_LABELS, token_spans
from adelie.datasets.detok import detokenize
from adelie.datasets.reading import ReadContext, read_json
from adelie.datasets.registry import DatasetSpec, SplitSpec
from adelie.errors import UnknownDatasetError
from adelie.schema import Example, Task

_SPLITS = ("dev", "test")


def _parse(record: Any) -> tuple[list[str], list[tuple[int, int, str]]]:
    """(tokens, [(first token, end token exclusive, type)]) of one record; ValueError saying what was expected."""
    if not isinstance(record, dict):
        raise ValueError(f"expected an object with 'sentence' and 'ner', got {type(record).__name__}")
    tokens, ner = record.get("sentence"), record.get("ner")
    if not isinstance(tokens, list) or not tokens or not all(isinstance(t, str) and t for t in tokens):
        raise ValueError(f"expected 'sentence' to be a list of non-empty token strings, got {tokens!r:.80}")
    if not isinstance(ner, list):
        raise ValueError(f"expected 'ner' to be a list of entities, got {ner!r:.80}")
    spans = []
    for entity in ner:
        index = entity.get("index") if isinstance(entity, dict) else None
        label = entity.get("type") if isinstance(entity, dict) else None
        if not isinstance(label, str) or not label:
            raise ValueError(f"expected an entity with a string 'type', got {entity!r:.80}")
        if not isinstance(index, list) or not index or not all(type(i) is int for i in index):
            raise ValueError(f"expected 'index' to be a non-empty list of token ids, got {index!r:.80}")
        if index != list(range(index[0], index[0] + len(index))):
            raise ValueError(f"expected contiguous ascending token ids, got {index}")
        if index[0] < 0 or index[-1] >= len(tokens):
            raise ValueError(f"expected token ids in 0..{len(tokens) - 1}, got {index}")
        spans.append((index[0], index[-1] + 1, label))
    return tokens, spans


def read_genia_nested(folder: Path, split: str, ctx: ReadContext) -> Iterator[Example]:
    """One Example per sentence of `<split>.json` (dev or test), nested entities sorted by position."""
    if split not in _SPLITS:
        raise UnknownDatasetError(f"dataset 'genia_nested' has no split {split!r}; its splits are: dev, test")
    path = folder / f"{split}.json"
    records = read_json(path, ctx)
    if not isinstance(records, list):
        ctx.fail(path, None, f"expected a JSON list of sentences, got {type(records).__name__}")
        return
    for i, record in enumerate(records):
        try:
            tokens, spans = _parse(record)
        except ValueError as exc:
            ctx.fail(path, str(i), str(exc))
            continue
        text, offsets = detokenize(tokens)
        entities = sorted(token_spans(text, offsets, spans), key=lambda s: (s.start, -s.end, s.label or ""))
        example = ctx.example(
            path, str(i), id=f"genia_nested-{split}-{i}", dataset="genia_nested", split=split, text=text,
            entities=tuple(entities), meta={"tokens": tokens},
        )
        if example is not None:
            yield example


SPECS: list[DatasetSpec] = [
    DatasetSpec(
        name="genia_nested", folder="genia_nested", tasks=(Task.NER,),
        splits=(SplitSpec("dev", "train", 1669, "training pool (train file absent)"),
                SplitSpec("test", "in-domain test", 1854)),
        licence_class="open", reader=read_genia_nested, entity_labels=GENIA_LABELS,
        description="GENIA nested biomedical NER (Finkel & Manning / Lu & Roth split, W2NER JSON).",
    ),
]
