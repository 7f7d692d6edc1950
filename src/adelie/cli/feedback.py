"""`adelie build feedback`: sample an SFT model on training prompts, score the samples, write preference pairs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from adelie.feedback import build_feedback, load_feedback_config

console = Console(stderr=True)


def feedback(
    model: Annotated[str, typer.Option("--model", help="The SFT model directory (or 'default', a hub name).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder (pairs.jsonl, manifest.json, sample cache).")],
    config: Annotated[
        Path | None, typer.Option("--config", help="YAML file with a `feedback:` section (default: built-in).")
    ] = None,
    decoding: Annotated[
        str | None, typer.Option("--decoding", help="free (default: the model's own mistakes) or constrained.")
    ] = None,
) -> None:
    """Build IEFeedback preference pairs (TRL format) from train-role datasets; rerun to resume."""
    cfg = load_feedback_config(config)
    if decoding is not None:
        cfg = replace(cfg, decoding=decoding)
        cfg.check("--decoding")
    manifest = build_feedback(model, cfg, out, progress=lambda name: console.print(f"reading {name}"))
    console.print(
        f"{out}: {manifest['pairs']} pairs from {manifest['prompts']} prompts "
        f"({manifest['pairs_by_kind']}; {manifest['dropped_all_perfect']} all-perfect prompts dropped)"
    )


def register(app: typer.Typer) -> None:
    """Add the command to the `build` group when one is registered on `app` (call after it), else as `adelie
    feedback`."""
    for group in app.registered_groups:
        if group.name == "build" and group.typer_instance is not None:
            group.typer_instance.command("feedback")(feedback)
            return
    app.command("feedback")(feedback)
