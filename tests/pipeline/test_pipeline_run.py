"""The whole pipeline on the fake datasets and the tiny model: stages, manifests, report; skip, change, force and
resume."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pipeline_helpers import Recorder
from typer.testing import CliRunner

from adelie.pipeline import STAGES, PipelineError, load_pipeline_config, pipeline_config_from_dict, read_manifest
from adelie.pipeline import report as report_module
from adelie.pipeline import runner as runner_module
from adelie.pipeline.config import merge
from adelie.pipeline.runner import git_revision, run_pipeline
from adelie.train.logs import read_log


def _manifests(run_dir: Path) -> dict[str, Any]:
    return {s: read_manifest(run_dir / s) for s in STAGES}


def _rerun(fake_env: dict[str, Any], run_dir: Path, change: dict[str, Any] | None = None, **kw: Any) -> Recorder:
    recorder = Recorder()
    config = pipeline_config_from_dict(merge(fake_env["data"], change or {}), run_dir)
    run_pipeline(config, reporter=recorder, **kw)
    return recorder


def test_every_stage_runs_and_is_recorded(finished_run: tuple[Path, Recorder], fake_env: dict[str, Any]) -> None:
    run_dir, recorder = finished_run
    assert recorder.status() == dict.fromkeys(STAGES, "done")
    assert recorder.started == [(s, "fresh") for s in STAGES]
    fingerprints = load_pipeline_config(fake_env["config"], run_dir).fingerprints()
    for stage, m in _manifests(run_dir).items():
        assert m["status"] == "done" and m["fingerprint"] == fingerprints[stage] and m["attempts"] == 1
        assert m["seconds"] > 0 and m["started"] < m["finished"] and m["headline"]
        assert m["revisions"] == [git_revision()], stage
        assert all((run_dir / path).exists() for path in m["outputs"].values()), stage
    m = _manifests(run_dir)
    assert m["instruct"]["numbers"]["train_records"] > 0 and m["feedback"]["numbers"]["pairs"] > 0
    assert m["sft"]["numbers"]["global_step"] == 3 and m["dpo"]["numbers"]["global_step"] == 2
    assert "rewards/margins" in m["dpo"]["numbers"] and m["sft"]["inputs"] == {"instruct": m["instruct"]["finished"]}
    assert (run_dir / "sft" / "model" / "config.json").is_file() and (run_dir / "dpo" / "model").is_dir()
    subruns = {f"{model}/{name}" for model in ("base", "sft", "dpo")
               for name in ("heldout-0shot", "heldout-2shot", "indomain-0shot", "general")}
    assert set(m["eval"]["outputs"]) == subruns
    sft_eval = json.loads((run_dir / "eval" / "sft" / "heldout-0shot" / "run.json").read_text())
    assert sft_eval["config"]["model"] == str(run_dir / "sft" / "model") and sft_eval["config"]["limit"] == 3
    assert yaml.safe_load((run_dir / "config.yaml").read_text())["sft"]["output"] == str(run_dir / "sft")


def test_report_compares_the_three_models(finished_run: tuple[Path, Recorder]) -> None:
    run_dir, _ = finished_run
    report = (run_dir / "report.md").read_text()
    for heading in ("Held-out evaluation, 0-shot", "Held-out evaluation, 2-shot", "In-domain evaluation, 0-shot",
                    "General ability", "Training", "Stages"):
        assert f"## {heading}" in report
    assert report.count("| set | base | SFT | DPO |") == 3 and "| family | base | SFT | DPO |" in report
    assert re.search(r"\| toyheld/test \| [\d.]+ \[[\d.]+, [\d.]+\] \| [\d.]+ \[", report)  # F1 [95% CI] per model
    assert "| source | base | SFT | DPO |" in report and "| arc_easy |" in report
    assert "git revision" in report and "torch" in report and "CPUs" in report
    for stage in STAGES[:-1]:
        assert re.search(rf"\| {stage} \| done \| [\d.]+ \|", report), stage
    images = re.findall(r"\]\((report/[^)]+\.png)\)", report)
    assert {"report/training_sft.png", "report/training_dpo.png", "report/families.png"} <= set(images)
    assert "report/heldout-2shot_ner.png" in images and all((run_dir / i).stat().st_size > 0 for i in images)


def test_revisions_are_recorded_per_attempt_and_grouped_in_the_report(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner_module, "git_revision", lambda: "r2")
    assert runner_module._revisions(None) == ["r2"]
    assert runner_module._revisions({"revisions": ["r1"]}) == ["r1", "r2"]  # resumed at a later commit
    assert runner_module._revisions({"revisions": ["r1", "r2"]}) == ["r1", "r2"]  # resumed again, same commit
    assert runner_module._revisions({}) == ["r2"]  # a manifest from before revisions were recorded

    monkeypatch.setattr(report_module, "git_revision", lambda: "r2")
    done = {"revisions": ["r1"]}
    manifests: dict[str, Any] = dict.fromkeys(STAGES, done) | {"eval": {"revisions": ["r1", "r2"]}, "report": None}
    ctx: Any = type("Ctx", (), {"manifests": manifests})()
    assert report_module._revision_row(ctx) == "r1 (instruct, sft, feedback, dpo); r1 then r2 (eval); r2 (report)"
    manifests |= {"eval": done, "dpo": None}  # a stage never run is left out; the report's own revision counts
    assert report_module._revision_row(ctx) == "r1 (instruct, sft, feedback, eval); r2 (report)"
    monkeypatch.setattr(report_module, "git_revision", lambda: "r1")
    assert report_module._revision_row(ctx) == "r1"


def test_second_run_does_nothing(finished_run: tuple[Path, Recorder], fake_env: dict[str, Any]) -> None:
    run_dir, _ = finished_run
    before = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file() and p.name != "config.yaml"}
    recorder = Recorder()
    run_pipeline(load_pipeline_config(fake_env["config"], run_dir), reporter=recorder)
    assert recorder.status() == dict.fromkeys(STAGES, "skipped") and recorder.started == []
    after = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file() and p.name != "config.yaml"}
    assert after == before


def test_a_config_change_reruns_that_stage_and_the_later_ones(copy_run: Path, fake_env: dict[str, Any]) -> None:
    before = _manifests(copy_run)
    base_answers = (copy_run / "eval" / "base" / "heldout-0shot" / "predictions.jsonl").read_bytes()
    recorder = _rerun(fake_env, copy_run, {"dpo": {"beta": 0.2}})
    assert recorder.started == [("dpo", "fresh"), ("eval", "fresh"), ("report", "fresh")]
    assert recorder.status() == {**dict.fromkeys(["instruct", "sft", "feedback"], "skipped"),
                                 **dict.fromkeys(["dpo", "eval", "report"], "done")}
    after = _manifests(copy_run)
    for stage in ("instruct", "sft", "feedback"):
        assert after[stage] == before[stage]
    for stage in ("dpo", "eval", "report"):
        assert after[stage]["fingerprint"] != before[stage]["fingerprint"]
        assert after[stage]["started"] > before[stage]["finished"]
    # the eval stage keeps sub-runs of unchanged models: only DPO is evaluated again
    assert sum("up to date" in msg for msg in recorder.messages) == 8
    assert not any(re.match(r"eval: (base|sft) \S+ \(", msg) for msg in recorder.messages)
    assert (copy_run / "eval" / "base" / "heldout-0shot" / "predictions.jsonl").read_bytes() == base_answers


def test_a_larger_eval_limit_only_adds_answers(copy_run: Path, fake_env: dict[str, Any]) -> None:
    path = copy_run / "eval" / "sft" / "heldout-0shot" / "predictions.jsonl"
    old = path.read_text().splitlines()
    recorder = _rerun(fake_env, copy_run, {"eval": {"limit": 5}})
    assert recorder.started == [("eval", "fresh"), ("report", "fresh")]
    new = path.read_text().splitlines()
    assert new[: len(old)] == old and len(new) == 5
    assert json.loads((path.parent / "metrics.json").read_text())["run"]["limit"] == 5


def test_from_forces_that_stage_and_everything_after(copy_run: Path, fake_env: dict[str, Any]) -> None:
    before = _manifests(copy_run)
    recorder = _rerun(fake_env, copy_run, start="dpo")
    assert recorder.started == [("dpo", "forced"), ("eval", "forced"), ("report", "forced")]
    after = _manifests(copy_run)
    assert all(after[s] == before[s] for s in ("instruct", "sft", "feedback"))
    assert all(after[s]["fingerprint"] == before[s]["fingerprint"] and after[s]["started"] > before[s]["finished"]
               for s in ("dpo", "eval", "report"))
    assert not any("up to date" in msg for msg in recorder.messages)  # forced: every sub-run evaluated again


def test_an_interrupted_training_stage_resumes_from_its_checkpoint(
    copy_run: Path, fake_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from adelie.train.logs import JsonlLogCallback

    log = JsonlLogCallback.on_log

    def killed_at_step_3(self: Any, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
        log(self, args, state, control, logs, **kw)
        if state.global_step == 3:  # logged, not yet saved: checkpoint-2 is the last one
            raise RuntimeError("killed at step 3")

    monkeypatch.setattr(JsonlLogCallback, "on_log", killed_at_step_3)
    with pytest.raises(RuntimeError, match="killed"):
        _rerun(fake_env, copy_run, start="sft")
    failed = read_manifest(copy_run / "sft")
    assert failed["status"] == "failed" and "killed" in failed["error"] and failed["finished"] is None
    checkpoints = sorted(p.name for p in (copy_run / "sft" / "checkpoints").glob("checkpoint-*"))
    assert checkpoints == ["checkpoint-2"] and not (copy_run / "sft" / "model").exists()
    assert read_manifest(copy_run / "feedback")["finished"] < failed["started"]  # later stages never started
    monkeypatch.undo()

    recorder = _rerun(fake_env, copy_run, only="sft")
    assert recorder.started == [("sft", "resume")]
    done = read_manifest(copy_run / "sft")
    assert done["status"] == "done" and done["attempts"] == 2 and done["seconds"] > failed["seconds"]
    assert done["numbers"]["resumed_from"] == "checkpoint-2" and done["numbers"]["global_step"] == 3
    steps = [r["step"] for r in read_log(copy_run / "sft" / "train_log.jsonl") if "loss" in r]
    assert steps == [1, 2, 3]  # the killed attempt's step 3 replaced by the resumed one
    with pytest.raises(PipelineError, match="needs feedback"):  # feedback was made from the old SFT model
        _rerun(fake_env, copy_run, only="dpo")


def test_an_interrupted_eval_keeps_its_finished_sub_runs(
    copy_run: Path, fake_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import adelie.pipeline.evalstage as evalstage

    real = evalstage._run_general

    def general(ctx: Any, run: Any, folder: Path) -> dict[str, Any]:
        if run.model == "sft":
            raise KeyboardInterrupt
        return real(ctx, run, folder)

    monkeypatch.setattr(evalstage, "_run_general", general)
    with pytest.raises(KeyboardInterrupt):
        _rerun(fake_env, copy_run, start="eval")
    assert read_manifest(copy_run / "eval")["status"] == "interrupted"
    monkeypatch.undo()
    recorder = _rerun(fake_env, copy_run)
    assert recorder.started == [("eval", "resume"), ("report", "fresh")]
    fresh = [msg for msg in recorder.messages if "up to date" not in msg]
    assert len(fresh) == 5 and fresh[0].startswith("eval: sft general")  # base and SFT's IE sub-runs were kept


def test_only_runs_one_stage(copy_run: Path, fake_env: dict[str, Any]) -> None:
    assert _rerun(fake_env, copy_run, only="report").status() == {"report": "skipped"}
    assert _rerun(fake_env, copy_run, start="report", only="report").started == [("report", "forced")]
    with pytest.raises(PipelineError, match="needs feedback"):
        _rerun(fake_env, copy_run, {"feedback": {"samples": 3}}, only="dpo")
    with pytest.raises(PipelineError, match="unknown stage"):
        _rerun(fake_env, copy_run, start="training")


def test_cli_prints_the_summary_and_records_the_command(copy_run: Path, fake_env: dict[str, Any]) -> None:
    from adelie.cli import app

    result = CliRunner().invoke(app, ["pipeline", str(fake_env["config"]), "--run-dir", str(copy_run),
                                      "--from", "report"])
    assert result.exit_code == 0, result.output
    assert "pipeline summary" in result.output and "skipped" in result.output
    assert f"`adelie pipeline {fake_env['config']} --run-dir {copy_run} --from report`" in (
        copy_run / "report.md").read_text()
    result = CliRunner().invoke(app, ["pipeline", str(fake_env["config"]), "--run-dir", str(copy_run),
                                      "--only", "nope"])
    assert result.exit_code != 0 and "unknown stage" in result.output
