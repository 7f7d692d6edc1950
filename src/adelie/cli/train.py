"""`adelie train sft|dpo`: fine-tune a model from a profile file, with overrides for the common fields."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from adelie.train.config import Profile, check, load_profile

app = typer.Typer(help="Supervised fine-tuning and DPO (TRL), on CPU or GPUs (accelerate launch).",
                  no_args_is_help=True)
console = Console()

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="Profile YAML (default: the embedded smol-cpu profile).")
]
DataOpt = Annotated[str | None, typer.Option("--data", help="Build directory (train.jsonl, ...) or a JSONL file.")]
OutputOpt = Annotated[str | None, typer.Option("--output", "-o", help="Run directory (checkpoints, log, model/).")]
StepsOpt = Annotated[int | None, typer.Option("--max-steps", help="Stop after this many optimizer steps.")]
ResumeOpt = Annotated[bool, typer.Option("--resume", help="Continue from the run directory's last checkpoint.")]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="Delete an earlier run in the run directory first.")]


def _override(profile: Profile, section: str, source: str, **values: object) -> Profile:
    """``profile`` with the given (non-None) fields of ``section`` replaced, re-checked."""
    values = {k: v for k, v in values.items() if v is not None}
    stage = dataclasses.replace(getattr(profile, section), **values)
    profile = dataclasses.replace(profile, **{section: stage})
    check(profile, source)
    return profile


@app.command("sft")
def sft(
    config: ConfigOpt = None,
    model: Annotated[str | None, typer.Option("--model", help="Base model spec (overrides model.base).")] = None,
    data: DataOpt = None,
    output: OutputOpt = None,
    max_steps: StepsOpt = None,
    resume: ResumeOpt = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Supervised fine-tuning with loss on assistant turns only; writes <output>/model."""
    from adelie.train.sft import train_sft

    profile = load_profile(config)
    if model is not None:
        profile = dataclasses.replace(profile, model=dataclasses.replace(profile.model, base=model))
    profile = _override(profile, "sft", str(config or "default profile"), data=data, output=output,
                        max_steps=max_steps)
    final = train_sft(profile, resume=resume, overwrite=overwrite)
    console.print(f"SFT model saved to [bold]{final}[/]")


@app.command("dpo")
def dpo(
    config: ConfigOpt = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Policy to start from (default: the SFT stage's model).")
    ] = None,
    data: DataOpt = None,
    output: OutputOpt = None,
    max_steps: StepsOpt = None,
    beta: Annotated[float | None, typer.Option("--beta", help="DPO beta (default 0.1).")] = None,
    loss_type: Annotated[
        list[str] | None, typer.Option("--loss-type", help="TRL DPO loss type (repeat to combine); default sigmoid.")
    ] = None,
    resume: ResumeOpt = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """DPO from the SFT model against a frozen reference copy; writes <output>/model."""
    from adelie.train.dpo import train_dpo

    profile = load_profile(config)
    profile = _override(profile, "dpo", str(config or "default profile"), init=model, data=data, output=output,
                        max_steps=max_steps, beta=beta, loss_type=loss_type or None)
    final = train_dpo(profile, resume=resume, overwrite=overwrite)
    console.print(f"DPO model saved to [bold]{final}[/]")
