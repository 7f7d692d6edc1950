"""Open IE: OIE2016 (training) and CaRB (held-out gold for the same kind of sentences).

Both sources give space-tokenized sentences and tuple strings. Texts are detokenized (`detok.detokenize`)
so that a model reads normal prose; every tuple string is detokenized the same way and aligned to the text
when it occurs there verbatim on token boundaries (the first such occurrence). Strings stay the truth:
a gold string that is not in the sentence (reordered or added words) keeps a `None` span.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from adelie.datasets.detok import detokenize
from adelie.datasets.reading import ReadContext, require_file
from adelie.datasets.registry import DatasetSpec, SplitSpec
from adelie.schema import Example, OpenTuple, Span, Task, make_span

RawTuple = tuple[str, Sequence[str]]  # (predicate, arguments) as tokenized strings


def _detok(s: str) -> str:
    return detokenize(s.split())[0]


def _align(text: str, starts: set[int], ends: set[int], part: str) -> Span | None:
    """The first occurrence of `part` in `text` that starts and ends on token boundaries, else None."""
    if not part:
        return None
    i = text.find(part)
    while i != -1:
        if i in starts and i + len(part) in ends:
            return make_span(text, i, i + len(part))
        i = text.find(part, i + 1)
    return None


def _open_example(
    ctx: ReadContext, path: Path, where: int, dataset: str, split: str, index: int, sentence: str,
    raw_tuples: Sequence[RawTuple], meta: dict[str, Any] | None = None,
) -> Example | None:
    """One Example per tokenized `sentence`, with its tuples detokenized and aligned to the text."""
    text, offsets = detokenize(sentence.split())
    starts, ends = {s for s, _ in offsets}, {e for _, e in offsets}
    tuples = []
    for pred, args in raw_tuples:
        pred, args = _detok(pred), tuple(_detok(a) for a in args)
        tuples.append(OpenTuple(
            predicate=pred, arguments=args, predicate_span=_align(text, starts, ends, pred),
            argument_spans=tuple(_align(text, starts, ends, a) for a in args),
        ))
    return ctx.example(
        path, where, id=f"{dataset}-{split}-{index}", dataset=dataset, split=split, text=text,
        tuples=tuple(tuples), meta={"tokenized_text": sentence, **(meta or {})},
    )


def _tsv_lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, tab-separated fields as they are) for each non-blank line."""
    with require_file(path).open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if line.strip():
                yield lineno, line.rstrip("\r\n").split("\t")


def _norm(sentence: str) -> str:
    return " ".join(sentence.split())


def _trim(args: list[str]) -> list[str]:
    """Drop trailing empty arguments (trailing tabs); an empty argument between two others stays."""
    while args and not args[-1]:
        args = args[:-1]
    return args


# --- OIE2016 ---------------------------------------------------------------------------------------------


def read_oie2016(folder: Path, split: str, ctx: ReadContext) -> Iterator[Example]:
    """`<split>.oie`: no header; one extraction per line, SENTENCE, PREDICATE_HEAD, FULL_PREDICATE, ARG1, ...
    Consecutive lines with the same sentence make one Example; the tuple predicate is FULL_PREDICATE and
    `meta["predicate_heads"]` keeps each tuple's PREDICATE_HEAD."""
    path = folder / f"{split}.oie"
    group: list[tuple[str, str, list[str]]] = []  # (head, full predicate, args) of the current sentence
    sentence, first_line, index = "", 0, 0

    def flush() -> Example | None:
        raw = [(pred, args) for _, pred, args in group]
        heads = [head for head, _, _ in group]
        return _open_example(ctx, path, first_line, "oie2016", split, index, sentence, raw,
                             {"predicate_heads": heads})

    for lineno, raw_cells in _tsv_lines(path):
        cells = [c.strip() for c in raw_cells]
        if len(cells) < 4 or not cells[0] or not cells[2]:
            ctx.fail(path, lineno, "expected SENTENCE, PREDICATE_HEAD, FULL_PREDICATE, ARG1[, ARG2 ...] "
                                   f"separated by tabs, with a sentence and a predicate; got {len(cells)} fields")
            continue
        if group and cells[0] != sentence:
            if (ex := flush()) is not None:
                yield ex
            index += 1
            group = []
        if not group:
            sentence, first_line = cells[0], lineno
        group.append((cells[1], cells[2], _trim(cells[3:])))
    if group and (ex := flush()) is not None:
        yield ex


# --- CaRB ------------------------------------------------------------------------------------------------


def read_carb(folder: Path, split: str, ctx: ReadContext) -> Iterator[Example]:
    """`<split>_sentences.txt` (one sentence a line; each is an Example, with or without gold tuples) joined
    with `gold_<split>.tsv` (sentence, relation, arg1, arg2, ...). A gold sentence is joined exactly, or
    else after normalising whitespace (`meta["whitespace_joined"]`)."""
    sent_path, gold_path = folder / f"{split}_sentences.txt", folder / f"gold_{split}.tsv"
    with require_file(sent_path).open(encoding="utf-8") as f:
        sentences = [(n, line.rstrip("\r\n")) for n, line in enumerate(f, 1) if line.strip()]
    exact = {s for _, s in sentences}
    by_norm = {_norm(s): s for _, s in sentences}
    gold: dict[str, list[RawTuple]] = defaultdict(list)
    joined_by_norm: set[str] = set()
    for lineno, cells in _tsv_lines(gold_path):
        if len(cells) < 3 or not cells[0].strip():
            ctx.fail(gold_path, lineno, f"expected sentence, relation, arg1[, arg2 ...] separated by tabs, "
                                        f"got {len(cells)} fields")
            continue
        raw = cells[0]  # as written: a trailing space makes it differ from the sentence file
        key = raw if raw in exact else by_norm.get(_norm(raw))
        if key is None:
            ctx.fail(gold_path, lineno, f"expected a sentence of {sent_path.name}, got {raw[:60]!r}")
            continue
        if key != raw:
            joined_by_norm.add(key)
        gold[key].append((cells[1].strip(), _trim([c.strip() for c in cells[2:]])))
    for index, (lineno, sentence) in enumerate(sentences):
        meta = {"whitespace_joined": True} if sentence in joined_by_norm else {}
        ex = _open_example(ctx, sent_path, lineno, "carb", split, index, sentence, gold.get(sentence, []), meta)
        if ex is not None:
            yield ex


# --- Registry --------------------------------------------------------------------------------------------

_CAVEAT = " Licence MIT, but part of the text is WSJ newswire (Penn Treebank / PropBank, LDC)."

SPECS: list[DatasetSpec] = [
    DatasetSpec(
        name="oie2016",
        folder="oie2016",
        tasks=(Task.OPEN_IE,),
        splits=(
            SplitSpec("train", "train", 1759, "sentences (README gives no count: counted from train.oie)"),
            SplitSpec("dev", "never", 582, "sentences; CaRB's dev sentences, never train on them"),
            SplitSpec("test", "never", 603, "sentences; CaRB's test sentences, never train on them"),
        ),
        licence_class="research-only",
        reader=read_oie2016,
        description="OIE2016 open IE benchmark (Stanovsky and Dagan 2016), derived from QA-SRL." + _CAVEAT,
    ),
    DatasetSpec(
        name="carb",
        folder="carb",
        tasks=(Task.OPEN_IE,),
        splits=(
            SplitSpec("dev", "held-out", 641, "sentences, including those without gold tuples"),
            SplitSpec("test", "held-out", 641, "sentences, including those without gold tuples"),
        ),
        licence_class="research-only",
        reader=read_carb,
        description="CaRB crowdsourced open IE gold (Bhardwaj et al. 2019) on OIE2016 sentences." + _CAVEAT,
    ),
]
