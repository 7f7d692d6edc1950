"""adelie.predict: round trip, resume after an interruption, seeded sampling, input checks, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adelie.errors import AdelieError, DataFormatError
from adelie.generate import GenerationConfig
from adelie.predict import predict_file, prompt_of, read_records

CFG = GenerationConfig(max_new_tokens=4, temperature=1.0, seed=3, batch_size=2, n=1)


def write_inputs(path: Path, count: int = 5) -> list[dict]:
    records = [
        {
            "id": f"r{i}",
            "messages": [
                {"role": "user", "content": f"Text: Apple Inc. {i}"}, {"role": "assistant", "content": "gold"},
            ],
            "metadata": {"dataset": "x", "i": i},
        }
        for i in range(count)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return records


def read_out(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_round_trip_keeps_fields_and_adds_output(tiny_model_dir: Path, tmp_path: Path) -> None:
    records = write_inputs(tmp_path / "in.jsonl")
    report = predict_file(str(tiny_model_dir), tmp_path / "in.jsonl", tmp_path / "out.jsonl", CFG, progress=False)
    out = read_out(tmp_path / "out.jsonl")
    assert (report.total, report.skipped, report.written) == (5, 0, 5)
    assert [{k: v for k, v in o.items() if k != "output"} for o in out] == records
    assert all(isinstance(o["output"], str) for o in out)


def test_resume_after_truncation_matches_uninterrupted_run(tiny_model_dir: Path, tmp_path: Path) -> None:
    write_inputs(tmp_path / "in.jsonl")
    full = tmp_path / "full.jsonl"
    predict_file(str(tiny_model_dir), tmp_path / "in.jsonl", full, CFG, progress=False)
    lines = full.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(lines[:2]) + lines[2][:15], encoding="utf-8")  # killed while writing the second batch
    report = predict_file(str(tiny_model_dir), tmp_path / "in.jsonl", cut, CFG, progress=False)
    assert (report.skipped, report.written) == (2, 3)
    assert cut.read_text(encoding="utf-8") == full.read_text(encoding="utf-8")
    again = predict_file(str(tiny_model_dir), tmp_path / "in.jsonl", cut, CFG, progress=False)
    assert (again.skipped, again.written) == (5, 0)


def test_sampling_with_a_seed_is_reproducible_and_n_gives_lists(tiny_model_dir: Path, tmp_path: Path) -> None:
    write_inputs(tmp_path / "in.jsonl", 3)
    cfg = GenerationConfig(max_new_tokens=6, temperature=1.0, seed=7, batch_size=4, n=3)
    outs = []
    for name in ("a.jsonl", "b.jsonl"):
        predict_file(str(tiny_model_dir), tmp_path / "in.jsonl", tmp_path / name, cfg, progress=False)
        outs.append(read_out(tmp_path / name))
    assert outs[0] == outs[1]
    assert all(isinstance(o["output"], list) and len(o["output"]) == 3 for o in outs[0])
    assert len({t for o in outs[0] for t in o["output"]}) > 1  # sampling, not greedy copies


def test_output_of_another_input_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    write_inputs(tmp_path / "in.jsonl")
    (tmp_path / "out.jsonl").write_text(json.dumps({"messages": [{"role": "user", "content": "other"}]}) + "\n")
    with pytest.raises(AdelieError, match="another input"):
        predict_file(str(tiny_model_dir), tmp_path / "in.jsonl", tmp_path / "out.jsonl", CFG, progress=False)


def test_bad_input_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": "a"}]}\n{"text": "no messages"}\n')
    with pytest.raises(DataFormatError, match="line 2"):
        read_records(path)


def test_prompt_drops_only_a_final_assistant_turn() -> None:
    msgs = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]
    assert prompt_of(msgs) == msgs
    assert prompt_of([*msgs, {"role": "assistant", "content": "gold"}]) == msgs


def test_cli_predict(tiny_model_dir: Path, tmp_path: Path) -> None:
    from adelie.cli import app

    write_inputs(tmp_path / "in.jsonl", 2)
    args = ["predict", "--model", str(tiny_model_dir), "--input", str(tmp_path / "in.jsonl"),
            "--output", str(tmp_path / "out.jsonl"), "--max-new-tokens", "3", "--batch-size", "2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert len(read_out(tmp_path / "out.jsonl")) == 2
