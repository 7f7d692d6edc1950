"""Training data: IEInstruct chat records for SFT, IEFeedback preference pairs for DPO, and the data manifest hash.

``data`` is a directory written by the IEInstruct builder (``train.jsonl``, ``validation.jsonl``, ``manifest.json``)
or the IEFeedback builder (``pairs.jsonl``, ``manifest.json``), or a single JSONL file. Only the columns a trainer
needs are kept (record metadata stays in the files). Records longer than the length limit are dropped, never
truncated: a cut record would lose the final answer that the loss is about.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adelie.errors import AdelieError, DataFormatError
from adelie.jsonl import jsonl_records

ROLES = ("system", "user", "assistant")
TRAIN_FILES = ("train.jsonl", "pairs.jsonl")  # IEInstruct, IEFeedback


@dataclass(frozen=True)
class DataSource:
    """Where a stage's data lives: the train file, the validation file (if any) and the manifest (if any)."""

    path: Path
    train: Path
    validation: Path | None
    manifest: Path | None

    def manifest_sha256(self) -> str | None:
        """sha256 of the builder's manifest.json (None for a bare JSONL file)."""
        return _sha256(self.manifest) if self.manifest else None

    def describe(self) -> dict[str, Any]:
        """Provenance for adelie.json: paths and hashes."""
        return {
            "path": str(self.path),
            "manifest_sha256": self.manifest_sha256(),
            "train_sha256": _sha256(self.train),
        }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def locate(data: str | Path | None, stage: str) -> DataSource:
    """The files of a build directory (``train.jsonl`` or ``pairs.jsonl``, ``validation.jsonl``, ``manifest.json``)
    or of a JSONL file."""
    if data is None:
        raise AdelieError(f"no training data for {stage}: set {stage}.data in the config or pass --data")
    path = Path(data).expanduser()
    if path.is_file():
        return DataSource(path, path, None, None)
    if not path.is_dir():
        raise AdelieError(f"{stage} data {path} does not exist: give a builder output directory or a JSONL file")
    found = [path / name for name in TRAIN_FILES if (path / name).is_file()]
    if not found:
        raise AdelieError(f"{path} has no {' or '.join(TRAIN_FILES)}: is it an IEInstruct/IEFeedback build directory?")
    train = found[0]
    validation = path / "validation.jsonl"
    manifest = path / "manifest.json"
    return DataSource(
        path, train, validation if validation.is_file() else None, manifest if manifest.is_file() else None
    )


def read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, record) pairs of a JSONL file; a line that is not a JSON object is a DataFormatError."""
    records = []
    for number, record in jsonl_records(path):
        if not isinstance(record, dict):
            raise DataFormatError(path, number, "expected a JSON object")
        records.append((number, record))
    if not records:
        raise DataFormatError(path, None, "no records")
    return records


def _messages(value: Any, path: Path, line: int, key: str) -> list[dict[str, str]]:
    if not isinstance(value, list) or not value:
        raise DataFormatError(path, line, f"{key!r} must be a non-empty list of {{role, content}} messages")
    out = []
    for turn in value:
        if not isinstance(turn, dict) or turn.get("role") not in ROLES or not isinstance(turn.get("content"), str):
            raise DataFormatError(
                path, line, f"each message in {key!r} needs a role in {list(ROLES)} and a string content, got {turn!r}"
            )
        out.append({"role": turn["role"], "content": turn["content"]})
    return out


def sft_record(record: dict[str, Any], path: Path, line: int) -> dict[str, Any]:
    """The trainer columns of one SFT record: ``{"messages": [...]}`` (conversational; prompt/completion message
    lists are joined into one conversation) or ``{"prompt": str, "completion": str}``."""
    if "messages" in record:
        messages = _messages(record["messages"], path, line, "messages")
    elif "prompt" in record and "completion" in record:
        prompt, completion = record["prompt"], record["completion"]
        if isinstance(prompt, str) and isinstance(completion, str):
            return {"prompt": prompt, "completion": completion}
        messages = _messages(prompt, path, line, "prompt") + _messages(completion, path, line, "completion")
    else:
        raise DataFormatError(path, line, "expected a 'messages' list or 'prompt' and 'completion' fields")
    if not any(m["role"] == "assistant" for m in messages):
        raise DataFormatError(path, line, "the conversation has no assistant turn, so there is nothing to learn")
    return {"messages": messages}


def preference_record(record: dict[str, Any], path: Path, line: int) -> dict[str, Any]:
    """The trainer columns of one preference pair: prompt, chosen, rejected (all strings, or message lists)."""
    missing = [k for k in ("prompt", "chosen", "rejected") if k not in record]
    if missing:
        raise DataFormatError(path, line, f"a preference pair needs 'prompt', 'chosen', 'rejected'; missing {missing}")
    if all(isinstance(record[k], str) for k in ("prompt", "chosen", "rejected")):
        return {k: record[k] for k in ("prompt", "chosen", "rejected")}
    pair = {k: _messages(record[k], path, line, k) for k in ("prompt", "chosen", "rejected")}
    for key in ("chosen", "rejected"):
        if [m["role"] for m in pair[key]] != ["assistant"]:
            raise DataFormatError(path, line, f"{key!r} must be a single assistant message")
    return pair


def read_records(path: Path, convert: Callable[[dict[str, Any], Path, int], dict[str, Any]]) -> list[dict[str, Any]]:
    """The converted records of a JSONL file; all must share one format (conversational or strings)."""
    records = [convert(record, path, line) for line, record in read_jsonl(path)]
    shapes = {(*sorted(r), isinstance(next(iter(r.values())), str)) for r in records}
    if len(shapes) > 1:
        raise DataFormatError(path, None, "records mix formats (messages vs prompt/completion, strings vs messages)")
    return records


def render_length(tokenizer: Any, record: dict[str, Any]) -> int:
    """Tokens of a record as the trainer will see it (the longer side of a preference pair)."""
    def tokens(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    def chat(messages: list[dict[str, str]]) -> int:
        return tokens(tokenizer.apply_chat_template(messages, tokenize=False))

    if "messages" in record:
        return chat(record["messages"])
    if "completion" in record:
        return tokens(record["prompt"] + record["completion"])
    if isinstance(record["prompt"], str):
        return max(tokens(record["prompt"] + record[k]) for k in ("chosen", "rejected"))
    return max(chat(record["prompt"] + record[k]) for k in ("chosen", "rejected"))


def drop_long(records: list[dict[str, Any]], tokenizer: Any, max_length: int) -> tuple[list[dict[str, Any]], int]:
    """Records within ``max_length`` tokens, and how many were dropped."""
    kept = [r for r in records if render_length(tokenizer, r) <= max_length]
    return kept, len(records) - len(kept)
