"""Extractors over scripted models: a model that writes one fixed answer whatever the prompt (see
tests/conftest.py::scripted_model). The model picks the next token from the last one only, so an answer can be
scripted only when none of its tokens repeats; `scripted_extractor` checks that."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adelie.extract import Extractor
from adelie.models import load_model

EOS = 2  # <|im_end|> in the tiny tokenizer


def answer_ids(tokenizer: Any, answer: str) -> list[int]:
    """The token ids of `answer`; fails the test when one repeats (the scripted model could not write it)."""
    ids = tokenizer(answer, add_special_tokens=False)["input_ids"]
    repeated = sorted({tokenizer.convert_ids_to_tokens(i) for i in ids if ids.count(i) > 1})
    assert not repeated, f"{answer!r} repeats the tokens {repeated}: choose other strings"
    return ids


def last_prompt_token(tokenizer: Any) -> int:
    text = tokenizer.apply_chat_template([{"role": "user", "content": "x"}], tokenize=False,
                                         add_generation_prompt=True)
    return tokenizer(text, add_special_tokens=False)["input_ids"][-1]


@pytest.fixture
def scripted_extractor(scripted_model: Callable[..., Path], tiny_tokenizer: Any) -> Callable[..., Extractor]:
    """Factory: `scripted_extractor(answer, end=True, **settings)`: an Extractor whose model answers `answer`
    to every prompt (then the end-of-turn token when `end`, else it repeats the answer's last token). Decoding is
    free unless `decoding="constrained"` is given: these scripts test how free answers are read and grounded."""

    def build(answer: str, end: bool = True, **settings: Any) -> Extractor:
        ids = answer_ids(tiny_tokenizer, answer)
        start = last_prompt_token(tiny_tokenizer)
        assert start not in ids, "the answer may not use the last token of the prompt"
        chain = [start, *ids]
        transitions = {a: b for a, b in itertools.pairwise(chain)}
        if end:
            transitions[chain[-1]] = EOS
        else:
            transitions[chain[-1]] = chain[-1]
        model, tokenizer = load_model(str(scripted_model(transitions, default=EOS)), device="cpu")
        settings.setdefault("decoding", "free")
        return Extractor(model, tokenizer, **settings)

    return build
