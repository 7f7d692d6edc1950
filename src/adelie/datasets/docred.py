"""Re-DocRED: document-level relation extraction over Wikipedia abstracts.

Each file is a JSON list of documents {title, sents: [[token]], vertexSet: [[{name, pos: [start, end), sent_id,
type}]], labels: [{h, t, r, evidence}]}; a vertex is one entity with all its mentions, `pos` counts tokens
within sentence `sent_id`, and `h`/`t` index the vertices.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from adelie.datasets._re_common import build_examples, json_list, token_span, tokens_of
from adelie.datasets.detok import detokenize
from adelie.datasets.reading import ReadContext, require_file
from adelie.datasets.registry import DatasetSpec, SplitSpec
from adelie.schema import Example, Relation, Span, Task

NAME = "re_docred"

ENTITY_LABELS = {
    "PER": "person", "ORG": "organization", "LOC": "location", "TIME": "time", "NUM": "number",
    "MISC": "miscellaneous",
}
# The 96 DocRED relations: Wikidata property ids and their names.
RELATION_LABELS = {
    "P6": "head of government", "P17": "country", "P19": "place of birth", "P20": "place of death",
    "P22": "father", "P25": "mother", "P26": "spouse", "P27": "country of citizenship", "P30": "continent",
    "P31": "instance of", "P35": "head of state", "P36": "capital", "P37": "official language",
    "P39": "position held", "P40": "child", "P50": "author", "P54": "member of sports team", "P57": "director",
    "P58": "screenwriter", "P69": "educated at", "P86": "composer", "P102": "member of political party",
    "P108": "employer", "P112": "founded by", "P118": "league", "P123": "publisher", "P127": "owned by",
    "P131": "located in the administrative territorial entity", "P136": "genre", "P137": "operator",
    "P140": "religion", "P150": "contains administrative territorial entity", "P155": "follows",
    "P156": "followed by", "P159": "headquarters location", "P161": "cast member", "P162": "producer",
    "P166": "award received", "P170": "creator", "P171": "parent taxon", "P172": "ethnic group",
    "P175": "performer", "P176": "manufacturer", "P178": "developer", "P179": "series", "P190": "sister city",
    "P194": "legislative body", "P205": "basin country", "P206": "located in or next to body of water",
    "P241": "military branch", "P264": "record label", "P272": "production company", "P276": "location",
    "P279": "subclass of", "P355": "subsidiary", "P361": "part of", "P364": "original language of work",
    "P400": "platform", "P403": "mouth of the watercourse", "P449": "original network", "P463": "member of",
    "P488": "chairperson", "P495": "country of origin", "P527": "has part", "P551": "residence",
    "P569": "date of birth", "P570": "date of death", "P571": "inception",
    "P576": "dissolved, abolished or demolished", "P577": "publication date", "P580": "start time",
    "P582": "end time", "P585": "point in time", "P607": "conflict", "P674": "characters", "P676": "lyrics by",
    "P706": "located on terrain feature", "P710": "participant", "P737": "influenced by",
    "P740": "location of formation", "P749": "parent organization", "P800": "notable work",
    "P807": "separated from", "P840": "narrative location", "P937": "work location",
    "P1001": "applies to jurisdiction", "P1056": "product or material produced", "P1198": "unemployment rate",
    "P1336": "territory claimed by", "P1344": "participant of", "P1365": "replaces", "P1366": "replaced by",
    "P1376": "capital of", "P1412": "languages spoken, written or signed", "P1441": "present in work",
    "P3373": "sibling",
}
_FILES = {"dev": "dev_revised.json", "test": "test_revised.json"}
_EXPECTED = ("{title, sents: [[token]], vertexSet: [[{pos: [start, end], sent_id, type}]], "
             "labels: [{h, t, r, evidence}]} with positions inside the sentences")


def read_re_docred(folder: Path, split: str, ctx: ReadContext) -> Iterator[Example]:
    """One Example per document. Every mention is an entity whose `id` is its vertex index; a relation links
    the first mention (in text order) of its head vertex to that of its tail vertex."""
    path = require_file(folder / _FILES[split])

    def build(index: int, doc: dict[str, Any]) -> dict[str, Any]:
        sents = [tokens_of(s) for s in doc["sents"]]
        text, offsets = detokenize([t for s in sents for t in s])
        starts = [sum(len(s) for s in sents[:i]) for i in range(len(sents))]
        bounds = tuple((offsets[b][0], offsets[b + len(s) - 1][1]) for b, s in zip(starts, sents, strict=True))
        vertices: list[list[Span]] = []
        for v, mentions in enumerate(doc["vertexSet"]):
            spans = []
            for m in mentions:
                sent, (start, end) = m["sent_id"], m["pos"]
                if not isinstance(sent, int) or not 0 <= sent < len(sents) or not 0 <= start < end <= len(sents[sent]):
                    raise ValueError(f"mention {m.get('name')!r} at sentence {sent} tokens {m['pos']} is outside it")
                spans.append(token_span(text, offsets, starts[sent] + start, starts[sent] + end, m["type"], str(v)))
            if not spans:
                raise ValueError(f"vertex {v} has no mentions")
            vertices.append(sorted(spans, key=lambda s: (s.start, s.end)))
        relations, evidence = [], []
        for label in doc["labels"]:
            head, tail = (vertices[_vertex(label[k], len(vertices))][0] for k in ("h", "t"))
            relations.append(Relation(head=head, tail=tail, label=label["r"]))
            evidence.append(list(label.get("evidence", [])))
        return dict(id=f"{NAME}-{split}-{index}", dataset=NAME, split=split, text=text, doc_id=doc["title"],
                    sentences=bounds, entities=tuple(s for spans in vertices for s in spans),
                    relations=tuple(relations), meta={"evidence": evidence})

    records = ((f"#{i}", doc) for i, doc in enumerate(json_list(path)))
    yield from build_examples(path, ctx, records, _EXPECTED, build)


def _vertex(i: Any, n: int) -> int:
    if not isinstance(i, int) or not 0 <= i < n:
        raise ValueError(f"relation vertex {i!r} is not one of the {n} vertices")
    return i


SPECS: list[DatasetSpec] = [
    DatasetSpec(
        name=NAME,
        folder="re_docred",
        tasks=(Task.RELATION_EXTRACTION,),
        splits=(
            SplitSpec("dev", "train", 500, "dev_revised.json; the train split is absent from the snapshot"),
            SplitSpec("test", "held-out", 500, "test_revised.json"),
        ),
        licence_class="open",
        reader=read_re_docred,
        description="Re-DocRED (Tan et al. 2022): revised DocRED, 96 Wikidata relations across whole documents.",
        entity_labels=ENTITY_LABELS,
        relation_labels=RELATION_LABELS,
    )
]
