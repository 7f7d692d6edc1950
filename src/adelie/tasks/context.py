"""Where an instance's text, options and query come from: label maps, sentence windows, mention references."""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from adelie.schema import Example
from adelie.tasks.base import Item, LabelMapError
from adelie.tasks.formats import dedupe

Window = tuple[int, int]  # character offsets into Example.text, end exclusive


def options(labels: Mapping[str, str], exclude: Collection[str] = ()) -> tuple[str, ...]:
    """The readable names of a raw->readable label map, in map order without repeats, leaving out the
    names of the raw labels in `exclude` (such as the no-relation label)."""
    dropped = {labels.get(raw, raw) for raw in exclude}
    return tuple(dict.fromkeys(v for v in labels.values() if v not in dropped))


def require_map(labels: Mapping[str, str], what: str, example: Example) -> None:
    """LabelMapError when a task that offers label options got an empty map."""
    if not labels:
        raise LabelMapError(
            f"example {example.id} ({example.dataset}): expected a map of the dataset's {what} "
            f"(raw -> readable name) to offer as options, got an empty one"
        )


def readable(labels: Mapping[str, str], raw: str, what: str, example: Example) -> str:
    """The readable name of `raw`; LabelMapError naming the example when the map lacks it."""
    try:
        return labels[raw]
    except KeyError:
        known = ", ".join(sorted(labels)[:20])
        raise LabelMapError(
            f"example {example.id} ({example.dataset}): {what} {raw!r} is not in the label map "
            f"(it has: {known}{', ...' if len(labels) > 20 else ''})"
        ) from None


def gold_items(items: Iterable[tuple[Any, Item]]) -> tuple[Item, ...]:
    """Items sorted by their key (a text position), without repeats."""
    return dedupe(it for _, it in sorted(items, key=lambda p: p[0]))


def sentence_index(example: Example, offset: int) -> int:
    """The index of the sentence holding character `offset` (the nearest one before it in a gap)."""
    starts = [s for s, _ in example.sentences]
    return max(0, bisect.bisect_right(starts, offset) - 1)


def covering(example: Example, start: int, end: int) -> Window:
    """The sentences from the one holding `start` to the one holding `end - 1` (the whole text when the
    example has no sentence boundaries)."""
    if not example.sentences:
        return 0, len(example.text)
    first = sentence_index(example, start)
    last = sentence_index(example, max(start, end - 1))
    return example.sentences[first][0], max(example.sentences[last][1], end)


def around(example: Example, start: int, end: int, max_chars: int) -> Window:
    """The sentences covering [start, end), grown by whole neighbouring sentences (alternately after and
    before) while the window stays within `max_chars`. The whole text when it fits or has no sentences."""
    if len(example.text) <= max_chars or not example.sentences:
        return 0, len(example.text)
    sents = example.sentences
    lo, hi = sentence_index(example, start), sentence_index(example, max(start, end - 1))
    ws, we = covering(example, start, end)
    grew = True
    while grew:
        grew = False
        if hi + 1 < len(sents) and max(we, sents[hi + 1][1]) - ws <= max_chars:
            hi, we, grew = hi + 1, max(we, sents[hi + 1][1]), True
        if lo > 0 and we - min(ws, sents[lo - 1][0]) <= max_chars:
            lo, ws, grew = lo - 1, min(ws, sents[lo - 1][0]), True
    return ws, we


def windows(example: Example, max_chars: int) -> list[Window]:
    """The text cut into windows of consecutive whole sentences of at most `max_chars` each (a longer
    sentence is a window of its own). The windows cover the whole text, gaps included; one window when the
    text fits or has no sentence boundaries."""
    n = len(example.text)
    if n <= max_chars or not example.sentences:
        return [(0, n)]
    starts = [0]
    group_start = 0
    for s, e in example.sentences[1:]:
        if e - group_start > max_chars and s > group_start:
            starts.append(s)
            group_start = s
    ends = [*starts[1:], n]
    return list(zip(starts, ends, strict=True))


def clip(text: str, window: Window) -> tuple[str, int]:
    """The window's text without edge whitespace, and the offset of its first character in `text`."""
    raw = text[window[0]:window[1]]
    lead = len(raw) - len(raw.lstrip())
    return raw.strip(), window[0] + lead


def mention(text: str, start: int, end: int, words: int = 4) -> str:
    """How a prompt names the mention text[start:end]: its text, followed by up to `words` words of context
    each side (`said (in "the minister said on Monday")`) when the same text occurs more than once."""
    s = text[start:end]
    if not s or text.count(s) <= 1:
        return s
    before = [m.start() for m in re.finditer(r"\S+", text[:start])][-words:]
    after = [m.end() for m in re.finditer(r"\S+", text[end:])][:words]
    lo = before[0] if before else start
    hi = end + after[-1] if after else end
    return f'{s} (in "{" ".join(text[lo:hi].split())}")'
