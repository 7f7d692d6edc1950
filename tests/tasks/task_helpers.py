"""Shared helpers for the task tests: instances built by hand and the normalised comparison."""

from __future__ import annotations

from collections.abc import Iterable

from adelie.schema import Task
from adelie.tasks import Instance, Item
from adelie.tasks.formats import item_key


def keys(items: Iterable[Item]) -> set[tuple[str, ...]]:
    """Items as a set in comparison form."""
    return {item_key(it) for it in items}


def make(task: Task, gold: Iterable[Item] = (), labels: Iterable[str] = (), **query: str) -> Instance:
    """A hand-made instance; `head`/`tail` in `query` also become the texts used by natural answers."""
    meta = {"instance_id": "x#0"}
    if "head" in query:
        meta["head_text"] = query["head"]
    if "tail" in query:
        meta["tail_text"] = query["tail"]
    return Instance(task=task, dataset="toy", example_id="x", text="Some text.", gold=tuple(gold),
                    labels=tuple(labels), query=query, meta=meta)
