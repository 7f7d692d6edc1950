"""Micro-batching: requests that arrive within a few milliseconds of each other share one model call.

One worker thread owns the extractor, so the model never runs concurrently. It waits for a first job, keeps
collecting jobs for `wait_s` (or until `max_batch` texts are waiting), groups them by (task, options) and calls
`extractor.extract` once per group. Each job's `Future` gets its own slice of the results. A job whose caller
gave up (its future was cancelled) before the model reached it is dropped without running.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

from adelie.errors import AdelieError

log = logging.getLogger(__name__)


class SupportsExtract(Protocol):
    """What the service needs from an extractor (adelie.extract.Extractor has it)."""

    def extract(self, task: str, texts: list[str], **options: Any) -> list[dict[str, Any]]: ...


class Overloaded(Exception):
    """More jobs are waiting than the batcher accepts."""


@dataclass
class Job:
    """One request's worth of texts, waiting for the model."""

    task: str
    texts: list[str]
    options: dict[str, Any]
    future: Future[list[dict[str, Any]]] = field(default_factory=Future)

    @property
    def key(self) -> tuple[str, str]:
        return self.task, json.dumps(self.options, sort_keys=True)


_STOP = None


class MicroBatcher:
    """Feeds jobs to `extractor.extract` from one background thread, batching jobs that arrive close together."""

    def __init__(self, extractor: SupportsExtract, max_batch: int = 16, wait_s: float = 0.005, max_pending: int = 256):
        self.extractor = extractor
        self.max_batch = max_batch
        self.wait_s = wait_s
        self._queue: queue.Queue[Job | None] = queue.Queue(maxsize=max_pending)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def pending(self) -> int:
        """Jobs waiting for the model (not counting the batch it is running)."""
        return self._queue.qsize()

    def submit(self, task: str, texts: Sequence[str], options: dict[str, Any]) -> Future[list[dict[str, Any]]]:
        """Queue `texts` for `task`; the future resolves to one result dict per text. Raises Overloaded."""
        self._ensure_started()
        job = Job(task, list(texts), dict(options))
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            raise Overloaded(f"{self._queue.maxsize} requests are already waiting") from None
        return job.future

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker after the batch it is running; jobs still queued are cancelled."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is None:
            return
        self._queue.put(_STOP)
        thread.join(timeout)
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job.future.cancel()

    def _ensure_started(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="adelie-extract", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            jobs, stop = self._collect()
            if jobs:
                self._process(jobs)
            if stop:
                return

    def _collect(self) -> tuple[list[Job], bool]:
        first = self._queue.get()
        if first is None:
            return [], True
        jobs, total = [first], len(first.texts)
        deadline = time.monotonic() + self.wait_s
        while total < self.max_batch:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                job = self._queue.get(timeout=remaining)
            except queue.Empty:
                break
            if job is None:
                return jobs, True
            jobs.append(job)
            total += len(job.texts)
        return jobs, False

    def _process(self, jobs: list[Job]) -> None:
        groups: dict[tuple[str, str], list[Job]] = {}
        for job in jobs:
            groups.setdefault(job.key, []).append(job)
        for group in groups.values():
            live = [job for job in group if job.future.set_running_or_notify_cancel()]
            if live:
                self._run_group(live)

    def _run_group(self, jobs: list[Job]) -> None:
        texts = [text for job in jobs for text in job.texts]
        try:
            results = self.extractor.extract(jobs[0].task, texts, **jobs[0].options)
            if len(results) != len(texts):
                raise RuntimeError(f"the extractor returned {len(results)} results for {len(texts)} texts")
        except Exception as exc:
            if not isinstance(exc, AdelieError):
                log.exception("extraction failed for a batch of %d texts", len(texts))
            for job in jobs:
                job.future.set_exception(exc)
            return
        start = 0
        for job in jobs:
            job.future.set_result(list(results[start : start + len(job.texts)]))
            start += len(job.texts)
