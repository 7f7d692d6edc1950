"""The record format shared by the training corpus and the evaluation prompts, and atomic JSONL writing.

A record is `{"messages": [{"role", "content"}, ...], "metadata": {...}}`: the chat `messages` that TRL's
SFT trainer consumes, and metadata with the same keys in every record (so the file loads as one table).
Evaluation records add `"instance"`: the prompt's `Instance` as plain JSON (`instance_to_dict`), from which
the evaluator rebuilds it (`instance_from_dict`) to call the task's parser and scorer.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from adelie.jsonl import jsonl_records
from adelie.schema import Table, Task
from adelie.tasks.base import Instance

METADATA_KEYS = ("dataset", "task", "split", "example_id", "template", "format", "shots", "has_explanation",
                 "no_answer", "knobs", "source")


def metadata(
    *,
    dataset: str,
    task: str,
    example_id: str,
    split: str = "train",
    template: str | None = None,
    fmt: str | None = None,
    shots: int = 0,
    has_explanation: bool = False,
    no_answer: bool = False,
    knobs: Iterable[str] = (),
    source: str | None = None,
) -> dict[str, Any]:
    """Record metadata with every key of `METADATA_KEYS` (None where it does not apply)."""
    return {
        "dataset": dataset, "task": task, "split": split, "example_id": example_id, "template": template,
        "format": fmt, "shots": shots, "has_explanation": has_explanation, "no_answer": no_answer,
        "knobs": sorted(knobs), "source": source,
    }


def _plain(value: Any) -> Any:
    """JSON-friendly copy: tuples become lists, mappings become dicts with string keys."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def instance_to_dict(inst: Instance) -> dict[str, Any]:
    """`inst` as plain JSON data."""
    return {
        "task": inst.task.value,
        "dataset": inst.dataset,
        "example_id": inst.example_id,
        "text": inst.text,
        "gold": [list(item) for item in inst.gold],
        "labels": list(inst.labels),
        "query": _plain(inst.query),
        "table": {"header": list(inst.table.header), "rows": [list(r) for r in inst.table.rows]}
        if inst.table is not None else None,
        "meta": _plain(inst.meta),
    }


def instance_from_dict(data: Mapping[str, Any]) -> Instance:
    """Rebuild the `Instance` that `instance_to_dict` wrote (meta values come back as JSON types)."""
    table = data.get("table")
    return Instance(
        task=Task(data["task"]),
        dataset=data["dataset"],
        example_id=data["example_id"],
        text=data["text"],
        gold=tuple(tuple(item) for item in data.get("gold", ())),
        labels=tuple(data.get("labels", ())),
        query=dict(data.get("query") or {}),
        table=Table(header=tuple(table["header"]), rows=tuple(tuple(r) for r in table["rows"])) if table else None,
        meta=dict(data.get("meta") or {}),
    )


def dumps(record: Mapping[str, Any]) -> str:
    """One JSONL line (UTF-8 text kept readable, key order as built)."""
    return json.dumps(record, ensure_ascii=False)


def write_jsonl(path: str | Path, records: Iterable[Mapping[str, Any]]) -> int:
    """Write `records` to `path` atomically (a temp file in the same folder, then a rename); the count."""
    return write_text(path, (dumps(r) + "\n" for r in records))


def write_text(path: str | Path, chunks: Iterable[str]) -> int:
    """Write text chunks to `path` atomically; the number of chunks written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    n = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            for chunk in chunks:
                f.write(chunk)
                n += 1
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Every record of a JSONL file written by the builder."""
    return [record for _, record in jsonl_records(path)]
