"""Chunking long texts on sentence boundaries: tiling, budgets, overlap, offsets back into the original text."""

from __future__ import annotations

import itertools
import os
from typing import Any

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from adelie.extract.chunking import chunk_text, sentence_spans
from adelie.extract.errors import ExtractionError
from adelie.extract.grounding import ground

EXAMPLES = int(os.environ.get("ADELIE_HYPOTHESIS_EXAMPLES", "100"))

WORDS = ["Obama", "spoke", "in", "Hawaii", "東京", "は", "大きい", "naïve", "Cafe\u0301", "👍🏽", "🇫🇷", "the", "Dr.",
         "U.S.", "42", "«quoted»", "‘hi’"]
ENDS = [". ", "! ", "? ", "。", "！", "… ", ".\n\n", ". ", "? "]


def n_tokens(tokenizer: Any, text: str) -> int:
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


sentence = st.builds(
    lambda words, end: " ".join(words) + end,
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=12), st.sampled_from(ENDS),
)
document = st.lists(sentence, min_size=1, max_size=25).map("".join)


def test_sentence_spans_cut_after_terminators_and_blank_lines() -> None:
    text = "Dr. Who came. «Really?» she asked! 東京は大きい。次の文\n\nNew paragraph"
    pieces = [text[a:b] for a, b in sentence_spans(text)]
    assert pieces == [
        "Dr. ", "Who came. ", "«Really?» ", "she asked! ", "東京は大きい。", "次の文\n\n", "New paragraph",
    ]
    assert sentence_spans("") == []


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text(max_size=80))
def test_sentence_spans_tile_any_text(text: str) -> None:
    spans = sentence_spans(text)
    assert "".join(text[a:b] for a, b in spans) == text
    assert all(a < b for a, b in spans)
    assert all(spans[i][1] == spans[i + 1][0] for i in range(len(spans) - 1))


@settings(max_examples=EXAMPLES, deadline=None)
@given(document, st.integers(10, 60), st.one_of(st.none(), st.integers(0, 10)))  # a flag emoji is 8 tokens
def test_chunks_fit_cover_the_text_and_map_back(tiny_tokenizer: Any, text: str, budget: int,
                                               overlap: int | None) -> None:
    chunks, warnings = chunk_text(text, tiny_tokenizer, budget, overlap)
    bounds = {m.start() for m in regex.finditer(r"\X", text)} | {len(text)}
    covered = [False] * len(text)
    for c in chunks:
        assert text[c.start:c.end] == c.text and c.text == c.text.strip()
        assert c.start in bounds and c.end in bounds  # no chunk splits a grapheme cluster
        for i in range(c.start, c.end):
            covered[i] = True
        assert n_tokens(tiny_tokenizer, c.text) <= budget
    assert all(covered[i] or text[i].isspace() for i in range(len(text)))  # nothing dropped
    assert all(a.start < b.start and a.end < b.end for a, b in itertools.pairwise(chunks))
    if overlap == 0:
        assert all(a.end <= b.start for a, b in itertools.pairwise(chunks))
    assert all("cut on token boundaries" in w for w in warnings)
    # offsets found in a chunk map back to the original text
    for c in chunks:
        for word in ("Obama", "東京", "Cafe\u0301", "👍🏽"):
            g = ground(c.text, word)
            if g.start is not None and g.end is not None:
                assert text[c.start + g.start:c.start + g.end] == g.text
                assert g.alignment == "fuzzy" or g.text == word


def test_a_text_that_fits_is_one_chunk(tiny_tokenizer: Any) -> None:
    chunks, warnings = chunk_text("  Obama spoke.  ", tiny_tokenizer, 100)
    assert [(c.start, c.end, c.text) for c in chunks] == [(2, 14, "Obama spoke.")]
    assert warnings == []


def test_chunks_overlap_by_whole_sentences(tiny_tokenizer: Any) -> None:
    text = "".join(f"Sentence number {i} is here. " for i in range(12))
    chunks, _ = chunk_text(text, tiny_tokenizer, 45, overlap_tokens=20)  # sentences of ~13 tokens
    assert len(chunks) > 2
    starts = {a for a, _ in sentence_spans(text)}
    for a, b in itertools.pairwise(chunks):
        assert b.start < a.end  # they share text...
        assert b.start in starts  # ...starting on a sentence boundary


def test_an_overlong_sentence_is_cut_on_tokens_with_a_warning(tiny_tokenizer: Any) -> None:
    text = "Short one. " + " ".join(["word"] * 80) + ". Another short one."
    chunks, warnings = chunk_text(text, tiny_tokenizer, 20)
    assert len(warnings) == 1 and "cut on token boundaries" in warnings[0] and "characters 11-" in warnings[0]
    assert all(n_tokens(tiny_tokenizer, c.text) <= 20 for c in chunks)
    assert chunks[0].start == 0 and chunks[-1].end == len(text)


def test_bad_budgets_are_refused(tiny_tokenizer: Any) -> None:
    with pytest.raises(ExtractionError, match="at least 1 token"):
        chunk_text("text", tiny_tokenizer, 0)
    with pytest.raises(ExtractionError, match="overlap_tokens"):
        chunk_text("text", tiny_tokenizer, 10, overlap_tokens=-1)
