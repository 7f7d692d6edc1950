"""The `adelie data` commands, run as a user runs them: errors are one line, never a traceback."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def adelie(*args: str, data_dir: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if data_dir is not None:
        env["ADELIE_DATA_DIR"] = str(data_dir)
    code = "from adelie.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def oie_dir(tmp_path) -> Path:
    """A data directory holding only the OIE2016 fixture."""
    shutil.copytree(FIXTURES / "oie2016", tmp_path / "oie2016")
    return tmp_path


def test_unknown_dataset_is_one_clear_line(oie_dir):
    r = adelie("data", "show", "conl2003", data_dir=oie_dir)
    assert r.returncode == 2
    assert "error: unknown dataset 'conl2003'. Did you mean conll2003" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_missing_dataset_folder_is_named(oie_dir):
    r = adelie("data", "export", "carb", "--split", "test", data_dir=oie_dir)
    assert r.returncode == 2
    assert "dataset 'carb': folder" in r.stderr and "is missing from the data directory" in r.stderr
    assert "Traceback" not in r.stderr


def test_export_round_trips_records(oie_dir):
    from adelie.schema import Example

    r = adelie("data", "export", "oie2016", "--split", "train", data_dir=oie_dir)
    assert r.returncode == 0, r.stderr
    records = [Example.model_validate_json(line) for line in r.stdout.splitlines()]
    assert records and all(rec.dataset == "oie2016" and rec.tuples for rec in records)
    assert "exported" in r.stderr


def test_malformed_line_names_file_and_line_and_skip_invalid_counts(oie_dir):
    path = oie_dir / "oie2016" / "train.oie"
    lines = path.read_text().splitlines()
    lines.insert(1, "a sentence with no extraction columns")
    path.write_text("\n".join(lines) + "\n")
    r = adelie("data", "export", "oie2016", "--split", "train", data_dir=oie_dir)
    assert r.returncode == 2
    assert f"{path}, line 2:" in r.stderr and "Traceback" not in r.stderr
    r = adelie("data", "export", "oie2016", "--split", "train", "--skip-invalid", data_dir=oie_dir)
    assert r.returncode == 0
    assert "skipped 1 invalid" in r.stderr
    assert all(json.loads(x)["dataset"] == "oie2016" for x in r.stdout.splitlines())


def test_validate_fails_on_wrong_split_size(oie_dir):
    r = adelie("data", "validate", "oie2016", "--no-overlap", data_dir=oie_dir)
    assert r.returncode == 1  # the fixture is smaller than the real split
    assert "failed:" in r.stdout and "expected" in r.stdout


def test_unknown_export_format(oie_dir):
    r = adelie("data", "export", "oie2016", "--split", "train", "--format", "csv", data_dir=oie_dir)
    assert r.returncode == 2 and "unknown format 'csv'" in r.stderr
