"""A fake extractor for the service tests: finds known words, records every call, can be slowed or blocked."""

from __future__ import annotations

import threading
import time
from typing import Any

KNOWN = {"Marie Curie": "person", "Warsaw": "location", "Paris": "location", "Sorbonne": "organization"}


def empty_result(text: str, task: str) -> dict[str, Any]:
    """A result dict of the Extractor contract with nothing extracted."""
    return {"text": text, "task": task, "entities": [], "relations": [], "events": [], "arguments": [],
            "triples": [], "table": None, "warnings": []}


def span(text: str, start: int, end: int, label: str, score: float = 0.9) -> dict[str, Any]:
    return {"start": start, "end": end, "text": text[start:end], "label": label, "score": score, "alignment": "exact"}


class FakeExtractor:
    """`extract` finds every KNOWN word whose label was asked for (ner), and gives fixed shapes for other tasks.

    `calls` records (task, number of texts, options) per call; `max_active` is the most calls ever running at
    once; `delay` slows each call; `gate`, when set, makes each call wait until it is opened; `fail` is raised.
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls: list[tuple[str, int, dict[str, Any]]] = []
        self.gate: threading.Event | None = None
        self.entered = threading.Event()
        self.fail: Exception | None = None
        self.max_active = 0
        self._active = 0
        self._lock = threading.Lock()

    def extract(self, task: str, texts: list[str], **options: Any) -> list[dict[str, Any]]:
        with self._lock:
            self._active += 1
            self.max_active = max(self.max_active, self._active)
            self.calls.append((task, len(texts), dict(options)))
        try:
            self.entered.set()
            if self.gate is not None:
                self.gate.wait(10)
            time.sleep(self.delay)
            if self.fail is not None:
                raise self.fail
            return [self._one(task, text, options) for text in texts]
        finally:
            with self._lock:
                self._active -= 1

    def _one(self, task: str, text: str, options: dict[str, Any]) -> dict[str, Any]:
        result = empty_result(text, task)
        found = sorted((text.find(word), word, label) for word, label in KNOWN.items() if word in text)
        if task == "ner":
            wanted = set(options["labels"])
            result["entities"] = [span(text, i, i + len(w), lab) for i, w, lab in found if lab in wanted]
        elif task == "relations" and len(found) >= 2:
            (i, w, lab), (j, v, lab2) = found[:2]
            label = options["relation_labels"][0]
            result["relations"] = [{"head": span(text, i, i + len(w), lab), "tail": span(text, j, j + len(v), lab2),
                                    "label": label, "score": 0.8}]
        elif task == "open_ie":
            result["warnings"] = ["no triples"]
        return result

