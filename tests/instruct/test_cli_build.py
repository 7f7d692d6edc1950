"""`adelie build ...` commands, run in-process on the fake registry."""

import json

import pytest
import yaml
from fake_data import config_dict, echo_gold, install
from typer.testing import CliRunner

from adelie.cli import app
from adelie.errors import AdelieError

runner = CliRunner()


@pytest.fixture
def fake(monkeypatch, tmp_path):
    install(monkeypatch, tmp_path)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config_dict(tmp_path, None)))
    return path


def test_instruct_stats_and_show(fake, tmp_path):
    out = tmp_path / "built"
    r = runner.invoke(app, ["build", "instruct", "--config", str(fake), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "held-out guard:" in r.output and "wrote" in r.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 7
    r = runner.invoke(app, ["build", "stats", str(out)])
    assert r.exit_code == 0, r.output
    assert "by dataset" in r.output and "toyner" in r.output and "few-shot" in r.output
    r = runner.invoke(app, ["build", "show", str(out), "-n", "2", "--task", "ner"])
    assert r.exit_code == 0, r.output
    assert r.output.count("task=ner") == 2 and "[Answer]:" in r.output


def test_seed_override_changes_the_manifest(fake, tmp_path):
    r = runner.invoke(app, ["build", "instruct", "-c", str(fake), "-o", str(tmp_path / "o"), "--seed", "11"])
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "o" / "manifest.json").read_text())["seed"] == 11


def test_eval_prompts_command(fake, tmp_path):
    r = runner.invoke(app, ["build", "eval-prompts", "--out", str(tmp_path / "ev"), "--shots", "4"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "ev" / "toyheld.jsonl").is_file() and "toyheld" in r.output


def test_explain_command(fake, tmp_path, teacher):
    teacher.reply = echo_gold
    out = tmp_path / "expl.jsonl"
    r = runner.invoke(app, ["build", "explain", "--endpoint", teacher.url, "--model", "m", "--n", "6",
                            "--out", str(out), "--config", str(fake), "--cache", str(tmp_path / "cache")])
    assert r.exit_code == 0, r.output
    assert "kept 6 of 6" in r.output and len(out.read_text().splitlines()) == 6


def test_user_errors_are_adelie_errors(fake, tmp_path):
    r = runner.invoke(app, ["build", "instruct", "-c", str(tmp_path / "missing.yaml"), "-o", str(tmp_path / "o")])
    assert isinstance(r.exception, AdelieError) and "cannot read config" in str(r.exception)
    r = runner.invoke(app, ["build", "stats", str(tmp_path / "nothing")])
    assert isinstance(r.exception, AdelieError)
