import itertools

from hypothesis import given
from hypothesis import strategies as st

from adelie.datasets.detok import detokenize

PUNCT = [",", ".", "(", ")", '"', "'s", "n't", "$", "%", "``", "''", ":", ";", "-", "...", "", " ", "é", "東京"]
tokens = st.lists(st.one_of(st.sampled_from(PUNCT), st.text(min_size=0, max_size=8)), max_size=40)


@given(tokens)
def test_every_token_maps_back(toks):
    text, offsets = detokenize(toks)
    assert len(offsets) == len(toks)
    for tok, (s, e) in zip(toks, offsets, strict=True):
        assert text[s:e] == tok
    # offsets are ordered and never overlap
    for (_, e1), (s2, _) in itertools.pairwise(offsets):
        assert e1 <= s2


@given(tokens)
def test_only_single_spaces_are_inserted(toks):
    text, offsets = detokenize(toks)
    gaps = [text[e1:s2] for (_, e1), (s2, _) in itertools.pairwise(offsets)]
    assert all(g in ("", " ") for g in gaps)
    assert len(text) == sum(len(t) for t in toks) + sum(len(g) for g in gaps)


def test_english_punctuation_spacing():
    text, _ = detokenize(["He", "said", ",", '"', "I", "do", "n't", "(", "really", ")", "cost", "$", "5", '"', "."])
    assert text == 'He said, "I don\'t (really) cost $5".'


def test_empty():
    assert detokenize([]) == ("", [])
