"""Fixtures for the training tests: small IEInstruct/IEFeedback-shaped builds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from train_helpers import SENTENCES, ner_record, write_jsonl


@pytest.fixture
def instruct_dir(tmp_path: Path) -> Path:
    """An IEInstruct-shaped build: train.jsonl (4 records), validation.jsonl and manifest.json."""
    folder = tmp_path / "instruct"
    write_jsonl(folder / "train.jsonl", [ner_record(t, a, shots=i % 2) for i, (t, a) in enumerate(SENTENCES)])
    write_jsonl(folder / "validation.jsonl", [ner_record(*SENTENCES[0])])
    (folder / "manifest.json").write_text(json.dumps({"seed": 42, "records": 4}) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def feedback_dir(tmp_path: Path) -> Path:
    """IEFeedback-shaped preference pairs (TRL conversational format plus metadata)."""
    pairs = []
    for text, answer in SENTENCES:
        pairs.append({
            "prompt": [{"role": "user", "content": f"Entity types: person, location, organization\nText: {text}"}],
            "chosen": [{"role": "assistant", "content": f"[Answer]: {answer}"}],
            "rejected": [{"role": "assistant", "content": "[Answer]: NA"}],
            "dataset": "toy", "chosen_f1": 1.0, "rejected_f1": 0.0,
        })
    return write_jsonl(tmp_path / "feedback" / "pairs.jsonl", pairs).parent
