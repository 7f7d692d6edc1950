"""Training profiles: shipped files load, the embedded default equals smol-cpu.yaml, mistakes are named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from adelie.errors import AdelieError, DataFormatError
from adelie.train.config import Profile, load_profile
from adelie.train.data import locate, preference_record, read_records, sft_record
from adelie.train.runtime import accumulation_steps

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_embedded_default_is_smol_cpu_yaml():
    assert load_profile(CONFIGS / "smol-cpu.yaml") == load_profile() == Profile()


def test_paper_profile_has_the_paper_hyperparameters():
    paper = load_profile(CONFIGS / "paper-7b.yaml")
    sft, dpo = paper.sft, paper.dpo
    assert (sft.learning_rate, sft.lr_scheduler, sft.warmup_ratio, sft.epochs) == (2e-5, "cosine", 0.03, 2)
    assert (sft.global_batch_size, sft.max_length, sft.max_steps) == (128, 2048, None)
    assert (dpo.learning_rate, dpo.lr_scheduler, dpo.warmup_ratio, dpo.epochs) == (5e-7, "linear", 0.1, 3)
    assert (dpo.global_batch_size, dpo.beta, dpo.loss_type, dpo.max_steps) == (32, 0.1, ["sigmoid"], None)


def test_quick_profile_loads_and_is_small():
    quick = load_profile(CONFIGS / "quick.yaml")
    assert quick.sft.max_steps <= 30 and quick.dpo.max_steps <= 30


def test_accumulation_gives_the_global_batch(monkeypatch: pytest.MonkeyPatch):
    sft = load_profile(CONFIGS / "paper-7b.yaml").sft
    monkeypatch.setenv("WORLD_SIZE", "8")
    assert accumulation_steps(sft, "sft") * sft.per_device_batch_size * 8 == 128
    monkeypatch.setenv("WORLD_SIZE", "3")
    with pytest.raises(AdelieError, match="global_batch_size"):
        accumulation_steps(sft, "sft")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sft:\n  learning_rte: 0.1\n", "unknown key 'sft.learning_rte'"),
        ("sft:\n  lora:\n    rank: 4\n", "unknown key 'sft.lora.rank'"),
        ("trainer:\n  x: 1\n", "unknown section 'trainer'"),
        ("dpo:\n  beta: 0\n", "dpo.beta must be positive"),
        ("sft:\n  per_device_batch_size: many\n", "sft.per_device_batch_size"),
        ("sft:\n  sequences: squeezed\n", "sft.sequences"),
        ("- a list\n", "expected a YAML mapping"),
    ],
)
def test_config_mistakes_name_the_file_and_key(tmp_path: Path, text: str, message: str):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AdelieError) as err:
        load_profile(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_other_stage_sections_are_kept_for_their_loaders(tmp_path: Path):
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump({"instruct": {"per_dataset_cap": 10}, "sft": {"max_steps": 3}}), encoding="utf-8")
    profile = load_profile(path)
    assert profile.other == {"instruct": {"per_dataset_cap": 10}} and profile.sft.max_steps == 3


def test_bad_records_name_the_file_and_line(tmp_path: Path):
    data = tmp_path / "train.jsonl"
    data.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n', encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"train\.jsonl, line 1: .*no assistant turn"):
        read_records(locate(tmp_path, "sft").train, sft_record)
    data.write_text('{"prompt": "p", "chosen": "c"}\n', encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"line 1: .*missing \['rejected'\]"):
        read_records(data, preference_record)
    with pytest.raises(AdelieError, match="does not exist"):
        locate(tmp_path / "missing", "sft")
