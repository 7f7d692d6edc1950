"""SFT mechanics on the tiny random Llama: loss falls, masking is exact, padding-free is exact, resume, LoRA."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from train_helpers import SENTENCES, fast_profile, ner_record, write_jsonl
from typer.testing import CliRunner

from adelie.chat import has_generation_markers
from adelie.cli import app
from adelie.errors import AdelieError
from adelie.train import build_sft_trainer, train_sft
from adelie.train.logs import read_log


def test_cli_sft_loss_falls_and_final_model_is_complete(tiny_model_dir: Path, instruct_dir: Path, tmp_path: Path):
    config = tmp_path / "profile.yaml"
    config.write_text(
        "model:\n  base: default\nsft:\n  per_device_batch_size: 4\n  learning_rate: 0.005\n  lr_scheduler: constant\n"
        "  warmup_ratio: 0.0\n  logging_steps: 1\n  precision: fp32\n  report_to: []\n  eval_max_records: 8\n",
        encoding="utf-8",
    )
    out = tmp_path / "run"
    args = ["train", "sft", "--config", str(config), "--model", str(tiny_model_dir), "--data", str(instruct_dir),
            "--output", str(out), "--max-steps", "8"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output

    log = read_log(out / "train_log.jsonl")
    losses = [r["loss"] for r in log if "loss" in r]
    assert len(losses) == 8 and losses[-1] < 0.6 * losses[0]  # the same 4 records every step: loss must fall
    assert all(r["tokens_per_second"] > 0 for r in log if "loss" in r)

    final = out / "model"
    assert (final / "model.safetensors").is_file() and not (final / "adapter_config.json").exists()
    info = json.loads((final / "adelie.json").read_text())
    manifest_hash = hashlib.sha256((instruct_dir / "manifest.json").read_bytes()).hexdigest()
    assert info["data"]["manifest_sha256"] == manifest_hash
    assert info["config"]["sft"]["max_steps"] == 8 and info["config"]["model"]["base"] == str(tiny_model_dir)
    assert info["metrics"]["global_step"] == 8 and "eval_loss" in info["metrics"]
    assert not list(out.glob(".model*"))  # the temporary directory was renamed into place

    # the saved tokenizer carries the training template, which renders prompts like the model's own template
    from adelie.models import load_tokenizer

    saved = load_tokenizer(str(final))
    base = load_tokenizer(str(tiny_model_dir))
    assert has_generation_markers(saved.chat_template) and saved.chat_template == base.chat_template
    prompt = [{"role": "user", "content": "Text: Obama."}]
    from transformers import AutoTokenizer

    own = AutoTokenizer.from_pretrained(tiny_model_dir)  # the original template, without generation markers
    assert saved.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True) == own.apply_chat_template(
        prompt, tokenize=False, add_generation_prompt=True
    )

    again = CliRunner().invoke(app, args)  # an existing run is not silently overwritten
    assert again.exit_code != 0 and "--resume" in str(again.exception)


def _expected_labels(tokenizer, messages: list[dict[str, str]]) -> tuple[list[int], list[int]]:
    """Token ids of the rendered conversation and the labels an exact assistant-only mask gives, computed from
    character offsets: a token is trained on iff it lies inside an assistant reply or the <|im_end|> closing it."""
    text = tokenizer.apply_chat_template(messages, tokenize=False)
    spans, cursor = [], 0
    for message in messages:
        if message["role"] == "assistant":
            start = text.index("<|im_start|>assistant\n" + message["content"], cursor) + len("<|im_start|>assistant\n")
            end = start + len(message["content"]) + len("<|im_end|>")
            assert text[start:end] == message["content"] + "<|im_end|>"
            spans.append((start, end))
            cursor = end
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    labels = [
        tid if any(s <= a and b <= e for s, e in spans) else -100
        for tid, (a, b) in zip(encoded["input_ids"], encoded["offset_mapping"], strict=True)
    ]
    return encoded["input_ids"], labels


@pytest.mark.parametrize(
    ("model", "sequences"),
    [("tiny", "padding_free"), ("tiny", "padded"), pytest.param("default", "padding_free", marks=pytest.mark.e2e)],
)
def test_assistant_only_masking_is_exact(tiny_model_dir: Path, tmp_path: Path, model: str, sequences: str):
    records = [ner_record(*SENTENCES[2], shots=2), ner_record(*SENTENCES[3]), ner_record(*SENTENCES[1], shots=1)]
    records[0]["messages"].insert(0, {"role": "system", "content": "You extract entities."})
    data = write_jsonl(tmp_path / "masking.jsonl", records)
    base = tiny_model_dir if model == "tiny" else "default"  # "default": SmolLM2-135M's real tokenizer
    profile = fast_profile(base, tmp_path, sft={"data": str(data), "sequences": sequences})
    trainer, info = build_sft_trainer(profile.model, profile.sft, tmp_path / "run")
    assert info["train_records"] == 3 and info["manifest_sha256"] is None
    tokenizer = trainer.processing_class
    batch = trainer.data_collator([trainer.train_dataset[i] for i in range(3)])

    if sequences == "padding_free":  # one flattened row; split it back at the position-id restarts
        assert "attention_mask" not in batch and batch["input_ids"].shape[0] == 1
        starts = [*(batch["position_ids"][0] == 0).nonzero().flatten().tolist(), batch["input_ids"].shape[1]]
        rows = [(batch["input_ids"][0, a:b], batch["labels"][0, a:b]) for a, b in itertools.pairwise(starts)]
    else:
        rows = [(ids[mask.bool()], labels[mask.bool()])
                for ids, labels, mask in zip(batch["input_ids"], batch["labels"], batch["attention_mask"], strict=True)]
    assert len(rows) == 3
    for record, (ids, labels) in zip(records, rows, strict=True):
        expected_ids, expected_labels = _expected_labels(tokenizer, record["messages"])
        assert ids.tolist() == expected_ids
        assert labels.tolist() == expected_labels
        trained = tokenizer.decode([t for t in expected_labels if t != -100])
        answers = [m["content"] + "<|im_end|>" for m in record["messages"] if m["role"] == "assistant"]
        assert trained == "".join(answers)


def test_padding_free_loss_equals_padded_loss_with_sdpa(tiny_model_dir: Path, tmp_path: Path):
    """The flattened batch gives the same loss as the padded one: no attention across records on sdpa."""
    records = [ner_record(*SENTENCES[2], shots=2), ner_record(*SENTENCES[3]), ner_record(*SENTENCES[1], shots=1)]
    data = write_jsonl(tmp_path / "records.jsonl", records)
    losses = {}
    for sequences in ("padding_free", "padded"):
        profile = fast_profile(tiny_model_dir, tmp_path, sft={"data": str(data), "sequences": sequences})
        trainer, _ = build_sft_trainer(profile.model, profile.sft, tmp_path / sequences)
        assert trainer.model.config._attn_implementation == "sdpa"
        batch = trainer.data_collator([trainer.train_dataset[i] for i in range(3)])
        trainer.model.eval()
        with torch.no_grad():
            losses[sequences] = trainer.compute_loss(trainer.model, batch).item()
    assert losses["padding_free"] == pytest.approx(losses["padded"], rel=1e-5)


def test_resume_continues_from_the_saved_step(tiny_model_dir: Path, instruct_dir: Path, tmp_path: Path):
    profile = fast_profile(tiny_model_dir, tmp_path, sft={"data": str(instruct_dir), "max_steps": 4, "save_steps": 2,
                                                          "per_device_batch_size": 2, "save_total_limit": None})
    uninterrupted = load_file(train_sft(profile) / "model.safetensors")
    run = Path(profile.sft.output)
    # simulate a run stopped after step 2: only checkpoint-2 survives, the log still has steps 3-4 of the dead run
    shutil.rmtree(run / "checkpoints" / "checkpoint-4")
    shutil.rmtree(run / "model")
    with pytest.raises(AdelieError, match="--resume"):
        train_sft(profile)
    resumed = load_file(train_sft(profile, resume=True) / "model.safetensors")

    info = json.loads((run / "model" / "adelie.json").read_text())
    assert info["metrics"]["global_step"] == 4
    steps = [r["step"] for r in read_log(run / "train_log.jsonl") if "loss" in r]
    assert steps == [1, 2, 3, 4]  # the dead run's steps 3-4 were replaced by the resumed ones
    assert uninterrupted.keys() == resumed.keys()
    for name, tensor in uninterrupted.items():  # same data order and RNG state: the same weights
        torch.testing.assert_close(resumed[name], tensor, atol=1e-6, rtol=1e-5)

    with pytest.raises(AdelieError, match="no checkpoint"):
        train_sft(dataclasses.replace(profile, sft=dataclasses.replace(profile.sft, output=str(tmp_path / "new"))),
                  resume=True)


def test_resume_from_the_final_step_only_exports(tiny_model_dir: Path, instruct_dir: Path, tmp_path: Path):
    # 4 records, batches of 1, 2 accumulated: 2 steps an epoch, so the run ends (and saves checkpoint-3) mid-epoch,
    # where the Trainer alone would go on to a 4th step
    profile = fast_profile(tiny_model_dir, tmp_path, sft={"data": str(instruct_dir), "max_steps": 3,
                                                          "per_device_batch_size": 1, "global_batch_size": 2})
    finished = load_file(train_sft(profile) / "model.safetensors")
    run = Path(profile.sft.output)
    assert sorted(p.name for p in (run / "checkpoints").glob("checkpoint-*")) == ["checkpoint-3"]
    shutil.rmtree(run / "model")  # stopped between the last checkpoint and the export
    exported = load_file(train_sft(profile, resume=True) / "model.safetensors")

    info = json.loads((run / "model" / "adelie.json").read_text())
    assert info["metrics"]["global_step"] == 3 and info["metrics"]["epoch"] == 1.5
    assert [r["step"] for r in read_log(run / "train_log.jsonl") if "loss" in r] == [1, 2, 3]
    assert not (run / "checkpoints" / "checkpoint-4").exists()
    for name, tensor in finished.items():
        assert torch.equal(exported[name], tensor), name

    longer = dataclasses.replace(profile, sft=dataclasses.replace(profile.sft, max_steps=4))
    train_sft(longer, resume=True)  # a larger max_steps still continues from the checkpoint
    assert [r["step"] for r in read_log(run / "train_log.jsonl") if "loss" in r] == [1, 2, 3, 4]


def test_lora_trains_and_merges(tiny_model_dir: Path, instruct_dir: Path, tmp_path: Path):
    lora = {"enabled": True, "r": 4, "alpha": 16, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]}
    profile = fast_profile(tiny_model_dir, tmp_path, sft={"data": str(instruct_dir), "lora": lora,
                                                          "learning_rate": 2e-2, "max_steps": 8})
    final = train_sft(profile)
    losses = [r["loss"] for r in read_log(Path(profile.sft.output) / "train_log.jsonl") if "loss" in r]
    assert losses[-1] < 0.8 * losses[0]

    assert not (final / "adapter_config.json").exists()  # merged: a plain model directory
    merged, base = load_file(final / "model.safetensors"), load_file(tiny_model_dir / "model.safetensors")
    assert merged.keys() == base.keys()
    changed = {k for k in base if not torch.equal(base[k], merged[k])}
    assert changed == {f"model.layers.{i}.self_attn.{p}.weight" for i in range(2) for p in ("q_proj", "v_proj")}
