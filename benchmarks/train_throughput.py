"""SFT training throughput and peak memory: adelie's SFT settings vs a naive TRL baseline, same data, same steps.

    python benchmarks/train_throughput.py --data runs/instruct-small --steps 4 --batch 8 --rounds 2

The baseline is TRL's SFTTrainer with its defaults (padded batches, activation checkpointing on) in fp32; "adelie"
is `adelie.train.build_sft_trainer` with the embedded default profile (smol-cpu). Both see the same records in the
same order (same seed, same records per optimizer step), so they process the same real tokens; tokens/s counts
real (non-pad) tokens and leaves out the first step (warm-up). Each run is a separate process (so its peak RSS is
its own), and the variants alternate round by round, so a machine shared with other work slows them alike. Extra
variants are the adelie profile with overrides, e.g. `adelie+sequences=padded`, `adelie+precision=bf16` or
`adelie+lora.enabled=true`, and the baseline with SFTConfig overrides, e.g. `baseline+activation_checkpointing=false`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _records(data: str, max_length: int, limit: int) -> list[dict[str, Any]]:
    from adelie.train.config import ModelSettings
    from adelie.train.data import drop_long, locate, read_records, sft_record
    from adelie.train.runtime import load_for_training

    _, tokenizer = load_for_training(ModelSettings())
    records, _ = drop_long(read_records(locate(data, "sft").train, sft_record)[: limit * 2], tokenizer, max_length)
    return records[:limit]


def _override(variant: str, sft: Any) -> Any:
    """``sft`` with the overrides of an `adelie+key=value+...` variant (YAML values; `lora.enabled=true` style keys
    reach into the LoRA settings)."""
    import yaml

    for part in variant.split("+")[1:]:
        key, value = part.split("=", 1)
        if key.startswith("lora."):
            sft = dataclasses.replace(sft, lora=dataclasses.replace(sft.lora, **{key[5:]: yaml.safe_load(value)}))
        else:
            sft = dataclasses.replace(sft, **{key: yaml.safe_load(value)})
    return sft


class _StepClock:
    """Trainer callback: the time at the end of every optimizer step and the real tokens seen by then."""

    def __init__(self) -> None:
        self.marks: list[tuple[float, int]] = []
        self.trainer: Any = None

    def callback(self) -> Any:
        from transformers import TrainerCallback

        clock = self

        class Clock(TrainerCallback):
            def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
                clock.marks.append((time.perf_counter(), clock.trainer.real_tokens_seen))

        return Clock()


def worker(variant: str, data: Path, steps: int, batch: int, out_dir: Path) -> dict[str, Any]:
    """One training run in this process; returns its throughput and peak RSS."""
    import yaml
    from trl import SFTConfig, SFTTrainer

    from adelie.train import Profile, build_sft_trainer
    from adelie.train.config import ModelSettings
    from adelie.train.logs import ThroughputMixin
    from adelie.train.runtime import load_for_training
    from datasets import Dataset

    clock = _StepClock()
    if variant.split("+")[0] == "baseline":
        model, tokenizer = load_for_training(ModelSettings())
        records = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
        trainer_cls = type("Baseline", (ThroughputMixin, SFTTrainer), {})
        extra = {k: yaml.safe_load(v) for k, v in (p.split("=", 1) for p in variant.split("+")[1:])}
        args = SFTConfig(output_dir=str(out_dir), max_steps=steps, per_device_train_batch_size=batch, bf16=False,
                         use_cpu=True, report_to=[], save_strategy="no", logging_steps=1, seed=42, disable_tqdm=True,
                         **extra)
        trainer = trainer_cls(model=model, args=args, train_dataset=Dataset.from_list(records),
                              processing_class=tokenizer, callbacks=[clock.callback()])
    else:
        # `batch` records per optimizer step, micro-batches as the profile sets them (gradient accumulation)
        fields = {"data": str(data), "output": str(out_dir), "max_steps": steps, "global_batch_size": batch,
                  "save_steps": 10**6, "logging_steps": 1, "eval_max_records": 0, "report_to": []}
        sft = _override(variant, dataclasses.replace(Profile().sft, **fields))
        trainer, _ = build_sft_trainer(Profile().model, sft, out_dir)
        trainer.add_callback(clock.callback())
        trainer.args.disable_tqdm = True
    clock.trainer = trainer
    result = trainer.train()
    (t0, n0), (t1, n1) = clock.marks[0], clock.marks[-1]
    return {
        "variant": variant,
        "tokens": n1 - n0,
        "seconds": round(t1 - t0, 2),
        "tokens_per_second": round((n1 - n0) / (t1 - t0), 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "train_loss": round(result.training_loss, 4),
    }


def _machine() -> dict[str, Any]:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "torch": torch.__version__, "threads": torch.get_num_threads()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="IEInstruct build directory or SFT JSONL file")
    parser.add_argument("--steps", type=int, default=8, help="optimizer steps per run (the first is not timed)")
    parser.add_argument("--batch", type=int, default=8, help="records per step, for every variant")
    parser.add_argument("--rounds", type=int, default=2, help="runs per variant, alternating between variants")
    parser.add_argument("--variants", default="baseline,adelie", help="comma-separated: baseline, adelie[+k=v...]")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--records", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(worker(args.worker, args.records, args.steps, args.batch, Path(tmp))))
        return

    from adelie.train import Profile

    records = _records(args.data, Profile().sft.max_length, args.steps * args.batch)
    runs: list[dict[str, Any]] = []
    load = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "records.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        for round_ in range(args.rounds):
            for variant in args.variants.split(","):
                cmd = [sys.executable, __file__, "--worker", variant, "--records", str(data), "--steps",
                       str(args.steps), "--batch", str(args.batch), "--data", args.data]
                done = subprocess.run(cmd, capture_output=True, text=True, check=False)
                if done.returncode:
                    sys.exit(f"{variant} failed:\n{done.stderr[-3000:]}")
                run = json.loads(done.stdout.strip().splitlines()[-1]) | {"round": round_}
                load.append(os.getloadavg()[0])
                print(json.dumps(run), flush=True)
                runs.append(run)

    base = statistics.median(r["tokens_per_second"] for r in runs if r["variant"] == "baseline") if any(
        r["variant"] == "baseline" for r in runs) else None
    print(f"\nmachine: {_machine()}; load average during the runs: {min(load):.1f}-{max(load):.1f}")
    print(f"{len(records)} records, {args.steps} steps x {args.batch} records, {args.rounds} rounds (median)\n")
    print("| variant | tokens/s (median) | runs | vs baseline | peak RSS (MB) | train loss |")
    print("|---|---|---|---|---|---|")
    summary = []
    for variant in args.variants.split(","):
        mine = [r for r in runs if r["variant"] == variant]
        tps = statistics.median(r["tokens_per_second"] for r in mine)
        ratio = f"{tps / base:.2f}x" if base else "-"
        rss = max(r["peak_rss_mb"] for r in mine)
        print(f"| {variant} | {tps:.1f} | {', '.join(str(r['tokens_per_second']) for r in mine)} | {ratio} | {rss} "
              f"| {mine[0]['train_loss']} |")
        summary.append({"variant": variant, "tokens_per_second": tps, "peak_rss_mb": rss})
    if args.json:
        args.json.write_text(json.dumps({"machine": _machine(), "runs": runs, "summary": summary}, indent=2) + "\n")


if __name__ == "__main__":
    main()
