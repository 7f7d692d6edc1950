"""Joint entity and relation extraction: CoNLL04 (SpERT and unified formats), ADE and SciERC.

- SpERT CoNLL04: JSON list of {tokens, tags (BILOU), relations: [{head, tail, type}] indexing the entities in
  order of appearance, orig_id}.
- Unified (two-are-better-than-one) CoNLL04 and ADE: JSON list of {tokens, entities: [[start, end, type]],
  relations: [[head start, head end, tail start, tail end, type]]}, token ends exclusive.
- SciERC (DyGIE): JSONL, one abstract per line {doc_key, sentences, ner, relations, clusters}, token offsets
  counted over the whole document, ends inclusive.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from adelie.datasets._re_common import build_examples, json_list, token_span, tokens_of
from adelie.datasets.detok import detokenize
from adelie.datasets.reading import ReadContext, iter_jsonl, require_file
from adelie.datasets.registry import DatasetSpec, Reader, SplitSpec
from adelie.schema import Example, Relation, Span, Task

CONLL04_ENTITIES = {"Peop": "person", "Loc": "location", "Org": "organization", "Other": "other"}
CONLL04_RELATIONS = {
    "Live_In": "lives in", "Work_For": "works for", "OrgBased_In": "is based in", "Located_In": "is located in",
    "Kill": "killed",
}
ADE_ENTITIES = {"Drug": "drug", "Adverse-Effect": "adverse effect"}
ADE_RELATIONS = {"Adverse-Effect": "is an adverse effect of"}  # head: the effect, tail: the drug
SCIERC_ENTITIES = {
    "Task": "task", "Method": "method", "Metric": "metric", "Material": "material",
    "OtherScientificTerm": "other scientific term", "Generic": "generic term",
}
SCIERC_RELATIONS = {
    "USED-FOR": "used for", "FEATURE-OF": "feature of", "PART-OF": "part of", "HYPONYM-OF": "type of",
    "EVALUATE-FOR": "evaluates", "COMPARE": "compared with", "CONJUNCTION": "in conjunction with",
}

_UNIFIED_FILES = {
    "conll04_unified": {"train": "conll04/train.json", "dev": "conll04/valid.json", "test": "conll04/test.json"},
    "ade": {"train": "ade/train.ADE0.json", "dev": "ade/valid.ADE0.json", "test": "ade/test.ADE0.json"},
}
# SciERC keeps Penn Treebank bracket escapes; the text gets the brackets themselves.
_PTB = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}"}


def read_conll04(folder: Path, split: str, ctx: ReadContext) -> Iterator[Example]:
    """CoNLL04 in SpERT's format; ids come from `orig_id`."""
    path = require_file(folder / f"conll04_{split}.json")

    def build(index: int, rec: dict[str, Any]) -> dict[str, Any]:
        tokens, tags = tokens_of(rec["tokens"]), rec["tags"]
        if not isinstance(tags, list) or len(tags) != len(tokens):
            raise ValueError(f"one tag per token ({len(tokens)} tokens), got tags {tags!r:.60}")
        text, offsets = detokenize(tokens)
        entities = [token_span(text, offsets, s, e, label) for s, e, label in bilou_entities(tags)]
        relations = [
            Relation(head=_nth(entities, r["head"]), tail=_nth(entities, r["tail"]), label=r["type"])
            for r in rec["relations"]
        ]
        return dict(id=f"conll04-{rec['orig_id']}", dataset="conll04", split=split, text=text,
                    entities=tuple(entities), relations=tuple(relations))

    expected = "{tokens, tags: BILOU tag per token, relations: [{head, tail, type}] indexing the entities, orig_id}"
    yield from build_examples(path, ctx, _numbered(json_list(path)), expected, build)


def _reader_unified(name: str) -> Reader:
    def read_unified(folder: Path, split: str, ctx: ReadContext) -> Iterator[Example]:
        """CoNLL04 or ADE in the unified format (token-level entities and relations, ends exclusive)."""
        path = require_file(folder / _UNIFIED_FILES[name][split])

        def build(index: int, rec: dict[str, Any]) -> dict[str, Any]:
            text, offsets = detokenize(tokens_of(rec["tokens"]))
            by_range = {(s, e): token_span(text, offsets, s, e, label) for s, e, label in rec["entities"]}
            relations = [_relation(by_range, s1, e1, s2, e2, label) for s1, e1, s2, e2, label in rec["relations"]]
            return dict(id=f"{name}-{split}-{index}", dataset=name, split=split, text=text,
                        entities=tuple(by_range.values()), relations=tuple(relations))

        expected = "{tokens, entities: [[start, end, type]], relations: [[s1, e1, s2, e2, type]] over the entities}"
        yield from build_examples(path, ctx, _numbered(json_list(path)), expected, build)

    return read_unified


def read_scierc(folder: Path, split: str, ctx: ReadContext) -> Iterator[Example]:
    """SciERC: one Example per abstract, with sentence boundaries; coreference clusters become span ids."""
    path = require_file(folder / f"{split}.json")

    def build(index: int, rec: dict[str, Any]) -> dict[str, Any]:
        sentences = [tokens_of(s) for s in rec["sentences"]]
        text, offsets = detokenize([_PTB.get(t, t) for s in sentences for t in s])
        bounds, first = [], 0
        for s in sentences:
            bounds.append((offsets[first][0], offsets[first + len(s) - 1][1]))
            first += len(s)
        cluster = {(s, e): str(i) for i, c in enumerate(rec.get("clusters", [])) for s, e in c}
        by_range = {
            (s, e + 1): token_span(text, offsets, s, e + 1, label, cluster.get((s, e)))
            for sent in rec["ner"] for s, e, label in sent
        }
        relations = [
            _relation(by_range, s1, e1 + 1, s2, e2 + 1, label) for sent in rec["relations"]
            for s1, e1, s2, e2, label in sent
        ]
        return dict(id=f"scierc-{rec['doc_key']}", dataset="scierc", split=split, text=text, doc_id=rec["doc_key"],
                    sentences=tuple(bounds), entities=tuple(by_range.values()), relations=tuple(relations))

    expected = "{doc_key, sentences: [[token]], ner: [[[start, end, type]]], relations: [[[s1, e1, s2, e2, type]]]}"
    yield from build_examples(path, ctx, iter_jsonl(path, ctx), expected, build)


def bilou_entities(tags: list[str]) -> list[tuple[int, int, str]]:
    """(start, end exclusive, type) of each entity in a BILOU tag sequence; ValueError if it is ill-formed."""
    found: list[tuple[int, int, str]] = []
    start, open_type = -1, None
    for i, tag in enumerate(tags):
        prefix, _, kind = tag.partition("-")
        continues = open_type is not None and kind == open_type
        if (prefix in ("I", "L") and not continues) or (prefix in ("O", "B", "U") and open_type is not None):
            raise ValueError(f"tag {i} {tag!r} breaks the BILOU sequence")
        if prefix == "U" and kind:
            found.append((i, i + 1, kind))
        elif prefix == "B" and kind:
            start, open_type = i, kind
        elif prefix == "L":
            found.append((start, i + 1, kind))
            open_type = None
        elif tag != "O" and prefix != "I":
            raise ValueError(f"tag {i} {tag!r} is not O or B-/I-/L-/U-<type>")
    if open_type is not None:
        raise ValueError(f"the entity opened at token {start} is never closed by an L- tag")
    return found


def _relation(by_range: dict[tuple[int, int], Span], s1: int, e1: int, s2: int, e2: int, label: str) -> Relation:
    """A relation whose arguments must be entities of the record (token ranges, ends exclusive)."""
    for r in ((s1, e1), (s2, e2)):
        if r not in by_range:
            raise ValueError(f"relation argument tokens [{r[0]}, {r[1]}) are not one of the entities")
    return Relation(head=by_range[s1, e1], tail=by_range[s2, e2], label=label)


def _nth(entities: list[Span], i: Any) -> Span:
    if not isinstance(i, int) or not 0 <= i < len(entities):
        raise ValueError(f"relation index {i!r} is not one of the {len(entities)} entities")
    return entities[i]


def _numbered(records: list[Any]) -> Iterator[tuple[str, Any]]:
    return ((f"#{i}", rec) for i, rec in enumerate(records))


_JOINT = (Task.NER, Task.RELATION_EXTRACTION)
SPECS: list[DatasetSpec] = [
    DatasetSpec(
        name="conll04", folder="conll04_spert", tasks=_JOINT, licence_class="unstated", reader=read_conll04,
        splits=(SplitSpec("train", "train", 922), SplitSpec("dev", "dev", 231),
                SplitSpec("test", "in-domain test", 288)),
        description="CoNLL04 (Roth & Yih 2004) news sentences: people, places, organisations and 5 relations.",
        entity_labels=CONLL04_ENTITIES, relation_labels=CONLL04_RELATIONS,
    ),
    DatasetSpec(
        name="conll04_unified", folder="conll04_ade_unified", tasks=_JOINT, licence_class="unstated",
        reader=_reader_unified("conll04_unified"),
        splits=tuple(SplitSpec(s, "never", n, "duplicate of conll04 in another format")
                     for s, n in (("train", 922), ("dev", 231), ("test", 288))),
        duplicate_of="conll04",
        description="The CoNLL04 sentences of `conll04` in the unified format: read and validated, never used.",
        entity_labels=CONLL04_ENTITIES, relation_labels=CONLL04_RELATIONS,
    ),
    DatasetSpec(
        name="ade", folder="conll04_ade_unified", tasks=_JOINT, licence_class="unstated",
        reader=_reader_unified("ade"),
        splits=(SplitSpec("train", "train", 3178, "train.ADE0"), SplitSpec("dev", "dev", 560, "valid.ADE0"),
                SplitSpec("test", "in-domain test", 415, "test.ADE0 (fold 0 of the 10-fold protocol)")),
        description="ADE corpus (Gurulingappa et al. 2012): drugs, adverse effects, and which drug caused which.",
        entity_labels=ADE_ENTITIES, relation_labels=ADE_RELATIONS,
    ),
    DatasetSpec(
        name="scierc", folder="scierc", tasks=_JOINT, licence_class="unstated", reader=read_scierc,
        splits=(SplitSpec("train", "train", 350), SplitSpec("dev", "dev", 50),
                SplitSpec("test", "in-domain test", 100)),
        description="SciERC (Luan et al. 2018): scientific abstracts with 6 entity and 7 relation types.",
        entity_labels=SCIERC_ENTITIES, relation_labels=SCIERC_RELATIONS,
    ),
]
