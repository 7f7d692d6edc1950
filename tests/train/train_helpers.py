"""Helpers for the training tests: IEInstruct/IEFeedback-shaped records and fast settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from adelie.train.config import Profile, profile_from_dict

SENTENCES = [
    ("Barack Obama was born in Honolulu.", "Barack Obama: person; Honolulu: location"),
    ("Apple Inc. is based in Cupertino, California.", "Apple Inc.: organization; Cupertino: location"),
    ("Marie Curie won the Nobel Prize in Physics.", "Marie Curie: person"),
    ("The European Union signed a trade agreement with Japan.", "European Union: organization; Japan: location"),
]


def ner_record(text: str, answer: str, shots: int = 0) -> dict[str, Any]:
    """A chat record like IEInstruct's: optional demonstration turns, then the question and its answer."""
    messages: list[dict[str, str]] = []
    for demo_text, demo_answer in SENTENCES[:shots]:
        messages += [
            {"role": "user", "content": f"Entity types: person, location, organization\nText: {demo_text}"},
            {"role": "assistant", "content": f"[Answer]: {demo_answer}"},
        ]
    messages += [
        {"role": "user", "content": f"Entity types: person, location, organization\nText: {text}"},
        {"role": "assistant", "content": f"[Answer]: {answer}"},
    ]
    return {"messages": messages, "dataset": "toy", "task": "ner", "id": text[:10]}


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def fast_profile(model_dir: Path | str, tmp_path: Path, **stage: Any) -> Profile:
    """A profile for a few quick steps on the tiny model; ``stage`` maps "sft"/"dpo" to field overrides."""
    common = {"per_device_batch_size": 4, "logging_steps": 1, "save_steps": 100, "eval_max_records": 0,
              "report_to": [], "precision": "fp32", "warmup_ratio": 0.0, "lr_scheduler": "constant",
              "max_steps": 6}
    return profile_from_dict({
        "model": {"base": str(model_dir)},
        "sft": {**common, "output": str(tmp_path / "sft"), "learning_rate": 5e-3, **stage.get("sft", {})},
        "dpo": {**common, "output": str(tmp_path / "dpo"), "learning_rate": 1e-3, **stage.get("dpo", {})},
    }, "test")
