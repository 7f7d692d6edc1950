"""FewRel: relation classification between a given head (`h`) and tail (`t`).

Each file is a JSON object `relation label -> [{tokens, h: [name, entity id, [[token indices], ...]], t: ...}]`.
val_wiki and val_nyt are labelled with Wikidata P-ids (names from pid2name.json), val_pubmed with UMLS
relation names, val_semeval with SemEval-2010 directional labels (`h` is e1).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from adelie.datasets._re_common import build_examples, token_span, tokens_of
from adelie.datasets.detok import detokenize
from adelie.datasets.reading import ReadContext, read_json, require_file
from adelie.datasets.registry import DatasetSpec, SplitSpec
from adelie.datasets.semeval import RELATION_LABELS as SEMEVAL_LABELS
from adelie.errors import DataFormatError
from adelie.schema import Example, Relation, Task

NAME = "fewrel"

# Wikidata P-ids of val_wiki and val_nyt -> their names in pid2name.json.
WIKIDATA_LABELS: dict[str, str] = {
    "P25": "mother", "P26": "spouse", "P40": "child", "P50": "author", "P54": "member of sports team",
    "P59": "constellation", "P108": "employer", "P155": "follows", "P161": "cast member", "P162": "producer",
    "P166": "award received", "P171": "parent taxon", "P172": "ethnic group", "P177": "crosses",
    "P186": "material used", "P206": "located in or next to body of water", "P272": "production company",
    "P344": "director of photography", "P361": "part of", "P364": "original language of film or TV show",
    "P410": "military rank", "P412": "voice type", "P413": "position played on team / speciality",
    "P414": "stock exchange", "P452": "industry", "P463": "member of", "P509": "cause of death",
    "P641": "sport", "P749": "parent organization", "P921": "main subject", "P1056": "product or material produced",
    "P1441": "present in work", "P2094": "competition class",
}
# FewRel 2.0 PubMed (UMLS) relation names, read with spaces.
PUBMED_LABELS: dict[str, str] = {
    raw: raw.replace("_", " ")
    for raw in (
        "biological_process_involves_gene_product", "causative_agent_of", "classified_as", "gene_found_in_organism",
        "gene_plays_role_in_process", "ingredient_of", "inheritance_type_of", "is_normal_tissue_origin_of_disease",
        "is_primary_anatomic_site_of_disease", "occurs_in",
    )
}
_EXPECTED = "{tokens: [str], h: [name, id, [[token index, ...], ...]], t: [...]} with indices inside the tokens"


def read_fewrel(folder: Path, split: str, ctx: ReadContext) -> Iterator[Example]:
    """Read one FewRel file: one Example per instance, its relation labelled with the key it is listed under."""
    path = require_file(folder / f"{split}.json")
    data = read_json(path)
    if not isinstance(data, dict):
        got = type(data).__name__
        raise DataFormatError(path, None, f"expected a JSON object mapping relations to lists, got {got}")
    records: list[tuple[str, tuple[str, Any]]] = []
    for label, instances in data.items():
        if not isinstance(instances, list):
            ctx.fail(path, label, f"expected a list of instances, got {type(instances).__name__}")
            continue
        records += [(f"{label}#{i}", (label, inst)) for i, inst in enumerate(instances)]

    def build(index: int, record: tuple[str, dict[str, Any]]) -> dict[str, Any]:
        label, inst = record
        text, offsets = detokenize(tokens_of(inst["tokens"]))
        meta: dict[str, Any] = {}
        spans = []
        for side, key in (("head", "h"), ("tail", "t")):
            _name, entity_id, mentions = inst[key]
            first = mentions[0]
            spans.append(token_span(text, offsets, min(first), max(first) + 1))
            meta[f"{side}_id"] = entity_id
            if sorted(first) != list(range(min(first), max(first) + 1)):
                meta[f"{side}_discontinuous"] = True  # the span covers first..last of its tokens
            if len(mentions) > 1:
                mention_spans = (token_span(text, offsets, min(m), max(m) + 1) for m in mentions)
                meta[f"{side}_mentions"] = [[m.start, m.end] for m in mention_spans]  # char offsets, first included
        head, tail = spans
        return dict(id=f"{NAME}-{split}-{index}", dataset=NAME, split=split, text=text, entities=(head, tail),
                    relations=(Relation(head=head, tail=tail, label=label),), meta=meta)

    yield from build_examples(path, ctx, records, _EXPECTED, build)


SPECS: list[DatasetSpec] = [
    DatasetSpec(
        name=NAME,
        folder="fewrel",
        tasks=(Task.RELATION_CLASSIFICATION,),
        splits=(
            SplitSpec("val_wiki", "train", 11200, "FewRel 1.0 validation: 16 relations x 700"),
            SplitSpec("val_pubmed", "held-out", 1000, "FewRel 2.0 domain adaptation: 10 relations x 100"),
            SplitSpec("val_nyt", "never", 2500, "NYT text (25 x 100); count as read, the README gives none"),
            SplitSpec("val_semeval", "never", 8851, "SemEval-2010 text; count as read, the README gives none"),
        ),
        licence_class="open",
        reader=read_fewrel,
        description="FewRel 1.0/2.0 validation sets: classify the relation between a marked head and tail.",
        relation_labels={**WIKIDATA_LABELS, **PUBMED_LABELS, **SEMEVAL_LABELS},
    )
]
