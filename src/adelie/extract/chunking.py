"""Chunking: cut a text longer than the model's window into overlapping chunks of whole sentences.

`sentence_spans` is deliberately simple: a sentence ends after `.`, `!`, `?` or `…` (with any closing quotes or
brackets) followed by whitespace, right after `。`, `！` or `？`, and at a blank line. Abbreviations such as
"Dr." end a sentence too; that is harmless here, since a chunk holds many sentences and chunks overlap. The
spans tile the text: each sentence keeps the whitespace after it.

`chunk_text` packs whole sentences greedily into chunks of at most `max_tokens` tokens; each chunk after the
first starts with the last sentences of the previous one, up to `overlap_tokens` tokens (default: an eighth of
`max_tokens`, at most half of it). A single sentence longer than `max_tokens` is cut on token boundaries (never
inside a grapheme cluster), with a warning. Chunk offsets are offsets into the original text: a span found in a
chunk maps back by adding `Chunk.start` (the extractor then merges the duplicates that overlaps produce).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from adelie.extract.errors import ExtractionError
from adelie.extract.grounding import cluster_bounds

_SENTENCE_END = re.compile(
    r"[.!?…]+[\"'”’»)\]]*(?=\s|$)\s*"  # Latin-script terminators, then whitespace
    r"|[。！？]+[」』”’）)]*\s*"  # CJK terminators need no space after them
    r"|\n[ \t]*\n\s*"  # a blank line
)


@dataclass(frozen=True)
class Chunk:
    """A piece of the original text: `text == source[start:end]`."""

    start: int
    end: int
    text: str


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence offsets (see the module docstring); they tile `text` (none for an empty text)."""
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if m.end() > start:
            spans.append((start, m.end()))
            start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def token_spans(tokenizer: Any, text: str) -> tuple[list[int], list[int]]:
    """Where each token of `text` starts and ends (two sorted lists of character offsets), from a fast
    tokenizer's offsets or, for a slow one, by decoding growing prefixes."""
    if getattr(tokenizer, "is_fast", False):
        enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        pairs = enc["offset_mapping"]
        return sorted(a for a, _ in pairs), sorted(b for _, b in pairs)
    from adelie.extract.scoring import token_ends

    ends = token_ends(tokenizer, tokenizer(text, add_special_tokens=False)["input_ids"], text)
    return [0, *ends][: len(ends)], ends


def chunk_text(
    text: str, tokenizer: Any, max_tokens: int, overlap_tokens: int | None = None
) -> tuple[list[Chunk], list[str]]:
    """The chunks of `text` (one when it fits) and warnings (sentences cut on token boundaries). Chunk edges
    carry no whitespace."""
    if max_tokens < 1:
        raise ExtractionError(f"the chunk budget must be at least 1 token, got {max_tokens}")
    if overlap_tokens is not None and overlap_tokens < 0:
        raise ExtractionError(f"overlap_tokens must be >= 0, got {overlap_tokens}")
    overlap = max_tokens // 8 if overlap_tokens is None else min(overlap_tokens, max_tokens // 2)
    starts, ends = token_spans(tokenizer, text)

    def count(a: int, b: int) -> int:  # tokens overlapping [a, b): an estimate, on the safe side
        return bisect.bisect_left(starts, b) - bisect.bisect_right(ends, a)

    exact = _exact_counter(tokenizer, text)
    if count(0, len(text)) <= max_tokens and exact(0, len(text)) <= max_tokens:
        return [_strip(text, 0, len(text))], []
    bounds = set(cluster_bounds(text))
    segments: list[tuple[int, int]] = []
    warnings: list[str] = []
    for a, b in sentence_spans(text):
        n = count(a, b)
        if n <= max_tokens // 2 or (n <= max_tokens and (n := exact(a, b)) <= max_tokens):
            segments.append((a, b))  # long sentences are counted exactly: alone, a first word may split more
            continue
        warnings.append(
            f"the sentence at characters {a}-{b} is {n} tokens long, more than a chunk holds ({max_tokens}): "
            "it was cut on token boundaries, so a mention across a cut may be missed"
        )
        cuts = sorted({s for s in starts if a < s < b and s in bounds})
        segments += _split_long(a, b, cuts, max_tokens, count, exact)
    segments = [(a, b) for a, b in segments if text[a:b].strip()]  # a cut may leave a piece of bare whitespace
    return _pack(text, segments, max_tokens, overlap, count, exact), warnings


def _split_long(
    a: int, b: int, cuts: list[int], max_tokens: int, count: Callable[[int, int], int],
    exact: Callable[[int, int], int],
) -> list[tuple[int, int]]:
    """[a, b) cut at token starts in `cuts` into pieces of at most `max_tokens` tokens (estimated with `count`,
    each piece checked with `exact`)."""
    pieces, start = [], a
    bounds = [*cuts, b]
    k = 0
    while start < b:
        end_k = k
        while end_k + 1 < len(bounds) and count(start, bounds[end_k + 1]) <= max_tokens:
            end_k += 1
        while end_k > k and exact(start, bounds[end_k]) > max_tokens:
            end_k -= 1
        pieces.append((start, bounds[end_k]))
        start = bounds[end_k]
        k = end_k + 1
    return pieces


def _exact_counter(tokenizer: Any, text: str) -> Callable[[int, int], int]:
    def exact(a: int, b: int) -> int:
        return len(tokenizer(text[a:b].strip(), add_special_tokens=False)["input_ids"])
    return exact


def _pack(
    text: str,
    segs: Sequence[tuple[int, int]],
    max_tokens: int,
    overlap: int,
    count: Callable[[int, int], int],
    exact: Callable[[int, int], int],
) -> list[Chunk]:
    """Greedy packing of segments into chunks (estimated with `count`, each chunk checked with `exact`), each
    chunk after the first starting with up to `overlap` tokens of the previous chunk's last segments."""
    chunks: list[Chunk] = []
    i = 0
    while i < len(segs):
        j = i
        while j + 1 < len(segs) and count(segs[i][0], segs[j + 1][1]) <= max_tokens:
            j += 1
        while j + 1 < len(segs) and exact(segs[i][0], segs[j + 1][1]) <= max_tokens:  # the estimate is cautious
            j += 1
        while j > i and exact(segs[i][0], segs[j][1]) > max_tokens:  # the estimate was a little short
            j -= 1
        chunks.append(_strip(text, segs[i][0], segs[j][1]))
        if j + 1 >= len(segs):
            break
        k = i + 1  # the next chunk repeats segments k..j, and must still reach past them
        while k <= j and (count(segs[k][0], segs[j][1]) > overlap or exact(segs[k][0], segs[j + 1][1]) > max_tokens):
            k += 1
        i = k
    return chunks


def _strip(text: str, a: int, b: int) -> Chunk:
    piece = text[a:b]
    lead = len(piece) - len(piece.lstrip())
    core = piece.strip()
    if not core:
        return Chunk(a, b, piece)
    return Chunk(a + lead, a + lead + len(core), core)
