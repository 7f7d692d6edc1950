"""The pipeline config: shipped files, --quick, paths resolved per run directory, fingerprints, named mistakes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from adelie.errors import AdelieError
from adelie.feedback import load_feedback_config
from adelie.instruct.config import load_config
from adelie.pipeline import QUICK, EvalSettings, load_pipeline_config, pipeline_config_from_dict
from adelie.pipeline.config import merge

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def _yaml(name: str) -> dict[str, Any]:
    return yaml.safe_load((CONFIGS / name).read_text(encoding="utf-8"))


def test_quick_yaml_spells_out_the_quick_profile() -> None:
    quick = _yaml("quick.yaml")
    for section, values in QUICK.items():
        assert {k: quick[section].get(k) for k in values} == values, section


def test_smol_cpu_eval_section_is_the_default() -> None:
    smol = _yaml("smol-cpu.yaml")
    assert pipeline_config_from_dict({"eval": smol["eval"]}, "r").eval == EvalSettings()


def test_shipped_configs_resolve_against_the_run_directory(tmp_path: Path) -> None:
    cfg = load_pipeline_config(CONFIGS / "smol-cpu.yaml", tmp_path / "run", quick=True)
    run = tmp_path / "run"
    assert (cfg.profile.sft.data, cfg.profile.sft.output) == (str(run / "instruct"), str(run / "sft"))
    assert (cfg.profile.dpo.data, cfg.profile.dpo.output, cfg.profile.dpo.init) == (
        str(run / "feedback"), str(run / "dpo"), str(run / "sft" / "model"))
    assert cfg.instruct.datasets == QUICK["instruct"]["datasets"] and cfg.instruct.length.tokenizer == "default"
    assert cfg.profile.sft.max_steps == QUICK["sft"]["max_steps"] and cfg.eval.limit == QUICK["eval"]["limit"]
    quick_file = load_pipeline_config(CONFIGS / "quick.yaml", run)
    assert quick_file.fingerprints() == cfg.fingerprints()  # the same run, whichever way it is asked for
    full = load_pipeline_config(CONFIGS / "smol-cpu.yaml", run)
    assert full.profile.sft.max_steps == 56 and full.instruct.per_dataset_cap == 30 and full.eval.limit == 5
    # each stage's own loader reads its section of the pipeline file
    assert load_config(CONFIGS / "smol-cpu.yaml") == full.instruct
    assert load_feedback_config(CONFIGS / "smol-cpu.yaml") == full.feedback


def test_relative_run_directories_become_absolute(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = pipeline_config_from_dict({}, "runs/a")
    assert cfg.run_dir == tmp_path / "runs" / "a" and cfg.profile.sft.output == str(tmp_path / "runs" / "a" / "sft")


def test_pipeline_defaults_fill_every_stage() -> None:
    cfg = pipeline_config_from_dict({"model": {"base": "some/model"},
                                     "pipeline": {"data_dir": "/data", "general_dir": "/general"},
                                     "feedback": {"data_dir": "/other"}}, "r")
    assert (cfg.instruct.data_dir, cfg.instruct.general.dir, cfg.instruct.length.tokenizer) == (
        "/data", "/general", "some/model")
    assert (cfg.feedback.data_dir, cfg.eval.data_dir, cfg.eval.general_dir) == ("/other", "/data", "/general")
    explicit = pipeline_config_from_dict({"instruct": {"length": {"tokenizer": None}}}, "r")
    assert explicit.instruct.length.tokenizer is None


@pytest.mark.parametrize(("change", "changed"), [
    ({"instruct": {"per_dataset_cap": 7}}, {"instruct", "sft", "feedback", "dpo", "eval", "report"}),
    ({"model": {"attn_implementation": "eager"}}, {"sft", "feedback", "dpo", "eval", "report"}),
    ({"feedback": {"samples": 3}}, {"feedback", "dpo", "eval", "report"}),
    ({"dpo": {"beta": 0.3}}, {"dpo", "eval", "report"}),
    ({"eval": {"limit": 3}}, {"eval", "report"}),
    ({"sft": {"output": "elsewhere", "data": "x"}}, set()),  # paths are the pipeline's, not fingerprinted
])
def test_a_change_moves_the_fingerprints_of_that_stage_and_later_ones(change: dict[str, Any], changed: set[str]
                                                                        ) -> None:
    base = pipeline_config_from_dict({}, "a").fingerprints()
    other = pipeline_config_from_dict(merge({}, change), "b").fingerprints()  # another run directory too
    assert {s for s in base if base[s] != other[s]} == changed


@pytest.mark.parametrize(("text", "message"), [
    ("trainer: {}\n", "unknown section 'trainer'"),
    ("evaluate: {limit: 3}\n", "the evaluation section is `eval:`"),
    ("eval: {limt: 3}\n", "eval.limt"),
    ("eval: {models: [base, rlhf]}\n", "models must be some of"),
    ("eval: {shots: []}\n", "shots must be a non-empty list"),
    ("eval: {general: [hellaswag]}\n", "general must be some of"),
    ("eval: {datasets: [conll2003]}\n", "not in suite 'heldout'"),
    ("eval: [1, 2]\n", "section 'eval' must be a mapping"),
    ("instruct: {per_dataset_cp: 3}\n", "[instruct]: invalid IEInstruct config: per_dataset_cp"),
    ("instruct: {datasets: [crossner_ai]}\n", "[instruct]: crossner_ai has no train-role split"),
    ("feedback: {datasets: [semeval2010_task8]}\n", "[feedback]: semeval2010_task8 has no train-role split"),
    ("feedback: {samples: 1}\n", "[feedback]: invalid feedback config: samples must be at least 2"),
    ("sft: {learning_rte: 1}\n", "unknown key 'sft.learning_rte'"),
    ("pipeline: {data: x}\n", "pipeline.data"),
])
def test_mistakes_name_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AdelieError) as err:
        load_pipeline_config(path, tmp_path / "run")
    assert str(path) in str(err.value) and message in str(err.value)
