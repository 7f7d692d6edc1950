"""The IEInstruct builder on a small fake registry: determinism, the held-out guard, caps, demonstrations,
length limit, explanations and the manifest."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fake_data import LEAKED, config_dict, echo_gold, install

from adelie.datasets.overlap import normalize_text
from adelie.errors import AdelieError, HeldOutError
from adelie.instruct.build import build_instruct
from adelie.instruct.config import config_from_dict
from adelie.instruct.explain import TeacherClient, run_explain
from adelie.instruct.records import METADATA_KEYS, read_jsonl
from adelie.tasks import get_task

HERE = Path(__file__).parent


@pytest.fixture
def fake(monkeypatch, tmp_path):
    return install(monkeypatch, tmp_path)


def build(tmp_path, out, tokenizer=None, **overrides):
    cfg = config_from_dict(config_dict(tmp_path, tokenizer, **overrides))
    manifest = build_instruct(cfg, tmp_path / out)
    return manifest, read_jsonl(tmp_path / out / "train.jsonl"), read_jsonl(tmp_path / out / "validation.jsonl")


def files(folder):
    return {name: (folder / name).read_bytes() for name in ("train.jsonl", "validation.jsonl", "manifest.json")}


def test_same_seed_same_bytes_other_seed_other_corpus(fake, tmp_path, tiny_model_dir):
    build(tmp_path, "a", str(tiny_model_dir))
    build(tmp_path, "b", str(tiny_model_dir))
    assert files(tmp_path / "a") == files(tmp_path / "b")
    build(tmp_path, "c", str(tiny_model_dir), seed=8)
    assert files(tmp_path / "a")["train.jsonl"] != files(tmp_path / "c")["train.jsonl"]


def test_same_bytes_across_processes_with_different_hash_seeds(tmp_path):
    script = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]);"
        "import fake_data; from adelie.instruct.build import build_instruct;"
        "from adelie.instruct.config import config_from_dict;"
        "tmp = Path(sys.argv[2]); fake_data.install_plain(tmp);"
        "build_instruct(config_from_dict(fake_data.config_dict(tmp, None)), tmp / sys.argv[3])"
    )
    for i, hash_seed in enumerate(("1", "2")):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", script, str(HERE), str(tmp_path), f"out{i}"], check=True, env=env,
                       timeout=300)
    assert files(tmp_path / "out0") == files(tmp_path / "out1")


def test_no_held_out_text_in_any_record_and_the_guard_reports(fake, tmp_path):
    manifest, train, val = build(tmp_path, "out")
    guard = manifest["guard"]
    assert guard["refuses_held_out"] and "toyheld/test" in guard["protected_splits"]
    assert guard["overlap_dropped_examples"] == {"toyner/train": 1}
    assert guard["overlap_dropped_general"] == 1
    assert sorted(guard["trainable_checked"]) == ["toybio/train", "toyevent/train", "toyner/train", "toyre/train"]
    # exhaustive check: no normalised held-out sentence occurs anywhere in any message
    held = normalize_text(LEAKED)
    for rec in train + val:
        for m in rec["messages"]:
            assert held not in normalize_text(m["content"])


def test_records_tasks_caps_and_validation(fake, tmp_path):
    manifest, train, val = build(tmp_path, "out")
    assert all(set(r["metadata"]) == set(METADATA_KEYS) for r in train + val)
    assert all(r["messages"][-1]["role"] == "assistant" and r["messages"][-2]["role"] == "user" for r in train)
    tasks = {r["metadata"]["task"] for r in train}
    assert tasks == {"ner", "relation_extraction", "event_detection", "event_arguments", "on_demand", "general"}
    by_dataset = manifest["counts"]["train"]["by_dataset"]
    assert all(n <= 30 for d, n in by_dataset.items() if d not in ("general", "odie_synth"))
    assert by_dataset["odie_synth"] <= 20
    assert manifest["counts"]["train"]["general_records"] == round(0.1 * manifest["counts"]["train"]["ie_records"])
    assert {r["metadata"]["split"] for r in val if r["metadata"]["dataset"] == "toyner"} == {"dev"}
    assert manifest["datasets"]["toyre"]["validation_from"] == "held back from train"
    val_ids = {r["metadata"]["example_id"] for r in val if r["metadata"]["dataset"] == "toyre"}
    train_ids = {r["metadata"]["example_id"] for r in train if r["metadata"]["dataset"] == "toyre"}
    assert val_ids and not val_ids & train_ids
    assert set(manifest["rates"]["format"]) == {"canonical", "json", "natural"}
    assert manifest["files"]["train.jsonl"]["records"] == len(train)


def test_demonstrations_are_earlier_turns_from_other_examples(fake, tmp_path):
    _, train, _ = build(tmp_path, "out", few_shot={"rate": 1.0, "min_shots": 2, "max_shots": 3})
    ie = [r for r in train if r["metadata"]["task"] != "general"]
    assert all(2 <= r["metadata"]["shots"] <= 3 for r in ie)
    for r in ie:
        msgs = r["messages"]
        assert len(msgs) == 2 * r["metadata"]["shots"] + 2
        assert [m["role"] for m in msgs] == ["user", "assistant"] * (len(msgs) // 2)
        ex_id = r["metadata"]["example_id"]
        number = ex_id.rsplit("-", 1)[-1]
        if r["metadata"]["dataset"] in ("toyner", "toybio", "toyre"):
            # each fake text names its own example number and split: demos must not repeat the query's text
            ner_marker = f"day {number} of" if int(number) % 5 == 4 else f"number {number} in"
            query_text_marker = {"toyner": ner_marker, "toybio": f"Patient {number} ",
                                 "toyre": f"report {r['metadata']['split']}-{number}."}[r["metadata"]["dataset"]]
            assert query_text_marker in msgs[-2]["content"]
            assert not any(query_text_marker in m["content"] for m in msgs[:-2])


def test_no_answer_share_is_capped_per_dataset(fake, tmp_path):
    manifest, train, _ = build(tmp_path, "out", no_answer_max=0.1)
    for dataset in ("toyner", "toybio", "toyre", "toyevent"):
        recs = [r for r in train if r["metadata"]["dataset"] == dataset]
        na = sum(r["metadata"]["no_answer"] for r in recs)
        assert na <= 0.1 * len(recs) + 1e-9
    assert manifest["rates"]["no_answer"]["max_dataset"] <= 0.1


def test_length_limit_trims_demonstrations_then_drops(fake, tmp_path, tiny_model_dir, tiny_tokenizer):
    manifest, train, _ = build(tmp_path, "out", str(tiny_model_dir),
                               few_shot={"rate": 1.0, "min_shots": 6, "max_shots": 8},
                               length={"tokenizer": str(tiny_model_dir), "max_tokens": 400})
    length = manifest["length"]
    assert length["demonstrations_trimmed"]["train"] > 0
    assert length["train_tokens"]["max"] <= 400
    for r in train[:50]:
        text = tiny_tokenizer.apply_chat_template(r["messages"], tokenize=False)
        n = len(tiny_tokenizer(text, add_special_tokens=False)["input_ids"])
        assert n <= 400 + len(r["messages"])  # a token per message boundary at most (see length.py)


def test_held_out_datasets_and_licences(fake, tmp_path):
    with pytest.raises(HeldOutError, match="toyheld has no train-role split"):
        build(tmp_path, "out", datasets=["toyner", "toyheld"])
    manifest, _, _ = build(tmp_path, "out", exclude_licences=["non-commercial"])
    assert "toybio" not in manifest["datasets"]
    with pytest.raises(AdelieError, match="exclude_datasets names unknown datasets: nope"):
        build(tmp_path, "out", exclude_datasets=["nope"])


def test_teacher_explanations_are_merged(fake, tmp_path, teacher):
    teacher.reply = echo_gold
    cfg = config_from_dict(config_dict(tmp_path, None))
    client = TeacherClient(teacher.url, "t", tmp_path / "cache", backoff=0.01)
    result, written = run_explain(cfg, client, 40, tmp_path / "expl.jsonl", workers=2)
    assert written == len(result.kept) > 20
    path = str(tmp_path / "expl.jsonl")
    manifest, train, _ = build(tmp_path, "out", explanations={"rate": 1.0, "path": path, "fallback": "none"})
    explained = [r for r in train if r["metadata"]["has_explanation"]]
    assert explained and manifest["rates"]["explanation"]["actual"] > 0
    assert manifest["rates"]["explanation"]["available"] == written
    assert manifest["rates"]["explanation"]["by_source"] == {"teacher": len(explained), "gold": 0}
    for r in explained:
        assert r["messages"][-1]["content"].startswith("[Explanation]: The text states it directly")
        assert "[Explanation]" in r["messages"][-2]["content"]
    keyless = [r for r in train if not r["metadata"]["has_explanation"] and r["metadata"]["task"] != "general"]
    assert keyless and all(not r["messages"][-1]["content"].startswith("[Explanation]") for r in keyless)
    # with the gold fallback, the teacher's explanations still win and every other record gets a rationale
    manifest, train, _ = build(tmp_path, "gold", explanations={"rate": 1.0, "path": path})
    ie = [r for r in train if r["metadata"]["task"] != "general"]
    assert all(r["metadata"]["has_explanation"] for r in ie)
    teacher_made = sum(r["messages"][-1]["content"].startswith("[Explanation]: The text states it directly")
                       for r in ie)
    assert manifest["rates"]["explanation"]["by_source"] == {"teacher": teacher_made, "gold": len(ie) - teacher_made}
    assert teacher_made == len(explained) and len(ie) > teacher_made


def test_default_build_explains_the_configured_share_with_gold_rationales(fake, tmp_path):
    manifest, train, _ = build(tmp_path, "out")
    rate = manifest["rates"]["explanation"]
    assert rate["configured"] == 0.1 and rate["fallback"] == "gold" and abs(rate["actual"] - 0.1) <= 0.02
    explained = [r for r in train if r["metadata"]["has_explanation"]]
    assert rate["by_source"] == {"teacher": 0, "gold": len(explained)}
    assert {r["metadata"]["task"] for r in explained} >= {"ner", "event_arguments", "on_demand"}
    for r in explained:
        m = r["metadata"]
        answer = r["messages"][-1]["content"]
        assert answer.startswith("[Explanation]: ") and "\n[Answer]:" in answer
        assert "[Explanation]" in r["messages"][-2]["content"]  # the prompt asks for it
        parsed = get_task(m["task"]).parse(answer)
        assert parsed.ok and parsed.explanation and parsed.format == m["format"]
    assert all(not m["content"].startswith("[Explanation]") for r in train for m in r["messages"][:-1]
               if m["role"] == "assistant")  # demonstrations carry no explanation
    none, train_none, _ = build(tmp_path, "none", explanations={"fallback": "none"})
    assert none["rates"]["explanation"]["actual"] == 0.0 and none["rates"]["explanation"]["drawn"] > 0.05
    assert not any(r["metadata"]["has_explanation"] for r in train_none)


def test_manifest_is_json_with_config_and_rates(fake, tmp_path):
    build(tmp_path, "out")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["config"]["per_dataset_cap"] == 30
    assert manifest["rates"]["label_knobs"]["class_dropout"]["configured"] == 0.1
    assert manifest["length"]["tokenizer"] is None and manifest["length"]["train_tokens"] == {}


def test_on_demand_quota_is_shared_out_evenly():
    from adelie.instruct.pool import share

    assert share(10, [100, 100]) == [5, 5]
    assert share(10, [2, 100, 100]) == [2, 4, 4]
    assert sum(share(5000, [20_000] * 15 + [18])) == 5000
    assert share(7, [1, 1]) == [1, 1]
