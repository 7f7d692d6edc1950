"""The general-ability check on a handwritten miniature of the general data, with the tiny model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adelie.errors import AdelieError
from adelie.evaluate.general import ChoiceItem, choice_scores, last_number, run_general


def _general(root: Path) -> Path:
    (root / "arc").mkdir(parents=True)
    arc = [{"query": "Question: What gives plants energy?", "choices": ["sunlight", "rocks"], "gold": 0},
           {"query": "Question: Which is a fox?", "choices": ["a dog", "the quick brown fox"], "gold": 1},
           {"query": "Question: Which is lazy?", "choices": ["the dog", "the fox", "none"], "gold": 0}]
    (root / "arc" / "arc_easy_test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in arc))
    (root / "mmlu" / "test").mkdir(parents=True)
    (root / "mmlu" / "test" / "misc_test.csv").write_text(
        'question,choice0,choice1,choice2,choice3,answer\n"2+2?",3,4,5,6,1\nWho?,Obama,Curie,Japan,Apple,0\n')
    (root / "gsm8k").mkdir()
    gsm = [{"question": "1 + 1?", "answer": "1 + 1 = 2\n#### 2"}, {"question": "3 + 4?", "answer": "#### 7"}]
    (root / "gsm8k" / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in gsm))
    return root


def test_last_number() -> None:
    assert last_number("so 3 + 4 = 7. The answer is 1,234.") == "1234"
    assert last_number("The answer is 12.0") == "12"
    assert last_number("-5 degrees") == "-5"
    assert last_number("no digits") is None


def test_choice_scores_are_continuation_logprobs(tiny_model_dir: Path) -> None:
    import torch

    from adelie.models import load_model

    model, tok = load_model(str(tiny_model_dir), device="cpu")
    item = ChoiceItem("x", "Question: Which is a fox?\nAnswer:", ("the fox", "the fox", "a dog"), 0)
    scores = choice_scores(model, tok, item)
    assert scores[0] == pytest.approx(scores[1]) and scores[2][1] == len("a dog")
    ids = tok(item.prompt + " a dog", add_special_tokens=False)["input_ids"]
    n_ctx = len(tok(item.prompt, add_special_tokens=False)["input_ids"])
    with torch.no_grad():
        logp = torch.log_softmax(model(input_ids=torch.tensor([ids])).logits[0], dim=-1)
    expected = sum(float(logp[t - 1, ids[t]]) for t in range(n_ctx, len(ids)))
    assert scores[2][0] == pytest.approx(expected, abs=1e-4)


def test_run_general_with_tiny_model(tmp_path: Path, tiny_model_dir: Path) -> None:
    root = _general(tmp_path / "general")
    result = run_general(str(tiny_model_dir), tmp_path / "out", root=root, sources=("arc_easy", "mmlu", "gsm8k"),
                         limit=2, max_new_tokens=8, draws=50)
    general = result["general"]
    assert [general[s]["n"] for s in ("arc_easy", "mmlu", "gsm8k")] == [2, 2, 2]
    for m in general.values():
        assert 0.0 <= m["acc"] <= 1.0 and m["acc_ci"][0] <= m["acc"] <= m["acc_ci"][1]
    assert json.loads((tmp_path / "out" / "general.json").read_text()) == result
    lines = (tmp_path / "out" / "general_predictions.jsonl").read_text().splitlines()
    assert len(lines) == 6
    with pytest.raises(AdelieError, match="unknown general sources"):
        run_general(str(tiny_model_dir), tmp_path / "bad", root=root, sources=("hellaswag",))
