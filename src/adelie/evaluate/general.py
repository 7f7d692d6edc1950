"""The general-ability check: does IE alignment leave general skills intact?

Multiple choice (ARC-Easy, ARC-Challenge, MMLU) is scored by log-likelihood: the prompt `Question: ...\\nAnswer:`
as plain text, each choice as the continuation ` <choice>`; `acc` picks the highest summed log-probability,
`acc_norm` the highest per character of the choice. GSM8K is scored by exact match of the last number of a greedy
chat answer with the number after `####`. Accuracies carry 95% bootstrap intervals.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adelie.errors import AdelieError, DataFormatError
from adelie.evaluate.bootstrap import DRAWS, mean_interval
from adelie.instruct.general import general_dir
from adelie.instruct.seeding import rng

SOURCES = ("arc_easy", "arc_challenge", "mmlu", "gsm8k")
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
GSM8K_INSTRUCTION = "Solve the problem step by step, then finish with a line `The answer is N.`"


@dataclass(frozen=True)
class ChoiceItem:
    """A multiple-choice question: the prompt, the choices, and the index of the right one."""

    id: str
    prompt: str
    choices: tuple[str, ...]
    gold: int


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise AdelieError(f"missing general-ability file {path}")
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                raise DataFormatError(path, n, "not a JSON record") from None
    return out


def read_arc(root: Path, level: str) -> list[ChoiceItem]:
    """ARC test questions (`arc/arc_{level}_test.jsonl`: query, choices, gold index)."""
    path = root / "arc" / f"arc_{level}_test.jsonl"
    items = []
    for n, r in enumerate(_jsonl(path)):
        if not (isinstance(r.get("choices"), list) and isinstance(r.get("gold"), int) and "query" in r):
            raise DataFormatError(path, n + 1, "expected query, choices (list) and gold (index)")
        items.append(ChoiceItem(f"arc_{level}/{n}", f"{r['query'].strip()}\nAnswer:", tuple(r["choices"]), r["gold"]))
    return items


def read_mmlu(root: Path) -> list[ChoiceItem]:
    """MMLU test questions of every subject (`mmlu/test/*_test.csv`: question, 4 choices, answer index)."""
    items = []
    for path in sorted((root / "mmlu" / "test").glob("*_test.csv")):
        subject = path.name.removesuffix("_test.csv")
        with path.open(encoding="utf-8", newline="") as f:
            for n, row in enumerate(csv.DictReader(f)):
                try:
                    choices = tuple(row[f"choice{i}"] for i in range(4))
                    items.append(ChoiceItem(f"mmlu/{subject}/{n}", f"Question: {row['question'].strip()}\nAnswer:",
                                            choices, int(row["answer"])))
                except (KeyError, ValueError, TypeError):
                    raise DataFormatError(path, n + 2, "expected question, choice0..3 and answer (0-3)") from None
    if not items:
        raise AdelieError(f"no MMLU test files in {root / 'mmlu' / 'test'}")
    return items


def read_gsm8k(root: Path) -> list[tuple[str, str, str]]:
    """GSM8K test problems as (id, question, final number)."""
    path = root / "gsm8k" / "test.jsonl"
    out = []
    for n, r in enumerate(_jsonl(path)):
        answer = str(r.get("answer", ""))
        if "question" not in r or "####" not in answer:
            raise DataFormatError(path, n + 1, "expected question and an answer ending in '#### N'")
        out.append((f"gsm8k/{n}", str(r["question"]), answer.rsplit("####", 1)[1].strip()))
    return out


def last_number(text: str) -> str | None:
    """The last number in `text` without thousands separators or a trailing `.0`; None when there is none."""
    found = _NUMBER.findall(text)
    if not found:
        return None
    num = found[-1].replace(",", "")
    return num[:-2] if num.endswith(".0") else num


def _subset(items: list[Any], limit: int | None, seed: int, name: str) -> list[Any]:
    if limit is None or limit >= len(items):
        return items
    return [items[i] for i in sorted(rng(seed, "general", name).sample(range(len(items)), limit))]


def choice_scores(model: Any, tokenizer: Any, item: ChoiceItem) -> list[tuple[float, int]]:
    """(summed log-probability, characters) of each choice continuing the item's prompt."""
    import torch

    ctx = tokenizer(item.prompt, add_special_tokens=False)["input_ids"]
    seqs = [tokenizer(item.prompt + " " + c, add_special_tokens=False)["input_ids"] for c in item.choices]
    width = max(len(s) for s in seqs)
    pad = tokenizer.pad_token_id or 0
    ids = torch.tensor([s + [pad] * (width - len(s)) for s in seqs], device=model.device)
    mask = torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in seqs], device=model.device)
    with torch.no_grad():
        logp = torch.log_softmax(model(input_ids=ids, attention_mask=mask).logits.float(), dim=-1)
    out = []
    for k, s in enumerate(seqs):
        start = min(len(ctx), len(s) - 1)  # first continuation token (shared prefix assumed, as BPE keeps it)
        total = sum(float(logp[k, t - 1, s[t]]) for t in range(max(start, 1), len(s)))
        out.append((total, max(1, len(item.choices[k]))))
    return out


def _accuracy(name: str, correct: Sequence[float], draws: int, seed: int) -> dict[str, Any]:
    acc = sum(correct) / len(correct) if correct else 0.0
    return {"n": len(correct), "acc": acc, "acc_ci": list(mean_interval(correct, draws, seed))}


def run_general(
    model_spec: str,
    out: str | Path,
    *,
    sources: Sequence[str] = SOURCES,
    limit: int | None = None,
    seed: int = 0,
    root: str | Path | None = None,
    max_new_tokens: int = 256,
    draws: int = DRAWS,
    dtype: str | None = "auto",
) -> dict[str, Any]:
    """Run the general-ability check; writes `general.json` and `general_predictions.jsonl` into `out`."""
    from adelie.generate import GenerationConfig, Generator
    from adelie.models import load_model

    unknown = sorted(set(sources) - set(SOURCES))
    if unknown:
        raise AdelieError(f"unknown general sources {', '.join(unknown)}; known: {', '.join(SOURCES)}")
    base = general_dir(root)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model, tokenizer = load_model(model_spec, dtype=dtype)
    results: dict[str, Any] = {}
    preds: list[dict[str, Any]] = []
    for name in sources:
        if name == "gsm8k":
            problems = _subset(read_gsm8k(base), limit, seed, name)
            config = GenerationConfig(max_new_tokens=max_new_tokens, seed=seed)
            gen = Generator(model, tokenizer, config, progress=False)
            convs = [[{"role": "user", "content": f"{q}\n\n{GSM8K_INSTRUCTION}"}] for _, q, _ in problems]
            outputs = gen.generate(convs)
            correct = []
            for (pid, _, gold), outs in zip(problems, outputs, strict=True):
                got = last_number(outs[0].text)
                correct.append(float(got is not None and got == last_number(gold)))
                preds.append({"id": pid, "output": outs[0].text, "answer": got, "gold": gold, "correct": correct[-1]})
            results[name] = _accuracy(name, correct, draws, seed)
            continue
        items = read_mmlu(base) if name == "mmlu" else read_arc(base, name.removeprefix("arc_"))
        acc, acc_norm = [], []
        for item in _subset(items, limit, seed, name):
            scores = choice_scores(model, tokenizer, item)
            best = max(range(len(scores)), key=lambda i: scores[i][0])
            best_norm = max(range(len(scores)), key=lambda i: scores[i][0] / scores[i][1])
            acc.append(float(best == item.gold))
            acc_norm.append(float(best_norm == item.gold))
            preds.append({"id": item.id, "pick": best, "pick_norm": best_norm, "gold": item.gold,
                          "logprobs": [s for s, _ in scores]})
        results[name] = {**_accuracy(name, acc, draws, seed), "acc_norm": sum(acc_norm) / len(acc_norm),
                         "acc_norm_ci": list(mean_interval(acc_norm, draws, seed))}
    metrics = {"model": model_spec, "limit": limit, "seed": seed, "general": results}
    (out / "general.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    (out / "general_predictions.jsonl").write_text("".join(json.dumps(p) + "\n" for p in preds), encoding="utf-8")
    return metrics
