"""Fixtures for the pipeline tests: the builder tests' fake registry installed for the module, a tiny pipeline config
for the tiny random Llama, and one finished run to copy."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pipeline_helpers import Recorder, tiny_config, write_general_checks

from adelie.pipeline import load_pipeline_config, run_pipeline

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "instruct"))
import fake_data


@pytest.fixture(scope="module")
def fake_env(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Iterator[dict[str, Any]]:
    """The fake registry installed for the module; yields {"root", "config" (path), "data" (mapping)}."""
    root = tmp_path_factory.mktemp("pipeline")
    with pytest.MonkeyPatch.context() as mp:
        fake_data.install(mp, root)
        write_general_checks(root / "general")
        data = tiny_config(tiny_model_dir, root / "general")
        path = root / "pipeline.yaml"
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        yield {"root": root, "config": path, "data": data}


@pytest.fixture(scope="module")
def finished_run(fake_env: dict[str, Any]) -> tuple[Path, Recorder]:
    """The whole pipeline run once (read-only for tests: copy it with `copy_run` to change it)."""
    run_dir = fake_env["root"] / "first"
    recorder = Recorder()
    run_pipeline(load_pipeline_config(fake_env["config"], run_dir), reporter=recorder)
    return run_dir, recorder


@pytest.fixture
def copy_run(finished_run: tuple[Path, Recorder], tmp_path: Path) -> Path:
    """A private copy of the finished run."""
    return Path(shutil.copytree(finished_run[0], tmp_path / "run"))
