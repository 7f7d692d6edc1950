"""Batch prediction over a JSONL file of chat records, resumable.

Each input record has ``messages`` (a list of ``{"role", "content"}``); a final assistant turn is the gold answer
and is not sent to the model. Each output record is the input record plus ``output``: the generated text, or a list
of texts when ``n > 1``. Output records are written in input order, appended and flushed one batch at a time, so an
interrupted run loses at most one batch; rerunning skips the records already written (checked by position and
``messages``) and drops a partial last line.

Sampling is seeded per batch from ``(seed, position of the batch's first record)``, with batches aligned on
multiples of ``batch_size``: a run resumed after a lost batch gives the same outputs as an uninterrupted one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from adelie.errors import AdelieError, DataFormatError
from adelie.generate import Conversation, GenerationConfig, Generator
from adelie.instruct.seeding import rng
from adelie.jsonl import jsonl_records


@dataclass(frozen=True)
class PredictReport:
    """What a ``predict_file`` run did: records in the input, already done before this run, written by it."""

    total: int
    skipped: int
    written: int


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """The records of an input JSONL file; each must be an object with a non-empty ``messages`` list."""
    path = Path(path)
    records = []
    for lineno, record in jsonl_records(path, missing=f"input file {path} does not exist"):
        check_messages(record, path, lineno)
        records.append(record)
    return records


def check_messages(record: Any, path: Path, lineno: int) -> None:
    """Raise DataFormatError unless ``record`` is an object whose ``messages`` is a list of role/content strings."""
    messages = record.get("messages") if isinstance(record, dict) else None
    if not isinstance(messages, list) or not messages:
        raise DataFormatError(path, lineno, "expected an object with a non-empty `messages` list")
    for m in messages:
        if not (isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)):
            raise DataFormatError(path, lineno, "every message must be an object with string `role` and `content`")


def prompt_of(messages: Sequence[dict[str, str]]) -> Conversation:
    """The conversation sent to the model: ``messages`` without a final assistant turn (the gold answer)."""
    convo = [{"role": m["role"], "content": m["content"]} for m in messages]
    if convo and convo[-1]["role"] == "assistant":
        convo = convo[:-1]
    if not convo:
        raise AdelieError("a record holds only an assistant turn: there is no prompt to send")
    return convo


def read_done(output: Path, records: Sequence[dict[str, Any]]) -> int:
    """How many records ``output`` already holds; a partial or unreadable last line is cut off the file.

    Raises AdelieError when the file holds more records than the input or a record whose ``messages`` differ from
    the input record at the same position (the output belongs to another input).
    """
    if not output.is_file():
        return 0
    raw = output.read_bytes()
    lines = raw.split(b"\n")
    good_bytes, done = 0, 0
    for i, line in enumerate(lines):
        complete = i < len(lines) - 1  # the last piece has no newline after it
        if not line.strip():
            good_bytes += len(line) + complete
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            record = None
        if record is None or not complete:
            if complete and i < len(lines) - 2:
                raise DataFormatError(output, i + 1, "unreadable line before the end: remove the file to restart")
            break
        if done >= len(records):
            raise AdelieError(f"{output} holds more records than the input: it belongs to another input file")
        if record.get("messages") != records[done]["messages"]:
            raise AdelieError(
                f"{output}, line {i + 1}: record differs from input record {done + 1}: it belongs to another input "
                "file (remove it or choose another --output)"
            )
        good_bytes += len(line) + 1
        done += 1
    if good_bytes < len(raw):
        with output.open("r+b") as f:
            f.truncate(good_bytes)
    return done


def batch_seed(seed: int, start: int) -> int:
    """The sampling seed of the batch whose first record is at ``start``."""
    return rng(seed, "predict", start).randrange(2**31)


def predict_records(
    generator: Generator,
    records: Sequence[dict[str, Any]],
    config: GenerationConfig,
    write: Callable[[list[dict[str, Any]]], None],
    start: int = 0,
) -> int:
    """Generate for ``records[start:]`` one batch at a time (batches aligned on multiples of ``batch_size``),
    passing each batch's output records to ``write``; the number of records generated."""
    size = config.batch_size
    position, written = start, 0
    while position < len(records):
        end = min((position // size + 1) * size, len(records))
        batch = records[position:end]
        cfg = replace(config, seed=batch_seed(config.seed, position // size * size))
        outputs = generator.generate([prompt_of(r["messages"]) for r in batch], cfg)
        out = []
        for record, outs in zip(batch, outputs, strict=True):
            texts = [o.text for o in outs]
            out.append({**record, "output": texts[0] if config.n == 1 else texts})
        write(out)
        written += len(out)
        position = end
    return written


def predict_file(
    model: Any,
    input_path: str | Path,
    output_path: str | Path,
    config: GenerationConfig | None = None,
    *,
    tokenizer: Any = None,
    backend: str = "auto",
    progress: bool = True,
    dtype: str | None = None,
) -> PredictReport:
    """Generate an ``output`` for every record of ``input_path`` into ``output_path``, resuming a previous run.

    ``model`` is a model spec or directory (loaded only when something is left to do), or a loaded model with its
    ``tokenizer``.
    """
    config = config or GenerationConfig()
    records = read_records(input_path)
    output = Path(output_path)
    done = read_done(output, records)
    if done == len(records):
        return PredictReport(len(records), done, 0)
    generator = Generator(model, tokenizer, config, backend=backend, progress=progress,  # type: ignore[arg-type]
                          dtype=dtype)
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("a", encoding="utf-8", newline="\n") as f:

        def write(batch: list[dict[str, Any]]) -> None:
            f.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in batch))
            f.flush()
            os.fsync(f.fileno())

        written = predict_records(generator, records, config, write, start=done)
    return PredictReport(len(records), done, written)
