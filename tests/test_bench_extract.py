"""benchmarks/extract_throughput.py end to end on the tiny random model: four CrossNER-style sentences, all three
modes (naive, api, the uvicorn service), the JSON and the Markdown report."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "crossner" / "music" / "dev.txt"
MORE = ("Night\tB-album\nTide\tI-album\nsold\tO\nwell\tO\n.\tO\n\n"
        "Mira\tB-person\nsang\tO\nin\tO\nParis\tB-location\n.\tO\n")


def _bench() -> ModuleType:
    """The benchmark script as a module (registered, as its dataclasses need)."""
    if "extract_throughput" not in sys.modules:
        path = ROOT / "benchmarks" / "extract_throughput.py"
        spec = importlib.util.spec_from_file_location("extract_throughput", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return sys.modules["extract_throughput"]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory whose crossner_music test split holds four sentences (the dev fixture's two + two)."""
    folder = tmp_path / "crossner" / "music"
    folder.mkdir(parents=True)
    (folder / "test.txt").write_text(FIXTURE.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + MORE, encoding="utf-8")
    return tmp_path


def test_three_modes_on_the_tiny_model(tiny_model_dir: Path, data_dir: Path, tmp_path: Path) -> None:
    """Run as a user runs it, in its own process: its uvicorn thread and logging stay out of pytest's capture (in a
    full in-process run, a stream pytest was capturing got closed under this test)."""
    import subprocess

    out = tmp_path / "bench.json"
    proc = subprocess.run([
        sys.executable, str(ROOT / "benchmarks" / "extract_throughput.py"),
        "--model", str(tiny_model_dir), "--data-dir", str(data_dir), "--n-docs", "4", "--max-new-tokens", "6",
        "--batch-size", "4", "--concurrency", "4", "--batch-wait-ms", "50", "--device", "cpu", "--json", str(out),
        "--markdown",
    ], capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["documents"]["n"] == 4 and "musical artist" in result["documents"]["labels"]
    assert result["settings"]["max_new_tokens"] == 6
    assert set(result["modes"]) == {"naive", "api", "service"}
    for name, mode in result["modes"].items():
        assert mode["seconds"] > 0 and mode["documents_per_second"] > 0, name
        assert 0 < mode["latency_p50_s"] <= mode["latency_p95_s"], name
        assert mode["prompts"] == 4, name  # one prompt per (short) document
        assert 4 <= mode["generated_tokens"] <= 4 * 6, name  # at least one token per answer, at most the cap
        assert 0 <= mode["answers_cut"] <= 4, name
    assert result["modes"]["naive"]["model_calls"] == 4
    assert result["modes"]["api"]["model_calls"] == 1
    assert 1 <= result["modes"]["service"]["model_calls"] < 4  # the micro-batcher joined concurrent requests
    api = result["modes"]["api"]
    assert api["latency_p50_s"] == api["latency_p95_s"] == api["seconds"]
    same = result["identical"]
    assert 0 <= same["all"] <= min(same["api_vs_naive"], same["service_vs_api"]) <= 4
    printed = proc.stdout
    assert printed.startswith("## Extraction throughput (")
    assert "| mode | seconds | documents/s |" in printed and "| service |" in printed
    assert f"`python benchmarks/extract_throughput.py --model {tiny_model_dir} --dataset crossner_music" in printed
    assert ("--n-docs 4 --max-new-tokens 6 --batch-size 4 --concurrency 4 --batch-wait-ms 50 --device cpu "
            "--decoding constrained`") in printed


def test_too_few_documents_stops_before_loading_a_model(data_dir: Path) -> None:
    with pytest.raises(SystemExit, match="only 4 texts; --n-docs asked for 5"):
        _bench().main(["--model", "no-such-model-dir", "--data-dir", str(data_dir), "--n-docs", "5"])


def test_modes_compare_offsets_text_and_label_not_scores() -> None:
    bench = _bench()
    found = [{"start": 0, "end": 3, "text": "Bob", "label": "person", "score": 0.9, "alignment": "exact"},
             {"start": None, "end": None, "text": "Zed", "label": "band", "score": 0.4, "alignment": "not_found"}]
    reordered = [dict(found[1], score=0.1), dict(found[0], score=0.7)]
    assert bench._key(found) == bench._key(reordered)
    assert bench._key(found) != bench._key([dict(found[0], start=None, end=None), found[1]])
    assert bench._key(found) != bench._key([dict(found[0], label="band"), found[1]])
    assert bench.percentiles([5.0, 1.0, 3.0, 2.0, 4.0]) == pytest.approx((3.0, 4.8))
    assert bench.percentiles([0.5]) == (0.5, 0.5)
