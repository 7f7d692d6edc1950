"""Generation throughput: adelie's batched backend vs naive one-at-a-time ``model.generate``, in the same run.

The prompts are a fixed, seeded set of real IE prompts (default 64) from held-out datasets, rendered with the
evaluation-only templates (canonical format), kept when they are 200-700 tokens long with the chat template and
their gold answer is short (at most 48 tokens). Both runs decode greedily with the same ``--max-new-tokens``.
llama.cpp is timed too when ``llama_cpp`` is importable (it is not installed by adelie).

    python benchmarks/generate_throughput.py [--model default] [--append BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import time
from collections import Counter, defaultdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import torch

from adelie.chat import end_of_turn_ids
from adelie.datasets import registry
from adelie.generate import GenerationConfig, Generator, render_prompts
from adelie.models import _dtype, load_model
from adelie.tasks import get_task

Conversation = list[dict[str, str]]


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def build_prompts(tokenizer: Any, n: int, seed: int, lo: int = 200, hi: int = 700, max_answer: int = 48,
                  per_split: int = 80) -> list[tuple[str, Conversation]]:
    """``n`` (dataset, conversation) pairs, drawn round-robin across held-out splits (seeded)."""
    by_dataset: dict[str, list[Conversation]] = defaultdict(list)
    for spec, split in registry.select(role="held-out"):
        examples = registry.load(spec.name, split.name, skip_invalid=True)
        examples = random.Random(f"{seed}/{spec.name}/{split.name}").sample(examples, min(per_split, len(examples)))
        for task in spec.tasks:
            module = get_task(task)
            templates = list(module.templates("eval"))
            for ex in examples:
                for inst in module.instances_from_spec(ex, spec)[:1]:
                    answer = module.render_answer(inst, "canonical")
                    if len(tokenizer(answer)["input_ids"]) > max_answer:
                        continue
                    template = random.Random(f"{seed}/{inst.example_id}").choice(templates)
                    convo = [{"role": "user", "content": module.render_prompt(inst, template, "canonical")}]
                    if lo <= len(render_prompts(tokenizer, [convo])[0]) <= hi:
                        by_dataset[spec.name].append(convo)
    names = sorted(by_dataset)
    out: list[tuple[str, Conversation]] = []
    while len(out) < n and any(by_dataset.values()):
        for name in names:
            if by_dataset[name] and len(out) < n:
                out.append((name, by_dataset[name].pop(0)))
    if len(out) < n:
        raise SystemExit(f"only {len(out)} prompts fit the length limits")
    return out


def run_backend(model: Any, tokenizer: Any, convos: list[Conversation], max_new: int, batch_size: int
                ) -> tuple[float, int, list[str]]:
    generator = Generator(model, tokenizer, GenerationConfig(max_new_tokens=max_new, batch_size=batch_size),
                          backend="transformers", progress=False)
    generator.generate(convos[:2])  # warm-up
    start = time.perf_counter()
    outputs = generator.generate(convos)
    seconds = time.perf_counter() - start
    return seconds, sum(o[0].num_tokens for o in outputs), [o[0].text for o in outputs]


def run_naive(model: Any, tokenizer: Any, convos: list[Conversation], max_new: int) -> tuple[float, int, list[str]]:
    stops = end_of_turn_ids(tokenizer, model.generation_config.eos_token_id)
    prompts = render_prompts(tokenizer, convos)

    def one(ids: list[int]) -> list[int]:
        inputs = torch.tensor([ids], device=model.device)
        with torch.no_grad():
            seq = model.generate(inputs, attention_mask=torch.ones_like(inputs), max_new_tokens=max_new,
                                 do_sample=False, eos_token_id=stops, pad_token_id=tokenizer.pad_token_id)
        new = seq[0, len(ids):].tolist()
        end = next((i + 1 for i, t in enumerate(new) if t in stops), len(new))
        return new[:end]

    one(prompts[0])  # warm-up
    start = time.perf_counter()
    generated = [one(p) for p in prompts]
    seconds = time.perf_counter() - start
    texts = [tokenizer.decode(g, skip_special_tokens=True) for g in generated]
    return seconds, sum(len(g) for g in generated), texts


def run_llama_cpp(convos: list[Conversation], max_new: int) -> tuple[float, int, list[str]] | None:
    """llama.cpp on the same GGUF file (Q4_1 weights, computed in Q4_1/Q8 kernels), one prompt at a time, with as
    many threads as torch uses; llama-cpp-python reuses the KV cache of a common prefix with the previous prompt."""
    try:
        import llama_cpp  # type: ignore[import-not-found]
    except ImportError:
        return None
    from adelie.models import default_gguf

    threads = torch.get_num_threads()
    llm = llama_cpp.Llama(model_path=str(default_gguf()), n_ctx=2048, n_threads=threads, n_threads_batch=threads,
                          seed=0, verbose=False)

    def one(convo: Conversation) -> tuple[int, str]:
        out = llm.create_chat_completion(messages=convo, max_tokens=max_new, temperature=0.0)
        return out["usage"]["completion_tokens"], out["choices"][0]["message"]["content"] or ""

    one(convos[0])  # warm-up
    llm.reset()
    start = time.perf_counter()
    results = [one(c) for c in convos]
    return time.perf_counter() - start, sum(n for n, _ in results), [t for _, t in results]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--n-prompts", type=int, default=64)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--append", type=Path, help="Markdown file to append the results to")
    args = parser.parse_args()

    model, tokenizer = load_model(args.model)
    picked = build_prompts(tokenizer, args.n_prompts, args.seed)
    convos = [c for _, c in picked]
    lengths = [len(p) for p in render_prompts(tokenizer, convos)]
    mix = ", ".join(f"{name} {count}" for name, count in sorted(Counter(d for d, _ in picked).items()))
    rows = []
    b_s, b_tok, b_txt = run_backend(model, tokenizer, convos, args.max_new_tokens, args.batch_size)
    rows.append((f"adelie Generator (transformers, batch {args.batch_size})", b_s, b_tok))
    n_s, n_tok, n_txt = run_naive(model, tokenizer, convos, args.max_new_tokens)
    rows.append(("naive model.generate, one prompt at a time", n_s, n_tok))
    auto = _dtype("auto", str(model.device))
    a_s = None
    if auto != model.dtype:  # the decoding commands' default (--dtype auto): bf16 where the hardware has it
        model.to(auto)
        a_s, a_tok, a_txt = run_backend(model, tokenizer, convos, args.max_new_tokens, args.batch_size)
        rows.append((f"adelie Generator, {str(auto).removeprefix('torch.')} weights (--dtype auto default)", a_s,
                     a_tok))
        model.to(torch.float32)
    llama = run_llama_cpp(convos, args.max_new_tokens)
    if llama is not None:
        l_s, l_tok, l_txt = llama
        rows.append((f"llama.cpp (llama-cpp-python {_version('llama-cpp-python')}, Q4_1 GGUF), one at a time",
                     l_s, l_tok))
    same = sum(a == b for a, b in zip(b_txt, n_txt, strict=True))

    device = str(model.device)
    machine = (torch.cuda.get_device_name(0) if device.startswith("cuda")
               else f"CPU {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads, "
                    f"{os.cpu_count()} cores")
    lines = [
        f"\n## Generation throughput ({datetime.date.today().isoformat()})\n",
        f"- machine: {machine}; torch {torch.__version__}; model {args.model} ({model.dtype}, {device})",
        "- command: `python benchmarks/generate_throughput.py "
        f"--n-prompts {args.n_prompts} --max-new-tokens {args.max_new_tokens} --batch-size {args.batch_size}`",
        f"- prompts: {len(convos)} held-out IE prompts (eval templates), {min(lengths)}-{max(lengths)} tokens "
        f"(mean {sum(lengths) / len(lengths):.0f}); {mix}",
        f"- greedy, max {args.max_new_tokens} new tokens; identical texts batched vs naive: {same}/{len(convos)}",
        "",
        "| backend | seconds | prompts/s | generated tokens/s | generated tokens |",
        "|---|---|---|---|---|",
        *(f"| {name} | {s:.1f} | {len(convos) / s:.2f} | {tok / s:.1f} | {tok} |" for name, s, tok in rows),
        "",
        f"Speed-up of the batched backend over naive generation: {n_s / b_s:.1f}x in prompts/s (same weights)"
        + (f", {n_s / a_s:.1f}x with its default precision; identical texts {str(auto).removeprefix('torch.')} "
           f"vs float32: {sum(a == b for a, b in zip(a_txt, b_txt, strict=True))}/{len(convos)}."
           if a_s is not None else "."),
    ]
    if llama is None:
        lines.append("llama.cpp: not measured (`llama_cpp` is not installed).")
    else:
        same_llama = sum(a.strip() == b.strip() for a, b in zip(l_txt, b_txt, strict=True))
        lines.append(f"Batched backend vs llama.cpp: {l_s / b_s:.2f}x in prompts/s (float32 weights)"
                     + (f", {l_s / a_s:.2f}x with its default precision" if a_s is not None else "")
                     + f"; identical texts llama.cpp vs batched float32: {same_llama}/{len(convos)}.")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.append:
        with args.append.open("a", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
