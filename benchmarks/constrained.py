"""Constrained decoding: grammar compile time and per-token mask cost for the structured-generation libraries.

For adelie's answer grammars (``IETask.answer_grammar``), measured on real held-out instances:

* compile time of the grammar of a CrossNER sentence with its label list (14 labels) and of a Re-DocRED
  document with its 96 relation types, for xgrammar (adelie's choice; GBNF natively) and llguidance (through its
  own ``gbnf_to_lark``), and for outlines-core on the NER case (it takes a regular
  expression, so the NER grammar is written out as one: every span alternative spelled out);
* the per-token cost of the masks at batch 16: 16 CrossNER instances, each row replaying its gold answer token by
  token, every step computing all 16 masks and applying them to a (16, vocabulary) logits tensor, against the time
  of one batch-16 decoding step of the model (KV cache, prompts of about 300 tokens).

    pip install -e ".[bench-grammar]"    # llguidance and outlines-core, for their rows
    python benchmarks/constrained.py [--model default] [--dtype auto] [--json benchmarks/results/constrained.json]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import torch

from adelie.chat import end_of_turn_ids
from adelie.constrained import GrammarEngine
from adelie.datasets import get, load
from adelie.generate import render_prompts
from adelie.models import load_model
from adelie.tasks import get_task, instances_for
from adelie.tasks.base import Instance


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def cpu_flags() -> list[str]:
    """The CPU's native-bf16 and vector flags that decide torch's speed (avx2, avx512_bf16, amx_bf16)."""
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8") if Path("/proc/cpuinfo").exists() else ""
    return sorted(set(re.findall(r"\b(avx2|avx512_bf16|amx_bf16)\b", text)))


def instances(dataset: str, split: str, task: str, n: int) -> list[Instance]:
    """The first `n` instances of a set with a non-empty gold answer."""
    out = []
    for ex in load(dataset, split):
        for inst in instances_for(task, ex, get(dataset)):
            if inst.gold:
                out.append(inst)
            if len(out) == n:
                return out
    return out


def _timed(fn: Any, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def xgrammar_compile(tokenizer: Any, vocab: int, stop: list[int], grammar: str) -> float:
    import xgrammar as xgr

    info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab, stop_token_ids=stop)
    compiler = xgr.GrammarCompiler(info, max_threads=1, cache_enabled=False)
    compiler.compile_grammar('root ::= "warm up"')
    return _timed(lambda: compiler.compile_grammar(grammar))


def llguidance_tokenizer(tokenizer: Any, vocab: int, stop: list[int]) -> Any:
    import llguidance.hf

    return llguidance.hf.from_tokenizer(tokenizer, n_vocab=vocab, eos_token=stop)


def llguidance_matcher(lltok: Any, grammar: str) -> Any:
    import llguidance
    from llguidance.gbnf_to_lark import gbnf_to_lark

    matcher = llguidance.LLMatcher(lltok, llguidance.LLMatcher.grammar_from_lark(gbnf_to_lark(grammar)))
    if matcher.is_error():
        raise RuntimeError(matcher.get_error())
    return matcher


def ner_regex(inst: Instance) -> str:
    """The NER canonical grammar as a regular expression (for outlines-core): every span spelled out."""
    from adelie.tasks.formats import field
    from adelie.tasks.grammar import MAX_SPAN_TOKENS, text_tokens

    toks = text_tokens(inst.text)
    spans = set()
    for i, (s, _, kind) in enumerate(toks):
        if kind == "other":
            continue
        for j in range(i, min(len(toks), i + MAX_SPAN_TOKENS)):
            piece = inst.text[s : toks[j][1]]
            if any(c in ";:\n" for c in piece):
                break
            if toks[j][2] != "other":
                spans.add(piece)
    span = "(?:" + "|".join(re.escape(x) for x in sorted(spans)) + ")"
    label = "(?:" + "|".join(re.escape(field(lab, ";:")) for lab in inst.labels) + ")"
    item = f"{span}: {label}"
    return rf"\[Answer\]: (?:NA|{item}(?:; {item})*)"


def _byte_decoder() -> dict[str, int]:
    """GPT-2's byte-level alphabet, inverted: the character that stands for each byte -> the byte."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), 256))
    chars, extra = list(keep), 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(keep, chars, strict=True)}


def outlines_compile(tokenizer: Any, stop: list[int], regex: str) -> float:
    from outlines_core import Index, Vocabulary

    decoder, by_bytes = _byte_decoder(), {}
    special = set(tokenizer.all_special_ids)
    for token, i in tokenizer.get_vocab().items():
        if i in special:
            continue
        raw = bytes(decoder[c] for c in token) if all(c in decoder for c in token) else token.encode()
        by_bytes.setdefault(raw, []).append(i)
    vocab = Vocabulary(stop[0], by_bytes)
    t = time.perf_counter()
    Index(regex, vocab)
    return time.perf_counter() - t


def mask_cost(engine_kind: str, tokenizer: Any, vocab: int, stop: list[int], rows: list[Instance]) -> dict[str, Any]:
    """Mean seconds per decoding step to compute and apply the masks of all rows (each replaying its gold answer)."""
    task = get_task("ner")
    grammars = [task.answer_grammar(inst, "canonical") for inst in rows]
    answers = [tokenizer(task.render_answer(inst, "canonical"), add_special_tokens=False)["input_ids"] + [stop[0]]
               for inst in rows]
    logits = torch.randn(len(rows), vocab)
    steps = max(len(a) for a in answers)
    if engine_kind == "xgrammar":  # adelie's own path (adelie.constrained)
        engine = GrammarEngine(tokenizer, vocab, stop)
        matchers = [engine.matcher(engine.compile(g)) for g in grammars]
        mask = engine.new_mask(len(rows))
        t0 = time.perf_counter()
        for step in range(steps):
            live = [m if step < len(a) else None for m, a in zip(matchers, answers, strict=True)]
            work = logits.clone()
            engine.apply(work, live, mask)
            for m, a in zip(live, answers, strict=True):
                if m is not None:
                    assert engine.advance(m, a[step])
        elapsed = time.perf_counter() - t0
    else:  # llguidance: its own mask filling, the same apply kernel (xgrammar's) for both rows
        import llguidance.torch as llt
        import xgrammar as xgr

        lltok = llguidance_tokenizer(tokenizer, vocab, stop)
        matchers = [llguidance_matcher(lltok, g) for g in grammars]
        mask = llt.allocate_token_bitmask(len(rows), vocab)
        t0 = time.perf_counter()
        for step in range(steps):
            work = logits.clone()
            idx = [j for j, a in enumerate(answers) if step < len(a) and not matchers[j].is_stopped()]
            for j in idx:
                llt.fill_next_token_bitmask(matchers[j], mask, j)
            if idx:
                xgr.apply_token_bitmask_inplace(work, mask, vocab_size=vocab, indices=idx)
            for j in idx:
                assert matchers[j].consume_token(answers[j][step]), (j, step)
        elapsed = time.perf_counter() - t0
    return {"steps": steps, "seconds_per_step": elapsed / steps}


def model_step(model: Any, tokenizer: Any, rows: list[Instance], steps: int = 24) -> float:
    """Seconds per batch-16 decoding step of the model (KV cache), prompts built from the rows' texts."""
    from transformers import DynamicCache

    task = get_task("ner")
    template = task.templates("eval")[0]
    convs = [[{"role": "user", "content": task.render_prompt(inst, template, "canonical")}] for inst in rows]
    prompts = render_prompts(tokenizer, convs)
    width = max(len(p) for p in prompts)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts])
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    cache = DynamicCache(config=model.config)
    with torch.inference_mode():
        out = model(input_ids=ids, attention_mask=mask, position_ids=pos, past_key_values=cache, use_cache=True,
                    logits_to_keep=1)
        token = out.logits[:, -1].argmax(-1)
        pos = pos[:, -1:]
        t0 = time.perf_counter()
        for _ in range(steps):
            mask = torch.cat([mask, mask.new_ones(mask.shape[0], 1)], dim=1)
            pos = pos + 1
            out = model(input_ids=token[:, None], attention_mask=mask, position_ids=pos, past_key_values=cache,
                        use_cache=True)
            token = out.logits[:, -1].float().argmax(-1)
    return (time.perf_counter() - t0) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--json", default="benchmarks/results/constrained.json")
    args = parser.parse_args()

    model, tokenizer = load_model(args.model, dtype=args.dtype)
    vocab = int(model.config.vocab_size)
    stop = end_of_turn_ids(tokenizer, model.generation_config.eos_token_id)
    ner = [i for i in instances("crossner_ai", "test", "ner", 64) if len(i.labels) >= 10][:16]
    doc = instances("re_docred", "test", "relation_extraction", 1)[0]
    g_ner = get_task("ner").answer_grammar(ner[0], "canonical")
    g_doc = get_task("relation_extraction").answer_grammar(doc, "canonical")
    results: dict[str, Any] = {
        "cases": {
            "crossner_sentence": {"labels": len(ner[0].labels), "chars": len(ner[0].text),
                                  "grammar_chars": len(g_ner)},
            "redocred_document": {"labels": len(doc.labels), "chars": len(doc.text), "grammar_chars": len(g_doc)},
        },
        "rows": {},
    }
    rows = results["rows"]
    rows["xgrammar (adelie)"] = {
        "version": _version("xgrammar"),
        "compile_ner_s": xgrammar_compile(tokenizer, vocab, stop, g_ner),
        "compile_redocred_s": xgrammar_compile(tokenizer, vocab, stop, g_doc),
        **mask_cost("xgrammar", tokenizer, vocab, stop, ner),
    }
    try:
        lltok = llguidance_tokenizer(tokenizer, vocab, stop)
        rows["llguidance"] = {
            "version": _version("llguidance"),
            "compile_ner_s": _timed(lambda: llguidance_matcher(lltok, g_ner)),
            "compile_redocred_s": _timed(lambda: llguidance_matcher(lltok, g_doc)),
            **mask_cost("llguidance", tokenizer, vocab, stop, ner),
        }
    except ImportError as exc:
        rows["llguidance"] = {"version": _version("llguidance"), "error": f"{exc} (pip install -e '.[bench-grammar]')"}
    try:
        rows["outlines-core"] = {"version": _version("outlines_core"),
                                 "compile_ner_s": outlines_compile(tokenizer, stop, ner_regex(ner[0]))}
    except Exception as exc:  # a benchmark row that failed (or is not installed) is reported, not fatal
        rows["outlines-core"] = {"version": _version("outlines_core"), "error": f"{type(exc).__name__}: {exc}"[:300]}
    step = model_step(model, tokenizer, ner)
    for row in rows.values():
        if "seconds_per_step" in row:
            row["mask_share_of_step"] = row["seconds_per_step"] / (step + row["seconds_per_step"])
    results.update({
        "benchmark": "constrained",
        "date": datetime.date.today().isoformat(),
        "command": "python benchmarks/constrained.py " + " ".join(f"--{k} {v}" for k, v in vars(args).items()),
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "cpu_flags": cpu_flags(), "torch_threads": torch.get_num_threads(), "torch": torch.__version__},
        "model": {"spec": args.model, "dtype": str(model.dtype), "vocab": vocab},
        "model_step_s_batch16": step,
    })
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
