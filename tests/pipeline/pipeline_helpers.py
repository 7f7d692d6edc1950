"""Helpers for the pipeline tests: a recording reporter, a miniature of the general-ability data, and a pipeline
config of a few seconds per stage for the fake datasets (tests/instruct/fake_data.py) and the tiny random Llama."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from adelie.pipeline import Outcome


class Recorder:
    """A reporter keeping every call."""

    def __init__(self) -> None:
        self.outcomes: list[Outcome] = []
        self.started: list[tuple[str, str]] = []
        self.messages: list[str] = []

    def stage_start(self, stage: str, mode: str) -> None:
        self.started.append((stage, mode))

    def progress(self, stage: str, text: str) -> None:
        self.messages.append(f"{stage}: {text}")

    def stage_end(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)

    def status(self) -> dict[str, str]:
        return {o.stage: o.status for o in self.outcomes}


def write_general_checks(root: Path) -> None:
    """ARC, MMLU and GSM8K miniatures beside the fake general chat file."""
    (root / "arc").mkdir(parents=True, exist_ok=True)
    arc = [{"query": "Question: What gives plants energy?", "choices": ["sunlight", "rocks"], "gold": 0},
           {"query": "Question: Which is a fox?", "choices": ["a dog", "the quick brown fox"], "gold": 1},
           {"query": "Question: Which is lazy?", "choices": ["the dog", "the fox", "none"], "gold": 0}]
    (root / "arc" / "arc_easy_test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in arc))
    (root / "gsm8k").mkdir(exist_ok=True)
    gsm = [{"question": "1 + 1?", "answer": "1 + 1 = 2\n#### 2"}, {"question": "3 + 4?", "answer": "#### 7"}]
    (root / "gsm8k" / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in gsm))


def tiny_config(model_dir: Path, general: Path) -> dict[str, Any]:
    """A pipeline config of a few seconds per stage on the fake datasets and the tiny model."""
    train = {"per_device_batch_size": 2, "global_batch_size": 2, "logging_steps": 1, "report_to": [],
             "precision": "fp32", "warmup_ratio": 0.0, "lr_scheduler": "constant", "max_length": 512}
    return {
        "model": {"base": str(model_dir)},
        "instruct": {"seed": 7, "datasets": ["toyner", "toyre"], "per_dataset_cap": 6, "validation_per_dataset": 2,
                     "on_demand": {"cap": 4}, "general": {"share": 0.1, "sources": [str(general / "chat.jsonl")]},
                     "length": {"max_tokens": 512}},
        "sft": {**train, "max_steps": 3, "save_steps": 2, "eval_max_records": 2, "learning_rate": 5e-3},
        "feedback": {"datasets": ["toyner"], "prompts_per_dataset": 6, "samples": 2, "max_new_tokens": 12,
                     "batch_size": 6, "gold_share": 1.0},
        "dpo": {**train, "max_steps": 2, "save_steps": 1, "eval_max_records": 0, "learning_rate": 1e-3},
        "eval": {"heldout": "toyheld", "shots": [0, 2], "limit": 3, "indomain_datasets": ["toyner"],
                 "indomain_limit": 2, "general": ["arc_easy", "gsm8k"], "general_limit": 2,
                 "general_max_new_tokens": 8, "max_new_tokens": 12, "batch_size": 4, "draws": 20},
    }
