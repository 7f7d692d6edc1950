"""Item scores from token log-probabilities: which tokens wrote which characters, and exp(mean logprob)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adelie.extract.scoring import AnswerScorer, token_ends
from adelie.generate import Output


def output(tokenizer: Any, text: str, logprobs: list[float] | None = None, eos: bool = True) -> Output:
    ids = tokenizer(text, add_special_tokens=False)["input_ids"] + ([2] if eos else [])
    return Output(text, ids, logprobs if logprobs is not None else [-0.1] * len(ids), "stop")


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30))
def test_token_ends_cover_the_text_in_order(tiny_tokenizer: Any, text: str) -> None:
    ids = tiny_tokenizer(text, add_special_tokens=False)["input_ids"]
    decoded = tiny_tokenizer.decode(ids, skip_special_tokens=True)
    ends = token_ends(tiny_tokenizer, ids, decoded)
    assert len(ends) == len(ids)
    assert ends == sorted(ends)
    assert not ends or ends[-1] == len(decoded)


def test_multibyte_characters_are_written_by_their_last_byte_token(tiny_tokenizer: Any) -> None:
    text = "東京"
    ids = tiny_tokenizer(text, add_special_tokens=False)["input_ids"]
    assert len(ids) == 6  # three byte tokens per character
    assert token_ends(tiny_tokenizer, ids, text) == [0, 0, 1, 1, 1, 2]


def test_item_scores_come_from_the_item_tokens(tiny_tokenizer: Any) -> None:
    answer = "Obama: person; Hawaii : location"
    ids = tiny_tokenizer(answer, add_special_tokens=False)["input_ids"]
    # Ob am a : Ġp ers on | ; | ĠH aw ai i Ġ: Ġloc ation | <|im_end|>
    assert len(ids) == 15
    logprobs = [-1.0] * 7 + [-5.0] + [-2.0] * 7 + [-9.0]
    scorer = AnswerScorer(tiny_tokenizer, output(tiny_tokenizer, answer, logprobs))
    score, fields = scorer.item(("Obama", "person"))
    assert score == pytest.approx(math.exp(-1.0))
    assert fields == [pytest.approx(math.exp(-1.0))] * 2
    score, _ = scorer.item(("Hawaii", "location"))
    assert score == pytest.approx(math.exp(-2.0))  # neither the separator nor the end-of-turn token counts
    assert scorer.score() == pytest.approx(math.exp(sum(logprobs[:-1]) / 15))


def test_fields_are_found_after_the_previous_item(tiny_tokenizer: Any) -> None:
    answer = "(Obama; born in; Hawaii); (Obama; president of; USA)"
    scorer = AnswerScorer(tiny_tokenizer, output(tiny_tokenizer, answer))
    first = scorer.locate(("Obama", "born in", "Hawaii"))
    second = scorer.locate(("Obama", "president of", "USA"))
    assert first[0] == (1, 6) and second[0] == (27, 32)
    assert [answer[a:b] for a, b in second] == ["Obama", "president of", "USA"]


def test_json_escaped_and_missing_fields(tiny_tokenizer: Any) -> None:
    answer = '[{"entity": "say \\"hi\\"", "type": "quote"}]'
    scorer = AnswerScorer(tiny_tokenizer, output(tiny_tokenizer, answer))
    found = scorer.locate(('say "hi"', "quote", "nowhere"))
    assert found[0] is not None and answer[found[0][0]:found[0][1]] == 'say \\"hi\\"'
    assert found[2] is None
    score, fields = AnswerScorer(tiny_tokenizer, output(tiny_tokenizer, answer)).item(("absent", "missing"))
    assert 0 < score <= 1 and fields == [score, score]  # nothing found: the whole answer's score


def test_scores_are_probabilities(tiny_tokenizer: Any) -> None:
    n = len(tiny_tokenizer("a: b", add_special_tokens=False)["input_ids"]) + 1
    scorer = AnswerScorer(tiny_tokenizer, output(tiny_tokenizer, "a: b", [-800.0] + [0.0] * (n - 1)))
    assert scorer.score((0, 1)) == 0.0  # underflow stays a probability
    assert scorer.score((3, 4)) == 1.0
    empty = AnswerScorer(tiny_tokenizer, Output("", [], [], "stop"))
    assert empty.score() == 1.0
