"""DPO mechanics on the tiny random Llama: the chosen-vs-rejected margin grows against the frozen reference."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch
from train_helpers import fast_profile

from adelie.errors import AdelieError
from adelie.train import train_dpo
from adelie.train.config import ModelSettings
from adelie.train.data import preference_record, read_records
from adelie.train.logs import read_log
from adelie.train.runtime import load_for_training


def _completion_logps(model_dir: Path, pairs: list[dict]) -> torch.Tensor:
    """Per pair: log p(chosen | prompt) - log p(rejected | prompt), summed over completion tokens."""
    model, tokenizer = load_for_training(ModelSettings(base=str(model_dir)))
    model.eval()
    margins = []
    for pair in pairs:
        prompt = tokenizer.apply_chat_template(pair["prompt"], tokenize=False, add_generation_prompt=True)
        n_prompt = len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
        scores = []
        for key in ("chosen", "rejected"):
            text = tokenizer.apply_chat_template(pair["prompt"] + pair[key], tokenize=False)
            ids = torch.tensor([tokenizer(text, add_special_tokens=False)["input_ids"]])
            with torch.no_grad():
                logps = model(input_ids=ids).logits[0, :-1].log_softmax(-1)
            token_logps = logps.gather(1, ids[0, 1:, None])[:, 0]
            scores.append(token_logps[n_prompt - 1 :].sum())
        margins.append(scores[0] - scores[1])
    return torch.stack(margins)


def test_dpo_increases_the_chosen_rejected_margin(tiny_model_dir: Path, feedback_dir: Path, tmp_path: Path):
    profile = fast_profile(tiny_model_dir, tmp_path, dpo={"data": str(feedback_dir), "init": str(tiny_model_dir),
                                                          "max_steps": 8})
    assert profile.dpo.beta == 0.1 and profile.dpo.loss_type == ["sigmoid"]
    final = train_dpo(profile)

    pairs = read_records(feedback_dir / "pairs.jsonl", preference_record)
    before, after = _completion_logps(tiny_model_dir, pairs), _completion_logps(final, pairs)
    assert (after > before).all(), (before, after)

    log = [r for r in read_log(Path(profile.dpo.output) / "train_log.jsonl") if "loss" in r]
    assert log[0]["rewards/margins"] == pytest.approx(0.0, abs=1e-4)  # policy == reference at the start
    assert log[-1]["rewards/margins"] > 0 and log[-1]["rewards/accuracies"] == 1.0
    assert log[-1]["loss"] < log[0]["loss"]
    info = json.loads((final / "adelie.json").read_text())
    assert info["stage"] == "dpo" and info["init"] == str(tiny_model_dir)
    assert info["config"]["dpo"]["beta"] == 0.1


def test_dpo_other_loss_type_and_missing_sft_model(tiny_model_dir: Path, feedback_dir: Path, tmp_path: Path):
    profile = fast_profile(tiny_model_dir, tmp_path, dpo={"data": str(feedback_dir), "init": str(tiny_model_dir),
                                                          "max_steps": 2, "loss_type": ["ipo"]})
    train_dpo(profile)
    assert [r for r in read_log(Path(profile.dpo.output) / "train_log.jsonl") if "loss" in r][-1]["loss"] > 0

    no_init = dataclasses.replace(profile, dpo=dataclasses.replace(profile.dpo, init=None))
    with pytest.raises(AdelieError, match="adelie train sft"):
        train_dpo(no_init)
