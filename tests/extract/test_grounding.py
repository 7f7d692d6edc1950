"""Grounding extracted strings in the source text: exact, case/whitespace-insensitive, fuzzy; repeated mentions;
Unicode safety (CJK, emoji, combining marks)."""

from __future__ import annotations

import os
import unicodedata

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from adelie.extract.grounding import Grounder, ground, ground_all

EXAMPLES = int(os.environ.get("ADELIE_HYPOTHESIS_EXAMPLES", "150"))


def clusters(text: str) -> set[int]:
    return {m.start() for m in regex.finditer(r"\X", text)} | {len(text)}


# Mentions are drawn from one alphabet and filler from a disjoint one, so a mention occurs exactly where it
# was injected. Mentions start with a base character and filler holds no combining mark, joiner or modifier,
# so every injected mention starts and ends between grapheme clusters.
MENTION_CLUSTERS = [
    *"abcdefghijXYZ", "é", "e\u0301", "n\u0303", "東", "京", "大", "学", "👍", "👍🏽", "👨\u200d👩\u200d👧", "🇫🇷",
    "Ω", "ß",
]
FILLER_CHARS = " 0123456789.,;:!?-()\n\tабвгд日本語ひらがな🙂🚀"

mention = st.lists(st.sampled_from(MENTION_CLUSTERS), min_size=1, max_size=6).map("".join)
filler = st.text(st.sampled_from(FILLER_CHARS), min_size=1, max_size=15)


@st.composite
def injected(draw: st.DrawFn) -> tuple[str, str, list[int]]:
    """A text holding `m` k times (k >= 1) between fillers, and where each copy starts."""
    m = draw(mention)
    k = draw(st.integers(1, 4))
    parts, starts = [draw(filler) if draw(st.booleans()) else ""], []
    for i in range(k):
        starts.append(sum(len(p) for p in parts))
        parts.append(m)
        parts.append(draw(filler) if i < k - 1 or draw(st.booleans()) else "")
    return "".join(parts), m, starts


@settings(max_examples=EXAMPLES, deadline=None)
@given(injected(), st.integers(0, 2))
def test_repeated_mentions_map_to_successive_occurrences(case: tuple[str, str, list[int]], extra: int) -> None:
    text, m, starts = case
    found = ground_all(text, [m] * (len(starts) + extra))
    for g in found:
        assert g.alignment == "exact" and g.start is not None and g.end is not None
        assert text[g.start:g.end] == g.text == m
    assert [g.start for g in found[:len(starts)]] == starts
    assert [g.start for g in found[len(starts):]] == [starts[0]] * extra  # all taken: back to the first


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
       st.text(st.characters(blacklist_categories=("Cs",)), max_size=8), st.integers(0, 40), st.integers(0, 8))
def test_found_spans_are_source_substrings_between_clusters(text: str, noise: str, at: int, width: int) -> None:
    # answers: a slice of the text (possibly splitting a cluster), with noise, and random strings
    piece = text[at:at + width]
    bounds = clusters(text)
    grounder = Grounder(text)
    for answer in (piece, piece + noise, noise, piece.upper(), f" {piece} "):
        g = grounder.ground(answer)
        assert g.answer == answer
        if g.alignment == "not_found":
            assert g.start is None and g.end is None and g.text == answer
            continue
        assert g.start is not None and g.end is not None and 0 <= g.start < g.end <= len(text)
        assert text[g.start:g.end] == g.text
        assert g.start in bounds and g.end in bounds
        assert g.text == g.text.strip()


WORD_CHARS = "abcdefghijklmnopqrstuvwxyzéàöçñ"


@st.composite
def spelled_differently(draw: st.DrawFn) -> tuple[str, str, int, int]:
    """A phrase as the model writes it (single spaces) and as the text holds it: random case, whitespace runs,
    decomposed accents. Returns (text, answer, start, end)."""
    words = draw(st.lists(st.text(st.sampled_from(WORD_CHARS), min_size=1, max_size=6), min_size=1, max_size=3))
    answer = " ".join(words)
    shown = []
    for i, w in enumerate(words):
        chars = [c.upper() if draw(st.booleans()) else c for c in w]
        word = "".join(chars)
        if draw(st.booleans()):
            word = unicodedata.normalize("NFD", word)
        shown.append(word)
        if i < len(words) - 1:
            shown.append(draw(st.sampled_from([" ", "  ", "\n", " \t "])))
    before, after = draw(filler), draw(filler)
    phrase = "".join(shown)
    return before + phrase + after, answer, len(before), len(before) + len(phrase)


@settings(max_examples=EXAMPLES, deadline=None)
@given(spelled_differently())
def test_case_whitespace_and_normalisation_variants_are_found(case: tuple[str, str, int, int]) -> None:
    text, answer, start, end = case
    g = ground(text, answer)
    assert (g.start, g.end, g.alignment) == (start, end, "exact")
    assert g.text == text[start:end]


def test_exact_match_keeps_source_text_and_prefers_verbatim_occurrences() -> None:
    text = "OBAMA met Obama and obama."
    assert [(g.start, g.text) for g in ground_all(text, ["Obama", "Obama", "Obama", "Obama"])] == [
        (10, "Obama"), (0, "OBAMA"), (20, "obama"), (10, "Obama"),
    ]


def test_edge_punctuation_and_quotes_of_the_answer_are_ignored() -> None:
    text = "Obama, the president, spoke."
    g = ground(text, '"Obama."')
    assert (g.start, g.end, g.text, g.alignment) == (0, 5, "Obama", "exact")


def test_unicode_offsets_never_split_clusters() -> None:
    g = ground("私は東京に住んでいる", "東京")
    assert (g.start, g.end) == (2, 4)
    nfd = "Cafe\u0301 au lait"
    g = ground(nfd, "Café")
    assert (g.start, g.end, g.text) == (0, 5, "Cafe\u0301")
    assert ground(nfd, "Cafe").alignment == "not_found"  # would cut the accent off its letter
    assert ground("ok 👍🏽 ok", "👍").alignment == "not_found"  # would split the emoji from its skin tone
    assert ground("a 👨\u200d👩\u200d👧 b", "👩").alignment == "not_found"
    assert ground("ß ist ein Buchstabe", "SS").alignment == "exact"  # casefold: ß -> ss, whole cluster
    pair = "a\ud83d\ude00b \ud83d x"  # a surrogate pair, as a str decoded with surrogatepass holds it
    assert ground(pair, "\ude00b").alignment == "not_found"
    g = ground(pair, "\ud83d")
    assert (g.start, g.end) == (5, 6)  # the lone one, not half of the pair


def test_fuzzy_match_snaps_to_words_and_respects_the_threshold() -> None:
    text = "Yesterday Barack Obama met the press in Washington."
    g = ground(text, "Barak Obama")
    assert (g.text, g.alignment) == ("Barack Obama", "fuzzy")
    assert 85 <= g.similarity < 100
    assert ground(text, "Barak Obama", threshold=99).alignment == "not_found"
    assert ground(text, "Washingtn").text == "Washington"
    assert ground(text, "Zeus").alignment == "not_found"
    assert ground(text, "cat").alignment == "not_found"  # short strings need a near-exact match


def test_fuzzy_repeated_answers_take_successive_occurrences() -> None:
    text = "Barack Obama spoke. Later Barack Obama left."
    found = ground_all(text, ["Barak Obama", "Barak Obama", "Barak Obama"])
    assert [g.start for g in found] == [0, 26, 0]
    assert all(g.alignment == "fuzzy" and text[g.start:g.end] == g.text for g in found)


def test_blank_answers_and_texts_are_not_found() -> None:
    assert ground("some text", "").alignment == "not_found"
    assert ground("some text", "   ").alignment == "not_found"
    assert ground("", "text").alignment == "not_found"


def test_threshold_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        Grounder("text", threshold=120)
