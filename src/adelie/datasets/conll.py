"""CoNLL-style NER: CoNLL-2003, WNUT-17, WikiANN, BC5CDR, NCBI-disease, JNLPBA, CrossNER and Few-NERD.

One token per line with its tag in the last column (columns split on tabs, else on whitespace; CoNLL-2003
has `token POS chunk NER`), a blank line between sentences, `-DOCSTART-` lines between documents (these
set `doc_id` and are not sentences). WikiANN prefixes every token with `en:`, which is stripped.

BIO and IOB1 tags are decoded by one rule: `B-X` always starts an entity; `I-X` continues the entity just
before it when that entity has type X, and starts a new one otherwise. That is the definition of IOB1
(CoNLL-2003 as first released: `I-X` starts an entity, `B-X` only separates adjacent same-type entities)
and the usual lenient reading of BIO (conlleval), so no file needs a scheme flag.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from adelie.datasets.detok import detokenize
from adelie.datasets.reading import ReadContext, require_file
from adelie.datasets.registry import DatasetSpec, Reader, SplitSpec
from adelie.errors import UnknownDatasetError
from adelie.schema import Example, Span, Task, make_span

DOCSTART = "-DOCSTART-"

GENIA_LABELS = {"protein": "protein", "DNA": "DNA", "RNA": "RNA", "cell_line": "cell line", "cell_type": "cell type"}


@dataclass(frozen=True)
class TaggedSentence:
    """One sentence of a tagged file: `index` counts every sentence of the file, skipped ones included."""

    tokens: tuple[str, ...]
    tags: tuple[str, ...]
    line: int  # line number of its first token
    index: int
    doc: int | None  # which -DOCSTART- document it is in (0-based); None before the first or without any


def parse_line(line: str, token_prefix: str = "") -> tuple[str, str]:
    """(token, tag) from one token line; ValueError saying what was expected."""
    cols = line.split("\t") if "\t" in line else line.split()
    if len(cols) < 2:
        raise ValueError(f"expected a token and a tag separated by a tab or spaces, got {line!r}")
    token, tag = cols[0], cols[-1].strip()
    if token_prefix:
        if not token.startswith(token_prefix):
            raise ValueError(f"expected a token starting with {token_prefix!r}, got {token!r}")
        token = token[len(token_prefix) :]
    if not token:
        raise ValueError(f"expected a non-empty token, got {line!r}")
    if tag != "O" and not (tag[:2] in ("B-", "I-") and len(tag) > 2):
        raise ValueError(f"expected the tag O, B-<type> or I-<type> in the last column, got {tag!r}")
    return token, tag


def iter_tagged(path: Path, ctx: ReadContext, token_prefix: str = "") -> Iterator[TaggedSentence]:
    """The sentences of a CoNLL-style file. A malformed line goes through `ctx.fail` and drops its sentence."""
    tokens: list[str] = []
    tags: list[str] = []
    first, index, doc, bad = 0, 0, None, False
    with require_file(path).open(encoding="utf-8") as f:
        for lineno, raw in enumerate(chain(f, [""]), 1):  # the final "" closes the last sentence
            line = raw.rstrip("\r\n")
            is_doc = line.startswith(DOCSTART)
            if is_doc or not line.strip():
                if tokens or bad:
                    if not bad:
                        yield TaggedSentence(tuple(tokens), tuple(tags), first, index, doc)
                    tokens, tags, index, bad = [], [], index + 1, False
                if is_doc:
                    doc = 0 if doc is None else doc + 1
                continue
            if bad:
                continue
            try:
                token, tag = parse_line(line, token_prefix)
            except ValueError as exc:
                ctx.fail(path, lineno, str(exc))
                bad = True
                continue
            if not tokens:
                first = lineno
            tokens.append(token)
            tags.append(tag)


def decode_tags(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Entities as (first token, end token exclusive, type) from BIO or IOB1 tags (see the module doc)."""
    spans: list[tuple[int, int, str]] = []
    for i, tag in enumerate(tags):
        if tag == "O":
            continue
        prefix, label = tag[:2], tag[2:]
        if prefix not in ("B-", "I-") or not label:
            raise ValueError(f"expected the tag O, B-<type> or I-<type>, got {tag!r}")
        if prefix == "I-" and spans and spans[-1][1] == i and spans[-1][2] == label:
            spans[-1] = (spans[-1][0], i + 1, label)
        else:
            spans.append((i, i + 1, label))
    return spans


def token_spans(text: str, offsets: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int, str]]) -> list[Span]:
    """Labelled spans of `text` for (first token, end token exclusive, type), given `detokenize`'s offsets."""
    return [make_span(text, offsets[a][0], offsets[b - 1][1], label) for a, b, label in spans]


def read_tagged_file(
    path: Path, dataset: str, split: str, ctx: ReadContext, token_prefix: str = ""
) -> Iterator[Example]:
    """One Example per sentence: detokenized text, entities from the tags, `meta["tokens"]` and the line."""
    for s in iter_tagged(path, ctx, token_prefix):
        text, offsets = detokenize(s.tokens)
        entities = tuple(token_spans(text, offsets, decode_tags(s.tags)))
        example = ctx.example(
            path, s.line, id=f"{dataset}-{split}-{s.index}", dataset=dataset, split=split, text=text,
            doc_id=None if s.doc is None else f"{dataset}-{split}-doc{s.doc}", entities=entities,
            meta={"tokens": list(s.tokens), "line": s.line},
        )
        if example is not None:
            yield example


def tagged_reader(dataset: str, files: dict[str, str], token_prefix: str = "") -> Reader:
    """The reader of a CoNLL-style dataset whose split `s` is the file `files[s]` inside its folder."""

    def read(folder: Path, split: str, ctx: ReadContext) -> Iterator[Example]:
        if split not in files:
            raise UnknownDatasetError(f"dataset {dataset!r} has no split {split!r}; its splits are: {', '.join(files)}")
        yield from read_tagged_file(folder / files[split], dataset, split, ctx, token_prefix)

    read.__name__ = read.__qualname__ = f"read_{dataset}"
    read.__doc__ = f"Read one split of {dataset} ({', '.join(f'{k}: {v}' for k, v in files.items())})."
    return read


def _spec(name: str, folder: str, files: dict[str, str], splits: Sequence[SplitSpec], token_prefix: str = "",
          **kwargs) -> DatasetSpec:
    return DatasetSpec(name=name, folder=folder, tasks=(Task.NER,), splits=tuple(splits),
                       reader=tagged_reader(name, files, token_prefix), **kwargs)


_STANDARD = {"train": "train.tsv", "dev": "devel.tsv", "test": "test.tsv"}  # the MTL-Bioinformatics-2016 files
_CONLL_LABELS = {"PER": "person", "LOC": "location", "ORG": "organization", "MISC": "miscellaneous",
                 # the original test as CrossNER relabelled it
                 "person": "person", "location": "location", "organisation": "organization", "misc": "miscellaneous"}

_CROSSNER_NAMES = {
    "academicjournal": "academic journal", "album": "album", "algorithm": "algorithm",
    "astronomicalobject": "astronomical object", "award": "award", "band": "band", "book": "book",
    "chemicalcompound": "chemical compound", "chemicalelement": "chemical element", "conference": "conference",
    "country": "country", "discipline": "discipline", "election": "election", "enzyme": "enzyme", "event": "event",
    "field": "field of study", "literarygenre": "literary genre", "location": "location", "magazine": "magazine",
    "metrics": "metric", "misc": "miscellaneous", "musicalartist": "musical artist",
    "musicalinstrument": "musical instrument", "musicgenre": "music genre", "organisation": "organization",
    "person": "person", "poem": "poem", "politicalparty": "political party", "politician": "politician",
    "product": "product", "programlang": "programming language", "protein": "protein", "researcher": "researcher",
    "scientist": "scientist", "song": "song", "task": "task", "theory": "theory", "university": "university",
    "writer": "writer",
}
_CROSSNER_DOMAINS = {  # domain -> (train, dev, test sentences, its entity types)
    "ai": (100, 350, 431, "algorithm conference country field location metrics misc organisation person product "
                          "programlang researcher task university"),
    "literature": (100, 400, 416, "award book country event literarygenre location magazine misc organisation "
                                  "person poem writer"),
    "music": (100, 380, 465, "album award band country event location misc musicalartist musicalinstrument "
                             "musicgenre organisation person song"),
    "politics": (200, 541, 651, "country election event location misc organisation person politicalparty "
                                "politician"),
    "science": (200, 450, 543, "academicjournal astronomicalobject award chemicalcompound chemicalelement country "
                               "discipline enzyme event location misc organisation person protein scientist theory "
                               "university"),
}

_FEWNERD_LABELS = {
    "art_music": "music", "art_writtenart": "written art", "building_hospital": "hospital",
    "building_theater": "theater", "event_election": "election", "event_sportsevent": "sports event",
    "location_bodiesofwater": "body of water", "location_other": "other location",
    "organization_government/governmentagency": "government agency",
    "organization_politicalparty": "political party", "other_educationaldegree": "educational degree",
    "other_livingthing": "living thing", "other_medical": "medical term", "person_actor": "actor",
    "person_athlete": "athlete", "product_car": "car", "product_weapon": "weapon",
}


def _crossner(domain: str, train: int, dev: int, test: int, types: str) -> DatasetSpec:
    return _spec(
        f"crossner_{domain}", "crossner", {s: f"{domain}/{s}.txt" for s in ("train", "dev", "test")},
        [SplitSpec("train", "held-out", train), SplitSpec("dev", "held-out", dev), SplitSpec("test", "held-out", test)],
        licence_class="open", description=f"CrossNER {domain} domain (Wikipedia), held out for zero-shot NER.",
        entity_labels={t: _CROSSNER_NAMES[t] for t in types.split()},
    )


SPECS: list[DatasetSpec] = [
    _spec(
        "conll2003", "conll2003",
        {"train": "train.txt", "dev": "dev.txt", "test": "test_conllpp_corrected.txt",
         "test_original": "test_original_crossner_labels.txt"},
        [SplitSpec("train", "train", 14041), SplitSpec("dev", "dev", 3250),
         SplitSpec("test", "in-domain test", 3453, "CoNLL++ test (Wang et al. 2019, 186 sentences corrected)"),
         SplitSpec("test_original", "in-domain test", 3453,
                   "original test as CrossNER ships it: labels person/location/organisation/misc, no -DOCSTART-")],
        licence_class="research-only", entity_labels=_CONLL_LABELS,
        description="CoNLL-2003 English NER (Reuters news) from CrossWeigh's CoNLL++ files.",
    ),
    _spec(
        "wnut17", "wnut17",
        {"train": "wnut17train.conll", "dev": "emerging.dev.conll", "test": "emerging.test.annotated"},
        [SplitSpec("train", "train", 3394), SplitSpec("dev", "dev", 1009), SplitSpec("test", "in-domain test", 1287)],
        licence_class="open", description="WNUT-17 emerging and rare entities (social media).",
        entity_labels={"person": "person", "location": "location", "group": "group",
                       "creative-work": "creative work", "corporation": "corporation", "product": "product"},
    ),
    _spec(
        "wikiann_en", "wikiann_en", {"train": "train", "dev": "dev", "test": "test"},
        [SplitSpec("train", "train", 20000), SplitSpec("dev", "dev", 10000),
         SplitSpec("test", "in-domain test", 10000)],
        token_prefix="en:", licence_class="unstated",
        description="WikiANN English (Rahimi et al. 2019 splits), Wikipedia-derived; no licence stated.",
        entity_labels={"PER": "person", "LOC": "location", "ORG": "organization"},
    ),
    _spec(
        "bc5cdr", "bc5cdr", _STANDARD,
        [SplitSpec("train", "train", 4560), SplitSpec("dev", "dev", 4581), SplitSpec("test", "in-domain test", 4797)],
        licence_class="open", description="BioCreative V CDR chemicals and diseases (PubMed abstracts).",
        entity_labels={"Chemical": "chemical", "Disease": "disease"},
    ),
    _spec(
        "ncbi_disease", "ncbi_disease", _STANDARD,
        [SplitSpec("train", "train", 5424), SplitSpec("dev", "dev", 923), SplitSpec("test", "in-domain test", 940)],
        licence_class="open", description="NCBI disease corpus (PubMed abstracts).",
        entity_labels={"Disease": "disease"},
    ),
    _spec(
        "jnlpba_genia", "jnlpba_genia", {"dev": "devel.tsv", "test": "test.tsv"},
        [SplitSpec("dev", "train", 1739, "training pool (train file absent); SOURCE.txt's 1939 blocks = "
                                         "1739 sentences + 200 -DOCSTART- blocks"),
         SplitSpec("test", "in-domain test", 3856,
                   "SOURCE.txt's 4260 blocks = 3856 sentences + 404 -DOCSTART- blocks")],
        licence_class="open", entity_labels=GENIA_LABELS,
        description="JNLPBA 2004 bio-entity recognition (GENIA-derived, PubMed abstracts).",
    ),
    *(_crossner(domain, *row) for domain, row in _CROSSNER_DOMAINS.items()),
    _spec(
        "fewnerd_inter", "fewnerd_inter", {"test": "inter_test_bio.txt"},
        [SplitSpec("test", "held-out", 14006, "Few-NERD INTER test split, 17 fine-grained types")],
        licence_class="open", description="Few-NERD INTER test (Wikipedia), fine-grained types `coarse_fine`.",
        entity_labels=_FEWNERD_LABELS, coarse={fine: fine.split("_")[0] for fine in _FEWNERD_LABELS},
    ),
]
