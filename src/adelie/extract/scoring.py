"""Confidence scores of extracted items from the log-probabilities of the tokens that wrote them.

The generated answer is decoded prefix by prefix to learn which characters of `Output.text` each token wrote
(a token that completes no character, such as the first bytes of a multi-byte character, is counted with the
character it starts). An item's fields are then found in the answer text, in order, and the item's score is
`exp(mean logprob)` of the tokens overlapping the stretch from its first to its last field: a probability in
(0, 1]. A field (or item) that cannot be found in the answer gets the score of the whole answer.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

from adelie.generate import Output

Range = tuple[int, int]


def token_ends(tokenizer: Any, ids: Sequence[int], text: str) -> list[int]:
    """For each token of `ids`, how many leading characters of `text` the tokens up to it have written
    (non-decreasing; special tokens write nothing)."""
    ends, done = [], 0
    for i in range(len(ids)):
        prefix = tokenizer.decode(list(ids[: i + 1]), skip_special_tokens=True)
        k = done
        limit = min(len(prefix), len(text))
        while k < limit and prefix[k] == text[k]:
            k += 1
        ends.append(k)
        done = k
    return ends


class AnswerScorer:
    """Scores for stretches of one generated answer (see the module docstring)."""

    def __init__(self, tokenizer: Any, output: Output) -> None:
        self.text = output.text
        self.logprobs = list(output.logprobs)
        ends = token_ends(tokenizer, output.token_ids, output.text)
        starts = [0, *ends][: len(ends)]
        self.ranges = [(a, max(b, a + 1)) for a, b in zip(starts, ends, strict=True)]
        self.cursor = 0

    def score(self, span: Range | None = None) -> float:
        """exp(mean logprob) of the tokens overlapping `span` of the answer; None means the whole answer text
        (without the end-of-turn token); all tokens when none overlaps."""
        lo, hi = span if span is not None else (0, len(self.text))
        picked = [lp for (a, b), lp in zip(self.ranges, self.logprobs, strict=True) if a < hi and b > lo]
        if not picked:
            picked = self.logprobs
        if not picked:
            return 1.0
        return min(1.0, math.exp(sum(picked) / len(picked)))

    def locate(self, fields: Sequence[str]) -> list[Range | None]:
        """Where each field of the next item is written in the answer, searching from the end of the previous
        item (and from the start when not found after it)."""
        found = [_find(self.text, f, self.cursor) for f in fields]
        ends = [r[1] for r in found if r is not None]
        if ends:
            self.cursor = max(ends)
        return found

    def item(self, fields: Sequence[str]) -> tuple[float, list[float]]:
        """The score of the next item (fields as parsed) and the score of each of its fields."""
        found = self.locate(fields)
        spans = [r for r in found if r is not None]
        whole = (min(a for a, _ in spans), max(b for _, b in spans)) if spans else None
        return self.score(whole), [self.score(r) if r is not None else self.score(whole) for r in found]


def _find(text: str, field: str, cursor: int) -> Range | None:
    """A field in the answer: verbatim, as a JSON-escaped string, or ignoring case; after `cursor` first."""
    if not field.strip():
        return None
    needles = dict.fromkeys((field, field.strip(), json.dumps(field, ensure_ascii=False)[1:-1]))
    for start in (cursor, 0):
        for needle in needles:
            i = text.find(needle, start)
            if i >= 0:
                return i, i + len(needle)
        m = re.compile(re.escape(field.strip()), re.I).search(text, start)
        if m is not None:
            return m.start(), m.end()
    return None
