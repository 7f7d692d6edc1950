"""Teacher explanations: ask an OpenAI-compatible chat endpoint to explain gold answers, keep the consistent
ones, and store them for the builder to merge.

The teacher sees the task prompt and the gold answer and is asked to explain it and restate it after a final
`Answer:` line. An explanation is kept only when (1) the restated answer, read with the task's own parser,
matches the gold exactly (full precision and recall under the task's scorer; an empty gold needs an empty
answer), and (2) the explanation names every gold item: for each item at least one of its fields appears in
it (case-insensitive). Anything else is discarded, never repaired: explanations are not fabricated.

Responses are cached on disk by a hash of the request, so re-running costs nothing; transient failures
(network errors, HTTP 429 and 5xx) are retried with exponential backoff. The API key comes from an
environment variable (default ADELIE_TEACHER_API_KEY), never from a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from adelie.errors import AdelieError, DataFormatError
from adelie.instruct.config import InstructConfig
from adelie.instruct.records import dumps, write_text
from adelie.jsonl import jsonl_records
from adelie.tasks.base import IETask, Instance, Template

API_KEY_ENV = "ADELIE_TEACHER_API_KEY"
SYSTEM = "You are an expert annotator of information extraction data. You explain answers faithfully and briefly."
REQUEST = (
    "The correct answer to the task above is:\n{answer}\n\n"
    "Explain briefly, step by step, how the text supports this answer: why each item is included and why "
    "nothing else qualifies. Do not change the answer. Finish with the answer exactly as given above, on its own "
    "line starting with \"[Answer]:\"."
)


def instance_key(inst: Instance) -> str:
    """A stable key for an instance: its task, dataset, example, text and query (not its labels or gold)."""
    payload = json.dumps([inst.task.value, inst.dataset, inst.example_id, inst.text, sorted(inst.query.items())],
                         ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def gold_signature(inst: Instance) -> list[Any]:
    """The gold answer in a comparable form (sorted items, or the table)."""
    if inst.table is not None:
        return [list(inst.table.header), *sorted(list(r) for r in inst.table.rows)]
    return sorted(list(item) for item in inst.gold)


def teacher_messages(task: IETask, inst: Instance, template: Template, no_answer: str = "NA") -> list[dict[str, str]]:
    """The request to the teacher: the canonical task prompt followed by the gold answer."""
    prompt = task.render_prompt(inst, template, "canonical", no_answer)
    answer = task.render_answer(inst, "canonical", None, no_answer)
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": prompt + "\n\n" + REQUEST.format(answer=answer)}]


_ANSWER_LINE = re.compile(r"^[\s*#>_]*\[?\s*(?:final\s+)?answer\s*\]?[\s*_]*:", re.I)


def split_response(text: str) -> tuple[str, str] | None:
    """(explanation, stated answer) around the last line starting with `[Answer]:` or `Answer:`; None when
    there is none."""
    lines = text.strip().splitlines()
    for i in range(len(lines) - 1, -1, -1):
        m = _ANSWER_LINE.match(lines[i])
        if m:
            stated = "\n".join([lines[i][m.end():].strip(), *lines[i + 1:]]).strip()
            body = "\n".join(lines[:i]).strip()
            for prefix in ("[Explanation]:", "Explanation:"):
                body = body.removeprefix(prefix).strip()
            return body, stated
    return None


def _mentions_all(explanation: str, inst: Instance) -> bool:
    low = explanation.lower()
    items = inst.gold if inst.table is None else inst.table.rows
    return all(any(f and f.lower() in low for f in item) for item in items)


def consistent_explanation(task: IETask, inst: Instance, response: str) -> tuple[str | None, str]:
    """The explanation in `response` when it is consistent with the gold answer, else None; and why."""
    parts = split_response(response)
    if parts is None:
        return None, "no final 'Answer:' line"
    body, stated = parts
    if not body:
        return None, "no explanation before the answer"
    parsed = task.parse(stated, inst)
    if not parsed.ok:
        return None, "stated answer unreadable"
    c = task.score(parsed, inst)
    if c.pred - c.tp_pred > 1e-6 or c.gold - c.tp_gold > 1e-6:  # table cells are scored softly
        return None, "stated answer differs from the gold"
    if not _mentions_all(body, inst):
        return None, "explanation does not mention every gold item"
    return body, "ok"


@dataclass
class TeacherClient:
    """A cached, retrying client for `POST {endpoint}/chat/completions`."""

    endpoint: str
    model: str
    cache_dir: Path
    api_key_env: str = API_KEY_ENV
    retries: int = 4
    backoff: float = 1.0  # seconds; doubled after each failed attempt
    timeout: float = 120.0
    max_tokens: int = 768
    temperature: float = 0.0
    calls: int = field(default=0, init=False)  # requests actually sent (cache misses)

    def _request(self, messages: Sequence[Mapping[str, str]]) -> dict[str, Any]:
        return {"model": self.model, "messages": list(messages), "temperature": self.temperature,
                "max_tokens": self.max_tokens}

    def cache_path(self, messages: Sequence[Mapping[str, str]]) -> Path:
        digest = hashlib.sha256(json.dumps(self._request(messages), sort_keys=True).encode()).hexdigest()
        return self.cache_dir / f"{digest}.json"

    def chat(self, messages: Sequence[Mapping[str, str]]) -> str:
        """The assistant reply to `messages` (from the cache when this request was made before)."""
        path = self.cache_path(messages)
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))["content"]
        content = self._post(self._request(messages))
        write_text(path, [json.dumps({"model": self.model, "content": content}, ensure_ascii=False)])
        return content

    def _post(self, body: dict[str, Any]) -> str:
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        url = self.endpoint.rstrip("/") + "/chat/completions"
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            self.calls += 1
            try:
                resp = httpx.post(url, json=body, headers=headers, timeout=self.timeout)
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
                continue
            if resp.status_code == 429 or resp.status_code >= 500:
                last = f"HTTP {resp.status_code}"
                continue
            if resp.status_code >= 400:
                raise AdelieError(f"teacher endpoint {url} refused the request: HTTP {resp.status_code} "
                                  f"{resp.text[:200]}")
            try:
                return str(resp.json()["choices"][0]["message"]["content"] or "")
            except (ValueError, KeyError, IndexError, TypeError):
                raise AdelieError(f"teacher endpoint {url} answered without choices[0].message.content: "
                                  f"{resp.text[:200]}") from None
        raise AdelieError(f"teacher endpoint {url} failed after {self.retries + 1} attempts (last: {last})")


@dataclass
class ExplainItem:
    """One instance to explain, with the task and template its prompt uses."""

    task: IETask
    inst: Instance
    template: Template


@dataclass
class ExplainResult:
    """What an explain run kept, and why the rest was discarded."""

    kept: list[dict[str, Any]]
    reasons: dict[str, int]


def explain(items: Sequence[ExplainItem], client: TeacherClient, no_answer: str = "NA",
            workers: int = 4) -> ExplainResult:
    """Ask the teacher about each item (in parallel, results in input order) and keep the consistent ones."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        replies = list(pool.map(
            lambda it: client.chat(teacher_messages(it.task, it.inst, it.template, no_answer)), items
        ))
    kept, reasons = [], {}
    for it, reply in zip(items, replies, strict=True):
        text, why = consistent_explanation(it.task, it.inst, reply)
        reasons[why] = reasons.get(why, 0) + 1
        if text is not None:
            kept.append({"key": instance_key(it.inst), "task": it.inst.task.value, "dataset": it.inst.dataset,
                         "example_id": it.inst.example_id, "gold": gold_signature(it.inst),
                         "explanation": text, "teacher": client.model})
    return ExplainResult(kept, dict(sorted(reasons.items())))


def write_explanations(path: str | Path, records: Sequence[Mapping[str, Any]]) -> int:
    """Write explanation records as JSONL (atomically), merged with those already in `path` (new ones win)."""
    path = Path(path)
    merged = load_explanations(path) if path.is_file() else {}
    for r in records:
        merged[r["key"]] = dict(r)
    return write_text(path, (dumps(r) + "\n" for _, r in sorted(merged.items())))


def load_explanations(path: str | Path) -> dict[str, dict[str, Any]]:
    """key -> explanation record, from a file written by `write_explanations`."""
    path = Path(path)
    out: dict[str, dict[str, Any]] = {}
    missing = f"explanations file {path} does not exist (write one with `adelie build explain`)"
    for lineno, rec in jsonl_records(path, missing=missing):
        if not (isinstance(rec, dict) and isinstance(rec.get("key"), str)
                and isinstance(rec.get("explanation"), str) and isinstance(rec.get("gold"), list)):
            raise DataFormatError(path, lineno, "expected an object with string key, string explanation and list gold")
        out[rec["key"]] = rec
    return out


def default_cache_dir() -> Path:
    """Where teacher responses are cached: <adelie cache root>/teacher."""
    from adelie.models import cache_root

    return cache_root() / "teacher"


def sample_items(cfg: InstructConfig, n: int) -> list[ExplainItem]:
    """`n` training instances to explain, taken in turn from each dataset of the config (seeded), each with a
    training template. Instances are unperturbed: the builder uses an explanation only when a record shows
    the same gold answer."""
    from adelie.instruct.guard import GuardReport, protected_index
    from adelie.instruct.pool import build_pools
    from adelie.instruct.seeding import rng
    from adelie.tasks import get_task

    pools = build_pools(cfg, protected_index(cfg.data_dir), GuardReport())
    queues = []
    for p in pools:
        order = rng(cfg.seed, "explain", p.name).sample(range(len(p.train)), len(p.train))
        queues.append([p.train[i] for i in order])
    picked = []
    for rank in range(max((len(q) for q in queues), default=0)):
        picked += [q[rank] for q in queues if rank < len(q)]
        if len(picked) >= n:
            break
    items = []
    for c in picked[:n]:
        task = get_task(c.task)
        template = rng(cfg.seed, "explain-template", c.dataset, c.key).choice(list(task.templates("train")))
        items.append(ExplainItem(task, c.inst, template))
    return items


def run_explain(cfg: InstructConfig, client: TeacherClient, n: int, out: str | Path, workers: int = 4
                ) -> tuple[ExplainResult, int]:
    """Explain `n` sampled training instances and merge the kept explanations into `out`; (result, records
    now in the file)."""
    result = explain(sample_items(cfg, n), client, cfg.no_answer, workers)
    return result, write_explanations(out, result.kept)
