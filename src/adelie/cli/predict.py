"""`adelie predict`: generate answers for a JSONL file of chat records (resumable)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from adelie.generate import GenerationConfig
from adelie.predict import predict_file

console = Console(stderr=True)


def predict(
    model: Annotated[str, typer.Option("--model", help="Model: 'default', a model directory, or a hub name.")],
    input: Annotated[Path, typer.Option("--input", help="JSONL records with `messages`.")],
    output: Annotated[Path, typer.Option("--output", help="JSONL output (appended to; rerun to resume).")],
    max_new_tokens: Annotated[int, typer.Option(help="Most tokens generated per answer.")] = 512,
    temperature: Annotated[float, typer.Option(help="0 = greedy.")] = 0.0,
    top_p: Annotated[float, typer.Option(help="Nucleus sampling threshold.")] = 1.0,
    n: Annotated[int, typer.Option("--n", help="Answers per record (`output` is a list when > 1).")] = 1,
    seed: Annotated[int, typer.Option(help="Sampling seed.")] = 0,
    batch_size: Annotated[int, typer.Option(help="Records per batch (and per flush).")] = 16,
    backend: Annotated[str, typer.Option(help="auto, transformers or vllm.")] = "auto",
    dtype: Annotated[str, typer.Option(
        help="Weights: auto (bfloat16 on GPUs and on CPUs with native bf16), float32 or bfloat16.")] = "auto",
) -> None:
    """Generate an `output` for every record of --input (a final assistant turn is the gold answer, not sent)."""
    config = GenerationConfig(
        max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p, n=n, seed=seed, batch_size=batch_size
    )
    report = predict_file(model, input, output, config, backend=backend, dtype=dtype)
    console.print(f"{output}: {report.written} records written, {report.skipped} already done, {report.total} in all")
