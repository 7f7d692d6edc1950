"""A small build from the real datasets (skipped without them): the held-out guard on real text."""

import pytest

from adelie.datasets.overlap import normalize_text
from adelie.errors import MissingDataError
from adelie.instruct.build import build_instruct
from adelie.instruct.config import config_from_dict
from adelie.instruct.guard import protected_index
from adelie.instruct.records import read_jsonl


@pytest.mark.data
def test_small_real_build_holds_no_protected_sentence(tmp_path):
    try:
        index = protected_index()
    except MissingDataError as exc:
        pytest.skip(str(exc))
    cfg = config_from_dict({
        "datasets": ["conll04", "phee", "oie2016", "fewrel"], "per_dataset_cap": 60, "validation_per_dataset": 5,
        "on_demand": {"cap": 30}, "length": {"tokenizer": None}, "general": {"share": 0.0},
    })
    manifest = build_instruct(cfg, tmp_path)
    # oie2016/train shares sentences with CaRB (its dev/test are CaRB's): the guard must have dropped them
    assert manifest["guard"]["overlap_dropped_examples"].get("oie2016/train", 0) > 0
    records = read_jsonl(tmp_path / "train.jsonl") + read_jsonl(tmp_path / "validation.jsonl")
    assert {r["metadata"]["dataset"] for r in records} == {"conll04", "phee", "oie2016", "fewrel", "odie_synth"}
    few_word_keys = [k for k in index.keys if len(k.split()) < 4]  # the few that only match as whole sentences
    for r in records:
        for m in r["messages"]:
            assert not index.text_hits([m["content"]]), r["metadata"]
            text = normalize_text(m["content"])
            assert not any(k in text for k in few_word_keys if len(k) > 40)
